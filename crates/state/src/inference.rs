//! Payable inference in the state machine: providers, models with lineage, API keys bound to
//! prepaid balances, and settlement of answers: the fee is charged once per request, the
//! attribution of the answer is recomputed from the model's datanet indexes and must match the
//! receipt the provider claims, and the fee is split exactly.
//!
//! Fee of an answer: `ceil((input_tokens * input_per_1k + output_tokens * output_per_1k) / 1000)`
//! plus the platform fee (to the treasury). The rest is split by the model's basis points between
//! owner, provider and contributors (largest remainder, so the parts sum exactly). The provider's
//! part is split again between the provider (weight: its own stake) and the accounts that staked
//! behind it (`DelegateToProvider`, at most 64), by stake, into the stakers' claimable rewards. The
//! contributors' part is split by the attribution weights (parts per million, largest remainder)
//! and accrues to each contribution's contributor as claimable rewards. With no matching span it
//! goes, in equal parts, to the owners of the model's datanets: the curators whose data the model
//! was built from, the nearest thing to "the contributors" an unattributed answer has.

use crate::datanet::{BlobSource, BlobSourceError, IndexKey};
use crate::error::{StorageError, TxRejection};
use crate::executor::{fail, read, treasury, BlockExecutor, Failure};
use crate::keys::StateKey;
use crate::reader::StateReader;
use crate::{Contribution, Datanet, DatanetVersion};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use sinew_attribution::{Receipt, Tokenizer, Union};
use sinew_types::amount::{self, Amount};
use sinew_types::datanet::{BlobId, Format};
use sinew_types::inference::{split_exact, ModelInfo, ModelStatus, Pricing, Split};
use sinew_types::params::bounds::MAX_FEE_PARAM;
use sinew_types::{Address, Event, Hash, Height, Params, Payload};

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
    /// Serving or not.
    pub status: ModelStatus,
    /// Height of registration.
    pub created_at: Height,
    /// Answers settled.
    pub answers: u64,
    /// Fees settled in all.
    #[serde(with = "amount::as_string")]
    pub fees: Amount,
}

/// An API key bound to an account's prepaid balance.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ApiKey {
    /// The account it spends from.
    pub account: Address,
    /// Most it may spend (0: no limit).
    #[serde(with = "amount::as_string")]
    pub spend_limit: Amount,
    /// Spent so far.
    #[serde(with = "amount::as_string")]
    pub spent: Amount,
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
    /// Part of it on its way back (still chargeable until released).
    #[serde(with = "amount::as_string")]
    pub withdrawing: Amount,
    /// When the withdrawal is released.
    pub release_height: Height,
}

impl Prepaid {
    /// What new requests may still spend.
    pub fn available(&self) -> Amount {
        self.balance.saturating_sub(self.withdrawing)
    }
}

/// A settled request.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Settled {
    /// The model.
    pub model: u64,
    /// Height of settlement.
    pub height: Height,
    /// Fee charged.
    #[serde(with = "amount::as_string")]
    pub fee: Amount,
}

/// The module account holding prepaid balances.
pub fn prepaid_escrow() -> Address {
    Address::module("inference-prepaid")
}

/// The module account holding accrued, unclaimed rewards.
pub fn rewards_pool() -> Address {
    Address::module("rewards")
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

/// Whether a payload belongs to this module.
pub fn is_inference(p: &Payload) -> bool {
    matches!(
        p,
        Payload::RegisterProvider { .. }
            | Payload::RegisterModel { .. }
            | Payload::UpdateModel { .. }
            | Payload::RegisterApiKey { .. }
            | Payload::RevokeApiKey { .. }
            | Payload::DepositPrepaid { .. }
            | Payload::WithdrawPrepaid { .. }
            | Payload::SettleInference { .. }
            | Payload::ClaimRewards
            | Payload::DelegateToProvider { .. }
            | Payload::UndelegateFromProvider { .. }
    )
}

/// The module account holding stake delegated to providers.
pub fn provider_delegations() -> Address {
    Address::module("provider-delegations")
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

/// Checks of inference payloads that need no state.
pub fn stateless_checks(payload: &Payload, params: &Params) -> Result<(), TxRejection> {
    let bad = |m: String| Err(TxRejection::InvalidInference(m));
    match payload {
        Payload::RegisterProvider { name, endpoint } => {
            if name.trim().is_empty() || name.len() > MAX_NAME {
                return bad("provider name must be 1 to 64 bytes".into());
            }
            let url = endpoint.starts_with("http://") || endpoint.starts_with("https://");
            if !(endpoint == "builtin" || url) || endpoint.len() > 256 {
                return bad("endpoint must be \"builtin\" or an http(s) URL of at most 256 bytes".into());
            }
        }
        Payload::RegisterModel {
            info, split, pricing, ..
        } => {
            let name_ok = |n: &str, max: usize| {
                !n.is_empty()
                    && n.len() <= max
                    && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:/-@".contains(&b))
            };
            if !name_ok(&info.name, MAX_NAME) {
                return bad("model name must be 1 to 64 bytes of letters, digits and ._:/-@".into());
            }
            if !name_ok(&info.base_model, 128) || info.adapter.as_ref().is_some_and(|a| !name_ok(a, 128)) {
                return bad("base model and adapter names must be 1 to 128 bytes of letters, digits and ._:/-@".into());
            }
            if info.datanets.is_empty() || info.datanets.len() > MAX_DATANETS {
                return bad(format!("a model is built from 1 to {MAX_DATANETS} datanet versions"));
            }
            let mut seen = info.datanets.clone();
            seen.sort_unstable();
            seen.dedup_by_key(|d| d.0);
            if seen.len() != info.datanets.len() {
                return bad("each datanet may appear once in a model's lineage".into());
            }
            if let Err(e) = info.tokenizer.parse::<Tokenizer>() {
                return bad(e.to_string());
            }
            if !split.is_whole() {
                return bad("split must sum to 10000 basis points".into());
            }
            if split.contributors_bps < params.min_contributors_bps {
                return bad(format!(
                    "contributors must get at least {} basis points",
                    params.min_contributors_bps
                ));
            }
            check_pricing(pricing)?;
        }
        Payload::UpdateModel { pricing, status, .. } => {
            if pricing.is_none() && status.is_none() {
                return bad("nothing to update".into());
            }
            if let Some(p) = pricing {
                check_pricing(p)?;
            }
        }
        Payload::RegisterApiKey { spend_limit, .. } => {
            if *spend_limit > MAX_FEE_PARAM {
                return bad(format!("spend limit must be at most {MAX_FEE_PARAM}"));
            }
        }
        Payload::DepositPrepaid { amount } | Payload::WithdrawPrepaid { amount } => {
            if *amount == 0 {
                return Err(TxRejection::ZeroAmount);
            }
        }
        Payload::SettleInference {
            answer,
            input_tokens,
            output_tokens,
            ..
        } => {
            if answer.len() > params.max_answer_bytes as usize {
                return bad(format!("answer exceeds {} bytes", params.max_answer_bytes));
            }
            if *input_tokens > u64::from(u32::MAX) || *output_tokens > u64::from(u32::MAX) {
                return bad("token counts must be below 2^32".into());
            }
        }
        Payload::DelegateToProvider { amount, .. } | Payload::UndelegateFromProvider { amount, .. } => {
            if *amount == 0 {
                return Err(TxRejection::ZeroAmount);
            }
        }
        Payload::RevokeApiKey { .. } | Payload::ClaimRewards => {}
        _ => unreachable!("not an inference payload"),
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
    let approved: Vec<u64> = read(state, &StateKey::DatanetApproved(datanet))
        .map_err(storage)?
        .unwrap_or_default();
    approved
        .iter()
        .take(v.contributions as usize)
        .map(|seq| {
            let c: Contribution = read(state, &StateKey::Contribution(datanet, *seq))
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

impl<R: StateReader> BlockExecutor<'_, R> {
    /// Credits `amount` to `to`'s balance out of module account `from`.
    pub(crate) fn pay_out(&mut self, from: &Address, to: &Address, amount: Amount) -> Result<(), StorageError> {
        if amount == 0 {
            return Ok(());
        }
        let mut a = self.account(from)?.unwrap_or_default();
        a.balance = a
            .balance
            .checked_sub(amount)
            .ok_or_else(|| StorageError(format!("module account {from} is short: supply invariant broken")))?;
        self.put(&StateKey::Account(*from), &a);
        let mut b = self.account(to)?.unwrap_or_default();
        b.balance = b
            .balance
            .checked_add(amount)
            .ok_or_else(|| StorageError("balance overflow: supply invariant broken".into()))?;
        self.put(&StateKey::Account(*to), &b);
        Ok(())
    }

    /// Releases prepaid withdrawals maturing at this block's height.
    pub(crate) fn release_prepaid(&mut self) -> Result<Vec<Event>, StorageError> {
        let due_key = StateKey::PrepaidDue(self.height);
        let Some(due) = self.get::<Vec<Address>>(&due_key)? else {
            return Ok(vec![]);
        };
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
        self.delete(&due_key);
        Ok(events)
    }

    /// Executes an inference payload.
    pub(crate) fn run_inference(
        &mut self,
        signer: &Address,
        payload: &Payload,
        events: &mut Vec<Event>,
    ) -> Result<Result<(), Failure>, StorageError> {
        match payload {
            Payload::RegisterProvider { name, endpoint } => {
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
                    name: name.clone(),
                    endpoint: endpoint.clone(),
                    registered_at: self.height,
                };
                self.put(&StateKey::Provider(*signer), &p);
                events.push(Event::ProviderRegistered { provider: *signer });
            }
            Payload::RegisterModel {
                info,
                provider,
                pricing,
                split,
            } => {
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
                    let key = StateKey::ModelsByDatanet(d);
                    let mut models: Vec<u64> = self.get(&key)?.unwrap_or_default();
                    models.push(id);
                    self.put(&key, &models);
                }
                let m = Model {
                    id,
                    owner: *signer,
                    info: info.clone(),
                    provider: *provider,
                    pricing: *pricing,
                    split: *split,
                    status: ModelStatus::Active,
                    created_at: self.height,
                    answers: 0,
                    fees: 0,
                };
                self.put(&StateKey::Model(id), &m);
                events.push(Event::ModelRegistered {
                    model: id,
                    owner: *signer,
                    provider: *provider,
                });
            }
            Payload::UpdateModel { model, pricing, status } => {
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
            }
            Payload::RegisterApiKey { key_hash, spend_limit } => {
                if self.get::<ApiKey>(&StateKey::ApiKey(*key_hash))?.is_some() {
                    return fail(
                        "key_exists",
                        "this API key is already registered (keys are never reused)",
                    );
                }
                let k = ApiKey {
                    account: *signer,
                    spend_limit: *spend_limit,
                    spent: 0,
                    revoked: false,
                    created_at: self.height,
                };
                self.put(&StateKey::ApiKey(*key_hash), &k);
                events.push(Event::ApiKeyChanged {
                    account: *signer,
                    key_hash: *key_hash,
                    revoked: false,
                });
            }
            Payload::RevokeApiKey { key_hash } => {
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
            }
            Payload::DepositPrepaid { amount } => {
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
            }
            Payload::WithdrawPrepaid { amount } => {
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
                self.enqueue_due(StateKey::PrepaidDue(release_height), signer)?;
                events.push(Event::PrepaidWithdrawalStarted {
                    account: *signer,
                    amount: *amount,
                    release_height,
                });
            }
            Payload::SettleInference {
                model,
                api_key,
                request_id,
                input_tokens,
                output_tokens,
                answer,
                receipt,
                ..
            } => {
                return self.settle(
                    signer,
                    *model,
                    api_key,
                    request_id,
                    (*input_tokens, *output_tokens),
                    answer,
                    receipt,
                    events,
                )
            }
            Payload::DelegateToProvider { provider, amount } => {
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
                        return fail(
                            "too_many_stakers",
                            format!("a provider has at most {MAX_DELEGATORS} stakers"),
                        )
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
            }
            Payload::UndelegateFromProvider { provider, amount } => {
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
                // The tokens leave the pool now and unbond in the account, like own stake.
                let release_height = self.height + self.params().unbonding_period;
                let mut pool = self.account(&provider_delegations())?.unwrap_or_default();
                pool.balance = pool
                    .balance
                    .checked_sub(*amount)
                    .ok_or_else(|| StorageError("delegation pool is short: supply invariant broken".into()))?;
                self.put(&StateKey::Account(provider_delegations()), &pool);
                let mut a = self.account(signer)?.expect("signer account exists: fee was charged");
                a.unbonding.push(crate::account::Unbonding {
                    amount: *amount,
                    release_height,
                });
                self.put(&StateKey::Account(*signer), &a);
                self.enqueue_due(StateKey::UnbondingDue(release_height), signer)?;
                events.push(Event::Delegation {
                    delegator: *signer,
                    provider: *provider,
                    amount: *amount,
                    delegate: false,
                });
            }
            Payload::ClaimRewards => {
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
            }
            _ => unreachable!("not an inference payload"),
        }
        Ok(Ok(()))
    }

    #[allow(clippy::too_many_arguments)]
    fn settle(
        &mut self,
        signer: &Address,
        model_id: u64,
        api_key: &Hash,
        request_id: &Hash,
        (input_tokens, output_tokens): (u64, u64),
        answer: &str,
        claimed: &Hash,
        events: &mut Vec<Event>,
    ) -> Result<Result<(), Failure>, StorageError> {
        let mut m = match self.get::<Model>(&StateKey::Model(model_id))? {
            Some(m) if m.status == ModelStatus::Active => m,
            Some(_) => return fail("model_unavailable", format!("model {model_id} is not active")),
            None => return fail("unknown_model", format!("no model {model_id}")),
        };
        if m.provider != *signer {
            return fail(
                "not_provider",
                format!("only provider {} settles model {model_id}", m.provider),
            );
        }
        let mut key = match self.get::<ApiKey>(&StateKey::ApiKey(*api_key))? {
            Some(k) if !k.revoked => k,
            Some(_) => return fail("revoked_key", "the API key is revoked"),
            None => return fail("unknown_key", "no such API key"),
        };
        if self.get::<Settled>(&StateKey::Settled(*request_id))?.is_some() {
            return fail("already_settled", format!("request {request_id} is already settled"));
        }
        let platform = self.params().inference_platform_fee;
        let Some(fee) = m
            .pricing
            .price(input_tokens, output_tokens)
            .and_then(|p| p.checked_add(platform))
        else {
            return fail("overflow", "the fee overflows");
        };
        let payer = key.account;
        let mut prepaid: Prepaid = self.get(&StateKey::Prepaid(payer))?.unwrap_or_default();
        if prepaid.balance < fee {
            return fail(
                "insufficient_prepaid",
                format!("prepaid balance {} cannot pay {fee}", prepaid.balance),
            );
        }
        if key.spend_limit > 0 && key.spent.saturating_add(fee) > key.spend_limit {
            return fail(
                "spend_limit",
                format!("the key's spend limit {} would be exceeded", key.spend_limit),
            );
        }
        // The attribution is recomputed here, by every node, from the model's datanet indexes.
        let corpus = match model_corpus(self, self.blobs, &m.info) {
            Ok(c) => c,
            Err(BlobSourceError::Storage(e)) => return Err(StorageError(e)),
            Err(e) => return fail("index_unavailable", e.to_string()),
        };
        let receipt = answer_receipt(&corpus, answer, self.params());
        if receipt.digest() != *claimed {
            return fail(
                "receipt_mismatch",
                format!(
                    "the claimed attribution receipt {claimed} differs from the recomputed {}",
                    receipt.digest()
                ),
            );
        }
        // Split: platform, then owner / provider / contributors by basis points.
        let rest = fee - platform;
        let s = m.split;
        let parts = split_exact(
            rest,
            &[s.owner_bps.into(), s.provider_bps.into(), s.contributors_bps.into()],
        );
        let (owner, provider, contributors) = (parts[0], parts[1], parts[2]);
        let escrow = prepaid_escrow();
        self.pay_out(&escrow, &treasury(), platform)?;
        self.pay_out(&escrow, &m.owner, owner)?;
        // The provider's share is split with its stakers by stake (its own stake counts for it).
        let stakers: Vec<(Address, Amount)> = self.get(&StateKey::ProviderDelegators(m.provider))?.unwrap_or_default();
        let own = self.account(&m.provider)?.map_or(0, |a| a.staked);
        let shares = provider_split(provider, own, &stakers);
        self.pay_out(&escrow, &m.provider, shares[0])?;
        let mut to_stakers: Amount = 0;
        for ((who, _), amount) in stakers.iter().zip(&shares[1..]) {
            if *amount > 0 {
                let r: Amount = self.get(&StateKey::Rewards(*who))?.unwrap_or(0);
                self.put(&StateKey::Rewards(*who), &(r + amount));
                to_stakers += amount;
            }
        }
        let mut recipients: Vec<(Address, u64, u64)> = Vec::new();
        let weights: Vec<u128> = if receipt.weights.is_empty() {
            // No matching span: the datanets' owners, equally.
            for &(d, _) in &m.info.datanets {
                let dn: Datanet = self
                    .get(&StateKey::Datanet(d))?
                    .ok_or_else(|| StorageError(format!("model lineage names missing datanet {d}")))?;
                recipients.push((dn.owner, d, u64::MAX));
            }
            vec![1; recipients.len()]
        } else {
            for (tagged, _) in &receipt.weights {
                let (part, c) = Union::split_tag(*tagged);
                let d = m.info.datanets[part].0;
                let contribution: Contribution = self
                    .get(&StateKey::Contribution(d, c))?
                    .ok_or_else(|| StorageError(format!("attributed contribution {d}/{c} missing")))?;
                recipients.push((contribution.contributor, d, c));
            }
            receipt.weights.iter().map(|w| u128::from(w.1)).collect()
        };
        let amounts = split_exact(contributors, &weights);
        let pool = rewards_pool();
        let mut pooled: Amount = 0;
        for ((who, datanet, contribution), amount) in recipients.into_iter().zip(amounts) {
            if amount == 0 {
                continue;
            }
            let r: Amount = self.get(&StateKey::Rewards(who))?.unwrap_or(0);
            self.put(&StateKey::Rewards(who), &(r + amount));
            pooled += amount;
            events.push(Event::RewardAccrued {
                account: who,
                datanet,
                contribution,
                amount,
            });
        }
        debug_assert_eq!(pooled, contributors);
        let pooled = pooled + to_stakers;
        self.pay_out(&escrow, &pool, pooled)?;
        prepaid.balance -= fee;
        self.put(&StateKey::Prepaid(payer), &prepaid);
        key.spent += fee;
        self.put(&StateKey::ApiKey(*api_key), &key);
        self.put(
            &StateKey::Settled(*request_id),
            &Settled {
                model: model_id,
                height: self.height,
                fee,
            },
        );
        m.answers += 1;
        m.fees = m.fees.saturating_add(fee);
        self.put(&StateKey::Model(model_id), &m);
        events.push(Event::InferenceSettled {
            model: model_id,
            payer,
            request_id: *request_id,
            fee,
            platform,
            owner,
            provider,
            contributors,
        });
        Ok(Ok(()))
    }
}
