//! Receipts: the outcome of every included transaction.

use crate::amount::{self, Amount};
use crate::{Event, TxId};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Whether an included transaction did what it asked.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TxStatus {
    /// Executed; its effects are in state.
    Success,
    /// Included but failed: only the fee and the nonce changed.
    Failed {
        /// The rule that refused it (a stable code).
        code: crate::FailureCode,
        /// A human-readable explanation.
        message: String,
    },
}

/// The outcome of one included transaction.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Receipt {
    /// Which transaction.
    pub tx_id: TxId,
    /// Success or the reason for failure.
    #[serde(flatten)]
    pub status: TxStatus,
    /// Fee charged.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub fee: Amount,
    /// Events emitted (a failed transaction emits only its fee).
    pub events: Vec<Event>,
}

impl Receipt {
    /// The receipt's hash, a leaf of the block's receipts root.
    pub fn hash(&self) -> crate::Hash {
        crate::Hash::of(&crate::encoding::encode(self))
    }
}
