//! A typed, blocking client for the Sinew node API, and helpers to build correctly-priced signed
//! transactions. The CLI, benchmarks, tests and agents all talk to nodes through it.

use serde::de::DeserializeOwned;
use sinew_types::{Address, Amount, Keypair, Nonce, Params, Payload, SignedTransaction, TxId};
use std::time::Duration;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum SdkError {
    /// The node answered with an error.
    #[error("node refused ({status} {code}): {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// Machine-readable code.
        code: String,
        /// Explanation.
        message: String,
    },
    /// The node could not be reached.
    #[error("cannot reach the node: {0}")]
    Transport(String),
    /// The answer did not parse.
    #[error("unexpected answer from the node: {0}")]
    Decode(String),
}

pub use sinew_types::tx::sign_with_fee;
pub use sinew_types::wire::{AccountView, BatchResult, ErrorBody, ProvenValue, SubmitOutcome, SubmitReply};

/// A client of one node.
#[derive(Clone)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    /// A client of the node at `url` (for example `http://127.0.0.1:8645`).
    pub fn new(url: &str) -> Client {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(120))
            .max_idle_connections_per_host(256)
            .max_idle_connections(256)
            .build();
        Client {
            base: url.trim_end_matches('/').to_string(),
            agent,
        }
    }

    fn handle<T: DeserializeOwned>(r: Result<ureq::Response, ureq::Error>) -> Result<T, SdkError> {
        match r {
            Ok(resp) => resp.into_json().map_err(|e| SdkError::Decode(e.to_string())),
            Err(ureq::Error::Status(status, resp)) => {
                let body: serde_json::Value = resp.into_json().unwrap_or_default();
                if status == 422 {
                    if let Ok(t) = serde_json::from_value::<T>(body.clone()) {
                        return Ok(t);
                    }
                }
                let e = &body["error"];
                Err(SdkError::Api {
                    status,
                    code: e["code"].as_str().unwrap_or("unknown").to_string(),
                    message: e["message"].as_str().unwrap_or("no message").to_string(),
                })
            }
            Err(e) => Err(SdkError::Transport(e.to_string())),
        }
    }

    /// The node's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// GET a path and parse the JSON answer.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, SdkError> {
        Self::handle(self.agent.get(&format!("{}{path}", self.base)).call())
    }

    /// POST a JSON body to a path and parse the JSON answer.
    pub fn post_json<T: DeserializeOwned>(&self, path: &str, body: &serde_json::Value) -> Result<T, SdkError> {
        Self::handle(self.agent.post(&format!("{}{path}", self.base)).send_json(body.clone()))
    }

    /// Node health (chain id, height, pending).
    pub fn health(&self) -> Result<serde_json::Value, SdkError> {
        self.get("/health")
    }

    /// The chain id.
    pub fn chain_id(&self) -> Result<String, SdkError> {
        let h = self.health()?;
        h["chain_id"]
            .as_str()
            .map(String::from)
            .ok_or_else(|| SdkError::Decode("health has no chain_id".into()))
    }

    /// Parameters in force.
    pub fn params(&self) -> Result<Params, SdkError> {
        self.get("/v1/params")
    }

    /// An account with its proof, at `height` or the head.
    pub fn account(&self, address: &Address, height: Option<u64>) -> Result<AccountView, SdkError> {
        let q = height.map(|h| format!("?height={h}")).unwrap_or_default();
        self.get(&format!("/v1/accounts/{address}{q}"))
    }

    /// A block (by height, hash or `latest`) as JSON.
    pub fn block(&self, id: &str) -> Result<serde_json::Value, SdkError> {
        self.get(&format!("/v1/blocks/{id}"))
    }

    /// A transaction's status as JSON.
    pub fn tx(&self, id: &TxId) -> Result<serde_json::Value, SdkError> {
        self.get(&format!("/v1/txs/{id}"))
    }

    /// Submits one transaction as JSON; with `wait`, returns once it is committed or dropped.
    pub fn submit(&self, tx: &SignedTransaction, wait: bool) -> Result<SubmitReply, SdkError> {
        let url = format!("{}/v1/txs?wait={}", self.base, if wait { "commit" } else { "none" });
        let body = serde_json::to_value(tx).map_err(|e| SdkError::Decode(e.to_string()))?;
        Self::handle(self.agent.post(&url).send_json(body))
    }

    fn batch_url(&self, wait: bool) -> String {
        format!(
            "{}/v1/txs/batch?wait={}",
            self.base,
            if wait { "commit" } else { "none" }
        )
    }

    /// Submits many transactions in the binary encoding (answers come back binary too).
    pub fn submit_batch(&self, txs: &[SignedTransaction], wait: bool) -> Result<BatchResult, SdkError> {
        let body = sinew_types::encoding::encode(&txs);
        let r = self
            .agent
            .post(&self.batch_url(wait))
            .set("content-type", "application/octet-stream")
            .set("accept", "application/octet-stream")
            .send_bytes(&body);
        match r {
            Ok(resp) => {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut resp.into_reader(), &mut bytes)
                    .map_err(|e| SdkError::Transport(e.to_string()))?;
                borsh::from_slice(&bytes).map_err(|e| SdkError::Decode(e.to_string()))
            }
            Err(e) => Self::handle(Err(e)),
        }
    }

    /// Submits many transactions as a JSON array.
    pub fn submit_batch_json(&self, txs: &[SignedTransaction], wait: bool) -> Result<BatchResult, SdkError> {
        let body = serde_json::to_value(txs).map_err(|e| SdkError::Decode(e.to_string()))?;
        Self::handle(self.agent.post(&self.batch_url(wait)).send_json(body))
    }

    /// Uploads a blob, streaming from `reader`; returns its id and size.
    pub fn upload_blob(
        &self,
        reader: impl std::io::Read,
        len: Option<u64>,
    ) -> Result<(sinew_types::Hash, u64), SdkError> {
        let mut req = self
            .agent
            .put(&format!("{}/v1/blobs", self.base))
            .set("content-type", "application/octet-stream");
        if let Some(n) = len {
            req = req.set("content-length", &n.to_string());
        }
        let v: serde_json::Value = Self::handle(req.send(reader))?;
        let id = v["blob"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| SdkError::Decode("no blob id".into()))?;
        Ok((id, v["size"].as_u64().unwrap_or(0)))
    }

    /// Builds, prices and signs a transaction for `key` (nonce from the node unless given).
    pub fn build(&self, key: &Keypair, payload: Payload, nonce: Option<Nonce>) -> Result<SignedTransaction, SdkError> {
        let chain_id = self.chain_id()?;
        let params = self.params()?;
        let nonce = match nonce {
            Some(n) => n,
            None => self.account(&key.address(), None)?.account.nonce,
        };
        Ok(sign_with_fee(key, &chain_id, nonce, payload, &params))
    }
}

/// Formats base units with 18 decimals as a token amount, for people.
pub fn format_amount(a: Amount) -> String {
    let whole = a / 10u128.pow(18);
    let frac = a % 10u128.pow(18);
    if frac == 0 {
        format!("{whole}")
    } else {
        format!("{whole}.{}", format!("{frac:018}").trim_end_matches('0'))
    }
}
