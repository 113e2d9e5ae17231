//! Events: what happened, for subscribers and indexers.

use crate::amount::{self, Amount};
use crate::{Address, Height};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Something a transaction (or the block itself) did, in a form subscribers can filter.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A fee was charged and credited to the treasury.
    FeePaid {
        /// Who paid.
        payer: Address,
        /// How much.
        #[serde(with = "amount::as_string")]
        amount: Amount,
    },
    /// Tokens moved between accounts.
    Transfer {
        /// Sender.
        from: Address,
        /// Recipient.
        to: Address,
        /// Base units moved.
        #[serde(with = "amount::as_string")]
        amount: Amount,
    },
    /// Balance was bonded as stake.
    Staked {
        /// Staker.
        account: Address,
        /// Base units bonded.
        #[serde(with = "amount::as_string")]
        amount: Amount,
    },
    /// Stake started unbonding.
    UnbondingStarted {
        /// Staker.
        account: Address,
        /// Base units unbonding.
        #[serde(with = "amount::as_string")]
        amount: Amount,
        /// Height at which the tokens return to the balance.
        release_height: Height,
    },
    /// Unbonded tokens returned to the balance.
    UnbondingReleased {
        /// Staker.
        account: Address,
        /// Base units released.
        #[serde(with = "amount::as_string")]
        amount: Amount,
    },
    /// Governance parameters changed.
    ParamsChanged {
        /// Who changed them.
        by: Address,
    },
}

impl Event {
    /// The event's kind, as used by subscription filters.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::FeePaid { .. } => "fee_paid",
            Event::Transfer { .. } => "transfer",
            Event::Staked { .. } => "staked",
            Event::UnbondingStarted { .. } => "unbonding_started",
            Event::UnbondingReleased { .. } => "unbonding_released",
            Event::ParamsChanged { .. } => "params_changed",
        }
    }

    /// Whether the event concerns `account`.
    pub fn involves(&self, account: &Address) -> bool {
        match self {
            Event::FeePaid { payer, .. } => payer == account,
            Event::Transfer { from, to, .. } => from == account || to == account,
            Event::Staked { account: a, .. }
            | Event::UnbondingStarted { account: a, .. }
            | Event::UnbondingReleased { account: a, .. } => a == account,
            Event::ParamsChanged { by } => by == account,
        }
    }
}
