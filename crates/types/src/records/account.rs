//! Accounts: balances, stake and nonces.

use crate::amount::{self, Amount};
use crate::{Height, Nonce};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Stake on its way back to the balance.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Unbonding {
    /// Base units unbonding.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub amount: Amount,
    /// Height at which they return to the balance.
    pub release_height: Height,
}

/// An account's state.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Account {
    /// Spendable base units.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub balance: Amount,
    /// The nonce the next transaction must carry.
    pub nonce: Nonce,
    /// Bonded stake.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub staked: Amount,
    /// Stake unbonding, oldest first.
    pub unbonding: Vec<Unbonding>,
}

impl Account {
    /// Everything the account holds: balance, stake and unbonding stake.
    pub fn total(&self) -> Amount {
        self.unbonding
            .iter()
            .fold(self.balance + self.staked, |acc, u| acc + u.amount)
    }
}
