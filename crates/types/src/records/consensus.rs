//! The validator set: who orders and finalizes blocks.

use crate::Address;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// A validator: its consensus key and its place in the set (leaders rotate in this order).
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Validator {
    /// Its position in the set.
    pub index: u32,
    /// Its ed25519 consensus key (never a funded account).
    pub key: Address,
    /// Its name.
    pub name: String,
}
