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
//!
//! # A task's life
//!
//! ```text
//!             PostTask (reward escrowed; the same kind and spec tops the open task up)
//!                 │
//!                 ▼
//!   ┌──────────► Open ──CancelTask (poster)──────────────────────────► Closed (funders refunded)
//!   │             │
//!   │        ClaimTask (bond locked; after claim_deadline another agent may take over and the
//!   │             │     first claimant forfeits its bond to the task)
//!   │             ▼
//!   │          Claimed ──SubmitResult──┬─ Recompute: right ─────────────► Completed (paid)
//!   │             │                    ├─ Recompute: wrong ── bond forfeited ──► Open
//!   │             │                    └─ Poster / Quorum ──► Submitted
//!   │             │                                              │
//!   │   FinalizeTask past the deadline                ReviewResult (poster) accept ──► Completed
//!   │   (bond forfeited) ──► Closed                    ReviewResult reject (fee to claimant,
//!   │                                                    bond forfeited) ──► Open
//!   │                                                  Attest (verifiers, bonded) … then
//!   │                                                  FinalizeTask after the window: tally
//!   │                                                    approve ──► Completed
//!   │                                                    reject ──► Open (attesters of the
//!   │                                                    wrong side slashed)
//!   │                                                  Challenge (recomputable kinds):
//!   │                                                    result stands ──► challenger's bond
//!   │                                                    to the claimant; wrong ──► claimant's
//!   │                                                    bond to the challenger ──► Open
//!   └────────────── reopened (before the deadline) ◄─────────────┘
//! ```
//!
//! A task reopened at or after its deadline closes instead, refunding its funders. `Completed`
//! and `Closed` are final.
//!
//! # Where each rule lives
//!
//! - `records.rs`: agents, reputations, tasks as stored.
//! - `checks.rs`: what a payload must satisfy before it may be in a block.
//! - `agents.rs`: registering, updating and retiring agents; their stakes and capability index.
//! - `lifecycle.rs`: posting, claiming (and taking over), submitting, cancelling.
//! - `settlement.rs`: reviews, attestations, challenges, finalization, payouts and refunds.
//! - `recompute.rs`: the built-in kinds whose result the ledger recomputes.

mod agents;
mod checks;
mod lifecycle;
mod recompute;
mod settlement;

pub(crate) use checks::check;
pub use recompute::{recompute_result, RecomputeError};
pub use sinew_types::records::{capability_hash, Agent, Reputation, Task};

use crate::ctx::{Ctx, Outcome};
use crate::reader::StateReader;
use sinew_types::payload::TaskTx;
use sinew_types::{Address, Event};

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
