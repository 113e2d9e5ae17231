//! Governance parameters: live in state, change only by a `SetParams` transaction.

use crate::amount::{self, Amount};
use crate::Address;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Ledger parameters that every node reads from state.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The account allowed to sign `SetParams` (the genesis authority for now).
    pub authority: Address,
    /// Fee charged for every transaction, in base units.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub base_fee: Amount,
    /// Fee charged per byte of the signed transaction's encoding.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub fee_per_byte: Amount,
    /// Blocks between `Unstake` and the tokens returning to the balance.
    pub unbonding_period: u64,
    /// Largest accepted signed transaction encoding, in bytes.
    pub max_tx_bytes: u32,
    /// Most transactions in one block.
    pub max_block_txs: u32,
    /// Largest blob (datanet upload), in bytes.
    pub max_blob_bytes: u64,
    /// Attribution: shortest span kept, in tokens of the index (bytes at byte level).
    pub attribution_min_len: u32,
    /// Attribution: most occurrences a kept span may have (rarer spans say more).
    pub attribution_max_count: u32,
    /// Inference: flat fee per settled answer, to the treasury.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub inference_platform_fee: Amount,
    /// Inference: smallest share of a fee a model may give its contributors, in basis points.
    pub min_contributors_bps: u16,
    /// Inference: stake a provider must hold to register and serve.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub min_provider_stake: Amount,
    /// Inference: largest settled answer, in bytes.
    pub max_answer_bytes: u32,
    /// Agents: least stake an agent registers with.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub min_agent_stake: Amount,
    /// Inference: blocks a reservation holds the payer's funds before the ledger releases it.
    pub inference_hold_blocks: u64,
    /// Fee per unit of work a transaction causes beyond its own bytes (blob bytes ingested,
    /// records written, answers attributed, results recomputed: `Payload::work_units`).
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub fee_per_work_unit: Amount,
    /// Datanets: blocks a contribution may wait for review before anyone may expire it.
    pub pending_expiry_blocks: u64,
    /// Tasks: shortest claim window a task may offer (a claimant must have time to work).
    pub min_claim_window: u64,
    /// Largest block, in bytes of its signed transactions: bounds what executing, storing and
    /// serving one block costs.
    pub max_block_bytes: u32,
}

/// Bounds that no `SetParams` may leave.
pub mod bounds {
    /// Smallest unbonding period, in blocks.
    pub const MIN_UNBONDING: u64 = 1;
    /// Largest unbonding period, in blocks.
    pub const MAX_UNBONDING: u64 = 10_000_000;
    /// Smallest transaction size limit (a transfer must fit).
    pub const MIN_TX_BYTES: u32 = 256;
    /// Largest transaction size limit.
    pub const MAX_TX_BYTES: u32 = crate::tx::MAX_TX_BYTES_HARD as u32;
    /// Largest block, in transactions.
    pub const MAX_BLOCK_TXS: u32 = 100_000;
    /// Largest block, in bytes of signed transactions.
    pub const MAX_BLOCK_BYTES: u32 = 64 << 20;
    /// Smallest blob size limit.
    pub const MIN_BLOB_BYTES: u64 = 1 << 10;
    /// Largest blob size limit.
    pub const MAX_BLOB_BYTES: u64 = 4 << 30;
    /// Longest allowed minimum attribution span, in tokens.
    pub const MAX_ATTRIBUTION_MIN_LEN: u32 = 4096;
    /// Largest allowed occurrence limit of an attribution span.
    pub const MAX_ATTRIBUTION_COUNT: u32 = 10_000;
    /// Largest allowed answer size limit (an answer must fit in a transaction).
    pub const MAX_ANSWER_BYTES: u32 = 512 * 1024;
    /// Shortest inference hold, in blocks (an answer needs time to be generated and settled).
    pub const MIN_HOLD_BLOCKS: u64 = 10;
    /// Largest fee parameter, to keep fee arithmetic far from overflow.
    pub const MAX_FEE_PARAM: u128 = 1u128 << 96;
}

impl Params {
    /// Default parameters for a new chain controlled by `authority`.
    pub fn default_for(authority: Address) -> Params {
        Params {
            authority,
            base_fee: 1_000,
            fee_per_byte: 10,
            unbonding_period: 100,
            max_tx_bytes: 64 * 1024,
            max_block_txs: 10_000,
            max_blob_bytes: 256 << 20,
            attribution_min_len: 32,
            attribution_max_count: 10,
            inference_platform_fee: 10,
            min_contributors_bps: 1_000,
            min_provider_stake: 10_000,
            max_answer_bytes: 16 * 1024,
            min_agent_stake: 1_000,
            inference_hold_blocks: 10_000,
            fee_per_work_unit: 10,
            pending_expiry_blocks: 100_000,
            min_claim_window: 10,
            max_block_bytes: 8 << 20,
        }
    }

    /// The fee for a transaction of `encoded_len` bytes that causes no work beyond its size.
    pub fn fee_for(&self, encoded_len: usize) -> Amount {
        self.base_fee
            .saturating_add(self.fee_per_byte.saturating_mul(encoded_len as u128))
    }

    /// The fee for a transaction of `encoded_len` bytes causing `work_units` of work.
    pub fn fee_with_work(&self, encoded_len: usize, work_units: u64) -> Amount {
        self.fee_for(encoded_len)
            .saturating_add(self.fee_per_work_unit.saturating_mul(u128::from(work_units)))
    }

    /// Checks the parameters lie within [`bounds`]; returns what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        use bounds::*;
        if !(MIN_UNBONDING..=MAX_UNBONDING).contains(&self.unbonding_period) {
            return Err(format!(
                "unbonding_period must be within {MIN_UNBONDING}..={MAX_UNBONDING} blocks"
            ));
        }
        if !(MIN_TX_BYTES..=MAX_TX_BYTES).contains(&self.max_tx_bytes) {
            return Err(format!("max_tx_bytes must be within {MIN_TX_BYTES}..={MAX_TX_BYTES}"));
        }
        if !(1..=MAX_BLOCK_TXS).contains(&self.max_block_txs) {
            return Err(format!("max_block_txs must be within 1..={MAX_BLOCK_TXS}"));
        }
        if !(MIN_BLOB_BYTES..=MAX_BLOB_BYTES).contains(&self.max_blob_bytes) {
            return Err(format!(
                "max_blob_bytes must be within {MIN_BLOB_BYTES}..={MAX_BLOB_BYTES}"
            ));
        }
        if !(1..=MAX_ATTRIBUTION_MIN_LEN).contains(&self.attribution_min_len) {
            return Err(format!(
                "attribution_min_len must be within 1..={MAX_ATTRIBUTION_MIN_LEN}"
            ));
        }
        if !(1..=MAX_ATTRIBUTION_COUNT).contains(&self.attribution_max_count) {
            return Err(format!(
                "attribution_max_count must be within 1..={MAX_ATTRIBUTION_COUNT}"
            ));
        }
        if self.min_contributors_bps > 10_000 {
            return Err("min_contributors_bps must be at most 10000".into());
        }
        if !(256..=MAX_ANSWER_BYTES).contains(&self.max_answer_bytes) {
            return Err(format!("max_answer_bytes must be within 256..={MAX_ANSWER_BYTES}"));
        }
        if self.inference_platform_fee > MAX_FEE_PARAM
            || self.min_provider_stake > MAX_FEE_PARAM
            || self.min_agent_stake > MAX_FEE_PARAM
        {
            return Err(format!("inference fees and stakes must be at most {MAX_FEE_PARAM}"));
        }
        if self.max_block_bytes < self.max_tx_bytes || self.max_block_bytes > MAX_BLOCK_BYTES {
            return Err(format!(
                "max_block_bytes must be within max_tx_bytes..={MAX_BLOCK_BYTES}"
            ));
        }
        if !(1..=1_000_000).contains(&self.min_claim_window) {
            return Err("min_claim_window must be within 1..=1000000".into());
        }
        if !(1..=MAX_UNBONDING).contains(&self.pending_expiry_blocks) {
            return Err(format!("pending_expiry_blocks must be within 1..={MAX_UNBONDING}"));
        }
        if !(MIN_HOLD_BLOCKS..=MAX_UNBONDING).contains(&self.inference_hold_blocks) {
            return Err(format!(
                "inference_hold_blocks must be within {MIN_HOLD_BLOCKS}..={MAX_UNBONDING}"
            ));
        }
        if self.base_fee > MAX_FEE_PARAM || self.fee_per_byte > MAX_FEE_PARAM || self.fee_per_work_unit > MAX_FEE_PARAM
        {
            return Err(format!("fee parameters must be at most {MAX_FEE_PARAM}"));
        }
        Ok(())
    }

    /// These parameters with `update` applied (not yet validated).
    pub fn with(&self, update: &ParamsUpdate) -> Params {
        Params {
            authority: update.authority.unwrap_or(self.authority),
            base_fee: update.base_fee.unwrap_or(self.base_fee),
            fee_per_byte: update.fee_per_byte.unwrap_or(self.fee_per_byte),
            unbonding_period: update.unbonding_period.unwrap_or(self.unbonding_period),
            max_tx_bytes: update.max_tx_bytes.unwrap_or(self.max_tx_bytes),
            max_block_txs: update.max_block_txs.unwrap_or(self.max_block_txs),
            max_blob_bytes: update.max_blob_bytes.unwrap_or(self.max_blob_bytes),
            attribution_min_len: update.attribution_min_len.unwrap_or(self.attribution_min_len),
            attribution_max_count: update.attribution_max_count.unwrap_or(self.attribution_max_count),
            inference_platform_fee: update.inference_platform_fee.unwrap_or(self.inference_platform_fee),
            min_contributors_bps: update.min_contributors_bps.unwrap_or(self.min_contributors_bps),
            min_provider_stake: update.min_provider_stake.unwrap_or(self.min_provider_stake),
            max_answer_bytes: update.max_answer_bytes.unwrap_or(self.max_answer_bytes),
            min_agent_stake: update.min_agent_stake.unwrap_or(self.min_agent_stake),
            inference_hold_blocks: update.inference_hold_blocks.unwrap_or(self.inference_hold_blocks),
            fee_per_work_unit: update.fee_per_work_unit.unwrap_or(self.fee_per_work_unit),
            pending_expiry_blocks: update.pending_expiry_blocks.unwrap_or(self.pending_expiry_blocks),
            min_claim_window: update.min_claim_window.unwrap_or(self.min_claim_window),
            max_block_bytes: update.max_block_bytes.unwrap_or(self.max_block_bytes),
        }
    }
}

/// A change to some parameters; absent fields keep their value.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields, default)]
pub struct ParamsUpdate {
    /// New authority.
    pub authority: Option<Address>,
    /// New base fee.
    #[schemars(with = "Option<String>")]
    #[serde(with = "opt_amount")]
    pub base_fee: Option<Amount>,
    /// New per-byte fee.
    #[schemars(with = "Option<String>")]
    #[serde(with = "opt_amount")]
    pub fee_per_byte: Option<Amount>,
    /// New unbonding period.
    pub unbonding_period: Option<u64>,
    /// New transaction size limit.
    pub max_tx_bytes: Option<u32>,
    /// New block size limit.
    pub max_block_txs: Option<u32>,
    /// New blob size limit.
    pub max_blob_bytes: Option<u64>,
    /// New shortest attribution span.
    pub attribution_min_len: Option<u32>,
    /// New occurrence limit of attribution spans.
    pub attribution_max_count: Option<u32>,
    /// New platform fee per answer.
    #[schemars(with = "Option<String>")]
    #[serde(with = "opt_amount")]
    pub inference_platform_fee: Option<Amount>,
    /// New minimum contributors' share.
    pub min_contributors_bps: Option<u16>,
    /// New minimum provider stake.
    #[schemars(with = "Option<String>")]
    #[serde(with = "opt_amount")]
    pub min_provider_stake: Option<Amount>,
    /// New answer size limit.
    pub max_answer_bytes: Option<u32>,
    /// New least agent stake.
    #[schemars(with = "Option<String>")]
    #[serde(with = "opt_amount")]
    pub min_agent_stake: Option<Amount>,
    /// New inference hold length.
    pub inference_hold_blocks: Option<u64>,
    /// New fee per unit of work.
    #[schemars(with = "Option<String>")]
    #[serde(with = "opt_amount")]
    pub fee_per_work_unit: Option<Amount>,
    /// New review window of contributions.
    pub pending_expiry_blocks: Option<u64>,
    /// New shortest claim window.
    pub min_claim_window: Option<u64>,
    /// New block size limit in bytes.
    pub max_block_bytes: Option<u32>,
}

mod opt_amount {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<u128>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&v.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u128>, D::Error> {
        #[derive(Deserialize)]
        struct W(#[serde(with = "crate::amount::as_string")] u128);
        Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
    }
}
