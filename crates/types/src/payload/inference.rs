//! Inference payloads: providers, models, API keys and prepaid balances, reservations and
//! settlements, delegation to providers and rewards.

use crate::amount::{self, Amount};
use crate::inference::{KeyScope, ModelId, ModelInfo, ModelStatus, Pricing, Split, Voucher};
use crate::{Address, Hash};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Inference: providers, models, API keys and prepaid balances, reservations and settlements, delegation and rewards.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InferenceTx {
    /// Register the signer as an inference provider (its own stake backs it).
    RegisterProvider(RegisterProvider),
    /// Register a model owned by the signer, served by a registered provider.
    RegisterModel(RegisterModel),
    /// Change a model's prices or status (owner only).
    UpdateModel(UpdateModel),
    /// Bind an API key (by its BLAKE3 hash) to the signer's prepaid balance, for the providers
    /// and models the signer chose, with a per-request cap and a spend limit.
    RegisterApiKey(RegisterApiKey),
    /// Revoke one of the signer's API keys.
    RevokeApiKey(RevokeApiKey),
    /// Move tokens from the balance to the prepaid inference balance (held in escrow).
    DepositPrepaid(DepositPrepaid),
    /// Ask for prepaid tokens back; they return after the unbonding period (answers served
    /// meanwhile can still be settled from them).
    WithdrawPrepaid(WithdrawPrepaid),
    /// Hold the most a request can cost from the payer's prepaid balance before the provider
    /// answers it (signed by the model's provider, within the API key's scope). The hold is
    /// settled, released by the provider, or released by the ledger when it expires; meanwhile
    /// the payer can neither withdraw nor spend it elsewhere.
    ReserveInference(ReserveInference),
    /// Settle one answer against its reservation: the fee (prices and prompt tokens fixed by the
    /// reservation, answer tokens recounted from the answer) is charged from the held amount and
    /// split; the rest of the hold returns. Signed by the provider that reserved;
    /// `apply` recomputes the attribution and refuses a receipt that differs. Without a live
    /// reservation the settlement is not included at all (so the answer is never published).
    SettleInference(SettleInference),
    /// Release a reservation the provider will not settle (the request failed).
    ReleaseHold(ReleaseHold),
    /// A provider accepts to serve a model that names it (`serve: true`), or stops serving it.
    /// Until accepted, a model takes no requests.
    ServeModel(ServeModel),
    /// Stake tokens behind an inference provider: its share of every answer's fee is split with
    /// its stakers by stake, into their claimable rewards.
    DelegateToProvider(DelegateToProvider),
    /// Withdraw stake from a provider; it unbonds like own stake.
    UndelegateFromProvider(UndelegateFromProvider),
    /// Move accrued rewards (contributor shares) to the balance.
    ClaimRewards,
}

impl InferenceTx {
    /// A short stable name for logs, metrics and filters.
    pub fn kind(&self) -> &'static str {
        match self {
            InferenceTx::RegisterProvider(_) => "register_provider",
            InferenceTx::RegisterModel(_) => "register_model",
            InferenceTx::UpdateModel(_) => "update_model",
            InferenceTx::RegisterApiKey(_) => "register_api_key",
            InferenceTx::RevokeApiKey(_) => "revoke_api_key",
            InferenceTx::DepositPrepaid(_) => "deposit_prepaid",
            InferenceTx::WithdrawPrepaid(_) => "withdraw_prepaid",
            InferenceTx::ReserveInference(_) => "reserve_inference",
            InferenceTx::SettleInference(_) => "settle_inference",
            InferenceTx::ReleaseHold(_) => "release_hold",
            InferenceTx::ServeModel(_) => "serve_model",
            InferenceTx::DelegateToProvider(_) => "delegate_to_provider",
            InferenceTx::UndelegateFromProvider(_) => "undelegate_from_provider",
            InferenceTx::ClaimRewards => "claim_rewards",
        }
    }

    /// The most work executing this payload can cause beyond reading and writing a few values
    /// (see [`crate::Payload::work_units`]).
    pub fn work_units(&self) -> u64 {
        match self {
            InferenceTx::SettleInference(a) => (a.answer.len() as u64).div_ceil(64),
            InferenceTx::RegisterProvider(_)
            | InferenceTx::RegisterModel(_)
            | InferenceTx::UpdateModel(_)
            | InferenceTx::RegisterApiKey(_)
            | InferenceTx::RevokeApiKey(_)
            | InferenceTx::DepositPrepaid(_)
            | InferenceTx::WithdrawPrepaid(_)
            | InferenceTx::ReserveInference(_)
            | InferenceTx::ReleaseHold(_)
            | InferenceTx::ServeModel(_)
            | InferenceTx::DelegateToProvider(_)
            | InferenceTx::UndelegateFromProvider(_)
            | InferenceTx::ClaimRewards => 0,
        }
    }
}

super::into_payload!(Inference, InferenceTx: RegisterProvider, RegisterModel, UpdateModel, RegisterApiKey, RevokeApiKey, DepositPrepaid, WithdrawPrepaid, ReserveInference, SettleInference, ReleaseHold, ServeModel, DelegateToProvider, UndelegateFromProvider);

/// Register the signer as an inference provider (its own stake backs it).
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct RegisterProvider {
    /// Display name, 1 to 64 bytes.
    pub name: String,
    /// Where it serves: `builtin` (the infini-gram model in every Sinew gateway) or the base
    /// URL of an OpenAI-compatible server (llama.cpp, vLLM, Ollama).
    pub endpoint: String,
}

/// Register a model owned by the signer, served by a registered provider.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct RegisterModel {
    /// Name, lineage, tokenizer.
    pub info: ModelInfo,
    /// The provider serving it.
    pub provider: Address,
    /// Prices.
    pub pricing: Pricing,
    /// How fees are split.
    pub split: Split,
}

/// Change a model's prices or status (owner only).
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct UpdateModel {
    /// The model.
    pub model: ModelId,
    /// New prices.
    pub pricing: Option<Pricing>,
    /// New status (a retired model cannot come back).
    pub status: Option<ModelStatus>,
}

/// Bind an API key (by its BLAKE3 hash) to the signer's prepaid balance, for the providers
/// and models the signer chose, with a per-request cap and a spend limit.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct RegisterApiKey {
    /// BLAKE3 of the key.
    pub key_hash: Hash,
    /// What the key may be charged for.
    pub scope: KeyScope,
}

/// Revoke one of the signer's API keys.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct RevokeApiKey {
    /// BLAKE3 of the key.
    pub key_hash: Hash,
}

/// Move tokens from the balance to the prepaid inference balance (held in escrow).
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct DepositPrepaid {
    /// Base units.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub amount: Amount,
}

/// Ask for prepaid tokens back; they return after the unbonding period (answers served
/// meanwhile can still be settled from them).
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct WithdrawPrepaid {
    /// Base units.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub amount: Amount,
}

/// Hold the most a request can cost from the payer's prepaid balance before the provider
/// answers it (signed by the model's provider, within the API key's scope). The hold is
/// settled, released by the provider, or released by the ledger when it expires; meanwhile
/// the payer can neither withdraw nor spend it elsewhere.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ReserveInference {
    /// The caller's API key hash.
    pub api_key: Hash,
    /// Unique per request (a request is reserved and settled once).
    pub request_id: Hash,
    /// The model.
    pub model: ModelId,
    /// BLAKE3 of the prompt as received.
    pub prompt_hash: Hash,
    /// Prompt tokens in the model's tokenizer (the provider's count; bounded by `max_fee`).
    pub input_tokens: u64,
    /// Most answer tokens.
    pub max_output_tokens: u64,
    /// The most the request may cost: what the gateway quoted and the caller accepted.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub max_fee: Amount,
    /// The payer's signed consent, required by keys registered with a voucher key.
    pub voucher: Option<Voucher>,
}

/// Settle one answer against its reservation: the fee (prices and prompt tokens fixed by the
/// reservation, answer tokens recounted from the answer) is charged from the held amount and
/// split; the rest of the hold returns. Signed by the provider that reserved;
/// `apply` recomputes the attribution and refuses a receipt that differs. Without a live
/// reservation the settlement is not included at all (so the answer is never published).
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct SettleInference {
    /// The reserved request.
    pub request_id: Hash,
    /// The answer text.
    pub answer: String,
    /// Digest of the attribution receipt of the answer against the model's datanets.
    pub receipt: Hash,
}

/// Release a reservation the provider will not settle (the request failed).
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ReleaseHold {
    /// The reserved request.
    pub request_id: Hash,
}

/// A provider accepts to serve a model that names it (`serve: true`), or stops serving it.
/// Until accepted, a model takes no requests.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ServeModel {
    /// The model.
    pub model: ModelId,
    /// Serve it or not.
    pub serve: bool,
}

/// Stake tokens behind an inference provider: its share of every answer's fee is split with
/// its stakers by stake, into their claimable rewards.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct DelegateToProvider {
    /// The provider.
    pub provider: Address,
    /// Base units.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub amount: Amount,
}

/// Withdraw stake from a provider; it unbonds like own stake.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct UndelegateFromProvider {
    /// The provider.
    pub provider: Address,
    /// Base units.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub amount: Amount,
}
