//! Shapes of API answers shared by the node and its clients, in JSON (for people) and borsh (for
//! throughput).

use crate::{Height, Receipt, TxId};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// A machine-readable error code with an explanation.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct ErrorBody {
    /// Stable code, e.g. `nonce_too_low`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

/// Where a submitted transaction stands.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SubmitOutcome {
    /// Waiting for a block (admitted, or in a block not yet durable).
    Pending,
    /// Refused at submission: nothing changed.
    Refused {
        /// Why.
        error: ErrorBody,
    },
    /// In a durable block.
    Committed {
        /// Block height.
        height: Height,
        /// Position in the block.
        index: u32,
        /// Its receipt (which says whether it succeeded).
        receipt: Receipt,
    },
    /// Dropped from the mempool without inclusion: it left no trace.
    Dropped {
        /// Machine-readable reason.
        code: String,
        /// Human-readable reason.
        reason: String,
    },
}

/// The answer for one transaction.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct SubmitReply {
    /// Transaction id.
    pub tx_id: TxId,
    /// Its outcome.
    #[serde(flatten)]
    pub outcome: SubmitOutcome,
}

impl SubmitReply {
    /// `pending`, `refused`, `committed` or `dropped`.
    pub fn status(&self) -> &'static str {
        match self.outcome {
            SubmitOutcome::Pending => "pending",
            SubmitOutcome::Refused { .. } => "refused",
            SubmitOutcome::Committed { .. } => "committed",
            SubmitOutcome::Dropped { .. } => "dropped",
        }
    }

    /// The receipt, when committed.
    pub fn receipt(&self) -> Option<&Receipt> {
        match &self.outcome {
            SubmitOutcome::Committed { receipt, .. } => Some(receipt),
            _ => None,
        }
    }

    /// The block height, when committed.
    pub fn height(&self) -> Option<Height> {
        match &self.outcome {
            SubmitOutcome::Committed { height, .. } => Some(*height),
            _ => None,
        }
    }

    /// Why it was refused or dropped.
    pub fn error(&self) -> Option<ErrorBody> {
        match &self.outcome {
            SubmitOutcome::Refused { error } => Some(error.clone()),
            SubmitOutcome::Dropped { code, reason } => Some(ErrorBody {
                code: code.clone(),
                message: reason.clone(),
            }),
            _ => None,
        }
    }
}

/// The answer to a batch submission.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct BatchResult {
    /// Admitted transactions.
    pub accepted: u32,
    /// Refused transactions.
    pub refused: u32,
    /// One result per transaction, in order.
    pub results: Vec<SubmitReply>,
}

/// A value of state with its Merkle proof against the state root of a height: what the node
/// serves and the client checks with `verify_proof`, so it need not trust the node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProvenValue {
    /// Height whose state was read.
    pub height: Height,
    /// That block's state root.
    pub state_root: crate::Hash,
    /// The state key, hex.
    pub key: String,
    /// The value, hex (absent: the key is not in state).
    pub value: Option<String>,
    /// The Merkle proof, hex.
    pub proof: String,
}

/// An account as the node reports it (`GET /v1/accounts/{address}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AccountView {
    /// The address.
    pub address: crate::Address,
    /// Whether the account exists.
    pub exists: bool,
    /// Its state (zero if it does not exist).
    pub account: crate::records::Account,
    /// The proof of it.
    pub proof: ProvenValue,
}
