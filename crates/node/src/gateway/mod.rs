//! The inference gateway: authenticates a caller by API key (within the scope its payer gave
//! the key), holds the most the request can cost on the ledger (a committed reservation: from then
//! on nothing the caller does can make the settlement fail), has the model's provider answer (the
//! built-in infini-gram model over the model's datanet versions, or an upstream OpenAI-compatible
//! server), attributes the answer, and settles it on the ledger before handing it over: an answer
//! is never served unpaid, and its request id makes it impossible to charge twice.

mod generate;
mod handle;
mod own_txs;
mod upstream;

pub use handle::{CommitWatch, LedgerHandle};

pub use upstream::UpstreamError;

use handle::latest;
use own_txs::deadline_in;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use sinew_attribution::{Receipt, Tokenizer};
use sinew_state::inference::{answer_receipt, api_key_hash, model_name_hash};
use sinew_state::{ApiKey, Model, Prepaid, StateKey};
use sinew_types::inference::Voucher;
use sinew_types::payload::{ReserveInference, SettleInference};
use sinew_types::{Address, Amount, FailureCode, Hash, Keypair, Payload, TxId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Gateway limits (`[gateway]` in the node configuration).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// Largest prompt, in bytes.
    pub max_prompt_bytes: usize,
    /// Most answer tokens a request may ask for.
    pub max_tokens: u32,
    /// Answer tokens when the request names none.
    pub default_max_tokens: u32,
    /// How long an upstream may take, in milliseconds.
    pub upstream_timeout_ms: u64,
    /// Return an answer only once its settlement is committed (durable): even a crash of the
    /// node right after cannot leave it unpaid. Off: once admitted (lower latency at low load).
    /// The reservation before the answer is always waited for.
    pub wait_for_commit: bool,
    /// How long the gateway waits for its reservation or settlement to commit, in milliseconds.
    pub commit_timeout_ms: u64,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            max_prompt_bytes: 32 * 1024,
            max_tokens: 2048,
            default_max_tokens: 128,
            upstream_timeout_ms: 30_000,
            wait_for_commit: true,
            commit_timeout_ms: 30_000,
        }
    }
}

/// Why a request was not answered. Nothing is charged for any of these.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// This node serves no models (it was started without a provider key).
    #[error("this node runs no inference gateway (start it with a provider key)")]
    NotServing,
    /// Missing, unknown or revoked API key.
    #[error("{0}")]
    Unauthorized(String),
    /// No such model here.
    #[error("{0}")]
    ModelNotFound(String),
    /// Malformed or oversized request.
    #[error("{0}")]
    BadRequest(String),
    /// The prepaid balance (or the key's spend limit) cannot cover the request.
    #[error("{0}")]
    InsufficientFunds(String),
    /// The upstream failed, timed out or answered nonsense.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// The API key may not pay for this request (provider, model or per-request cap outside
    /// its scope, or a voucher is missing or wrong).
    #[error("{0}")]
    Forbidden(String),
    /// The ledger refused or failed one of the gateway's transactions.
    #[error("the ledger refused the request: {code}: {message}")]
    Ledger {
        /// The ledger's failure code.
        code: String,
        /// Why.
        message: String,
    },
    /// The ledger did not commit in time.
    #[error("{0}")]
    Timeout(String),
    /// The settlement is admitted but not yet committed: if it commits, the caller pays and the
    /// answer is in that transaction (the gateway never says "failed" about a settlement that
    /// may still go through).
    #[error("the settlement {tx} of request {request_id} is still pending; if it commits, the answer is in that transaction")]
    SettlementPending {
        /// The settlement transaction.
        tx: TxId,
        /// The request.
        request_id: Hash,
    },
    /// The provider cannot pay the fees of its own transactions now.
    #[error("{0}")]
    Unavailable(String),
    /// The node failed.
    #[error("{0}")]
    Internal(String),
}

/// A request, as both OpenAI endpoints reduce to it.
#[derive(Clone, Debug)]
pub struct InferenceRequest {
    /// The model name.
    pub model: String,
    /// Chat messages (role, content); completions give one user message.
    pub messages: Vec<(String, String)>,
    /// Most answer tokens.
    pub max_tokens: Option<u32>,
    /// Sampling seed (none: greedy).
    pub seed: Option<u64>,
    /// The payer's signed consent (required by voucher keys; its request id is used).
    pub voucher: Option<Voucher>,
}

impl InferenceRequest {
    /// Everything the model reads, as one text (what input tokens count).
    pub fn prompt_text(&self) -> String {
        let mut s = String::new();
        for (role, content) in &self.messages {
            if self.messages.len() > 1 {
                s.push_str(role);
                s.push_str(": ");
            }
            s.push_str(content);
            s.push('\n');
        }
        s
    }

    /// The text the built-in model continues: the last message.
    pub fn last_message(&self) -> &str {
        self.messages.last().map_or("", |m| m.1.as_str())
    }
}

/// An answered, attributed and settled request.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The model's id.
    pub model_id: u64,
    /// The answer.
    pub text: String,
    /// `stop` (the model ended) or `length` (max_tokens reached).
    pub finish_reason: &'static str,
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Answer tokens.
    pub output_tokens: u64,
    /// The request id the settlement carries.
    pub request_id: Hash,
    /// The settlement transaction.
    pub settlement: TxId,
    /// The most the request could have cost (what was held).
    pub held: Amount,
    /// The fee charged.
    pub fee: Amount,
    /// The attribution receipt.
    pub receipt: Receipt,
    /// Microseconds spent answering (model or upstream), attributing and settling.
    pub timings_us: [u64; 3],
    /// Each attributed contribution, in the receipt's weight order.
    pub contributors: Vec<AttributedContribution>,
}

/// A contribution an answer was attributed to.
#[derive(Clone, Debug)]
pub struct AttributedContribution {
    /// Its number as the receipt tags it (datanet part and contribution).
    pub tagged: u64,
    /// The datanet.
    pub datanet: u64,
    /// The contribution's number in the datanet.
    pub contribution: u64,
    /// Who contributed it (and is paid for it).
    pub contributor: Address,
}

/// The gateway state of a node that serves models.
pub struct Gateway {
    key: Keypair,
    config: GatewayConfig,
    /// Amounts this gateway is about to hold per payer (reservations submitted, not yet
    /// committed), so concurrent requests do not over-reserve and pay fees for failures.
    reserved: Mutex<HashMap<Address, Amount>>,
    /// Serializes nonce assignment of the gateway's transactions.
    nonce_lock: Mutex<()>,
    /// Requests between reservation and settlement (each needs a fee-paying transaction).
    in_flight: AtomicU64,
    counter: AtomicU64,
    agent: ureq::Agent,
}

impl Gateway {
    /// A gateway settling with `key` (the provider's account).
    pub fn new(key: Keypair, config: GatewayConfig) -> Gateway {
        let agent = ureq::AgentBuilder::new()
            .timeout(std::time::Duration::from_millis(config.upstream_timeout_ms))
            .build();
        Gateway {
            key,
            config,
            reserved: Mutex::default(),
            nonce_lock: Mutex::default(),
            in_flight: AtomicU64::new(0),
            counter: AtomicU64::new(0),
            agent,
        }
    }

    /// The provider account it serves and settles as.
    pub fn provider(&self) -> Address {
        self.key.address()
    }

    fn release(&self, payer: &Address, amount: Amount) {
        let mut r = self.reserved.lock();
        if let Some(v) = r.get_mut(payer) {
            *v = v.saturating_sub(amount);
            if *v == 0 {
                r.remove(payer);
            }
        }
    }
}

/// A local reservation (before the ledger holds it), released on drop.
struct Reservation<'a> {
    gateway: &'a Gateway,
    payer: Address,
    amount: Amount,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.gateway.release(&self.payer, self.amount);
    }
}

/// A request in flight (counted so the provider keeps enough to pay its fees).
struct InFlight<'a>(&'a Gateway);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What authentication established about a request.
struct Authorized {
    key_hash: Hash,
    key: ApiKey,
    model: Model,
    tokenizer: Tokenizer,
    max_tokens: u32,
}

/// An answer with its attribution and fee, before settlement.
struct Attributed {
    generated: generate::Generated,
    receipt: Receipt,
    fee: Amount,
    served_us: u64,
    attributed_us: u64,
}

/// What a request may cost, before anything is held.
struct Quote {
    input_tokens: u64,
    max_fee: Amount,
}

/// Largest settlement the gateway may have to pay a fee for, in bytes (answer plus envelope).
fn settlement_bytes(max_answer_bytes: u32) -> usize {
    max_answer_bytes as usize + 512
}

impl Gateway {
    /// The models this gateway serves (taking requests, accepted by its key), by name.
    pub fn served_models(&self, ledger: &dyn LedgerHandle) -> Result<Vec<Model>, GatewayError> {
        // The provider's accepted models, one key each (durable state suffices for a listing).
        let ids = ledger
            .provider_models(&self.provider(), 10_000)
            .map_err(|e| GatewayError::Internal(e.to_string()))?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(m) = latest::<Model>(ledger, &StateKey::Model(id))? {
                if m.provider == self.provider() && m.takes_requests() {
                    out.push(m);
                }
            }
        }
        out.sort_by(|a, b| a.info.name.cmp(&b.info.name));
        Ok(out)
    }

    /// Checks the key, its scope and the request against this gateway's limits.
    fn authorize(
        &self,
        ledger: &dyn LedgerHandle,
        api_key: Option<&str>,
        req: &InferenceRequest,
    ) -> Result<Authorized, GatewayError> {
        let api_key = api_key
            .ok_or_else(|| GatewayError::Unauthorized("missing API key (send Authorization: Bearer <key>)".into()))?;
        let key_hash = api_key_hash(api_key);
        let key: ApiKey = match latest::<ApiKey>(ledger, &StateKey::ApiKey(key_hash))? {
            Some(k) if !k.revoked => k,
            Some(_) => return Err(GatewayError::Unauthorized("this API key has been revoked".into())),
            None => return Err(GatewayError::Unauthorized("invalid API key".into())),
        };
        let model = self.served_model(ledger, &req.model)?;
        if !key.scope.allows(&self.provider(), model.id) {
            return Err(GatewayError::Forbidden(format!(
                "this API key does not allow provider {} to charge it for `{}`",
                self.provider(),
                req.model
            )));
        }
        check_voucher(ledger, &key_hash, &key, model.id, req.voucher.as_ref())?;
        let max_tokens = self.check_size(req)?;
        let tokenizer: Tokenizer = model
            .info
            .tokenizer
            .parse()
            .map_err(|e: sinew_attribution::TokenizerError| GatewayError::Internal(e.to_string()))?;
        Ok(Authorized {
            key_hash,
            key,
            model,
            tokenizer,
            max_tokens,
        })
    }

    /// The model named `name`, if this gateway serves it and it takes requests.
    fn served_model(&self, ledger: &dyn LedgerHandle, name: &str) -> Result<Model, GatewayError> {
        let id: u64 = latest(ledger, &StateKey::ModelName(model_name_hash(name)))?
            .ok_or_else(|| GatewayError::ModelNotFound(format!("the model `{name}` does not exist")))?;
        let model: Model = latest(ledger, &StateKey::Model(id))?
            .ok_or_else(|| GatewayError::Internal("model name points nowhere".into()))?;
        if model.provider != self.provider() {
            return Err(GatewayError::ModelNotFound(format!(
                "the model `{name}` is served by provider {}, not by this gateway",
                model.provider
            )));
        }
        if !model.takes_requests() {
            return Err(GatewayError::ModelNotFound(format!(
                "the model `{name}` is not taking requests"
            )));
        }
        Ok(model)
    }

    /// The prompt's size and the answer's token budget against this gateway's limits.
    fn check_size(&self, req: &InferenceRequest) -> Result<u32, GatewayError> {
        let prompt_len = req.prompt_text().len();
        if prompt_len > self.config.max_prompt_bytes {
            return Err(GatewayError::BadRequest(format!(
                "the prompt has {prompt_len} bytes, more than this gateway's limit of {}",
                self.config.max_prompt_bytes
            )));
        }
        let max_tokens = req.max_tokens.unwrap_or(self.config.default_max_tokens);
        if max_tokens == 0 || max_tokens > self.config.max_tokens {
            return Err(GatewayError::BadRequest(format!(
                "max_tokens must be within 1..={}",
                self.config.max_tokens
            )));
        }
        Ok(max_tokens)
    }

    /// Authenticates, holds, answers, attributes and settles one request: a pipeline of named
    /// stages (authorize, quote, hold, answer, settle), each failing with nothing charged until
    /// the hold is on the ledger, and with the hold given back after.
    pub fn infer(
        &self,
        ledger: &dyn LedgerHandle,
        api_key: Option<&str>,
        req: &InferenceRequest,
    ) -> Result<Answer, GatewayError> {
        let auth = self.authorize(ledger, api_key, req)?;
        let quote = self.quote(ledger, &auth, req)?;
        // The provider pays a fee for the reservation and the settlement of every request.
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        let _in_flight = InFlight(self);
        let pending = 2 * self.in_flight.load(Ordering::Acquire);
        if !self.provider_can_pay(ledger, pending, settlement_bytes(ledger.params().max_answer_bytes))? {
            return Err(GatewayError::Unavailable(
                "the provider's balance cannot pay the ledger fees of more requests now; retry later".into(),
            ));
        }
        let local = self.reserve_locally(ledger, &auth, auth.key.account, quote.max_fee)?;
        let request_id = match &req.voucher {
            Some(v) => v.request_id,
            None => self.new_request_id(ledger, &auth.key_hash),
        };
        let reserve: Payload = ReserveInference {
            api_key: auth.key_hash,
            request_id,
            model: auth.model.id,
            prompt_hash: Hash::of(req.prompt_text().as_bytes()),
            input_tokens: quote.input_tokens,
            max_output_tokens: u64::from(auth.max_tokens),
            max_fee: quote.max_fee,
            voucher: req.voucher.clone(),
        }
        .into();
        let deadline = deadline_in(self.config.commit_timeout_ms);
        // The provider answers while its reservation commits: nothing is settled, and so nothing
        // revealed, before the hold is on the ledger.
        let (_, reservation) = self.submit_own(ledger, &reserve, true).map_err(refused)?;
        let answer = self.answer(ledger, &auth, req, quote.input_tokens, quote.max_fee);
        self.hold(ledger, &reserve, request_id, reservation, deadline)?;
        drop(local);
        // From here the ledger holds the funds: give the hold back on any failure, unless a
        // settlement may still commit.
        let result =
            answer.and_then(|a| self.settle_answer(ledger, &auth, request_id, quote.input_tokens, quote.max_fee, a));
        if let Err(e) = &result {
            if !matches!(e, GatewayError::SettlementPending { .. }) {
                self.release_soon(ledger, request_id);
            }
        }
        result
    }

    /// The request's input tokens and the most it can cost, within the key's per-request cap
    /// and the voucher's maximum.
    fn quote(
        &self,
        ledger: &dyn LedgerHandle,
        auth: &Authorized,
        req: &InferenceRequest,
    ) -> Result<Quote, GatewayError> {
        let input_tokens = auth
            .tokenizer
            .tokens(req.prompt_text().as_bytes())
            .map_or(0, |t| t.len()) as u64;
        let max_fee = auth
            .model
            .pricing
            .price(input_tokens, u64::from(auth.max_tokens))
            .and_then(|p| p.checked_add(ledger.params().inference_platform_fee))
            .ok_or_else(|| GatewayError::BadRequest("the price of this request overflows".into()))?;
        if max_fee > auth.key.scope.max_fee_per_request {
            return Err(GatewayError::Forbidden(format!(
                "this request may cost {max_fee}, more than the key's per-request cap of {} (ask for fewer max_tokens)",
                auth.key.scope.max_fee_per_request
            )));
        }
        if let Some(v) = req.voucher.as_ref().filter(|v| v.max_fee < max_fee) {
            return Err(GatewayError::Forbidden(format!(
                "this request may cost {max_fee}, more than the voucher's {}",
                v.max_fee
            )));
        }
        Ok(Quote { input_tokens, max_fee })
    }

    /// Waits until the reservation is on the ledger (re-signing it if it was dropped behind a
    /// lost predecessor). If it may still commit when this gives up, it is released.
    fn hold(
        &self,
        ledger: &dyn LedgerHandle,
        reserve: &Payload,
        request_id: Hash,
        reservation: CommitWatch,
        deadline: std::time::Instant,
    ) -> Result<(), GatewayError> {
        match self.await_own(reservation, deadline) {
            Ok(r) => match r.status {
                sinew_types::TxStatus::Success => Ok(()),
                sinew_types::TxStatus::Failed { code, message } => Err(reservation_refused(code.to_string(), message)),
            },
            Err(GatewayError::Ledger { code, .. }) if own_txs::retryable(&code) => self
                .commit_own(ledger, reserve, true, deadline)
                .map(|_| ())
                .map_err(refused),
            Err(e @ GatewayError::Ledger { .. }) => Err(refused(e)),
            Err(e) => {
                // The reservation may still commit: give it back if it does.
                self.release_soon(ledger, request_id);
                Err(e)
            }
        }
    }

    fn reserve_locally(
        &self,
        ledger: &dyn LedgerHandle,
        auth: &Authorized,
        payer: Address,
        max_fee: Amount,
    ) -> Result<Reservation<'_>, GatewayError> {
        let prepaid: Prepaid = latest(ledger, &StateKey::Prepaid(payer))?.unwrap_or_default();
        let mut reserved = self.reserved.lock();
        let pending = reserved.get(&payer).copied().unwrap_or(0);
        let available = prepaid.available().saturating_sub(pending);
        if available < max_fee {
            return Err(GatewayError::InsufficientFunds(format!(
                "prepaid balance available {available} cannot cover up to {max_fee} for this request \
                 (deposit with `sinew prepaid deposit`)"
            )));
        }
        let limit = auth.key.scope.spend_limit;
        let committed = auth.key.spent.saturating_add(auth.key.held).saturating_add(pending);
        if limit > 0 && committed.saturating_add(max_fee) > limit {
            return Err(GatewayError::InsufficientFunds(format!(
                "this API key's spend limit of {limit} would be exceeded"
            )));
        }
        *reserved.entry(payer).or_insert(0) += max_fee;
        Ok(Reservation {
            gateway: self,
            payer,
            amount: max_fee,
        })
    }

    fn new_request_id(&self, ledger: &dyn LedgerHandle, key_hash: &Hash) -> Hash {
        Hash::tagged(
            b"sinew/request",
            &[
                self.provider().0.as_slice(),
                &self.counter.fetch_add(1, Ordering::Relaxed).to_le_bytes(),
                ledger.chain_id().as_bytes(),
                &ledger.now_ms().to_le_bytes(),
                key_hash.0.as_slice(),
            ]
            .concat(),
        )
    }

    /// Has the provider answer a request and attributes the answer (nothing settled yet).
    fn answer(
        &self,
        ledger: &dyn LedgerHandle,
        auth: &Authorized,
        req: &InferenceRequest,
        input_tokens: u64,
        held: Amount,
    ) -> Result<Attributed, GatewayError> {
        let params = ledger.params();
        let corpus = ledger
            .model_corpus(&auth.model.info)
            .map_err(|e| GatewayError::Internal(format!("the model's datanet index: {e}")))?;
        let started = std::time::Instant::now();
        let generated = self.generate(ledger, auth, req, &corpus.union, params.max_answer_bytes)?;
        let served = started.elapsed();
        let receipt = answer_receipt(&corpus, &generated.text, &params);
        let attributed = started.elapsed();
        let fee = auth
            .model
            .pricing
            .price(input_tokens, generated.tokens)
            .and_then(|p| p.checked_add(params.inference_platform_fee))
            .filter(|f| *f <= held)
            .ok_or_else(|| GatewayError::Internal("fee beyond the hold".into()))?;
        Ok(Attributed {
            generated,
            receipt,
            fee,
            served_us: served.as_micros() as u64,
            attributed_us: (attributed - served).as_micros() as u64,
        })
    }

    /// Settles an attributed answer of a held request on the ledger.
    fn settle_answer(
        &self,
        ledger: &dyn LedgerHandle,
        auth: &Authorized,
        request_id: Hash,
        input_tokens: u64,
        held: Amount,
        a: Attributed,
    ) -> Result<Answer, GatewayError> {
        let started = std::time::Instant::now();
        let settle: Payload = SettleInference {
            request_id,
            answer: a.generated.text.clone(),
            receipt: a.receipt.digest(),
        }
        .into();
        let deadline = deadline_in(self.config.commit_timeout_ms);
        let settlement = if self.config.wait_for_commit {
            // The block's own execution is the check: a settlement that fails there serves nothing.
            self.settle_and_wait(ledger, &settle, request_id, deadline)?
        } else {
            self.submit_own(ledger, &settle, true)?.0
        };
        let contributors = self.contributors_of(ledger, &auth.model, &a.receipt)?;
        Ok(Answer {
            model_id: auth.model.id,
            text: a.generated.text,
            finish_reason: a.generated.finish_reason,
            input_tokens,
            output_tokens: a.generated.tokens,
            request_id,
            settlement,
            held,
            fee: a.fee,
            receipt: a.receipt,
            timings_us: [a.served_us, a.attributed_us, started.elapsed().as_micros() as u64],
            contributors,
        })
    }

    /// Submits a settlement and waits for it to commit, re-signing it if it was dropped behind a
    /// lost predecessor; past the deadline, reports it pending (never failed).
    fn settle_and_wait(
        &self,
        ledger: &dyn LedgerHandle,
        settle: &Payload,
        request_id: Hash,
        deadline: std::time::Instant,
    ) -> Result<TxId, GatewayError> {
        loop {
            let (tx, rx) = self.submit_own(ledger, settle, false)?;
            match self.await_own(rx, deadline) {
                Ok(r) => {
                    return match r.status {
                        sinew_types::TxStatus::Success => Ok(tx),
                        sinew_types::TxStatus::Failed { code, message } => Err(GatewayError::Ledger {
                            code: code.to_string(),
                            message,
                        }),
                    }
                }
                Err(GatewayError::Timeout(_)) => return Err(GatewayError::SettlementPending { tx, request_id }),
                Err(GatewayError::Ledger { code, .. })
                    if own_txs::retryable(&code) && std::time::Instant::now() < deadline =>
                {
                    continue
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn contributors_of(
        &self,
        ledger: &dyn LedgerHandle,
        model: &Model,
        receipt: &Receipt,
    ) -> Result<Vec<AttributedContribution>, GatewayError> {
        let mut out = Vec::new();
        for (tagged, _) in &receipt.weights {
            let (part, c) = sinew_attribution::Union::split_tag(*tagged);
            let d = model.info.datanets[part].0;
            let contribution: sinew_state::Contribution = latest(ledger, &StateKey::Contribution(d, c))?
                .ok_or_else(|| GatewayError::Internal(format!("contribution {d}/{c} missing")))?;
            out.push(AttributedContribution {
                tagged: *tagged,
                datanet: d,
                contribution: c,
                contributor: contribution.contributor,
            });
        }
        Ok(out)
    }
}

/// A voucher is there exactly when the key requires one, signed by the key's voucher key for
/// this model.
fn check_voucher(
    ledger: &dyn LedgerHandle,
    key_hash: &Hash,
    key: &ApiKey,
    model: u64,
    voucher: Option<&Voucher>,
) -> Result<(), GatewayError> {
    match (&key.scope.voucher_key, voucher) {
        (Some(_), None) => Err(GatewayError::Forbidden(
            "this API key pays only for requests with a voucher (header sinew-voucher)".into(),
        )),
        (None, Some(_)) => Err(GatewayError::Forbidden(
            "this API key has no voucher key; send the request without a voucher".into(),
        )),
        (Some(vk), Some(v)) if !v.verify(ledger.chain_id(), key_hash, vk) || v.model != model => Err(
            GatewayError::Forbidden("the voucher is not signed by this key's voucher key for this model".into()),
        ),
        _ => Ok(()),
    }
}

/// A refused reservation's ledger error as the caller should see it; other errors pass.
fn refused(e: GatewayError) -> GatewayError {
    match e {
        GatewayError::Ledger { code, message } => reservation_refused(code, message),
        e => e,
    }
}

/// What a refused reservation means to the caller. `code` is a failure code (the reservation
/// failed, or its dry run showed it would) or a rejection code.
fn reservation_refused(code: String, message: String) -> GatewayError {
    use sinew_types::failure::InferenceFailure as F;
    match FailureCode::from_code(&code) {
        Some(FailureCode::InferenceFailure(F::InsufficientPrepaid | F::SpendLimit)) => {
            GatewayError::InsufficientFunds(message)
        }
        Some(FailureCode::InferenceFailure(
            F::OutOfScope
            | F::OverRequestCap
            | F::VoucherRequired
            | F::BadVoucher
            | F::VoucherExpired
            | F::OverVoucher
            | F::NoVoucherKey
            | F::RevokedKey
            | F::UnknownKey,
        )) => GatewayError::Forbidden(message),
        Some(FailureCode::InferenceFailure(F::RequestExists)) => {
            GatewayError::BadRequest(format!("this request id was already used: {message}"))
        }
        _ => GatewayError::Ledger { code, message },
    }
}
