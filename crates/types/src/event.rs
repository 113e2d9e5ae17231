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
    /// A datanet was created.
    DatanetCreated {
        /// Its id.
        datanet: u64,
        /// Its owner.
        owner: Address,
    },
    /// Records were contributed to a datanet.
    Contributed {
        /// The datanet.
        datanet: u64,
        /// The contribution's number.
        contribution: u64,
        /// Who contributed.
        contributor: Address,
        /// Records in it.
        records: u32,
        /// Records flagged as near-duplicates of existing ones.
        near_duplicates: u32,
    },
    /// A review vote was cast.
    Reviewed {
        /// The datanet.
        datanet: u64,
        /// The contribution.
        contribution: u64,
        /// The reviewer.
        reviewer: Address,
        /// The vote.
        approve: bool,
    },
    /// A contribution was approved or rejected.
    ContributionDecided {
        /// The datanet.
        datanet: u64,
        /// The contribution.
        contribution: u64,
        /// The contributor.
        contributor: Address,
        /// Approved (true) or rejected.
        approved: bool,
        /// Bond returned to the contributor.
        #[serde(with = "amount::as_string")]
        bond_returned: Amount,
        /// Bond slashed to the owner.
        #[serde(with = "amount::as_string")]
        bond_slashed: Amount,
    },
    /// A datanet version was published.
    VersionPublished {
        /// The datanet.
        datanet: u64,
        /// Version number (from 1).
        version: u64,
        /// Merkle root over the approved contributions.
        root: crate::Hash,
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
            Event::DatanetCreated { .. } => "datanet_created",
            Event::Contributed { .. } => "contributed",
            Event::Reviewed { .. } => "reviewed",
            Event::ContributionDecided { .. } => "contribution_decided",
            Event::VersionPublished { .. } => "version_published",
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
            Event::DatanetCreated { owner, .. } => owner == account,
            Event::Contributed { contributor, .. } | Event::ContributionDecided { contributor, .. } => {
                contributor == account
            }
            Event::Reviewed { reviewer, .. } => reviewer == account,
            Event::VersionPublished { .. } => false,
        }
    }
}
