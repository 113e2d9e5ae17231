//! Agent and task payloads: registering agents; posting, claiming, submitting, verifying,
//! challenging and finalizing tasks.

use crate::amount::{self, Amount};
use crate::task::{TaskId, Verification};
use crate::Hash;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Agents and tasks: registering agents; posting, claiming, submitting, verifying, challenging and finalizing tasks.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TaskTx {
    /// Register the signer as an agent, locking `stake`.
    RegisterAgent(RegisterAgent),
    /// Change an agent's capabilities or endpoint, or add stake.
    UpdateAgent(UpdateAgent),
    /// Stop taking work; the stake returns after the unbonding period.
    RetireAgent,
    /// Post a task, or top up the reward of the identical open task (same kind and spec).
    PostTask(PostTask),
    /// Claim a task (an agent able to do its kind), locking the bond.
    ClaimTask(ClaimTask),
    /// Submit the result of a claimed task.
    SubmitResult(SubmitResult),
    /// Cancel an unclaimed task (its poster); every funder is refunded.
    CancelTask(CancelTask),
    /// The poster accepts or rejects a submitted result (poster verification).
    ReviewResult(ReviewResult),
    /// A staked verifier attests a submitted result (quorum verification), locking the bond.
    Attest(Attest),
    /// Dispute a submitted result during its window, locking `bond`; the ledger recomputes it.
    /// The loser pays the winner.
    Challenge(Challenge),
    /// Settle a task whose window has passed, or that expired: pay, return or slash bonds,
    /// update reputations. Anyone may send it.
    FinalizeTask(FinalizeTask),
}

impl TaskTx {
    /// A short stable name for logs, metrics and filters.
    pub fn kind(&self) -> &'static str {
        match self {
            TaskTx::RegisterAgent(_) => "register_agent",
            TaskTx::UpdateAgent(_) => "update_agent",
            TaskTx::RetireAgent => "retire_agent",
            TaskTx::PostTask(_) => "post_task",
            TaskTx::ClaimTask(_) => "claim_task",
            TaskTx::SubmitResult(_) => "submit_result",
            TaskTx::CancelTask(_) => "cancel_task",
            TaskTx::ReviewResult(_) => "review_result",
            TaskTx::Attest(_) => "attest",
            TaskTx::Challenge(_) => "challenge",
            TaskTx::FinalizeTask(_) => "finalize_task",
        }
    }

    /// The most work executing this payload can cause beyond reading and writing a few values
    /// (see [`crate::Payload::work_units`]).
    pub fn work_units(&self) -> u64 {
        match self {
            TaskTx::PostTask(a) => {
                if crate::task::recomputable(&a.kind) {
                    super::RECOMPUTE_WORK_UNITS
                } else {
                    0
                }
            }
            TaskTx::SubmitResult(_) => super::RECOMPUTE_WORK_UNITS,
            TaskTx::Challenge(_) => super::RECOMPUTE_WORK_UNITS,
            TaskTx::RegisterAgent(_)
            | TaskTx::UpdateAgent(_)
            | TaskTx::RetireAgent
            | TaskTx::ClaimTask(_)
            | TaskTx::CancelTask(_)
            | TaskTx::ReviewResult(_)
            | TaskTx::Attest(_)
            | TaskTx::FinalizeTask(_) => 0,
        }
    }
}

super::into_payload!(Tasks, TaskTx: RegisterAgent, UpdateAgent, PostTask, ClaimTask, SubmitResult, CancelTask, ReviewResult, Attest, Challenge, FinalizeTask);

/// Register the signer as an agent, locking `stake`.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct RegisterAgent {
    /// Display name, 1 to 64 bytes.
    pub name: String,
    /// Tags and task kinds it takes (1 to 16, each 1 to 64 bytes).
    pub capabilities: Vec<String>,
    /// Where it can be reached (URL or free text), at most 256 bytes.
    pub endpoint: String,
    /// Base units locked as stake.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub stake: Amount,
}

/// Change an agent's capabilities or endpoint, or add stake.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct UpdateAgent {
    /// New capabilities.
    pub capabilities: Option<Vec<String>>,
    /// New endpoint.
    pub endpoint: Option<String>,
    /// Stake to add.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub add_stake: Amount,
}

/// Post a task, or top up the reward of the identical open task (same kind and spec).
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct PostTask {
    /// Task kind (`sinew/attribution`, `sinew/inference`, or one some agent advertises).
    pub kind: String,
    /// The spec: BLAKE3 of its blob.
    pub spec: Hash,
    /// Reward, escrowed now.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub reward: Amount,
    /// Last height for a result.
    pub deadline: u64,
    /// Blocks a claimant is exclusive before another agent may take over.
    pub claim_window: u64,
    /// Bond a claimant locks.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub bond: Amount,
    /// How the result is checked.
    pub verification: Verification,
    /// The task this one is a sub-task of.
    pub parent: Option<TaskId>,
}

/// Claim a task (an agent able to do its kind), locking the bond.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ClaimTask {
    /// The task.
    pub task: TaskId,
}

/// Submit the result of a claimed task.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct SubmitResult {
    /// The task.
    pub task: TaskId,
    /// The result: BLAKE3 of its blob (for built-in kinds, the recomputable digest).
    pub result: Hash,
}

/// Cancel an unclaimed task (its poster); every funder is refunded.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct CancelTask {
    /// The task.
    pub task: TaskId,
}

/// The poster accepts or rejects a submitted result (poster verification).
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ReviewResult {
    /// The task.
    pub task: TaskId,
    /// Accept (pay now) or reject (reopen).
    pub accept: bool,
}

/// A staked verifier attests a submitted result (quorum verification), locking the bond.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Attest {
    /// The task.
    pub task: TaskId,
    /// Whether the result is right.
    pub approve: bool,
}

/// Dispute a submitted result during its window, locking `bond`; the ledger recomputes it.
/// The loser pays the winner.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    /// The task.
    pub task: TaskId,
    /// Bond (at least the task's claimant bond).
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub bond: Amount,
}

/// Settle a task whose window has passed, or that expired: pay, return or slash bonds,
/// update reputations. Anyone may send it.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct FinalizeTask {
    /// The task.
    pub task: TaskId,
}
