//! Staking and governance payloads: moving, bonding and unbonding tokens; changing parameters.

use crate::amount::{self, Amount};
use crate::{Address, ParamsUpdate};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Staking and governance: moving, bonding and unbonding tokens; changing parameters.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "type", rename_all = "snake_case")]
// A payload is as large as its largest action in any module (a model registration is larger
// still): boxing the parameter update would save nothing.
#[allow(clippy::large_enum_variant)]
pub enum StakingTx {
    /// Move tokens from the signer to another account.
    Transfer(Transfer),
    /// Bond tokens from the signer's balance as stake.
    Stake(Stake),
    /// Start unbonding stake; it returns to the balance after the unbonding period.
    Unstake(Unstake),
    /// Change governance parameters; only the parameters' authority may sign it.
    SetParams(SetParams),
}

impl StakingTx {
    /// A short stable name for logs, metrics and filters.
    pub fn kind(&self) -> &'static str {
        match self {
            StakingTx::Transfer(_) => "transfer",
            StakingTx::Stake(_) => "stake",
            StakingTx::Unstake(_) => "unstake",
            StakingTx::SetParams(_) => "set_params",
        }
    }

    /// The most work executing this payload can cause beyond reading and writing a few values
    /// (see [`crate::Payload::work_units`]).
    pub fn work_units(&self) -> u64 {
        match self {
            StakingTx::Transfer(_) | StakingTx::Stake(_) | StakingTx::Unstake(_) | StakingTx::SetParams(_) => 0,
        }
    }
}

super::into_payload!(Staking, StakingTx: Transfer, Stake, Unstake, SetParams);

/// Move tokens from the signer to another account.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// Recipient.
    pub to: Address,
    /// Base units to move; must be positive.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub amount: Amount,
}

/// Bond tokens from the signer's balance as stake.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Stake {
    /// Base units to bond; must be positive.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub amount: Amount,
}

/// Start unbonding stake; it returns to the balance after the unbonding period.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Unstake {
    /// Base units to unbond; must be positive.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub amount: Amount,
}

/// Change governance parameters; only the parameters' authority may sign it.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct SetParams {
    /// The fields to change.
    pub update: ParamsUpdate,
}
