//! Agents and tasks in the state machine: an agent registry with stake and capabilities; tasks
//! whose id is their kind and spec (identical work is joined, not duplicated) with the reward in
//! escrow; exclusive claims with a bond and takeover after the claim window; three ways to check a
//! result (the poster, a stake-weighted quorum of verifiers, or recomputation by the ledger);
//! challenges the ledger settles by recomputation, the loser paying the winner; and reputation.
//!
//! Money never leaves escrow except by these rules: a completed task pays the claimant the reward
//! plus any bonds forfeited on it and returns its bond; a missed claim window, a wrong result or a
//! rejected one forfeits the claimant's bond to the task (the next agent earns it); an expired or
//! cancelled task returns its reward to its funders, in proportion to what each put in, and the
//! bonds forfeited on it to the treasury (a poster never profits from the claimants it turned
//! away).
//!
//! Reputation score (integer, deterministic): `success * 3 + on_time` (each in parts per million,
//! success = completed / (completed + failed + 2 * challenges lost + 1), on-time = completed within
//! the claim window / (completed + 1)), divided by 4, times `1 + log2(stake + 1)`: a track record
//! counts most, stake counts logarithmically so it cannot buy rank.

use crate::accounts::{agent_stakes, task_escrow};
use crate::blobs::{BlobSource, BlobSourceError};
use crate::ctx::{fail, Ctx, DueQueue, Outcome};
use crate::error::{StorageError, TxRejection};
use crate::inference::{answer_receipt, model_corpus, Model};
use crate::keys::StateKey;
use crate::reader::StateReader;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use sinew_types::amount::{self, Amount};
use sinew_types::inference::split_exact;
use sinew_types::params::bounds::MAX_FEE_PARAM;
use sinew_types::payload::{
    Attest, CancelTask, Challenge, ClaimTask, FinalizeTask, PostTask, RegisterAgent, ReviewResult, SubmitResult,
    TaskTx, UpdateAgent,
};
use sinew_types::task::{
    recomputable, task_id, AgentStatus, TaskId, TaskStatus, Verification, KIND_ATTRIBUTION, KIND_INFERENCE,
    MAX_ATTESTATIONS, MAX_REJECTIONS, REJECTION_FEE_BPS,
};
use sinew_types::{Address, Event, Hash, Height, Params};

/// A registered agent.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Agent {
    /// Its account.
    pub address: Address,
    /// Display name.
    pub name: String,
    /// Tags and task kinds it takes.
    pub capabilities: Vec<String>,
    /// Where to reach it.
    pub endpoint: String,
    /// Stake locked.
    #[serde(with = "amount::as_string")]
    pub stake: Amount,
    /// Lifecycle.
    pub status: AgentStatus,
    /// When a retiring agent's stake returns.
    pub release_height: Height,
    /// Tasks it holds claimed or submitted.
    pub active_claims: u32,
    /// Height of registration.
    pub registered_at: Height,
}

/// An agent's track record.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Reputation {
    /// Tasks claimed.
    pub claims: u64,
    /// Tasks completed and paid.
    pub completed: u64,
    /// Completed within the claim window.
    pub on_time: u64,
    /// Missed windows, wrong or rejected results.
    pub failed: u64,
    /// Results a challenger proved wrong.
    pub challenged_lost: u64,
    /// Rewards earned.
    #[serde(with = "amount::as_string")]
    pub earned: Amount,
}

impl Reputation {
    /// The score (see the module documentation).
    pub fn score(&self, stake: Amount) -> u64 {
        let denom = self.completed + self.failed + 2 * self.challenged_lost + 1;
        let success = self.completed.saturating_mul(1_000_000) / denom;
        let on_time = self.on_time.saturating_mul(1_000_000) / (self.completed + 1);
        let record = (success * 3 + on_time) / 4;
        record.saturating_mul(1 + u64::from((stake + 1).ilog2()))
    }
}

/// A task.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Task {
    /// Its id (from kind and spec).
    pub id: TaskId,
    /// Kind.
    pub kind: String,
    /// Spec blob hash.
    pub spec: Hash,
    /// Who posted it first (reviews, cancels).
    pub poster: Address,
    /// Everyone who funded it and how much (refunds are proportional).
    pub funders: Vec<(Address, Amount)>,
    /// Reward escrowed by the funders.
    #[serde(with = "amount::as_string")]
    pub reward: Amount,
    /// Bonds forfeited on this task, paid to whoever completes it (to the treasury if nobody does).
    #[serde(with = "amount::as_string")]
    pub forfeited: Amount,
    /// Last height for a result.
    pub deadline: Height,
    /// Blocks of exclusivity for a claimant.
    pub claim_window: u64,
    /// Claimant bond.
    #[serde(with = "amount::as_string")]
    pub bond: Amount,
    /// How results are checked.
    pub verification: Verification,
    /// Parent task, for sub-tasks.
    pub parent: Option<TaskId>,
    /// Where it stands.
    pub status: TaskStatus,
    /// The current claimant.
    pub claimant: Option<Address>,
    /// When its exclusivity ends.
    pub claim_deadline: Height,
    /// The submitted result.
    pub result: Option<Hash>,
    /// Whether it came within the claim window.
    pub on_time: bool,
    /// End of the verification window.
    pub review_deadline: Height,
    /// Quorum attestations: verifier, approve, stake weight, bond.
    pub attestations: Vec<(Address, bool, Amount, Amount)>,
    /// Results the poster rejected so far (at most `MAX_REJECTIONS`).
    pub rejections: u32,
    /// Height of posting.
    pub created_at: Height,
}

/// The hash a capability or task kind is indexed under.
pub fn capability_hash(name: &str) -> Hash {
    Hash::tagged(b"sinew/capability", name.as_bytes())
}

fn check_capabilities(caps: &[String]) -> Result<(), TxRejection> {
    let mut sorted: Vec<&String> = caps.iter().collect();
    sorted.sort();
    sorted.dedup();
    if caps.is_empty()
        || caps.len() > 16
        || sorted.len() != caps.len()
        || caps.iter().any(|c| c.is_empty() || c.len() > 64)
    {
        return invalid("1 to 16 distinct capabilities of 1 to 64 bytes");
    }
    Ok(())
}

/// A stateless refusal of a task payload.
fn invalid(message: impl Into<String>) -> Result<(), TxRejection> {
    Err(TxRejection::InvalidTask(message.into()))
}

/// Checks of `RegisterAgent` that need no state.
pub(crate) fn check_register_agent(
    name: &str,
    capabilities: &[String],
    endpoint: &str,
    stake: Amount,
) -> Result<(), TxRejection> {
    if name.trim().is_empty() || name.len() > 64 {
        return invalid("agent name must be 1 to 64 bytes");
    }
    check_capabilities(capabilities)?;
    if endpoint.len() > 256 {
        return invalid("endpoint must be at most 256 bytes");
    }
    if stake > MAX_FEE_PARAM {
        return invalid("stake too large");
    }
    Ok(())
}

/// Checks of `UpdateAgent` that need no state.
pub(crate) fn check_update_agent(
    capabilities: &Option<Vec<String>>,
    endpoint: &Option<String>,
    add_stake: Amount,
) -> Result<(), TxRejection> {
    if let Some(c) = capabilities {
        check_capabilities(c)?;
    }
    if endpoint.as_ref().is_some_and(|e| e.len() > 256) {
        return invalid("endpoint must be at most 256 bytes");
    }
    if add_stake > MAX_FEE_PARAM {
        return invalid("stake too large");
    }
    Ok(())
}

/// Checks of `PostTask` that need no state: kind, amounts, claim window, and a verification the
/// kind allows with bounds every node agrees on.
pub(crate) fn check_post_task(
    kind: &str,
    reward: Amount,
    claim_window: u64,
    bond: Amount,
    verification: &Verification,
    params: &Params,
) -> Result<(), TxRejection> {
    if kind.is_empty() || kind.len() > 64 {
        return invalid("task kind must be 1 to 64 bytes");
    }
    if reward == 0 {
        return Err(TxRejection::ZeroAmount);
    }
    if reward > MAX_FEE_PARAM || bond > MAX_FEE_PARAM {
        return invalid("reward and bond must be at most 2^96");
    }
    if claim_window < params.min_claim_window || claim_window > 1_000_000 {
        return invalid(format!(
            "claim window must be within {}..=1000000 blocks (a claimant needs time to work)",
            params.min_claim_window
        ));
    }
    check_verification(kind, verification)
}

/// A task's verification rule is one the ledger can enforce for its kind.
fn check_verification(kind: &str, verification: &Verification) -> Result<(), TxRejection> {
    match verification {
        Verification::Recompute if !recomputable(kind) => {
            invalid("only sinew/attribution and sinew/inference tasks can be recomputed by the ledger")
        }
        Verification::Poster { window } | Verification::Quorum { window, .. }
            if *window == 0 || *window > 1_000_000 =>
        {
            invalid("verification window must be within 1..=1000000 blocks")
        }
        Verification::Quorum {
            min_verifiers,
            slash_bps,
            bond,
            min_stake,
            ..
        } if *min_verifiers == 0
            || *min_verifiers as usize > MAX_ATTESTATIONS
            || *slash_bps > 10_000
            || *bond > MAX_FEE_PARAM
            || *min_stake > MAX_FEE_PARAM =>
        {
            invalid("quorum needs 1 to 100 verifiers, slash_bps at most 10000, bond and stake at most 2^96")
        }
        Verification::Recompute | Verification::Poster { .. } | Verification::Quorum { .. } => Ok(()),
    }
}

/// Checks of `Challenge` that need no state.
pub(crate) fn check_challenge(bond: Amount) -> Result<(), TxRejection> {
    if bond == 0 {
        return invalid("a challenge needs a bond");
    }
    if bond > MAX_FEE_PARAM {
        return invalid("bond too large");
    }
    Ok(())
}

/// Why the ledger could not recompute a built-in task's result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecomputeError {
    /// The spec is not what the kind asks for (a message of ours, the same on every node).
    #[error("{0}")]
    BadSpec(String),
    /// This node cannot read the spec blob or an index right now.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// The state or blob store is damaged.
    #[error("{0}")]
    Storage(String),
}

impl RecomputeError {
    fn outcome(self) -> Outcome {
        match self {
            RecomputeError::BadSpec(m) => fail("bad_spec", m),
            RecomputeError::Unavailable(m) => fail(crate::ctx::UNAVAILABLE, m),
            RecomputeError::Storage(m) => Err(StorageError(m)),
        }
    }
}

impl From<BlobSourceError> for RecomputeError {
    fn from(e: BlobSourceError) -> Self {
        match e {
            BlobSourceError::Unavailable(m) => RecomputeError::Unavailable(m),
            e @ BlobSourceError::NotFound(_) => RecomputeError::Unavailable(e.to_string()),
            BlobSourceError::Storage(m) => RecomputeError::Storage(m),
            e @ BlobSourceError::Ingest(_) => RecomputeError::BadSpec(e.to_string()),
        }
    }
}

/// What a built-in kind's spec says, and the digest a correct result has.
pub fn recompute_result(
    state: &dyn StateReader,
    blobs: &dyn BlobSource,
    params: &Params,
    kind: &str,
    spec: &Hash,
) -> Result<Hash, RecomputeError> {
    let bad = |m: &str| RecomputeError::BadSpec(m.to_string());
    let bytes = blobs.blob(spec)?;
    // The parser's own wording never reaches a receipt: only ours.
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad("the spec is not JSON"))?;
    let model_id = v["model"].as_u64().ok_or_else(|| bad("spec has no model id"))?;
    let model: Model = crate::reader::read(state, &StateKey::Model(model_id))
        .map_err(|e| RecomputeError::Storage(e.0))?
        .ok_or_else(|| RecomputeError::BadSpec(format!("no model {model_id}")))?;
    let corpus = model_corpus(state, blobs, &model.info)?;
    match kind {
        KIND_ATTRIBUTION => {
            let answer = v["answer"].as_str().ok_or_else(|| bad("spec has no answer"))?;
            if answer.len() > params.max_answer_bytes as usize {
                return Err(bad("answer too large"));
            }
            Ok(answer_receipt(&corpus, answer, params).digest())
        }
        KIND_INFERENCE => {
            let prompt = v["prompt"].as_str().ok_or_else(|| bad("spec has no prompt"))?;
            let max_tokens = v["max_tokens"]
                .as_u64()
                .filter(|n| (1..=1024).contains(n))
                .ok_or_else(|| bad("max_tokens must be 1..=1024"))?;
            if prompt.len() > 32 * 1024 {
                return Err(bad("prompt too large"));
            }
            let sampling = match v["seed"].as_u64() {
                Some(s) => sinew_attribution::Sampling::Seeded(s),
                None => sinew_attribution::Sampling::Greedy,
            };
            let (answer, _, _) =
                sinew_attribution::generate_tokens(&corpus.0, prompt.as_bytes(), max_tokens as usize, sampling);
            Ok(Hash::of(&answer))
        }
        other => Err(RecomputeError::BadSpec(format!(
            "the ledger cannot recompute {other} tasks"
        ))),
    }
}

/// Checks of a tasks payload that need no state.
pub(crate) fn check(tx: &TaskTx, params: &Params) -> Result<(), TxRejection> {
    match tx {
        TaskTx::RegisterAgent(t) => check_register_agent(&t.name, &t.capabilities, &t.endpoint, t.stake),
        TaskTx::UpdateAgent(t) => check_update_agent(&t.capabilities, &t.endpoint, t.add_stake),
        TaskTx::PostTask(t) => check_post_task(&t.kind, t.reward, t.claim_window, t.bond, &t.verification, params),
        TaskTx::Challenge(t) => check_challenge(t.bond),
        // Every rule of these needs state.
        TaskTx::RetireAgent
        | TaskTx::ClaimTask(_)
        | TaskTx::SubmitResult(_)
        | TaskTx::CancelTask(_)
        | TaskTx::ReviewResult(_)
        | TaskTx::Attest(_)
        | TaskTx::FinalizeTask(_) => Ok(()),
    }
}

impl<R: StateReader> Ctx<'_, R> {
    /// Runs a tasks payload whose fee is paid.
    pub(crate) fn run_task(&mut self, signer: &Address, tx: &TaskTx, events: &mut Vec<Event>) -> Outcome {
        match tx {
            TaskTx::RegisterAgent(t) => self.register_agent(signer, t, events),
            TaskTx::UpdateAgent(t) => self.update_agent(signer, t, events),
            TaskTx::RetireAgent => self.retire_agent(signer, events),
            TaskTx::PostTask(t) => self.post_task(signer, t, events),
            TaskTx::ClaimTask(t) => self.claim(signer, t, events),
            TaskTx::SubmitResult(t) => self.submit_result(signer, t, events),
            TaskTx::CancelTask(t) => self.cancel_task(signer, t, events),
            TaskTx::ReviewResult(t) => self.review_result(signer, t, events),
            TaskTx::Attest(t) => self.attest(signer, t, events),
            TaskTx::Challenge(t) => self.challenge(signer, t, events),
            TaskTx::FinalizeTask(t) => self.finalize(signer, t, events),
        }
    }
}

impl<R: StateReader> Ctx<'_, R> {
    fn agent(&self, a: &Address) -> Result<Option<Agent>, StorageError> {
        self.get(&StateKey::Agent(*a))
    }

    fn rep(&self, a: &Address) -> Result<Reputation, StorageError> {
        Ok(self.get(&StateKey::Reputation(*a))?.unwrap_or_default())
    }

    fn update_rep(&mut self, a: &Address, f: impl FnOnce(&mut Reputation)) -> Result<(), StorageError> {
        let mut r = self.rep(a)?;
        f(&mut r);
        self.put(&StateKey::Reputation(*a), &r);
        Ok(())
    }

    fn release_claim(&mut self, a: &Address) -> Result<(), StorageError> {
        if let Some(mut ag) = self.agent(a)? {
            ag.active_claims = ag.active_claims.saturating_sub(1);
            self.put(&StateKey::Agent(*a), &ag);
        }
        Ok(())
    }

    /// Adds (or removes) the agent under each capability: one key per pair and a count per
    /// capability, so registering costs the same whatever the number of agents.
    fn index_capabilities(&mut self, a: &Address, caps: &[String], add: bool) -> Result<(), StorageError> {
        for c in caps {
            let h = capability_hash(c);
            let key = StateKey::AgentsByCapability(h, *a);
            let present = self.get::<()>(&key)?.is_some();
            if present == add {
                continue;
            }
            let count_key = StateKey::CapabilityAgents(h);
            let n: u64 = self.get(&count_key)?.unwrap_or(0);
            if add {
                self.put(&key, &());
                self.put(&count_key, &(n + 1));
            } else {
                self.delete(&key);
                if n <= 1 {
                    self.delete(&count_key);
                } else {
                    self.put(&count_key, &(n - 1));
                }
            }
        }
        Ok(())
    }

    fn task_event(&self, t: &Task, actor: &Address, action: &str) -> Event {
        Event::TaskUpdated {
            task: t.id,
            task_kind: t.kind.clone(),
            actor: *actor,
            action: action.into(),
            status: t.status,
        }
    }

    /// Releases retired agents' stake maturing at this height.
    pub(crate) fn release_agents(&mut self) -> Result<Vec<Event>, StorageError> {
        let due: Vec<Address> = self.take_due(DueQueue::Agent, self.height)?;
        let mut events = Vec::new();
        for a in due {
            let Some(mut ag) = self.agent(&a)? else { continue };
            if ag.status != AgentStatus::Retiring || ag.release_height > self.height {
                continue;
            }
            self.pay_out(&agent_stakes(), &a, ag.stake)?;
            ag.stake = 0;
            ag.status = AgentStatus::Retired;
            self.put(&StateKey::Agent(a), &ag);
            events.push(Event::AgentChanged {
                agent: a,
                status: AgentStatus::Retired,
            });
        }
        Ok(events)
    }

    /// Pays a task out: reward and forfeited bonds to the claimant, its bond back.
    fn complete(&mut self, t: &mut Task, events: &mut Vec<Event>) -> Result<(), StorageError> {
        let agent = t.claimant.expect("a completed task has a claimant");
        let pay = t.reward + t.forfeited;
        self.pay_out(&task_escrow(), &agent, pay + t.bond)?;
        self.release_claim(&agent)?;
        let on_time = t.on_time;
        self.update_rep(&agent, |r| {
            r.completed += 1;
            r.on_time += u64::from(on_time);
            r.earned = r.earned.saturating_add(pay);
        })?;
        t.status = TaskStatus::Completed;
        events.push(Event::TaskCompleted {
            task: t.id,
            task_kind: t.kind.clone(),
            agent,
            reward: pay,
        });
        Ok(())
    }

    /// The claimant loses its bond to the task and the task reopens (or closes past its deadline).
    fn forfeit_and_reopen(&mut self, t: &mut Task, reason: &str, events: &mut Vec<Event>) -> Result<(), StorageError> {
        if let Some(agent) = t.claimant.take() {
            t.forfeited += t.bond;
            self.release_claim(&agent)?;
            events.push(Event::Slashed {
                account: agent,
                task: t.id,
                amount: t.bond,
                reason: reason.into(),
            });
        }
        self.reopen(t, events)
    }

    /// Reopens a task for another claimant, or closes and refunds it past its deadline. Bonds of
    /// attestations still on the task go back to their verifiers.
    fn reopen(&mut self, t: &mut Task, events: &mut Vec<Event>) -> Result<(), StorageError> {
        t.claimant = None;
        t.result = None;
        for (v, _, _, bond) in std::mem::take(&mut t.attestations) {
            self.pay_out(&task_escrow(), &v, bond)?;
        }
        if self.height >= t.deadline {
            self.refund(t)?;
            t.status = TaskStatus::Closed;
            events.push(self.task_event(t, &Address::default(), "expired"));
        } else {
            t.status = TaskStatus::Open;
            events.push(self.task_event(t, &Address::default(), "reopened"));
        }
        Ok(())
    }

    /// Returns the reward to the funders in proportion to what each put in (largest remainder;
    /// weights scaled to 40 bits, so the proportion is exact to about one part in 10^12 while the
    /// parts always sum exactly); each gets exactly what it put in when no rejection fee was paid
    /// out of the reward. Bonds forfeited on the task go to the treasury, never to the funders: a
    /// poster must not profit from the claimants it (or verifiers it controls) turned away.
    fn refund(&mut self, t: &Task) -> Result<(), StorageError> {
        let max = t.funders.iter().map(|f| f.1).max().unwrap_or(0);
        let shift = (128 - max.leading_zeros()).saturating_sub(40);
        let weights: Vec<u128> = t.funders.iter().map(|f| (f.1 >> shift).max(1)).collect();
        let funded: Amount = t.funders.iter().map(|f| f.1).sum();
        let back: Vec<Amount> = if funded == t.reward {
            t.funders.iter().map(|f| f.1).collect()
        } else {
            split_exact(t.reward, &weights)
        };
        for ((who, _), put) in t.funders.iter().zip(back) {
            self.pay_out(&task_escrow(), who, put)?;
        }
        self.pay_out(&task_escrow(), &crate::accounts::treasury(), t.forfeited)?;
        Ok(())
    }

    /// Locks `amount` of `who`'s balance in the task escrow.
    fn lock(&mut self, who: &Address, amount: Amount) -> Outcome {
        self.move_tokens(who, &task_escrow(), amount)
    }

    /// `RegisterAgent`.
    pub(crate) fn register_agent(&mut self, signer: &Address, tx: &RegisterAgent, events: &mut Vec<Event>) -> Outcome {
        let name = &tx.name;
        let capabilities = &tx.capabilities;
        let endpoint = &tx.endpoint;
        let stake = &tx.stake;
        if self.agent(signer)?.is_some_and(|a| a.status != AgentStatus::Retired) {
            return fail("already_registered", format!("{signer} is already an agent"));
        }
        let need = self.params().min_agent_stake;
        if *stake < need {
            return fail("insufficient_stake", format!("an agent must stake at least {need}"));
        }
        if let Err(f) = self.move_tokens(signer, &agent_stakes(), *stake)? {
            return Ok(Err(f));
        }
        self.index_capabilities(signer, capabilities, true)?;
        let a = Agent {
            address: *signer,
            name: name.to_string(),
            capabilities: capabilities.to_vec(),
            endpoint: endpoint.to_string(),
            stake: *stake,
            status: AgentStatus::Active,
            release_height: 0,
            active_claims: 0,
            registered_at: self.height,
        };
        self.put(&StateKey::Agent(*signer), &a);
        events.push(Event::AgentChanged {
            agent: *signer,
            status: AgentStatus::Active,
        });
        Ok(Ok(()))
    }

    /// `UpdateAgent`.
    pub(crate) fn update_agent(&mut self, signer: &Address, tx: &UpdateAgent, events: &mut Vec<Event>) -> Outcome {
        let capabilities = &tx.capabilities;
        let endpoint = &tx.endpoint;
        let add_stake = &tx.add_stake;
        let Some(mut a) = self.agent(signer)?.filter(|a| a.status == AgentStatus::Active) else {
            return fail("unknown_agent", format!("{signer} is not an active agent"));
        };
        if *add_stake > 0 {
            if let Err(f) = self.move_tokens(signer, &agent_stakes(), *add_stake)? {
                return Ok(Err(f));
            }
            a.stake += add_stake;
        }
        if let Some(c) = capabilities {
            let old = a.capabilities.clone();
            self.index_capabilities(signer, &old, false)?;
            self.index_capabilities(signer, c, true)?;
            a.capabilities = c.clone();
        }
        if let Some(e) = endpoint {
            a.endpoint = e.clone();
        }
        self.put(&StateKey::Agent(*signer), &a);
        events.push(Event::AgentChanged {
            agent: *signer,
            status: a.status,
        });
        Ok(Ok(()))
    }

    /// `RetireAgent`.
    pub(crate) fn retire_agent(&mut self, signer: &Address, events: &mut Vec<Event>) -> Outcome {
        let Some(mut a) = self.agent(signer)?.filter(|a| a.status == AgentStatus::Active) else {
            return fail("unknown_agent", format!("{signer} is not an active agent"));
        };
        if a.active_claims > 0 {
            return fail(
                "has_claims",
                format!("{} claimed tasks are still open", a.active_claims),
            );
        }
        let release = self.height + self.params().unbonding_period;
        a.status = AgentStatus::Retiring;
        a.release_height = release;
        let caps = a.capabilities.clone();
        self.index_capabilities(signer, &caps, false)?;
        self.put(&StateKey::Agent(*signer), &a);
        self.enqueue(DueQueue::Agent, release, signer)?;
        events.push(Event::AgentChanged {
            agent: *signer,
            status: AgentStatus::Retiring,
        });
        Ok(Ok(()))
    }

    /// `CancelTask`.
    pub(crate) fn cancel_task(&mut self, signer: &Address, tx: &CancelTask, events: &mut Vec<Event>) -> Outcome {
        let task = &tx.task;
        let Some(mut t) = self.get::<Task>(&StateKey::Task(*task))? else {
            return fail("unknown_task", format!("no task {task}"));
        };
        if t.poster != *signer {
            return fail("not_poster", "only the poster may cancel");
        }
        if t.status != TaskStatus::Open {
            return fail(
                "not_open",
                format!("the task is {:?}: it can be cancelled only while open", t.status),
            );
        }
        self.refund(&t)?;
        t.status = TaskStatus::Closed;
        events.push(self.task_event(&t, signer, "cancelled"));
        self.put(&StateKey::Task(*task), &t);
        Ok(Ok(()))
    }

    /// `ReviewResult`.
    pub(crate) fn review_result(&mut self, signer: &Address, tx: &ReviewResult, events: &mut Vec<Event>) -> Outcome {
        let task = &tx.task;
        let accept = &tx.accept;
        let Some(mut t) = self.get::<Task>(&StateKey::Task(*task))? else {
            return fail("unknown_task", format!("no task {task}"));
        };
        if !matches!(t.verification, Verification::Poster { .. }) {
            return fail("wrong_mode", "this task is not verified by its poster");
        }
        if t.poster != *signer {
            return fail("not_poster", "only the poster reviews");
        }
        if t.status != TaskStatus::Submitted || self.height > t.review_deadline {
            return fail("not_in_review", "no result awaits review (or the window has passed)");
        }
        if *accept {
            events.push(self.task_event(&t, signer, "accepted"));
            self.complete(&mut t, events)?;
        } else {
            // A rejected result: the bond goes back (the poster is not a judge of its
            // own money) with a share of the reward for a result the poster has now
            // seen, the claimant's record shows it, and the task reopens. A poster may
            // reject only so many.
            if t.rejections >= MAX_REJECTIONS {
                return fail(
                    "rejections_exhausted",
                    format!("the poster already rejected {MAX_REJECTIONS} results: accept, or let the window pass"),
                );
            }
            let agent = t.claimant.expect("submitted task has a claimant");
            let seen = t.reward * Amount::from(REJECTION_FEE_BPS) / 10_000;
            t.reward -= seen;
            t.rejections += 1;
            self.pay_out(&task_escrow(), &agent, t.bond + seen)?;
            self.release_claim(&agent)?;
            self.update_rep(&agent, |r| r.failed += 1)?;
            events.push(self.task_event(&t, signer, "rejected"));
            self.reopen(&mut t, events)?;
        }
        self.put(&StateKey::Task(*task), &t);
        Ok(Ok(()))
    }

    /// `Attest`.
    pub(crate) fn attest(&mut self, signer: &Address, tx: &Attest, events: &mut Vec<Event>) -> Outcome {
        let task = &tx.task;
        let approve = &tx.approve;
        let Some(mut t) = self.get::<Task>(&StateKey::Task(*task))? else {
            return fail("unknown_task", format!("no task {task}"));
        };
        let Verification::Quorum { bond, min_stake, .. } = t.verification else {
            return fail("wrong_mode", "this task is not verified by a quorum");
        };
        if t.status != TaskStatus::Submitted || self.height > t.review_deadline {
            return fail(
                "not_in_review",
                "no result awaits attestation (or the window has passed)",
            );
        }
        let weight = match self.agent(signer)? {
            Some(a) if a.status == AgentStatus::Active && a.stake > 0 && a.stake >= min_stake => a.stake,
            _ => {
                return fail(
                    "not_staked",
                    format!("only active agents with at least {min_stake} staked attest this task"),
                )
            }
        };
        if t.claimant == Some(*signer) || t.poster == *signer {
            return fail("conflict", "the claimant and the poster cannot attest");
        }
        if t.attestations.iter().any(|a| a.0 == *signer) {
            return fail("already_attested", "one attestation per verifier");
        }
        if t.attestations.len() >= MAX_ATTESTATIONS {
            // Full: the smallest stake makes room for a larger one, so the seats go by
            // stake, not by who came first.
            let (i, smallest) = t
                .attestations
                .iter()
                .enumerate()
                .min_by_key(|(_, a)| (a.2, a.0))
                .map(|(i, a)| (i, a.2))
                .expect("full");
            if smallest >= weight {
                return fail(
                    "quorum_full",
                    format!("{MAX_ATTESTATIONS} attestations already, none with less stake than {weight}"),
                );
            }
            let (v, _, _, b) = t.attestations.remove(i);
            self.pay_out(&task_escrow(), &v, b)?;
        }
        if let Err(f) = self.lock(signer, bond)? {
            return Ok(Err(f));
        }
        t.attestations.push((*signer, *approve, weight, bond));
        events.push(self.task_event(&t, signer, "attested"));
        self.put(&StateKey::Task(*task), &t);
        Ok(Ok(()))
    }

    pub(crate) fn post_task(&mut self, signer: &Address, tx: &PostTask, events: &mut Vec<Event>) -> Outcome {
        let PostTask {
            kind,
            spec,
            reward,
            deadline,
            claim_window,
            bond,
            verification,
            parent,
        } = tx;
        let (reward, deadline, claim_window, bond) = (*reward, *deadline, *claim_window, *bond);
        if deadline <= self.height {
            return fail(
                "deadline_passed",
                format!("deadline {deadline} is not after height {}", self.height),
            );
        }
        let known = recomputable(kind)
            || self
                .get::<u64>(&StateKey::CapabilityAgents(capability_hash(kind)))?
                .is_some();
        if !known {
            return fail("unknown_kind", format!("no active agent takes {kind:?} tasks"));
        }
        if let Some(p) = parent {
            if self.get::<Task>(&StateKey::Task(*p))?.is_none() {
                return fail("unknown_parent", format!("no parent task {p}"));
            }
        }
        let id = task_id(kind, spec);
        let existing: Option<Task> = self.get(&StateKey::Task(id))?;
        if let Some(t) = &existing {
            if matches!(t.status, TaskStatus::Completed | TaskStatus::Closed) {
                return fail(
                    "task_finished",
                    format!("task {id} is {:?}; change the spec to post it again", t.status),
                );
            }
        } else if recomputable(kind) {
            if let Err(e) = recompute_result(self, self.blobs, self.params(), kind, spec) {
                return e.outcome();
            }
        }
        if let Err(f) = self.lock(signer, reward)? {
            return Ok(Err(f));
        }
        if existing.is_none() && bond > reward {
            // A bond larger than the reward makes the task a trap: the poster's own agent takes
            // over after the window and keeps the victim's bond.
            return fail(
                "bond_exceeds_reward",
                format!("the claimant bond {bond} may not exceed the reward {reward}"),
            );
        }
        if let Some(t) = &existing {
            // Joining funds someone else's terms: only identical terms may be joined, and a
            // poster-verified task only by its poster (whose judgement would decide the money).
            if (t.deadline, t.claim_window, t.bond, t.verification, t.parent)
                != (deadline, claim_window, bond, *verification, *parent)
            {
                return fail(
                    "terms_differ",
                    format!(
                        "task {id} is open with other terms (deadline {}, claim window {}, bond {}, {:?}, parent {:?}); \
                         post the same terms to join it, or change the spec",
                        t.deadline, t.claim_window, t.bond, t.verification, t.parent
                    ),
                );
            }
            if matches!(t.verification, Verification::Poster { .. }) && t.poster != *signer {
                return fail(
                    "poster_task",
                    format!(
                        "task {id} is judged by its poster {}; post your own spec to fund work you judge",
                        t.poster
                    ),
                );
            }
        }
        let t = match existing {
            Some(mut t) => {
                // The identical task is open: join it (top up the reward).
                let Some(total) = t.reward.checked_add(reward).filter(|r| *r <= MAX_FEE_PARAM) else {
                    return fail("overflow", "the reward would exceed 2^96");
                };
                t.reward = total;
                match t.funders.iter().position(|f| f.0 == *signer) {
                    Some(i) => t.funders[i].1 += reward,
                    None if t.funders.len() < 64 => t.funders.push((*signer, reward)),
                    None => return fail("too_many_funders", "at most 64 funders per task"),
                }
                t
            }
            None => Task {
                id,
                kind: kind.to_string(),
                spec: *spec,
                poster: *signer,
                funders: vec![(*signer, reward)],
                reward,
                forfeited: 0,
                deadline,
                claim_window,
                bond,
                verification: *verification,
                parent: *parent,
                status: TaskStatus::Open,
                claimant: None,
                claim_deadline: 0,
                result: None,
                on_time: false,
                review_deadline: 0,
                attestations: vec![],
                rejections: 0,
                created_at: self.height,
            },
        };
        events.push(Event::TaskPosted {
            task: id,
            task_kind: t.kind.clone(),
            poster: *signer,
            reward: t.reward,
        });
        self.put(&StateKey::Task(id), &t);
        Ok(Ok(()))
    }

    pub(crate) fn claim(&mut self, signer: &Address, tx: &ClaimTask, events: &mut Vec<Event>) -> Outcome {
        let task = &tx.task;
        let Some(mut t) = self.get::<Task>(&StateKey::Task(*task))? else {
            return fail("unknown_task", format!("no task {task}"));
        };
        let Some(mut agent) = self.agent(signer)?.filter(|a| a.status == AgentStatus::Active) else {
            return fail("unknown_agent", format!("{signer} is not an active agent"));
        };
        if !agent.capabilities.contains(&t.kind) {
            return fail("not_capable", format!("the agent does not advertise {:?}", t.kind));
        }
        if self.height >= t.deadline {
            return fail("deadline_passed", "the task's deadline has passed");
        }
        let mut action = "claimed";
        match t.status {
            TaskStatus::Open => {}
            TaskStatus::Claimed if self.height > t.claim_deadline && t.claimant != Some(*signer) => {
                // Takeover: the previous claimant missed its window and forfeits its bond.
                let prev = t.claimant.take().expect("claimed task has a claimant");
                t.forfeited += t.bond;
                self.release_claim(&prev)?;
                self.update_rep(&prev, |r| r.failed += 1)?;
                events.push(Event::Slashed {
                    account: prev,
                    task: t.id,
                    amount: t.bond,
                    reason: "missed_claim_window".into(),
                });
                action = "taken_over";
                // The releasing agent may be the signer's record too: reload.
                agent = self.agent(signer)?.expect("checked above");
            }
            TaskStatus::Claimed => {
                return fail(
                    "already_claimed",
                    format!(
                        "claimed by {} until height {}",
                        t.claimant.expect("claimant"),
                        t.claim_deadline
                    ),
                )
            }
            s => return fail("not_open", format!("the task is {s:?}")),
        }
        if let Err(f) = self.lock(signer, t.bond)? {
            return Ok(Err(f));
        }
        t.status = TaskStatus::Claimed;
        t.claimant = Some(*signer);
        t.claim_deadline = self.height + t.claim_window;
        agent.active_claims += 1;
        self.put(&StateKey::Agent(*signer), &agent);
        self.update_rep(signer, |r| r.claims += 1)?;
        events.push(self.task_event(&t, signer, action));
        self.put(&StateKey::Task(*task), &t);
        Ok(Ok(()))
    }

    pub(crate) fn submit_result(&mut self, signer: &Address, tx: &SubmitResult, events: &mut Vec<Event>) -> Outcome {
        let task = &tx.task;
        let result = &tx.result;
        let Some(mut t) = self.get::<Task>(&StateKey::Task(*task))? else {
            return fail("unknown_task", format!("no task {task}"));
        };
        if t.status != TaskStatus::Claimed || t.claimant != Some(*signer) {
            return fail("not_claimant", "only the current claimant submits, once");
        }
        if self.height > t.deadline {
            return fail("deadline_passed", format!("the deadline was height {}", t.deadline));
        }
        t.result = Some(*result);
        t.on_time = self.height <= t.claim_deadline;
        match t.verification {
            Verification::Recompute => {
                let expected = match recompute_result(self, self.blobs, self.params(), &t.kind, &t.spec) {
                    Ok(h) => h,
                    Err(e) => return e.outcome(),
                };
                if expected == *result {
                    events.push(self.task_event(&t, signer, "submitted"));
                    self.complete(&mut t, events)?;
                } else {
                    self.update_rep(signer, |r| r.failed += 1)?;
                    events.push(self.task_event(&t, signer, "wrong_result"));
                    self.forfeit_and_reopen(&mut t, "wrong_result", events)?;
                }
            }
            v => {
                t.status = TaskStatus::Submitted;
                t.review_deadline = self.height + v.window();
                events.push(self.task_event(&t, signer, "submitted"));
            }
        }
        self.put(&StateKey::Task(*task), &t);
        Ok(Ok(()))
    }

    pub(crate) fn challenge(&mut self, signer: &Address, tx: &Challenge, events: &mut Vec<Event>) -> Outcome {
        let task = &tx.task;
        let bond = tx.bond;
        let Some(mut t) = self.get::<Task>(&StateKey::Task(*task))? else {
            return fail("unknown_task", format!("no task {task}"));
        };
        if t.status != TaskStatus::Submitted || self.height > t.review_deadline {
            return fail(
                "not_in_review",
                "no result is open to challenge (or the window has passed)",
            );
        }
        if !recomputable(&t.kind) {
            return fail(
                "not_recomputable",
                "only results the ledger can recompute can be challenged",
            );
        }
        if bond < t.bond.max(1) {
            return fail(
                "bond_too_small",
                format!("a challenge bonds at least the claimant's bond {}", t.bond),
            );
        }
        let claimant = t.claimant.expect("submitted task has a claimant");
        if claimant == *signer {
            return fail("conflict", "the claimant cannot challenge itself");
        }
        if let Err(f) = self.lock(signer, bond)? {
            return Ok(Err(f));
        }
        let expected = match recompute_result(self, self.blobs, self.params(), &t.kind, &t.spec) {
            Ok(h) => h,
            Err(e) => return e.outcome(),
        };
        if t.result == Some(expected) {
            // The result stands: the challenger's bond goes to the claimant.
            self.pay_out(&task_escrow(), &claimant, bond)?;
            events.push(Event::Slashed {
                account: *signer,
                task: t.id,
                amount: bond,
                reason: "challenge_lost".into(),
            });
            events.push(self.task_event(&t, signer, "challenge_lost"));
        } else {
            // The result is wrong: the challenger gets its bond back and the claimant's, and
            // verifiers who attested the wrong result lose their slash share to it too.
            let mut won = bond + t.bond;
            if let Verification::Quorum { slash_bps, .. } = t.verification {
                for (v, approve, _, b) in std::mem::take(&mut t.attestations) {
                    let slash = if approve {
                        b * Amount::from(slash_bps) / 10_000
                    } else {
                        0
                    };
                    self.pay_out(&task_escrow(), &v, b - slash)?;
                    won += slash;
                    if slash > 0 {
                        events.push(Event::Slashed {
                            account: v,
                            task: t.id,
                            amount: slash,
                            reason: "attested_wrong_result".into(),
                        });
                    }
                }
            }
            self.pay_out(&task_escrow(), signer, won)?;
            self.release_claim(&claimant)?;
            self.update_rep(&claimant, |r| r.challenged_lost += 1)?;
            events.push(Event::Slashed {
                account: claimant,
                task: t.id,
                amount: t.bond,
                reason: "challenge_lost".into(),
            });
            events.push(self.task_event(&t, signer, "challenge_won"));
            t.claimant = None;
            self.reopen(&mut t, events)?;
        }
        self.put(&StateKey::Task(*task), &t);
        Ok(Ok(()))
    }

    pub(crate) fn finalize(&mut self, signer: &Address, tx: &FinalizeTask, events: &mut Vec<Event>) -> Outcome {
        let task = &tx.task;
        let Some(mut t) = self.get::<Task>(&StateKey::Task(*task))? else {
            return fail("unknown_task", format!("no task {task}"));
        };
        match t.status {
            TaskStatus::Submitted if self.height > t.review_deadline => match t.verification {
                Verification::Poster { .. } => {
                    events.push(self.task_event(&t, signer, "accepted"));
                    self.complete(&mut t, events)?;
                }
                Verification::Quorum {
                    min_verifiers,
                    slash_bps,
                    ..
                } => self.tally(&mut t, min_verifiers, slash_bps, events)?,
                Verification::Recompute => unreachable!("recomputed tasks are never left submitted"),
            },
            TaskStatus::Open | TaskStatus::Claimed if self.height > t.deadline => {
                if let Some(agent) = t.claimant.take() {
                    t.forfeited += t.bond;
                    self.release_claim(&agent)?;
                    self.update_rep(&agent, |r| r.failed += 1)?;
                    events.push(Event::Slashed {
                        account: agent,
                        task: t.id,
                        amount: t.bond,
                        reason: "missed_deadline".into(),
                    });
                }
                self.refund(&t)?;
                t.status = TaskStatus::Closed;
                events.push(self.task_event(&t, signer, "expired"));
            }
            TaskStatus::Completed | TaskStatus::Closed => {
                return fail("already_final", format!("the task is already {:?}", t.status))
            }
            TaskStatus::Submitted => {
                return fail(
                    "too_early",
                    format!("the verification window ends at height {}", t.review_deadline),
                )
            }
            _ => {
                return fail(
                    "too_early",
                    format!("the task runs until its deadline, height {}", t.deadline),
                )
            }
        }
        self.put(&StateKey::Task(*task), &t);
        Ok(Ok(()))
    }

    /// Decides a quorum-verified result: stake-weighted, each verifier's weight clipped to a third
    /// of the total (no single stake decides), ties reject.
    fn tally(
        &mut self,
        t: &mut Task,
        min_verifiers: u32,
        slash_bps: u16,
        events: &mut Vec<Event>,
    ) -> Result<(), StorageError> {
        let atts = std::mem::take(&mut t.attestations);
        let claimant = t.claimant.expect("submitted task has a claimant");
        if atts.len() < min_verifiers as usize {
            // No decision: everyone's bond back, the task reopens.
            for (v, _, _, bond) in &atts {
                self.pay_out(&task_escrow(), v, *bond)?;
            }
            self.pay_out(&task_escrow(), &claimant, t.bond)?;
            self.release_claim(&claimant)?;
            events.push(self.task_event(t, &Address::default(), "no_quorum"));
            return self.reopen(t, events);
        }
        let total: Amount = atts.iter().map(|a| a.2).sum();
        let cap = total / 3 + 1;
        let clipped: Vec<Amount> = atts.iter().map(|a| a.2.min(cap)).collect();
        let approve: Amount = atts.iter().zip(&clipped).filter(|(a, _)| a.1).map(|(_, w)| *w).sum();
        let reject: Amount = atts.iter().zip(&clipped).filter(|(a, _)| !a.1).map(|(_, w)| *w).sum();
        let approved = approve > reject;
        // Losers forfeit slash_bps of their bond to the winners, by clipped weight.
        let mut pot: Amount = 0;
        let mut winners: Vec<(Address, Amount)> = Vec::new();
        for ((v, vote, _, bond), w) in atts.iter().zip(&clipped) {
            if *vote == approved {
                self.pay_out(&task_escrow(), v, *bond)?;
                winners.push((*v, *w));
            } else {
                let slash = bond * Amount::from(slash_bps) / 10_000;
                pot += slash;
                self.pay_out(&task_escrow(), v, bond - slash)?;
                if slash > 0 {
                    events.push(Event::Slashed {
                        account: *v,
                        task: t.id,
                        amount: slash,
                        reason: "outvoted".into(),
                    });
                }
            }
        }
        let shift = winners
            .iter()
            .map(|w| w.1)
            .max()
            .map_or(0, |m| (128 - m.leading_zeros()).saturating_sub(40));
        let weights: Vec<u128> = winners.iter().map(|w| (w.1 >> shift).max(1)).collect();
        for ((v, _), share) in winners.iter().zip(split_exact(pot, &weights)) {
            self.pay_out(&task_escrow(), v, share)?;
        }
        if approved {
            events.push(self.task_event(t, &Address::default(), "accepted"));
            self.complete(t, events)
        } else {
            self.update_rep(&claimant, |r| r.failed += 1)?;
            events.push(self.task_event(t, &Address::default(), "rejected"));
            self.forfeit_and_reopen(t, "rejected_by_quorum", events)
        }
    }
}
