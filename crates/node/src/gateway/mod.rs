//! The inference gateway: authenticates a caller by API key, checks and reserves their prepaid
//! balance, has the model's provider answer (the built-in infini-gram model over the model's
//! datanet versions, or an upstream OpenAI-compatible server), attributes the answer, and
//! settles it on the ledger before handing it over: an answer is never served unpaid, and its
//! request id makes it impossible to charge twice.

mod upstream;

pub use upstream::UpstreamError;

use crate::core::Node;
use crate::mempool::AdmitError;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use sinew_attribution::{generate_tokens, Receipt, Sampling, Tokenizer};
use sinew_state::executor::read;
use sinew_state::inference::{answer_receipt, api_key_hash, model_corpus, model_name_hash};
use sinew_state::{Account, ApiKey, Model, Prepaid, Provider, StateKey};
use sinew_types::inference::ModelStatus;
use sinew_types::tx::sign_with_fee;
use sinew_types::wire::SubmitOutcome;
use sinew_types::{Address, Amount, Hash, Keypair, Payload, TxId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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
    pub wait_for_commit: bool,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            max_prompt_bytes: 32 * 1024,
            max_tokens: 2048,
            default_max_tokens: 128,
            upstream_timeout_ms: 30_000,
            wait_for_commit: true,
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
    /// The settlement was refused by the ledger.
    #[error("settlement refused: {0}")]
    Settlement(String),
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
    /// The fee charged.
    pub fee: Amount,
    /// The attribution receipt.
    pub receipt: Receipt,
    /// Microseconds spent answering (model or upstream), attributing and settling.
    pub timings_us: [u64; 3],
    /// For each attributed contribution, in the receipt's weight order: its tagged number (as
    /// in the receipt), datanet, contribution number and contributor.
    pub contributors: Vec<(u64, u64, u64, Address)>,
}

/// Resolves when a submitted transaction is committed or dropped.
type CommitWatch = tokio::sync::oneshot::Receiver<SubmitOutcome>;

/// Runs a future to completion on a small current-thread runtime (outside tokio).
fn futures_lite_block_on(f: impl std::future::Future<Output = ()>) {
    if let Ok(rt) = tokio::runtime::Builder::new_current_thread().build() {
        rt.block_on(f);
    }
}

/// The gateway state of a node that serves models.
pub struct Gateway {
    key: Keypair,
    config: GatewayConfig,
    /// Amounts reserved per payer for requests in progress or settlements not yet committed.
    reserved: Mutex<HashMap<Address, Amount>>,
    /// Serializes nonce assignment of settlement transactions.
    nonce_lock: Mutex<()>,
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

/// A reservation released on drop unless handed on.
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

impl Node {
    /// The gateway, if this node serves models.
    pub fn gateway(&self) -> Option<&Gateway> {
        self.gateway.get().map(|g| &**g)
    }

    /// Turns this node into a gateway serving the models of provider `key`.
    pub fn serve_models(&self, key: Keypair, config: GatewayConfig) {
        let _ = self.gateway.set(Arc::new(Gateway::new(key, config)));
    }

    fn latest<T: borsh::BorshDeserialize>(&self, key: &StateKey) -> Result<Option<T>, GatewayError> {
        let chain = self.chain.read();
        read(chain.tree(), key).map_err(|e| GatewayError::Internal(e.to_string()))
    }

    /// The models this gateway serves (active, provided by its key), by name.
    pub fn served_models(&self) -> Result<Vec<Model>, GatewayError> {
        let g = self.gateway().ok_or(GatewayError::NotServing)?;
        let next: u64 = self.latest(&StateKey::NextModelId)?.unwrap_or(0);
        let mut out = Vec::new();
        for id in 0..next {
            if let Some(m) = self.latest::<Model>(&StateKey::Model(id))? {
                if m.provider == g.provider() && m.status == ModelStatus::Active {
                    out.push(m);
                }
            }
        }
        out.sort_by(|a, b| a.info.name.cmp(&b.info.name));
        Ok(out)
    }

    /// Authenticates, answers, attributes and settles one request.
    pub fn infer(&self, api_key: Option<&str>, req: &InferenceRequest) -> Result<Answer, GatewayError> {
        let g = self.gateway().ok_or(GatewayError::NotServing)?;
        let api_key = api_key
            .ok_or_else(|| GatewayError::Unauthorized("missing API key (send Authorization: Bearer <key>)".into()))?;
        let key_hash = api_key_hash(api_key);
        let key: ApiKey = match self.latest::<ApiKey>(&StateKey::ApiKey(key_hash))? {
            Some(k) if !k.revoked => k,
            Some(_) => return Err(GatewayError::Unauthorized("this API key has been revoked".into())),
            None => return Err(GatewayError::Unauthorized("invalid API key".into())),
        };
        let id: u64 = self
            .latest(&StateKey::ModelName(model_name_hash(&req.model)))?
            .ok_or_else(|| GatewayError::ModelNotFound(format!("the model `{}` does not exist", req.model)))?;
        let model: Model = self
            .latest(&StateKey::Model(id))?
            .ok_or_else(|| GatewayError::Internal("model name points nowhere".into()))?;
        if model.status != ModelStatus::Active {
            return Err(GatewayError::ModelNotFound(format!(
                "the model `{}` is not active",
                req.model
            )));
        }
        if model.provider != g.provider() {
            return Err(GatewayError::ModelNotFound(format!(
                "the model `{}` is served by provider {}, not by this gateway",
                req.model, model.provider
            )));
        }
        let prompt = req.prompt_text();
        if prompt.len() > g.config.max_prompt_bytes {
            return Err(GatewayError::BadRequest(format!(
                "the prompt has {} bytes, more than this gateway's limit of {}",
                prompt.len(),
                g.config.max_prompt_bytes
            )));
        }
        let max_tokens = req.max_tokens.unwrap_or(g.config.default_max_tokens);
        if max_tokens == 0 || max_tokens > g.config.max_tokens {
            return Err(GatewayError::BadRequest(format!(
                "max_tokens must be within 1..={}",
                g.config.max_tokens
            )));
        }
        let tokenizer: Tokenizer = model
            .info
            .tokenizer
            .parse()
            .map_err(|e: sinew_attribution::TokenizerError| GatewayError::Internal(e.to_string()))?;
        let input_tokens = tokenizer.tokens(prompt.as_bytes()).map_or(0, |t| t.len()) as u64;
        let params = self.params();
        let price = |out: u64| {
            model
                .pricing
                .price(input_tokens, out)
                .and_then(|p| p.checked_add(params.inference_platform_fee))
        };
        let max_fee = price(u64::from(max_tokens))
            .ok_or_else(|| GatewayError::BadRequest("the price of this request overflows".into()))?;
        // Reserve the most this request can cost against the prepaid balance.
        let payer = key.account;
        let reservation = {
            let prepaid: Prepaid = self.latest(&StateKey::Prepaid(payer))?.unwrap_or_default();
            let mut reserved = g.reserved.lock();
            let held = reserved.get(&payer).copied().unwrap_or(0);
            let available = prepaid.available().saturating_sub(held);
            if available < max_fee {
                return Err(GatewayError::InsufficientFunds(format!(
                    "prepaid balance available {available} cannot cover up to {max_fee} for this request \
                     (deposit with `sinew prepaid deposit`)"
                )));
            }
            if key.spend_limit > 0 && key.spent.saturating_add(held).saturating_add(max_fee) > key.spend_limit {
                return Err(GatewayError::InsufficientFunds(format!(
                    "this API key's spend limit of {} would be exceeded",
                    key.spend_limit
                )));
            }
            *reserved.entry(payer).or_insert(0) += max_fee;
            Reservation {
                gateway: g,
                payer,
                amount: max_fee,
            }
        };
        let provider: Provider = self
            .latest(&StateKey::Provider(g.provider()))?
            .ok_or_else(|| GatewayError::Internal("this gateway's provider is not registered".into()))?;
        let corpus = {
            let chain = self.chain.read();
            model_corpus(chain.tree(), &self.blobs, &model.info)
                .map_err(|e| GatewayError::Internal(format!("the model's datanet index: {e}")))?
        };
        let started = std::time::Instant::now();
        let (text, output_tokens, finish_reason) = if provider.endpoint == "builtin" {
            let sampling = req.seed.map_or(Sampling::Greedy, Sampling::Seeded);
            let (bytes, _, generated) =
                generate_tokens(&corpus.0, req.last_message().as_bytes(), max_tokens as usize, sampling);
            let text = String::from_utf8(bytes).map_err(|e| GatewayError::Internal(e.to_string()))?;
            let finish = if generated >= max_tokens as usize {
                "length"
            } else {
                "stop"
            };
            (text, generated as u64, finish)
        } else {
            let name = model.info.adapter.as_deref().unwrap_or(&model.info.base_model);
            let reply = upstream::chat(&g.agent, &provider.endpoint, name, req, max_tokens)?;
            // We count the answer ourselves, in the model's tokenizer; an upstream whose claim is
            // far from it is lying or broken, and nobody is charged.
            let ours = tokenizer.tokens(reply.text.as_bytes()).map_or(0, |t| t.len()) as u64;
            if let Some(claimed) = reply.completion_tokens {
                if claimed > 4 * ours + 16 || 4 * claimed + 16 < ours {
                    return Err(UpstreamError::Implausible(format!(
                        "the upstream claims {claimed} answer tokens; the answer has about {ours}"
                    ))
                    .into());
                }
            }
            (reply.text, ours, reply.finish_reason)
        };
        if text.len() > params.max_answer_bytes as usize {
            return Err(GatewayError::Upstream(UpstreamError::Implausible(format!(
                "the answer has {} bytes, more than the ledger settles ({})",
                text.len(),
                params.max_answer_bytes
            ))));
        }
        let served = started.elapsed();
        let receipt = answer_receipt(&corpus, &text, &params);
        let attributed = started.elapsed();
        let fee = price(output_tokens).ok_or_else(|| GatewayError::Internal("fee overflow".into()))?;
        let request_id = Hash::tagged(
            b"sinew/request",
            &[
                g.provider().0.as_slice(),
                &g.counter.fetch_add(1, Ordering::Relaxed).to_le_bytes(),
                &self.genesis().timestamp_ms.to_le_bytes(),
                &std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos())
                    .to_le_bytes(),
                key_hash.0.as_slice(),
            ]
            .concat(),
        );
        let payload = Payload::SettleInference {
            model: id,
            api_key: key_hash,
            request_id,
            prompt_hash: Hash::of(prompt.as_bytes()),
            input_tokens,
            output_tokens,
            answer: text.clone(),
            receipt: receipt.digest(),
        };
        // Keep the actual fee reserved until the settlement commits.
        drop(reservation);
        *g.reserved.lock().entry(payer).or_insert(0) += fee;
        let mut settlement = match self.submit_settlement(g, payload) {
            Ok(s) => s,
            Err(e) => {
                g.release(&payer, fee);
                return Err(e);
            }
        };
        if g.config.wait_for_commit {
            let rx = settlement.1.take().expect("settlements are watched");
            let outcome = rx.blocking_recv();
            g.release(&payer, fee);
            match outcome {
                Ok(SubmitOutcome::Committed { receipt, .. }) => {
                    if let sinew_types::TxStatus::Failed { code, message } = receipt.status {
                        return Err(GatewayError::Settlement(format!("{code}: {message}")));
                    }
                }
                Ok(SubmitOutcome::Dropped { code, reason }) => {
                    return Err(GatewayError::Settlement(format!("{code}: {reason}")))
                }
                other => return Err(GatewayError::Internal(format!("settlement not committed: {other:?}"))),
            }
        }
        let contributors = self.contributors_of(&model, &receipt)?;
        let settled = started.elapsed();
        let timings_us = [
            served.as_micros() as u64,
            (attributed - served).as_micros() as u64,
            (settled - attributed).as_micros() as u64,
        ];
        self.release_on_commit(payer, fee, settlement.1);
        Ok(Answer {
            model_id: id,
            text,
            finish_reason,
            input_tokens,
            output_tokens,
            request_id,
            settlement: settlement.0,
            fee,
            receipt,
            timings_us,
            contributors,
        })
    }

    /// Releases a settled fee's reservation once the settlement is committed (or dropped): from
    /// then on the ledger's prepaid balance accounts for it. (Nothing to do when the gateway
    /// already waited for the commit.)
    fn release_on_commit(&self, payer: Address, fee: Amount, rx: Option<CommitWatch>) {
        let Some(g) = self.gateway.get().cloned() else { return };
        let Some(rx) = rx else { return };
        let release = async move {
            let _ = rx.await;
            g.release(&payer, fee);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(h) => {
                h.spawn(release);
            }
            Err(_) => {
                std::thread::spawn(move || futures_lite_block_on(release));
            }
        }
    }

    fn contributors_of(&self, model: &Model, receipt: &Receipt) -> Result<Vec<(u64, u64, u64, Address)>, GatewayError> {
        let mut out = Vec::new();
        for (tagged, _) in &receipt.weights {
            let (part, c) = sinew_attribution::Union::split_tag(*tagged);
            let d = model.info.datanets[part].0;
            let contribution: sinew_state::Contribution = self
                .latest(&StateKey::Contribution(d, c))?
                .ok_or_else(|| GatewayError::Internal(format!("contribution {d}/{c} missing")))?;
            out.push((*tagged, d, c, contribution.contributor));
        }
        Ok(out)
    }

    /// Signs and admits a settlement with the next free nonce of the provider's account.
    fn submit_settlement(&self, g: &Gateway, payload: Payload) -> Result<(TxId, Option<CommitWatch>), GatewayError> {
        let _serial = g.nonce_lock.lock();
        let signer = g.provider();
        for _ in 0..4 {
            // The pool first, then the tree: a transaction leaves the pool only after the tree
            // holds it, so one of the two always accounts for it.
            let pooled = self.pool.lock().next_nonce(&signer);
            let committed = self
                .latest::<Account>(&StateKey::Account(signer))?
                .map_or(0, |a| a.nonce);
            let nonce = pooled.unwrap_or(0).max(committed);
            let signed = sign_with_fee(&g.key, self.chain_id(), nonce, payload.clone(), &self.params());
            // When the gateway waits for the commit, the block's own execution is the check: a
            // settlement that fails there serves no answer. Otherwise it is dry-run at admission.
            let mut out = self.submit_with(vec![signed], true, !g.config.wait_for_commit);
            let (id, result) = out.pop().expect("one result per transaction");
            match result {
                Ok(rx) => return Ok((id, rx)),
                Err(AdmitError::NonceTaken(_)) => continue,
                Err(AdmitError::Rejected(sinew_state::TxRejection::NonceTooLow { .. })) => continue,
                Err(AdmitError::WouldFail { code, message }) => {
                    return Err(GatewayError::Settlement(format!("{code}: {message}")))
                }
                Err(e) => return Err(GatewayError::Settlement(e.to_string())),
            }
        }
        Err(GatewayError::Settlement(
            "could not find a free nonce for the settlement".into(),
        ))
    }
}
