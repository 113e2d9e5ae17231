//! Events: what happened, for subscribers and indexers.

use crate::amount::{self, Amount};
use crate::{Address, Height};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Something a transaction (or the block itself) did, in a form subscribers can filter.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A fee was charged and credited to the treasury.
    FeePaid {
        /// Who paid.
        payer: Address,
        /// How much.
        #[schemars(with = "String")]
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
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        amount: Amount,
    },
    /// Balance was bonded as stake.
    Staked {
        /// Staker.
        account: Address,
        /// Base units bonded.
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        amount: Amount,
    },
    /// Stake started unbonding.
    UnbondingStarted {
        /// Staker.
        account: Address,
        /// Base units unbonding.
        #[schemars(with = "String")]
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
        #[schemars(with = "String")]
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
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        bond_returned: Amount,
        /// Bond slashed to the owner.
        #[schemars(with = "String")]
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
    /// A provider registered.
    ProviderRegistered {
        /// Its account.
        provider: Address,
    },
    /// A model registered.
    ModelRegistered {
        /// Its id.
        model: u64,
        /// Its owner.
        owner: Address,
        /// Its provider.
        provider: Address,
    },
    /// A model's prices or status changed.
    ModelUpdated {
        /// The model.
        model: u64,
    },
    /// An API key was bound or revoked.
    ApiKeyChanged {
        /// The account it spends from.
        account: Address,
        /// The key's hash.
        key_hash: crate::Hash,
        /// Whether it is now revoked.
        revoked: bool,
    },
    /// Tokens moved into or out of a prepaid balance.
    Prepaid {
        /// The account.
        account: Address,
        /// Deposited (positive direction) or released back to the balance.
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        amount: Amount,
        /// True for a deposit, false for a release.
        deposit: bool,
    },
    /// A withdrawal of prepaid tokens started.
    PrepaidWithdrawalStarted {
        /// The account.
        account: Address,
        /// Base units.
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        amount: Amount,
        /// When they return.
        release_height: Height,
    },
    /// An answer was settled and its fee split.
    InferenceSettled {
        /// The model.
        model: u64,
        /// Who paid.
        payer: Address,
        /// The request.
        request_id: crate::Hash,
        /// The whole fee.
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        fee: Amount,
        /// To the treasury.
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        platform: Amount,
        /// To the model owner.
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        owner: Amount,
        /// To the provider and its stakers (by stake).
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        provider: Amount,
        /// To contributors (or, with no matching span, the datanets' owners).
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        contributors: Amount,
    },
    /// A reward accrued to a claimable balance.
    RewardAccrued {
        /// Who may claim it.
        account: Address,
        /// The datanet and contribution it is for (none: a no-match share to a datanet owner).
        datanet: u64,
        /// The contribution (u64::MAX for a no-match share).
        contribution: u64,
        /// Base units.
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        amount: Amount,
    },
    /// Rewards moved to the balance.
    RewardsClaimed {
        /// Who claimed.
        account: Address,
        /// Base units.
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        amount: Amount,
    },
    /// An agent registered, updated or retired.
    AgentChanged {
        /// The agent.
        agent: Address,
        /// Its status now.
        status: crate::task::AgentStatus,
    },
    /// A task was posted (or its reward topped up).
    TaskPosted {
        /// The task.
        task: crate::Hash,
        /// Its kind (agents filter on it).
        task_kind: String,
        /// Who funded it.
        poster: Address,
        /// Its reward now.
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        reward: Amount,
    },
    /// A task changed state (claimed, submitted, reviewed, attested, challenged, reopened...).
    TaskUpdated {
        /// The task.
        task: crate::Hash,
        /// Its kind.
        task_kind: String,
        /// Who acted.
        actor: Address,
        /// What happened: claimed, taken_over, submitted, accepted, rejected, attested,
        /// challenged, challenge_won, challenge_lost, wrong_result, reopened, cancelled, expired.
        action: String,
        /// Its status now.
        status: crate::task::TaskStatus,
    },
    /// A task was paid out.
    TaskCompleted {
        /// The task.
        task: crate::Hash,
        /// Its kind.
        task_kind: String,
        /// Who did it.
        agent: Address,
        /// What it earned.
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        reward: Amount,
    },
    /// A bond was slashed.
    Slashed {
        /// Whose.
        account: Address,
        /// The task.
        task: crate::Hash,
        /// How much.
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        amount: Amount,
        /// Why: missed_deadline, wrong_result, challenge_lost, outvoted.
        reason: String,
    },
    /// Stake was delegated to (or withdrawn from) a provider.
    Delegation {
        /// The staker.
        delegator: Address,
        /// The provider.
        provider: Address,
        /// Base units.
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        amount: Amount,
        /// True for a delegation, false for a withdrawal.
        delegate: bool,
    },
    /// The most a request can cost was held from the payer's prepaid balance.
    InferenceReserved {
        /// The model.
        model: u64,
        /// Who pays.
        payer: Address,
        /// The provider that will answer.
        provider: Address,
        /// The request.
        request_id: crate::Hash,
        /// Held base units.
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        amount: Amount,
    },
    /// A hold returned to the payer's available balance without a settlement.
    HoldReleased {
        /// Who it returns to.
        payer: Address,
        /// The request.
        request_id: crate::Hash,
        /// Base units.
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        amount: Amount,
        /// Released by the ledger at its expiry (true) or by the provider (false).
        expired: bool,
    },
    /// A provider accepted (or stopped) serving a model.
    ModelServed {
        /// The model.
        model: u64,
        /// The provider.
        provider: Address,
        /// Whether it serves it now.
        serve: bool,
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
            Event::ProviderRegistered { .. } => "provider_registered",
            Event::ModelRegistered { .. } => "model_registered",
            Event::ModelUpdated { .. } => "model_updated",
            Event::ApiKeyChanged { .. } => "api_key_changed",
            Event::Prepaid { .. } => "prepaid",
            Event::PrepaidWithdrawalStarted { .. } => "prepaid_withdrawal_started",
            Event::InferenceSettled { .. } => "inference_settled",
            Event::RewardAccrued { .. } => "reward_accrued",
            Event::RewardsClaimed { .. } => "rewards_claimed",
            Event::AgentChanged { .. } => "agent_changed",
            Event::TaskPosted { .. } => "task_posted",
            Event::TaskUpdated { .. } => "task_updated",
            Event::TaskCompleted { .. } => "task_completed",
            Event::Slashed { .. } => "slashed",
            Event::Delegation { .. } => "delegation",
            Event::InferenceReserved { .. } => "inference_reserved",
            Event::HoldReleased { .. } => "hold_released",
            Event::ModelServed { .. } => "model_served",
        }
    }

    /// The task kind of a task event, for filtering by capability.
    pub fn task_kind(&self) -> Option<&str> {
        match self {
            Event::TaskPosted { task_kind, .. }
            | Event::TaskUpdated { task_kind, .. }
            | Event::TaskCompleted { task_kind, .. } => Some(task_kind),
            _ => None,
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
            Event::VersionPublished { .. } | Event::ModelUpdated { .. } => false,
            Event::ProviderRegistered { provider } => provider == account,
            Event::ModelRegistered { owner, provider, .. } => owner == account || provider == account,
            Event::ApiKeyChanged { account: a, .. }
            | Event::Prepaid { account: a, .. }
            | Event::PrepaidWithdrawalStarted { account: a, .. }
            | Event::RewardAccrued { account: a, .. }
            | Event::RewardsClaimed { account: a, .. } => a == account,
            Event::InferenceSettled { payer, .. } => payer == account,
            Event::AgentChanged { agent, .. } | Event::TaskCompleted { agent, .. } => agent == account,
            Event::TaskPosted { poster, .. } => poster == account,
            Event::TaskUpdated { actor, .. } => actor == account,
            Event::Slashed { account: a, .. } => a == account,
            Event::Delegation {
                delegator, provider, ..
            } => delegator == account || provider == account,
            Event::InferenceReserved { payer, provider, .. } => payer == account || provider == account,
            Event::HoldReleased { payer, .. } => payer == account,
            Event::ModelServed { provider, .. } => provider == account,
        }
    }
}
