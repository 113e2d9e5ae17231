//! Payable inference in the state machine: providers, models with lineage (served only with
//! their provider's consent), API keys scoped by their payer, prepaid balances, and the two steps
//! of a paid answer: a reservation that holds the most the request can cost (within the key's
//! scope: provider, model, per-request cap, spend limit, voucher), then a settlement that charges
//! the actual fee from the hold and splits it (`settle.rs`).
//!
//! Fee of an answer: `ceil((input_tokens * input_per_1k + output_tokens * output_per_1k) / 1000)`
//! plus the platform fee (to the treasury), at the prices in force when the request was reserved;
//! answer tokens are recounted by the ledger from the answer. The rest is split by the model's
//! basis points between owner, provider and contributors (largest remainder, so the parts sum
//! exactly). The provider's part is split again between the provider (weight: its own stake) and
//! the accounts that staked behind it (`DelegateToProvider`, at most 64), by stake, into the
//! stakers' claimable rewards. The contributors' part is split by the attribution weights (parts
//! per million, largest remainder) and accrues to each contribution's contributor as claimable
//! rewards. With no matching span it goes to the owners of the model's datanets, in proportion to
//! the bytes of the versions the model was built from: the curators whose data the model was
//! built from, the nearest thing to "the contributors" an unattributed answer has (a model owner
//! who adds a token datanet of its own to the lineage earns a token share).

mod settle;

pub(crate) use settle::settlement_admissible;
pub use settle::{Hold, Settled};

use crate::accounts::{prepaid_escrow, provider_delegations, rewards_pool};
use crate::blobs::{BlobSource, BlobSourceError, IndexKey};
use crate::ctx::nonzero;
use crate::ctx::{fail, Ctx, DueQueue, Outcome};
use crate::error::{StorageError, TxRejection};
use crate::keys::StateKey;
use crate::reader::read;
use crate::reader::StateReader;
use crate::{Contribution, DatanetVersion};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use sinew_attribution::{Receipt, Tokenizer, Union};
use sinew_types::amount::{self, Amount};
use sinew_types::datanet::{BlobId, Format};
use sinew_types::inference::{split_exact, KeyScope, ModelInfo, ModelStatus, Pricing, Split};
use sinew_types::params::bounds::MAX_FEE_PARAM;
use sinew_types::payload::{
    DelegateToProvider, DepositPrepaid, InferenceTx, RegisterApiKey, RegisterModel, RegisterProvider, ReserveInference,
    RevokeApiKey, ServeModel, UndelegateFromProvider, UpdateModel, WithdrawPrepaid,
};
use sinew_types::{Address, Event, Hash, Height, Params};

/// A registered inference provider.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ApiKey {
    /// The account it spends from.
    pub account: Address,
    /// Providers, models, per-request cap, spend limit, voucher key.
    pub scope: KeyScope,
    /// Settled so far.
    #[serde(with = "amount::as_string")]
    pub spent: Amount,
    /// Held by reservations not yet settled or released.
    #[serde(with = "amount::as_string")]
    pub held: Amount,
    /// Revoked keys are refused.
    pub revoked: bool,
    /// Height of registration.
    pub created_at: Height,
}

/// A prepaid inference balance.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Prepaid {
    /// Tokens held in escrow for answers.
    #[serde(with = "amount::as_string")]
    pub balance: Amount,
    /// Part of it on its way back.
    #[serde(with = "amount::as_string")]
    pub withdrawing: Amount,
    /// Part of it held by reservations of requests in progress.
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

const MAX_NAME: usize = 64;
const MAX_DATANETS: usize = 8;

/// The key's hash as stored on the ledger.
pub fn api_key_hash(key: &str) -> Hash {
    Hash::tagged(b"sinew/api-key", key.as_bytes())
}

/// A model name's state key hash.
pub fn model_name_hash(name: &str) -> Hash {
    Hash::tagged(b"sinew/model-name", name.as_bytes())
}

/// Most stakers one provider may have (each settlement credits all of them).
pub const MAX_DELEGATORS: usize = 64;

/// Splits `amount` between a provider (weight: its own stake) and its stakers (weights: their
/// stake), exactly (largest remainder; weights scaled to 40 bits to stay within the split's
/// bound, ties to the provider then to lower addresses).
pub fn provider_split(amount: Amount, own: Amount, stakers: &[(Address, Amount)]) -> Vec<Amount> {
    let weights: Vec<u128> = std::iter::once(own).chain(stakers.iter().map(|s| s.1)).collect();
    let max = weights.iter().copied().max().unwrap_or(0);
    let shift = (128 - max.leading_zeros()).saturating_sub(40);
    let scaled: Vec<u128> = weights.iter().map(|w| w >> shift).collect();
    if scaled.iter().all(|w| *w == 0) {
        // No stake anywhere: everything to the provider.
        let mut v = vec![0; weights.len()];
        v[0] = amount;
        return v;
    }
    split_exact(amount, &scaled)
}

/// A stateless refusal of an inference payload.
fn invalid(message: impl Into<String>) -> Result<(), TxRejection> {
    Err(TxRejection::InvalidInference(message.into()))
}

/// Checks of `RegisterProvider` that need no state.
pub(crate) fn check_register_provider(name: &str, endpoint: &str) -> Result<(), TxRejection> {
    if name.trim().is_empty() || name.len() > MAX_NAME {
        return invalid("provider name must be 1 to 64 bytes");
    }
    let url = endpoint.starts_with("http://") || endpoint.starts_with("https://");
    if !(endpoint == "builtin" || url) || endpoint.len() > 256 {
        return invalid("endpoint must be \"builtin\" or an http(s) URL of at most 256 bytes");
    }
    Ok(())
}

/// Checks of `RegisterModel` that need no state: names, lineage, tokenizer, split and prices.
pub(crate) fn check_register_model(
    info: &ModelInfo,
    split: &Split,
    pricing: &Pricing,
    params: &Params,
) -> Result<(), TxRejection> {
    let name_ok = |n: &str, max: usize| {
        !n.is_empty() && n.len() <= max && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:/-@".contains(&b))
    };
    if !name_ok(&info.name, MAX_NAME) {
        return invalid("model name must be 1 to 64 bytes of letters, digits and ._:/-@");
    }
    if !name_ok(&info.base_model, 128) || info.adapter.as_ref().is_some_and(|a| !name_ok(a, 128)) {
        return invalid("base model and adapter names must be 1 to 128 bytes of letters, digits and ._:/-@");
    }
    if info.datanets.is_empty() || info.datanets.len() > MAX_DATANETS {
        return invalid(format!("a model is built from 1 to {MAX_DATANETS} datanet versions"));
    }
    let mut seen = info.datanets.clone();
    seen.sort_unstable();
    seen.dedup_by_key(|d| d.0);
    if seen.len() != info.datanets.len() {
        return invalid("each datanet may appear once in a model's lineage");
    }
    if let Err(e) = info.tokenizer.parse::<Tokenizer>() {
        return invalid(e.to_string());
    }
    if !split.is_whole() {
        return invalid("split must sum to 10000 basis points");
    }
    if split.contributors_bps < params.min_contributors_bps {
        return invalid(format!(
            "contributors must get at least {} basis points",
            params.min_contributors_bps
        ));
    }
    check_pricing(pricing)
}

/// Checks of `UpdateModel` that need no state.
pub(crate) fn check_update_model(pricing: &Option<Pricing>, status: &Option<ModelStatus>) -> Result<(), TxRejection> {
    if pricing.is_none() && status.is_none() {
        return invalid("nothing to update");
    }
    pricing.as_ref().map_or(Ok(()), check_pricing)
}

/// Checks of `RegisterApiKey` that need no state: the scope's limits are in range.
pub(crate) fn check_register_api_key(scope: &KeyScope) -> Result<(), TxRejection> {
    scope.check(MAX_FEE_PARAM).map_err(TxRejection::InvalidInference)
}

/// Checks of `SettleInference` that need no state: the answer fits the record cap.
pub(crate) fn check_settle_inference(answer: &str, params: &Params) -> Result<(), TxRejection> {
    if answer.len() > params.max_answer_bytes as usize {
        return invalid(format!("answer exceeds {} bytes", params.max_answer_bytes));
    }
    Ok(())
}

/// Checks of `ReserveInference` that need no state: token counts, the fee cap, and that a
/// voucher is for this very request.
pub(crate) fn check_reserve_inference(r: &ReserveInference) -> Result<(), TxRejection> {
    if r.input_tokens > u64::from(u32::MAX) || r.max_output_tokens > u64::from(u32::MAX) {
        return invalid("token counts must be below 2^32");
    }
    if r.max_output_tokens == 0 {
        return invalid("a request may produce at least one token");
    }
    if r.max_fee == 0 || r.max_fee > MAX_FEE_PARAM {
        return invalid(format!("max_fee must be within 1..={MAX_FEE_PARAM}"));
    }
    if let Some(v) = &r.voucher {
        if v.request_id != r.request_id || v.model != r.model {
            return invalid("the voucher is for another request or model");
        }
    }
    Ok(())
}

fn check_pricing(p: &Pricing) -> Result<(), TxRejection> {
    if p.input_per_1k > MAX_FEE_PARAM || p.output_per_1k > MAX_FEE_PARAM {
        return Err(TxRejection::InvalidInference(format!(
            "prices must be at most {MAX_FEE_PARAM}"
        )));
    }
    Ok(())
}

/// The approved contributions a published version covers, in order: (number, blob, format).
pub fn version_contributions(
    state: &dyn StateReader,
    datanet: u64,
    version: u64,
) -> Result<Vec<(u64, BlobId, Format)>, BlobSourceError> {
    let storage = |e: StorageError| BlobSourceError::Storage(e.0);
    let v: DatanetVersion = read(state, &StateKey::DatanetVersion(datanet, version))
        .map_err(storage)?
        .ok_or_else(|| BlobSourceError::Ingest(format!("datanet {datanet} has no version {version}")))?;
    (0..v.contributions)
        .map(|i| {
            let seq: u64 = read(state, &StateKey::DatanetApproved(datanet, i))
                .map_err(storage)?
                .ok_or_else(|| {
                    BlobSourceError::Storage(format!("approved contribution #{i} of datanet {datanet} missing"))
                })?;
            let c: Contribution = read(state, &StateKey::Contribution(datanet, seq))
                .map_err(storage)?
                .ok_or_else(|| BlobSourceError::Storage(format!("approved contribution {seq} missing")))?;
            Ok((c.seq, c.blob, c.format))
        })
        .collect()
}

/// The corpus a model's answers are attributed against: the union of its datanet versions'
/// indexes, with its id.
pub fn model_corpus(
    state: &dyn StateReader,
    blobs: &dyn BlobSource,
    info: &ModelInfo,
) -> Result<(Union, Hash), BlobSourceError> {
    let tokenizer: Tokenizer = info
        .tokenizer
        .parse()
        .map_err(|e: sinew_attribution::TokenizerError| BlobSourceError::Ingest(e.to_string()))?;
    let mut parts = Vec::with_capacity(info.datanets.len());
    let mut ids = Vec::with_capacity(info.datanets.len());
    for &(datanet, version) in &info.datanets {
        let contributions = || version_contributions(state, datanet, version);
        let (index, id) = blobs.version_index(
            IndexKey {
                datanet,
                version,
                tokenizer,
            },
            &contributions,
        )?;
        parts.push(index);
        ids.push(id);
    }
    let id = if ids.len() == 1 { ids[0] } else { Union::id(&ids) };
    let union = Union::new(parts).map_err(|e| BlobSourceError::Ingest(e.to_string()))?;
    Ok((union, id))
}

/// The attribution receipt of `answer` for a model, with the ledger's parameters: what the
/// provider's gateway computes and `apply` recomputes.
pub fn answer_receipt(corpus: &(Union, Hash), answer: &str, params: &Params) -> Receipt {
    let p = sinew_attribution::Params {
        min_len: params.attribution_min_len as usize,
        max_count: params.attribution_max_count as usize,
    };
    sinew_attribution::receipt(&corpus.0, corpus.1, answer.as_bytes(), &p)
}

/// Checks of a inference payload that need no state.
pub(crate) fn check(tx: &InferenceTx, params: &Params) -> Result<(), TxRejection> {
    match tx {
        InferenceTx::RegisterProvider(t) => check_register_provider(&t.name, &t.endpoint),
        InferenceTx::RegisterModel(t) => check_register_model(&t.info, &t.split, &t.pricing, params),
        InferenceTx::UpdateModel(t) => check_update_model(&t.pricing, &t.status),
        InferenceTx::RegisterApiKey(t) => check_register_api_key(&t.scope),
        InferenceTx::DepositPrepaid(DepositPrepaid { amount })
        | InferenceTx::WithdrawPrepaid(WithdrawPrepaid { amount })
        | InferenceTx::DelegateToProvider(DelegateToProvider { amount, .. })
        | InferenceTx::UndelegateFromProvider(UndelegateFromProvider { amount, .. }) => nonzero(*amount),
        InferenceTx::ReserveInference(t) => check_reserve_inference(t),
        InferenceTx::SettleInference(t) => check_settle_inference(&t.answer, params),
        // Every rule of these needs state.
        InferenceTx::RevokeApiKey(_)
        | InferenceTx::ReleaseHold(_)
        | InferenceTx::ServeModel(_)
        | InferenceTx::ClaimRewards => Ok(()),
    }
}

impl<R: StateReader> Ctx<'_, R> {
    /// Runs a inference payload whose fee is paid.
    pub(crate) fn run_inference(&mut self, signer: &Address, tx: &InferenceTx, events: &mut Vec<Event>) -> Outcome {
        match tx {
            InferenceTx::RegisterProvider(t) => self.register_provider(signer, t, events),
            InferenceTx::RegisterModel(t) => self.register_model(signer, t, events),
            InferenceTx::UpdateModel(t) => self.update_model(signer, t, events),
            InferenceTx::RegisterApiKey(t) => self.register_api_key(signer, t, events),
            InferenceTx::RevokeApiKey(t) => self.revoke_api_key(signer, t, events),
            InferenceTx::DepositPrepaid(t) => self.deposit_prepaid(signer, t, events),
            InferenceTx::WithdrawPrepaid(t) => self.withdraw_prepaid(signer, t, events),
            InferenceTx::ReserveInference(t) => self.reserve(signer, t, events),
            InferenceTx::SettleInference(t) => self.settle(signer, t, events),
            InferenceTx::ReleaseHold(t) => self.release_hold_by_provider(signer, t, events),
            InferenceTx::ServeModel(t) => self.serve_model(signer, t, events),
            InferenceTx::DelegateToProvider(t) => self.delegate_to_provider(signer, t, events),
            InferenceTx::UndelegateFromProvider(t) => self.undelegate_from_provider(signer, t, events),
            InferenceTx::ClaimRewards => self.claim_rewards(signer, events),
        }
    }
}

impl<R: StateReader> Ctx<'_, R> {
    /// Adds a model to (or removes it from) the list of models its provider serves: what a
    /// gateway lists, without walking every model ever registered.
    fn index_served(&mut self, provider: &Address, model: u64, serve: bool) -> Result<(), StorageError> {
        let key = StateKey::ProviderModels(*provider, model);
        if serve {
            self.put(&key, &());
        } else {
            self.delete(&key);
        }
        Ok(())
    }

    /// Moves delegated stake out of the delegation pool into `who`'s unbonding stake.
    fn unbond_delegation(&mut self, who: &Address, amount: Amount) -> Result<(), StorageError> {
        let release_height = self.height.saturating_add(self.params().unbonding_period);
        let mut pool = self.account(&provider_delegations())?.unwrap_or_default();
        pool.balance = pool
            .balance
            .checked_sub(amount)
            .ok_or_else(|| StorageError("delegation pool is short: supply invariant broken".into()))?;
        self.put(&StateKey::Account(provider_delegations()), &pool);
        let mut a = self.account(who)?.unwrap_or_default();
        a.unbonding.push(crate::accounts::Unbonding { amount, release_height });
        self.put(&StateKey::Account(*who), &a);
        self.enqueue(DueQueue::Unbonding, release_height, who)
    }

    /// Releases prepaid withdrawals maturing at this block's height.
    pub(crate) fn release_prepaid(&mut self) -> Result<Vec<Event>, StorageError> {
        let due: Vec<Address> = self.take_due(DueQueue::Prepaid, self.height)?;
        let mut events = Vec::new();
        for who in due {
            let mut p: Prepaid = self.get(&StateKey::Prepaid(who))?.unwrap_or_default();
            if p.withdrawing == 0 || p.release_height > self.height {
                continue;
            }
            let amount = p.withdrawing.min(p.balance);
            p.balance -= amount;
            p.withdrawing = 0;
            self.put(&StateKey::Prepaid(who), &p);
            self.pay_out(&prepaid_escrow(), &who, amount)?;
            events.push(Event::Prepaid {
                account: who,
                amount,
                deposit: false,
            });
        }
        Ok(events)
    }

    /// `RegisterProvider`.
    pub(crate) fn register_provider(
        &mut self,
        signer: &Address,
        tx: &RegisterProvider,
        events: &mut Vec<Event>,
    ) -> Outcome {
        let name = &tx.name;
        let endpoint = &tx.endpoint;
        if self.get::<Provider>(&StateKey::Provider(*signer))?.is_some() {
            return fail("already_registered", format!("{signer} is already a provider"));
        }
        let staked = self.account(signer)?.map_or(0, |a| a.staked);
        let need = self.params().min_provider_stake;
        if staked < need {
            return fail(
                "insufficient_stake",
                format!("a provider must have {need} staked; {signer} has {staked}"),
            );
        }
        let p = Provider {
            address: *signer,
            name: name.to_string(),
            endpoint: endpoint.to_string(),
            registered_at: self.height,
        };
        self.put(&StateKey::Provider(*signer), &p);
        events.push(Event::ProviderRegistered { provider: *signer });
        Ok(Ok(()))
    }

    /// `RegisterModel`.
    pub(crate) fn register_model(&mut self, signer: &Address, tx: &RegisterModel, events: &mut Vec<Event>) -> Outcome {
        let info = &tx.info;
        let provider = &tx.provider;
        let pricing = &tx.pricing;
        let split = &tx.split;
        if self.get::<Provider>(&StateKey::Provider(*provider))?.is_none() {
            return fail("unknown_provider", format!("{provider} is not a registered provider"));
        }
        let name_key = StateKey::ModelName(model_name_hash(&info.name));
        if self.get::<u64>(&name_key)?.is_some() {
            return fail("name_taken", format!("a model named {:?} exists", info.name));
        }
        for &(d, v) in &info.datanets {
            if self.get::<DatanetVersion>(&StateKey::DatanetVersion(d, v))?.is_none() {
                return fail(
                    "unknown_datanet_version",
                    format!("datanet {d} has no published version {v}"),
                );
            }
        }
        let id: u64 = self.get(&StateKey::NextModelId)?.unwrap_or(0);
        self.put(&StateKey::NextModelId, &(id + 1));
        self.put(&name_key, &id);
        for &(d, _) in &info.datanets {
            self.put(&StateKey::ModelsByDatanet(d, id), &());
        }
        let m = Model {
            id,
            owner: *signer,
            info: info.clone(),
            provider: *provider,
            pricing: *pricing,
            split: *split,
            status: ModelStatus::Active,
            // A provider registering its own model consents by signing; any other
            // provider must accept it (ServeModel) before it takes requests.
            served: provider == signer,
            created_at: self.height,
            answers: 0,
            fees: 0,
        };
        self.put(&StateKey::Model(id), &m);
        if m.served {
            self.index_served(provider, id, true)?;
        }
        events.push(Event::ModelRegistered {
            model: id,
            owner: *signer,
            provider: *provider,
        });
        Ok(Ok(()))
    }

    /// `UpdateModel`.
    pub(crate) fn update_model(&mut self, signer: &Address, tx: &UpdateModel, events: &mut Vec<Event>) -> Outcome {
        let model = &tx.model;
        let pricing = &tx.pricing;
        let status = &tx.status;
        let Some(mut m) = self.get::<Model>(&StateKey::Model(*model))? else {
            return fail("unknown_model", format!("no model {model}"));
        };
        if m.owner != *signer {
            return fail("not_owner", format!("only {} may update model {model}", m.owner));
        }
        if m.status == ModelStatus::Retired {
            return fail("retired", format!("model {model} is retired"));
        }
        if let Some(p) = pricing {
            m.pricing = *p;
        }
        if let Some(s) = status {
            m.status = *s;
        }
        self.put(&StateKey::Model(*model), &m);
        events.push(Event::ModelUpdated { model: *model });
        Ok(Ok(()))
    }

    /// `RegisterApiKey`.
    pub(crate) fn register_api_key(
        &mut self,
        signer: &Address,
        tx: &RegisterApiKey,
        events: &mut Vec<Event>,
    ) -> Outcome {
        let key_hash = &tx.key_hash;
        let scope = &tx.scope;
        if self.get::<ApiKey>(&StateKey::ApiKey(*key_hash))?.is_some() {
            return fail(
                "key_exists",
                "this API key is already registered (keys are never reused)",
            );
        }
        let k = ApiKey {
            account: *signer,
            scope: scope.clone(),
            spent: 0,
            held: 0,
            revoked: false,
            created_at: self.height,
        };
        self.put(&StateKey::ApiKey(*key_hash), &k);
        events.push(Event::ApiKeyChanged {
            account: *signer,
            key_hash: *key_hash,
            revoked: false,
        });
        Ok(Ok(()))
    }

    /// `RevokeApiKey`.
    pub(crate) fn revoke_api_key(&mut self, signer: &Address, tx: &RevokeApiKey, events: &mut Vec<Event>) -> Outcome {
        let key_hash = &tx.key_hash;
        let mut k = match self.get::<ApiKey>(&StateKey::ApiKey(*key_hash))? {
            Some(k) if k.account == *signer => k,
            _ => return fail("unknown_key", "no such API key of the signer"),
        };
        if k.revoked {
            return fail("already_revoked", "the API key is already revoked");
        }
        k.revoked = true;
        self.put(&StateKey::ApiKey(*key_hash), &k);
        events.push(Event::ApiKeyChanged {
            account: *signer,
            key_hash: *key_hash,
            revoked: true,
        });
        Ok(Ok(()))
    }

    /// `DepositPrepaid`.
    pub(crate) fn deposit_prepaid(
        &mut self,
        signer: &Address,
        tx: &DepositPrepaid,
        events: &mut Vec<Event>,
    ) -> Outcome {
        let amount = &tx.amount;
        if let Err(f) = self.move_tokens(signer, &prepaid_escrow(), *amount)? {
            return Ok(Err(f));
        }
        let mut p: Prepaid = self.get(&StateKey::Prepaid(*signer))?.unwrap_or_default();
        p.balance += amount;
        self.put(&StateKey::Prepaid(*signer), &p);
        events.push(Event::Prepaid {
            account: *signer,
            amount: *amount,
            deposit: true,
        });
        Ok(Ok(()))
    }

    /// `WithdrawPrepaid`.
    pub(crate) fn withdraw_prepaid(
        &mut self,
        signer: &Address,
        tx: &WithdrawPrepaid,
        events: &mut Vec<Event>,
    ) -> Outcome {
        let amount = &tx.amount;
        let mut p: Prepaid = self.get(&StateKey::Prepaid(*signer))?.unwrap_or_default();
        if p.available() < *amount {
            return fail(
                "insufficient_prepaid",
                format!("prepaid balance available {} is less than {amount}", p.available()),
            );
        }
        let Some(release_height) = self.height.checked_add(self.params().unbonding_period) else {
            return fail("overflow", "release height overflows");
        };
        p.withdrawing += amount;
        p.release_height = release_height;
        self.put(&StateKey::Prepaid(*signer), &p);
        self.enqueue(DueQueue::Prepaid, release_height, signer)?;
        events.push(Event::PrepaidWithdrawalStarted {
            account: *signer,
            amount: *amount,
            release_height,
        });
        Ok(Ok(()))
    }

    /// `ServeModel`.
    pub(crate) fn serve_model(&mut self, signer: &Address, tx: &ServeModel, events: &mut Vec<Event>) -> Outcome {
        let model = &tx.model;
        let serve = &tx.serve;
        let Some(mut m) = self.get::<Model>(&StateKey::Model(*model))? else {
            return fail("unknown_model", format!("no model {model}"));
        };
        if m.provider != *signer {
            return fail(
                "not_provider",
                format!(
                    "only model {model}'s provider {} decides whether to serve it",
                    m.provider
                ),
            );
        }
        if m.served == *serve {
            return fail(
                "unchanged",
                format!(
                    "model {model} is already {}",
                    if *serve { "served" } else { "not served" }
                ),
            );
        }
        m.served = *serve;
        self.put(&StateKey::Model(*model), &m);
        self.index_served(signer, *model, *serve)?;
        events.push(Event::ModelServed {
            model: *model,
            provider: *signer,
            serve: *serve,
        });
        Ok(Ok(()))
    }

    /// `DelegateToProvider`.
    pub(crate) fn delegate_to_provider(
        &mut self,
        signer: &Address,
        tx: &DelegateToProvider,
        events: &mut Vec<Event>,
    ) -> Outcome {
        let provider = &tx.provider;
        let amount = &tx.amount;
        if self.get::<Provider>(&StateKey::Provider(*provider))?.is_none() {
            return fail("unknown_provider", format!("{provider} is not a registered provider"));
        }
        if provider == signer {
            return fail("self_delegation", "a provider stakes for itself with Stake");
        }
        let key = StateKey::ProviderDelegators(*provider);
        let mut stakers: Vec<(Address, Amount)> = self.get(&key)?.unwrap_or_default();
        let at = match stakers.binary_search_by(|s| s.0.cmp(signer)) {
            Ok(i) => i,
            Err(i) if stakers.len() < MAX_DELEGATORS => {
                stakers.insert(i, (*signer, 0));
                i
            }
            Err(_) => {
                // Full: the smallest stake makes room for a larger one (and unbonds), so
                // dust delegations cannot lock real stakers out.
                let (smallest, _) = stakers
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, s)| (s.1, s.0))
                    .expect("a full list is not empty");
                if stakers[smallest].1 >= *amount {
                    return fail(
                                "too_many_stakers",
                                format!(
                                    "a provider has at most {MAX_DELEGATORS} stakers; delegate more than the smallest stake {} to take its place",
                                    stakers[smallest].1
                                ),
                            );
                }
                let (evicted, stake) = stakers.remove(smallest);
                self.unbond_delegation(&evicted, stake)?;
                events.push(Event::Delegation {
                    delegator: evicted,
                    provider: *provider,
                    amount: stake,
                    delegate: false,
                });
                let i = stakers.binary_search_by(|s| s.0.cmp(signer)).unwrap_err();
                stakers.insert(i, (*signer, 0));
                i
            }
        };
        let Some(total) = stakers[at].1.checked_add(*amount).filter(|t| *t <= MAX_FEE_PARAM) else {
            return fail("overflow", "stake would exceed 2^96");
        };
        if let Err(f) = self.move_tokens(signer, &provider_delegations(), *amount)? {
            return Ok(Err(f));
        }
        stakers[at].1 = total;
        self.put(&key, &stakers);
        events.push(Event::Delegation {
            delegator: *signer,
            provider: *provider,
            amount: *amount,
            delegate: true,
        });
        Ok(Ok(()))
    }

    /// `UndelegateFromProvider`.
    pub(crate) fn undelegate_from_provider(
        &mut self,
        signer: &Address,
        tx: &UndelegateFromProvider,
        events: &mut Vec<Event>,
    ) -> Outcome {
        let provider = &tx.provider;
        let amount = &tx.amount;
        let key = StateKey::ProviderDelegators(*provider);
        let mut stakers: Vec<(Address, Amount)> = self.get(&key)?.unwrap_or_default();
        let Ok(at) = stakers.binary_search_by(|s| s.0.cmp(signer)) else {
            return fail("no_stake", format!("{signer} has no stake with {provider}"));
        };
        if stakers[at].1 < *amount {
            return fail(
                "insufficient_stake",
                format!("staked {} with this provider", stakers[at].1),
            );
        }
        stakers[at].1 -= amount;
        if stakers[at].1 == 0 {
            stakers.remove(at);
        }
        if stakers.is_empty() {
            self.delete(&key);
        } else {
            self.put(&key, &stakers);
        }
        self.unbond_delegation(signer, *amount)?;
        events.push(Event::Delegation {
            delegator: *signer,
            provider: *provider,
            amount: *amount,
            delegate: false,
        });
        Ok(Ok(()))
    }

    /// `ClaimRewards`.
    pub(crate) fn claim_rewards(&mut self, signer: &Address, events: &mut Vec<Event>) -> Outcome {
        let amount: Amount = self.get(&StateKey::Rewards(*signer))?.unwrap_or(0);
        if amount == 0 {
            return fail("nothing_to_claim", "no rewards have accrued");
        }
        self.delete(&StateKey::Rewards(*signer));
        self.pay_out(&rewards_pool(), signer, amount)?;
        events.push(Event::RewardsClaimed {
            account: *signer,
            amount,
        });
        Ok(Ok(()))
    }
}
