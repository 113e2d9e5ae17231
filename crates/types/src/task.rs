//! Agents and tasks: the types transactions and state share.

use crate::amount::{self, Amount};
use crate::Hash;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// A task's id: derived from its kind and spec, so the same work is one task.
pub type TaskId = Hash;

/// Built-in task kind the ledger recomputes: the attribution receipt digest of an answer
/// (spec blob: `{"model": id, "answer": "..."}`).
pub const KIND_ATTRIBUTION: &str = "sinew/attribution";
/// Built-in task kind the ledger recomputes: the BLAKE3 of a built-in model's answer
/// (spec blob: `{"model": id, "prompt": "...", "seed": n or null, "max_tokens": n}`).
pub const KIND_INFERENCE: &str = "sinew/inference";

/// Most attestations one quorum-verified result takes.
pub const MAX_ATTESTATIONS: usize = 100;

/// Most results a poster may reject on one task (each rejection pays the rejected claimant
/// [`REJECTION_FEE_BPS`] of the reward): a poster cannot see every result for free and then
/// take its reward back.
pub const MAX_REJECTIONS: u32 = 3;

/// Share of the reward, in basis points, a poster's rejection pays the rejected claimant.
pub const REJECTION_FEE_BPS: u16 = 1_000;

/// Whether the ledger can recompute results of `kind`.
pub fn recomputable(kind: &str) -> bool {
    kind == KIND_ATTRIBUTION || kind == KIND_INFERENCE
}

/// The id of the task of `kind` over `spec`.
pub fn task_id(kind: &str, spec: &Hash) -> TaskId {
    let mut b = Vec::with_capacity(kind.len() + 40);
    b.extend_from_slice(&(kind.len() as u64).to_le_bytes());
    b.extend_from_slice(kind.as_bytes());
    b.extend_from_slice(&spec.0);
    Hash::tagged(b"sinew/task", &b)
}

/// How a submitted result is checked.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum Verification {
    /// The poster accepts or rejects within `window` blocks of the submission; silence accepts.
    Poster {
        /// Blocks the poster (and challengers) have.
        window: u64,
    },
    /// Staked verifiers (at least `min_stake` each) attest within `window` blocks, each locking
    /// `bond`; the stake-weighted majority (each verifier's weight clipped to a third of the
    /// total) decides; verifiers on the losing side lose `slash_bps` of their bond to the winning
    /// side. At most [`MAX_ATTESTATIONS`] attest; when full, a verifier with more stake than the
    /// smallest takes its place (its bond returned), so early sybils cannot fill the seats.
    Quorum {
        /// Blocks for attestations.
        window: u64,
        /// Fewest attestations for a decision (fewer: the result is rejected).
        min_verifiers: u32,
        /// Bond each verifier locks.
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        bond: Amount,
        /// Share of a losing verifier's bond slashed, in basis points.
        slash_bps: u16,
        /// Least stake a verifier needs (on top of the ledger's agent minimum).
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string", default)]
        min_stake: Amount,
    },
    /// The ledger recomputes the result at submission (built-in kinds only).
    Recompute,
}

impl Verification {
    /// The window after submission, in blocks (none for recomputation).
    pub fn window(&self) -> u64 {
        match self {
            Verification::Poster { window } | Verification::Quorum { window, .. } => *window,
            Verification::Recompute => 0,
        }
    }
}

/// Where a task stands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Waiting for an agent.
    Open,
    /// Claimed, not yet submitted.
    Claimed,
    /// A result awaits verification.
    Submitted,
    /// Paid out.
    Completed,
    /// Expired, cancelled or rejected for good: funds returned.
    Closed,
}

/// An agent's lifecycle.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Takes work.
    Active,
    /// Retiring: takes no new work; the stake returns at the given height.
    Retiring,
    /// Stake returned.
    Retired,
}
