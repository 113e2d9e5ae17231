//! Providers, models, API keys, prepaid balances and holds, as the ledger stores them.

use crate::amount::{self, Amount};
use crate::inference::{KeyScope, ModelId, ModelInfo, ModelStatus, Pricing, Split};
use crate::{Address, Hash, Height};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// A registered inference provider.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Provider {
    /// Its account (its stake backs it).
    pub address: Address,
    /// Display name.
    pub name: String,
    /// `builtin` or an OpenAI-compatible base URL.
    pub endpoint: String,
    /// Height of registration.
    pub registered_at: Height,
}

/// A registered model.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Model {
    /// Its id.
    pub id: u64,
    /// Who registered it and gets the owner's share.
    pub owner: Address,
    /// Name and lineage.
    pub info: ModelInfo,
    /// The provider serving it.
    pub provider: Address,
    /// Prices.
    pub pricing: Pricing,
    /// Fee split.
    pub split: Split,
    /// Serving or not (the owner's say).
    pub status: ModelStatus,
    /// Whether the provider accepted to serve it (the provider's say; both must agree).
    pub served: bool,
    /// Height of registration.
    pub created_at: Height,
    /// Answers settled.
    pub answers: u64,
    /// Fees settled in all.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub fees: Amount,
}

impl Model {
    /// Whether it takes new requests: active by its owner and accepted by its provider.
    pub fn takes_requests(&self) -> bool {
        self.status == ModelStatus::Active && self.served
    }
}

/// An API key bound to an account's prepaid balance, within the scope its payer chose.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct ApiKey {
    /// The account it spends from.
    pub account: Address,
    /// Providers, models, per-request cap, spend limit, voucher key.
    pub scope: KeyScope,
    /// Settled so far.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub spent: Amount,
    /// Held by reservations not yet settled or released.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub held: Amount,
    /// Revoked keys are refused.
    pub revoked: bool,
    /// Height of registration.
    pub created_at: Height,
}

/// A prepaid inference balance.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Prepaid {
    /// Tokens held in escrow for answers.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub balance: Amount,
    /// Part of it on its way back.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub withdrawing: Amount,
    /// Part of it held by reservations of requests in progress.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub held: Amount,
    /// When the withdrawal is released.
    pub release_height: Height,
}

impl Prepaid {
    /// What new requests may still reserve and withdrawals may still take. Invariant:
    /// `withdrawing + held <= balance`, so neither can take what the other was promised.
    pub fn available(&self) -> Amount {
        self.balance.saturating_sub(self.withdrawing).saturating_sub(self.held)
    }
}

/// The key's hash as stored on the ledger.
pub fn api_key_hash(key: &str) -> Hash {
    Hash::tagged(b"sinew/api-key", key.as_bytes())
}

/// A model name's state key hash.
pub fn model_name_hash(name: &str) -> Hash {
    Hash::tagged(b"sinew/model-name", name.as_bytes())
}

/// Funds held for one request between its reservation and its settlement.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Hold {
    /// The request.
    pub request_id: Hash,
    /// Who pays.
    pub payer: Address,
    /// The API key it is charged to.
    pub api_key: Hash,
    /// The model.
    pub model: ModelId,
    /// The provider that reserved and alone may settle or release.
    pub provider: Address,
    /// BLAKE3 of the prompt.
    pub prompt_hash: Hash,
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Most answer tokens.
    pub max_output_tokens: u64,
    /// Prices at reservation.
    pub pricing: Pricing,
    /// Platform fee at reservation.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub platform_fee: Amount,
    /// Held base units: the price of the longest answer.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub amount: Amount,
    /// Height of the reservation.
    pub height: Height,
    /// Height at which the ledger releases it if unsettled.
    pub expires_at: Height,
}

/// A settled request.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Settled {
    /// The model.
    pub model: u64,
    /// Height of settlement.
    pub height: Height,
    /// Fee charged.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub fee: Amount,
}

/// Stake one account put behind a provider.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Delegation {
    /// The staker.
    pub staker: Address,
    /// Base units staked.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub amount: Amount,
}
