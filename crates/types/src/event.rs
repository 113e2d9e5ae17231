//! Events: what happened, for subscribers and indexers.

use crate::amount::{self, Amount};
use crate::{Address, Height};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Something a transaction (or the block itself) did, in a form subscribers can filter: an event
/// of the module that emitted it. On the wire it is the module's event as is (`{"kind": ...}`).
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(untagged)]
pub enum Event {
    /// Fees, transfers, stake, parameters.
    Staking(StakingEvent),
    /// Datanets.
    Datanet(DatanetEvent),
    /// Inference.
    Inference(InferenceEvent),
    /// Agents and tasks.
    Tasks(TaskEvent),
}

/// Events of the ledger itself: fees, transfers, stake, parameters.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StakingEvent {
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
}

impl StakingEvent {
    /// The event's stable kind (the wire contract: JSON `kind`, subscription filters).
    pub fn code(&self) -> &'static str {
        match self {
            StakingEvent::FeePaid { .. } => "fee_paid",
            StakingEvent::Transfer { .. } => "transfer",
            StakingEvent::Staked { .. } => "staked",
            StakingEvent::UnbondingStarted { .. } => "unbonding_started",
            StakingEvent::UnbondingReleased { .. } => "unbonding_released",
            StakingEvent::ParamsChanged { .. } => "params_changed",
        }
    }
}

/// Events of datanets: creation, contributions, reviews, versions.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DatanetEvent {
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
}

impl DatanetEvent {
    /// The event's stable kind (the wire contract: JSON `kind`, subscription filters).
    pub fn code(&self) -> &'static str {
        match self {
            DatanetEvent::DatanetCreated { .. } => "datanet_created",
            DatanetEvent::Contributed { .. } => "contributed",
            DatanetEvent::Reviewed { .. } => "reviewed",
            DatanetEvent::ContributionDecided { .. } => "contribution_decided",
            DatanetEvent::VersionPublished { .. } => "version_published",
        }
    }
}

/// Events of inference: providers, models, keys, prepaid balances, holds, settlements, rewards, delegations.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InferenceEvent {
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
        /// Tokens of the prompt (as reserved).
        input_tokens: u64,
        /// Tokens of the answer (counted by the ledger).
        output_tokens: u64,
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
    /// A staker's share of a provider's part of a fee accrued to its claimable balance.
    StakerRewarded {
        /// The staker.
        staker: Address,
        /// The provider it stakes with.
        provider: Address,
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

impl InferenceEvent {
    /// The event's stable kind (the wire contract: JSON `kind`, subscription filters).
    pub fn code(&self) -> &'static str {
        match self {
            InferenceEvent::ProviderRegistered { .. } => "provider_registered",
            InferenceEvent::ModelRegistered { .. } => "model_registered",
            InferenceEvent::ModelUpdated { .. } => "model_updated",
            InferenceEvent::ApiKeyChanged { .. } => "api_key_changed",
            InferenceEvent::Prepaid { .. } => "prepaid",
            InferenceEvent::PrepaidWithdrawalStarted { .. } => "prepaid_withdrawal_started",
            InferenceEvent::InferenceSettled { .. } => "inference_settled",
            InferenceEvent::RewardAccrued { .. } => "reward_accrued",
            InferenceEvent::StakerRewarded { .. } => "staker_rewarded",
            InferenceEvent::RewardsClaimed { .. } => "rewards_claimed",
            InferenceEvent::Delegation { .. } => "delegation",
            InferenceEvent::InferenceReserved { .. } => "inference_reserved",
            InferenceEvent::HoldReleased { .. } => "hold_released",
            InferenceEvent::ModelServed { .. } => "model_served",
        }
    }
}

/// Events of agents and tasks.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TaskEvent {
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
}

impl TaskEvent {
    /// The event's stable kind (the wire contract: JSON `kind`, subscription filters).
    pub fn code(&self) -> &'static str {
        match self {
            TaskEvent::AgentChanged { .. } => "agent_changed",
            TaskEvent::TaskPosted { .. } => "task_posted",
            TaskEvent::TaskUpdated { .. } => "task_updated",
            TaskEvent::TaskCompleted { .. } => "task_completed",
            TaskEvent::Slashed { .. } => "slashed",
        }
    }
}

impl Event {
    /// The event's kind, as used by subscription filters.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Staking(e) => e.code(),
            Event::Datanet(e) => e.code(),
            Event::Inference(e) => e.code(),
            Event::Tasks(e) => e.code(),
        }
    }

    /// The task a task event is about (a task's history lists it).
    pub fn task(&self) -> Option<&crate::Hash> {
        match self {
            Event::Tasks(TaskEvent::TaskPosted { task, .. })
            | Event::Tasks(TaskEvent::TaskUpdated { task, .. })
            | Event::Tasks(TaskEvent::TaskCompleted { task, .. })
            | Event::Tasks(TaskEvent::Slashed { task, .. }) => Some(task),
            _ => None,
        }
    }

    /// The task kind of a task event, for filtering by capability.
    pub fn task_kind(&self) -> Option<&str> {
        match self {
            Event::Tasks(TaskEvent::TaskPosted { task_kind, .. })
            | Event::Tasks(TaskEvent::TaskUpdated { task_kind, .. })
            | Event::Tasks(TaskEvent::TaskCompleted { task_kind, .. }) => Some(task_kind),
            _ => None,
        }
    }

    /// Whether the event concerns `account`.
    pub fn involves(&self, account: &Address) -> bool {
        self.accounts().contains(account)
    }

    /// The accounts the event concerns (an account's activity lists it).
    pub fn accounts(&self) -> Vec<Address> {
        match self {
            Event::Staking(StakingEvent::FeePaid { payer, .. }) => vec![*payer],
            Event::Staking(StakingEvent::Transfer { from, to, .. }) => vec![*from, *to],
            Event::Staking(StakingEvent::Staked { account: a, .. })
            | Event::Staking(StakingEvent::UnbondingStarted { account: a, .. })
            | Event::Staking(StakingEvent::UnbondingReleased { account: a, .. }) => vec![*a],
            Event::Staking(StakingEvent::ParamsChanged { by }) => vec![*by],
            Event::Datanet(DatanetEvent::DatanetCreated { owner, .. }) => vec![*owner],
            Event::Datanet(DatanetEvent::Contributed { contributor, .. })
            | Event::Datanet(DatanetEvent::ContributionDecided { contributor, .. }) => vec![*contributor],
            Event::Datanet(DatanetEvent::Reviewed { reviewer, .. }) => vec![*reviewer],
            Event::Datanet(DatanetEvent::VersionPublished { .. })
            | Event::Inference(InferenceEvent::ModelUpdated { .. }) => vec![],
            Event::Inference(InferenceEvent::ProviderRegistered { provider }) => vec![*provider],
            Event::Inference(InferenceEvent::ModelRegistered { owner, provider, .. }) => vec![*owner, *provider],
            Event::Inference(InferenceEvent::ApiKeyChanged { account: a, .. })
            | Event::Inference(InferenceEvent::Prepaid { account: a, .. })
            | Event::Inference(InferenceEvent::PrepaidWithdrawalStarted { account: a, .. })
            | Event::Inference(InferenceEvent::RewardAccrued { account: a, .. })
            | Event::Inference(InferenceEvent::RewardsClaimed { account: a, .. }) => vec![*a],
            Event::Inference(InferenceEvent::InferenceSettled { payer, .. }) => vec![*payer],
            Event::Inference(InferenceEvent::StakerRewarded { staker, provider, .. }) => vec![*staker, *provider],
            Event::Tasks(TaskEvent::AgentChanged { agent, .. })
            | Event::Tasks(TaskEvent::TaskCompleted { agent, .. }) => vec![*agent],
            Event::Tasks(TaskEvent::TaskPosted { poster, .. }) => vec![*poster],
            Event::Tasks(TaskEvent::TaskUpdated { actor, .. }) => vec![*actor],
            Event::Tasks(TaskEvent::Slashed { account: a, .. }) => vec![*a],
            Event::Inference(InferenceEvent::Delegation {
                delegator, provider, ..
            }) => vec![*delegator, *provider],
            Event::Inference(InferenceEvent::InferenceReserved { payer, provider, .. }) => vec![*payer, *provider],
            Event::Inference(InferenceEvent::HoldReleased { payer, .. }) => vec![*payer],
            Event::Inference(InferenceEvent::ModelServed { provider, .. }) => vec![*provider],
        }
    }
}
