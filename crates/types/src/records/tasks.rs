//! Agents, their reputations and tasks, as the ledger stores them.

use crate::amount::{self, Amount};
use crate::task::{AgentStatus, TaskId, TaskStatus, Verification};
use crate::{Address, Hash, Height};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// A registered agent.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
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
    #[schemars(with = "String")]
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
#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
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
    #[schemars(with = "String")]
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
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
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
    pub funders: Vec<Funder>,
    /// Reward escrowed by the funders.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub reward: Amount,
    /// Bonds forfeited on this task, paid to whoever completes it (to the treasury if nobody does).
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub forfeited: Amount,
    /// Last height for a result.
    pub deadline: Height,
    /// Blocks of exclusivity for a claimant.
    pub claim_window: u64,
    /// Claimant bond.
    #[schemars(with = "String")]
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
    /// Quorum attestations.
    pub attestations: Vec<Attestation>,
    /// Results the poster rejected so far (at most `MAX_REJECTIONS`).
    pub rejections: u32,
    /// Height of posting.
    pub created_at: Height,
}

/// The hash a capability or task kind is indexed under.
pub fn capability_hash(name: &str) -> Hash {
    Hash::tagged(b"sinew/capability", name.as_bytes())
}

/// One account's share of a task's reward.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Funder {
    /// The funder.
    pub account: Address,
    /// Base units it put in.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub amount: Amount,
}

/// A staked verifier's attestation of a submitted result (quorum verification).
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Attestation {
    /// The verifier.
    pub verifier: Address,
    /// Whether it says the result is right.
    pub approve: bool,
    /// Its stake when it attested: the attestation's weight.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub weight: Amount,
    /// The bond it locked.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub bond: Amount,
}
