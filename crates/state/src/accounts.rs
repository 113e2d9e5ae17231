//! Accounts (balances, stake and nonces) and the module accounts: the ledger's own accounts
//! that hold what its records owe (bonds, prepaid balances, rewards, delegations, task escrow,
//! agent stake). Every module account is named here, once.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use sinew_types::amount::{self, Amount};
use sinew_types::{Address, Height, Nonce};

/// Stake on its way back to the balance.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Unbonding {
    /// Base units unbonding.
    #[serde(with = "amount::as_string")]
    pub amount: Amount,
    /// Height at which they return to the balance.
    pub release_height: Height,
}

/// An account's state.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Account {
    /// Spendable base units.
    #[serde(with = "amount::as_string")]
    pub balance: Amount,
    /// The nonce the next transaction must carry.
    pub nonce: Nonce,
    /// Bonded stake.
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

/// The treasury: fees, platform fees, slashed contribution bonds, bonds forfeited on refunded
/// tasks. It owes nobody.
pub fn treasury() -> Address {
    Address::module("treasury")
}

/// Holds the bonds of pending contributions (owes each its bond).
pub fn bond_escrow() -> Address {
    Address::module("datanet-bonds")
}

/// Holds prepaid inference balances (owes each payer its balance).
pub fn prepaid_escrow() -> Address {
    Address::module("inference-prepaid")
}

/// Holds accrued, unclaimed rewards (owes each account its rewards).
pub fn rewards_pool() -> Address {
    Address::module("rewards")
}

/// Holds stake delegated to providers (owes each staker its stake).
pub fn provider_delegations() -> Address {
    Address::module("provider-delegations")
}

/// Holds task rewards and every bond on tasks (owes what unfinished tasks hold).
pub fn task_escrow() -> Address {
    Address::module("tasks")
}

/// Holds agents' stake (owes each agent not yet retired its stake).
pub fn agent_stakes() -> Address {
    Address::module("agent-stakes")
}
