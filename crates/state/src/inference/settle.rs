//! The two steps of a paid answer, and why a hostile party gains nothing between them.
//!
//! ```text
//!  ReserveInference (provider) ──> Hold ──┬─> SettleInference (provider): fee charged from the
//!   checks the payer's consent:           │     hold, split; the rest returns
//!   key scope (provider, model, cap,      ├─> ReleaseHold (provider): all returns
//!   spend limit), voucher, funds          └─> expiry (ledger, `inference_hold_blocks`): all returns
//! ```
//!
//! - The payer consents through its API key's scope (and, for voucher keys, a signature per
//!   request): no provider can charge a key that did not name it, or more than its caps.
//! - The fee is fixed by the hold: prices and prompt tokens as reserved, answer tokens recounted
//!   here from the answer, never more than the held amount. A price change reaches only later
//!   requests.
//! - Once held, nothing the payer does (revoking the key, withdrawing, spending elsewhere) can make
//!   the settlement fail: the hold is excluded from what can be withdrawn or reserved again, and
//!   the settlement checks neither revocation nor balance. A settlement without a live hold is
//!   *rejected* (never included), so an unpaid answer is never published in a block.

use super::{answer_receipt, model_corpus, provider_split};
use crate::accounts::{prepaid_escrow, rewards_pool, treasury};
use crate::ctx::{fail, Ctx, DueQueue, Outcome};
use crate::error::{StorageError, TxRejection};
use crate::keys::StateKey;
use crate::reader::StateReader;
use crate::{Contribution, Datanet, DatanetVersion, Provider};
use sinew_attribution::{Tokenizer, Union};
use sinew_types::amount::Amount;
use sinew_types::event::InferenceEvent;
use sinew_types::failure::{InferenceFailure, LedgerFailure};
use sinew_types::inference::{split_exact, ModelId};
use sinew_types::payload::{ReleaseHold, ReserveInference, SettleInference};
use sinew_types::records::Delegation;
use sinew_types::records::{ApiKey, Hold, Model, Prepaid, Settled};
use sinew_types::{Address, Event, Hash};

/// Whether a settlement may be included at all: it needs a live hold reserved by its signer.
/// Without one it is rejected (no fee, not in a block), so its answer is never published.
pub(crate) fn settlement_admissible(
    reader: &dyn StateReader,
    signer: &Address,
    request_id: &Hash,
) -> Result<(), TxRejection> {
    let hold: Option<Hold> = crate::reader::read(reader, &StateKey::Hold(*request_id))?;
    match hold {
        Some(h) if h.provider == *signer => Ok(()),
        Some(_) => Err(TxRejection::NoReservation(format!(
            "request {request_id} was reserved by another provider"
        ))),
        None => Err(TxRejection::NoReservation(format!(
            "request {request_id} has no live reservation (never reserved, settled, released or expired)"
        ))),
    }
}

impl<R: StateReader> Ctx<'_, R> {
    /// `ReserveInference`: checks the payer's consent and holds the most the request can cost.
    pub(super) fn reserve(&mut self, signer: &Address, tx: &ReserveInference, events: &mut Vec<Event>) -> Outcome {
        let m = self.served_model(signer, tx.model)?;
        let mut key = self.chargeable_key(signer, tx)?;
        if self.get::<Hold>(&StateKey::Hold(tx.request_id))?.is_some()
            || self.get::<Settled>(&StateKey::Settled(tx.request_id))?.is_some()
        {
            return fail(
                InferenceFailure::RequestExists,
                format!("request {} was already reserved", tx.request_id),
            );
        }
        let platform_fee = self.params().inference_platform_fee;
        let amount = reservation_amount(&m, &key, tx, platform_fee)?;
        self.check_voucher(&key, tx, amount)?;
        let payer = key.account;
        let mut prepaid: Prepaid = self.get(&StateKey::Prepaid(payer))?.unwrap_or_default();
        if prepaid.available() < amount {
            return fail(
                InferenceFailure::InsufficientPrepaid,
                format!("prepaid balance available {} cannot hold {amount}", prepaid.available()),
            );
        }
        let expires_at = self.height.saturating_add(self.params().inference_hold_blocks);
        prepaid.held += amount;
        key.held += amount;
        self.put(&StateKey::Prepaid(payer), &prepaid);
        self.put(&StateKey::ApiKey(tx.api_key), &key);
        let hold = Hold {
            request_id: tx.request_id,
            payer,
            api_key: tx.api_key,
            model: tx.model,
            provider: *signer,
            prompt_hash: tx.prompt_hash,
            input_tokens: tx.input_tokens,
            max_output_tokens: tx.max_output_tokens,
            pricing: m.pricing,
            platform_fee,
            amount,
            height: self.height,
            expires_at,
        };
        self.put(&StateKey::Hold(tx.request_id), &hold);
        self.enqueue(DueQueue::Hold, expires_at, &tx.request_id)?;
        events.push(Event::Inference(InferenceEvent::InferenceReserved {
            model: tx.model,
            payer,
            provider: *signer,
            request_id: tx.request_id,
            amount,
        }));
        Ok(())
    }

    /// The model, if `provider` serves it now: it is the model's provider, the model takes
    /// requests, and the provider is registered and still holds the stake serving needs (it may
    /// have unstaked since it registered).
    fn served_model(&self, provider: &Address, model: ModelId) -> Outcome<Model> {
        let Some(m) = self.get::<Model>(&StateKey::Model(model))? else {
            return fail(InferenceFailure::UnknownModel, format!("no model {model}"));
        };
        if m.provider != *provider {
            return fail(
                InferenceFailure::NotProvider,
                format!("only model {model}'s provider {} reserves its requests", m.provider),
            );
        }
        if !m.takes_requests() {
            return fail(
                InferenceFailure::ModelUnavailable,
                format!("model {model} is not taking requests (paused, retired, or not accepted by its provider)"),
            );
        }
        if self.get::<Provider>(&StateKey::Provider(*provider))?.is_none() {
            return fail(
                InferenceFailure::UnknownProvider,
                format!("{provider} is not a registered provider"),
            );
        }
        let staked = self.account(provider)?.map_or(0, |a| a.staked);
        let need = self.params().min_provider_stake;
        if staked < need {
            return fail(
                LedgerFailure::InsufficientStake,
                format!("a provider must keep {need} staked to serve; {provider} has {staked}"),
            );
        }
        Ok(m)
    }

    /// The API key the request charges, if it is live and its scope lets `provider` charge it
    /// for the model.
    fn chargeable_key(&self, provider: &Address, tx: &ReserveInference) -> Outcome<ApiKey> {
        let key = match self.get::<ApiKey>(&StateKey::ApiKey(tx.api_key))? {
            Some(k) if !k.revoked => k,
            Some(_) => return fail(InferenceFailure::RevokedKey, "the API key is revoked"),
            None => return fail(InferenceFailure::UnknownKey, "no such API key"),
        };
        if !key.scope.allows(provider, tx.model) {
            return fail(
                InferenceFailure::OutOfScope,
                format!(
                    "the API key does not allow provider {provider} to charge it for model {}",
                    tx.model
                ),
            );
        }
        Ok(key)
    }

    /// The payer's signed consent, when the key asks for one: signed by the key's voucher key,
    /// not expired, and covering `amount`.
    fn check_voucher(&self, key: &ApiKey, tx: &ReserveInference, amount: Amount) -> Outcome {
        match (&key.scope.voucher_key, &tx.voucher) {
            (Some(vk), Some(v)) => {
                if !v.verify(self.chain_id(), &tx.api_key, vk) {
                    return fail(
                        InferenceFailure::BadVoucher,
                        "the voucher is not signed by the key's voucher key",
                    );
                }
                if self.height > v.valid_until {
                    return fail(
                        InferenceFailure::VoucherExpired,
                        format!("the voucher was valid until height {}", v.valid_until),
                    );
                }
                if amount > v.max_fee {
                    return fail(
                        InferenceFailure::OverVoucher,
                        format!("the request may cost {amount}, more than the voucher's {}", v.max_fee),
                    );
                }
                Ok(())
            }
            (Some(_), None) => fail(
                InferenceFailure::VoucherRequired,
                "this API key pays only for requests with a voucher",
            ),
            (None, Some(_)) => fail(
                InferenceFailure::NoVoucherKey,
                "this API key has no voucher key to check a voucher against",
            ),
            (None, None) => Ok(()),
        }
    }

    /// Returns a hold to its payer's available balance and forgets it.
    fn drop_hold(&mut self, h: &Hold) -> Result<(), StorageError> {
        let mut prepaid: Prepaid = self.get(&StateKey::Prepaid(h.payer))?.unwrap_or_default();
        prepaid.held = prepaid
            .held
            .checked_sub(h.amount)
            .ok_or_else(|| StorageError::new("prepaid hold is short: invariant broken"))?;
        self.put(&StateKey::Prepaid(h.payer), &prepaid);
        if let Some(mut key) = self.get::<ApiKey>(&StateKey::ApiKey(h.api_key))? {
            key.held = key.held.saturating_sub(h.amount);
            self.put(&StateKey::ApiKey(h.api_key), &key);
        }
        self.delete(&StateKey::Hold(h.request_id));
        Ok(())
    }

    /// `ReleaseHold`: the provider gives a request up.
    pub(super) fn release_hold_by_provider(
        &mut self,
        signer: &Address,
        tx: &ReleaseHold,
        events: &mut Vec<Event>,
    ) -> Outcome {
        let request_id = &tx.request_id;
        let h = match self.get::<Hold>(&StateKey::Hold(*request_id))? {
            Some(h) if h.provider == *signer => h,
            Some(_) => {
                return fail(
                    InferenceFailure::NotProvider,
                    "only the provider that reserved releases a hold",
                )
            }
            None => return fail(InferenceFailure::NoHold, format!("request {request_id} holds nothing")),
        };
        self.drop_hold(&h)?;
        events.push(Event::Inference(InferenceEvent::HoldReleased {
            payer: h.payer,
            request_id: *request_id,
            amount: h.amount,
            expired: false,
        }));
        Ok(())
    }

    /// Releases holds expiring at this block's height (settled or released ones are gone).
    pub(crate) fn release_expired_holds(&mut self) -> Result<Vec<Event>, StorageError> {
        let ids: Vec<Hash> = self.take_due(DueQueue::Hold, self.height)?;
        let mut events = Vec::new();
        for id in ids {
            // Only the hold this entry was queued for: a request released and reserved again
            // has a later expiry of its own.
            if let Some(h) = self
                .get::<Hold>(&StateKey::Hold(id))?
                .filter(|h| h.expires_at == self.height)
            {
                self.drop_hold(&h)?;
                events.push(Event::Inference(InferenceEvent::HoldReleased {
                    payer: h.payer,
                    request_id: id,
                    amount: h.amount,
                    expired: true,
                }));
            }
        }
        Ok(events)
    }

    /// `SettleInference`: recounts the answer, recomputes its attribution, charges the fee from
    /// the hold and splits it. Admissibility (a live hold of the signer) was checked before the
    /// fee was charged.
    pub(super) fn settle(&mut self, signer: &Address, tx: &SettleInference, events: &mut Vec<Event>) -> Outcome {
        let request_id = &tx.request_id;
        let h: Hold = self
            .get::<Hold>(&StateKey::Hold(*request_id))?
            .filter(|h| h.provider == *signer)
            .ok_or_else(|| StorageError::new("settlement admitted without its hold"))?;
        let mut m: Model = self
            .get(&StateKey::Model(h.model))?
            .ok_or_else(|| StorageError::new(format!("held model {} missing", h.model)))?;
        let (fee, output_tokens) = answer_fee(&h, &m, &tx.answer)?;
        // The attribution is recomputed here, by every node, from the model's datanet indexes.
        let corpus = match model_corpus(self, self.blobs, &m.info) {
            Ok(c) => c,
            Err(e) => return e.halt(InferenceFailure::IndexUnavailable),
        };
        let receipt = answer_receipt(&corpus, &tx.answer, self.params());
        if receipt.digest() != tx.receipt {
            return fail(
                InferenceFailure::ReceiptMismatch,
                format!(
                    "the claimed attribution receipt {} differs from the recomputed {}",
                    tx.receipt,
                    receipt.digest()
                ),
            );
        }
        self.drop_hold(&h)?;
        let parts = self.split_fee(&m, fee, h.platform_fee, &receipt.weights, events)?;
        let mut prepaid: Prepaid = self.get(&StateKey::Prepaid(h.payer))?.unwrap_or_default();
        prepaid.balance = prepaid
            .balance
            .checked_sub(fee)
            .ok_or_else(|| StorageError::new("prepaid balance below its hold: invariant broken"))?;
        self.put(&StateKey::Prepaid(h.payer), &prepaid);
        if let Some(mut key) = self.get::<ApiKey>(&StateKey::ApiKey(h.api_key))? {
            key.spent = key.spent.saturating_add(fee);
            self.put(&StateKey::ApiKey(h.api_key), &key);
        }
        self.put(
            &StateKey::Settled(*request_id),
            &Settled {
                model: h.model,
                height: self.height,
                fee,
            },
        );
        m.answers += 1;
        m.fees = m.fees.saturating_add(fee);
        self.put(&StateKey::Model(h.model), &m);
        events.push(Event::Inference(InferenceEvent::InferenceSettled {
            model: h.model,
            payer: h.payer,
            request_id: *request_id,
            fee,
            platform: h.platform_fee,
            owner: parts[0],
            provider: parts[1],
            contributors: parts[2],
            input_tokens: h.input_tokens,
            output_tokens,
        }));
        Ok(())
    }

    /// Pays `fee` out of the prepaid escrow: platform fee to the treasury, then owner / provider
    /// (with its stakers) / contributors (by attribution weight) by the model's basis points.
    /// Returns the owner, provider and contributors parts.
    fn split_fee(
        &mut self,
        m: &Model,
        fee: Amount,
        platform: Amount,
        weights: &[(u64, u32)],
        events: &mut Vec<Event>,
    ) -> Result<[Amount; 3], StorageError> {
        let rest = fee - platform;
        let s = m.split;
        let parts = split_exact(
            rest,
            &[s.owner_bps.into(), s.provider_bps.into(), s.contributors_bps.into()],
        );
        let (owner, provider, contributors) = (parts[0], parts[1], parts[2]);
        debug_assert_eq!(
            platform + owner + provider + contributors,
            fee,
            "a fee's parts sum to the fee"
        );
        let escrow = prepaid_escrow();
        self.pay_out(&escrow, &treasury(), platform)?;
        self.pay_out(&escrow, &m.owner, owner)?;
        // The provider's share is split with its stakers by stake (its own stake counts for it).
        let stakers: Vec<Delegation> = self.get(&StateKey::ProviderDelegators(m.provider))?.unwrap_or_default();
        let own = self.account(&m.provider)?.map_or(0, |a| a.staked);
        let shares = provider_split(provider, own, &stakers);
        debug_assert_eq!(
            shares.iter().sum::<Amount>(),
            provider,
            "the provider's part is split whole"
        );
        self.pay_out(&escrow, &m.provider, shares[0])?;
        let mut pooled: Amount = 0;
        for (Delegation { staker: who, .. }, amount) in stakers.iter().zip(&shares[1..]) {
            if *amount > 0 {
                self.accrue(who, *amount)?;
                pooled += amount;
                events.push(Event::Inference(InferenceEvent::StakerRewarded {
                    staker: *who,
                    provider: m.provider,
                    amount: *amount,
                }));
            }
        }
        let mut recipients: Vec<(Address, u64, u64)> = Vec::new();
        let split_weights: Vec<u128> = if weights.is_empty() {
            // No matching span: the datanets' owners, by the bytes of the versions the model
            // was built from (a token datanet of the model owner's own earns a token share).
            let mut bytes = Vec::new();
            for &(d, v) in &m.info.datanets {
                let dn: Datanet = self
                    .get(&StateKey::Datanet(d))?
                    .ok_or_else(|| StorageError::new(format!("model lineage names missing datanet {d}")))?;
                let version: DatanetVersion = self
                    .get(&StateKey::DatanetVersion(d, v))?
                    .ok_or_else(|| StorageError::new(format!("model lineage names missing version {d}/{v}")))?;
                recipients.push((dn.owner, d, u64::MAX));
                bytes.push(u128::from(version.bytes));
            }
            // Scaled to 40 bits (the split's bound), at least 1 each.
            let shift = (128 - bytes.iter().copied().max().unwrap_or(0).leading_zeros()).saturating_sub(40);
            bytes.iter().map(|b| (b >> shift).max(1)).collect()
        } else {
            for (tagged, _) in weights {
                let (part, c) = Union::split_tag(*tagged);
                let d = m.info.datanets[part].0;
                let contribution: Contribution = self
                    .get(&StateKey::Contribution(d, c))?
                    .ok_or_else(|| StorageError::new(format!("attributed contribution {d}/{c} missing")))?;
                recipients.push((contribution.contributor, d, c));
            }
            weights.iter().map(|w| u128::from(w.1)).collect()
        };
        let mut to_contributors: Amount = 0;
        for ((who, datanet, contribution), amount) in
            recipients.into_iter().zip(split_exact(contributors, &split_weights))
        {
            if amount == 0 {
                continue;
            }
            self.accrue(&who, amount)?;
            to_contributors += amount;
            events.push(Event::Inference(InferenceEvent::RewardAccrued {
                account: who,
                datanet,
                contribution,
                amount,
            }));
        }
        debug_assert_eq!(to_contributors, contributors, "the contributors' part is paid whole");
        self.pay_out(&escrow, &rewards_pool(), pooled + to_contributors)?;
        Ok([owner, provider, contributors])
    }

    /// Adds `amount` to `who`'s claimable rewards (the tokens move to the rewards pool).
    fn accrue(&mut self, who: &Address, amount: Amount) -> Result<(), StorageError> {
        let r: Amount = self.get(&StateKey::Rewards(*who))?.unwrap_or(0);
        let total = r
            .checked_add(amount)
            .ok_or_else(|| StorageError::new("rewards overflow: supply invariant broken"))?;
        self.put(&StateKey::Rewards(*who), &total);
        Ok(())
    }
}

/// The most a request can cost at the model's current prices, plus the platform fee: within what
/// the caller was quoted, the key's per-request cap and its spend limit.
fn reservation_amount(m: &Model, key: &ApiKey, tx: &ReserveInference, platform_fee: Amount) -> Outcome<Amount> {
    let Some(amount) = m
        .pricing
        .price(tx.input_tokens, tx.max_output_tokens)
        .and_then(|p| p.checked_add(platform_fee))
    else {
        return fail(LedgerFailure::Overflow, "the price overflows");
    };
    if amount > tx.max_fee {
        return fail(
            InferenceFailure::PriceChanged,
            format!(
                "the request costs up to {amount} at current prices, more than the quoted {}",
                tx.max_fee
            ),
        );
    }
    if amount > key.scope.max_fee_per_request {
        return fail(
            InferenceFailure::OverRequestCap,
            format!(
                "the request may cost {amount}, more than the key's per-request cap {}",
                key.scope.max_fee_per_request
            ),
        );
    }
    let committed = key.spent.saturating_add(key.held).saturating_add(amount);
    if key.scope.spend_limit > 0 && committed > key.scope.spend_limit {
        return fail(
            InferenceFailure::SpendLimit,
            format!("the key's spend limit {} would be exceeded", key.scope.spend_limit),
        );
    }
    Ok(amount)
}

/// What an answer costs under its hold: prices and prompt tokens as reserved, answer tokens
/// recounted here in the model's tokenizer (no more than reserved), never more than the hold.
/// The fee of `answer` under its hold, with the answer's token count.
fn answer_fee(h: &Hold, m: &Model, answer: &str) -> Outcome<(Amount, u64)> {
    let tokenizer: Tokenizer = m
        .info
        .tokenizer
        .parse()
        .map_err(|e: sinew_attribution::TokenizerError| StorageError::caused_by("the model's tokenizer", e))?;
    let output_tokens = tokenizer.tokens(answer.as_bytes()).map_or(u64::MAX, |t| t.len() as u64);
    if output_tokens > h.max_output_tokens {
        return fail(
            InferenceFailure::TooManyTokens,
            format!(
                "the answer has {output_tokens} tokens, more than the {} reserved",
                h.max_output_tokens
            ),
        );
    }
    h.pricing
        .price(h.input_tokens, output_tokens)
        .and_then(|p| p.checked_add(h.platform_fee))
        .filter(|f| *f <= h.amount)
        .map(|f| (f, output_tokens))
        .ok_or_else(|| StorageError::new("a fee within the reserved tokens exceeds its hold").into())
}
