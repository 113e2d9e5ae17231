//! A typed, blocking client for the Sinew node API: one method per route (`routes.rs`, checked
//! against `sinew_types::api::Route` by the node's tests), the event stream as an iterator, and
//! `send(key, payload)` that signs, submits and waits for the receipt. It builds on
//! `sinew-types` alone: the answers it reads are the structs the node writes.

mod events;
pub mod keystore;
mod routes;
mod send;

pub use events::EventStream;
pub use keystore::{Keystore, KeystoreError};
pub use send::Committed;
pub use sinew_types::api::answers;
pub use sinew_types::api::queries::{
    ActivityQuery, AgentFilter, AnswerQuery, BlockRange, ContributionFilter, EventFilter, Page, RecordPage, TaskFilter,
    TxRange,
};

use serde::de::DeserializeOwned;
use serde::Serialize;
use sinew_types::{Amount, FailureCode, Keypair, Nonce, Payload, SignedTransaction};
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
    /// The transaction was included and failed: the ledger's failure code.
    #[error("the transaction failed ({code}): {message}")]
    Failed {
        /// The transaction.
        tx: sinew_types::TxId,
        /// The ledger's failure code.
        code: FailureCode,
        /// Why.
        message: String,
    },
    /// The node refused the transaction at submission (nothing changed, no fee): a bad
    /// signature, nonce or fee, or a dry run showing it would only fail.
    #[error("the transaction was refused ({code}): {message}")]
    Refused {
        /// The transaction.
        tx: sinew_types::TxId,
        /// The refusal code (a ledger failure code when the dry run failed it).
        code: String,
        /// Why.
        message: String,
    },
    /// The node stopped waiting before the transaction was included: it may still commit (ask
    /// `tx` later); treat its effects as unknown, never as refused.
    #[error("the transaction is still pending: {tx}")]
    Pending {
        /// The transaction.
        tx: sinew_types::TxId,
    },
    /// The transaction was dropped before inclusion (its nonce, its fee, a refusal).
    #[error("the transaction was dropped ({code}): {reason}")]
    Dropped {
        /// The transaction.
        tx: sinew_types::TxId,
        /// The refusal code.
        code: String,
        /// Why.
        reason: String,
    },
}

pub use sinew_types::tx::sign_with_fee;
pub use sinew_types::wire::{AccountView, BatchResult, ErrorBody, ProvenValue, SubmitOutcome, SubmitReply};

impl SdkError {
    /// The ledger's failure code, when a transaction failed in its block or its dry run at
    /// admission showed it would.
    pub fn failure(&self) -> Option<FailureCode> {
        match self {
            SdkError::Failed { code, .. } => Some(*code),
            SdkError::Refused { code, .. } => FailureCode::from_code(code),
            _ => None,
        }
    }
}

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
            Err(ureq::Error::Status(422, resp)) => {
                // A submission the node answers in full even when it refuses it.
                let body: serde_json::Value = resp.into_json().unwrap_or_default();
                serde_json::from_value::<T>(body.clone()).map_err(|_| api_error(422, &body))
            }
            Err(e) => Err(error_of(e)),
        }
    }

    /// The node's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// GET a path and parse the JSON answer (prefer the typed methods; this reaches paths
    /// with hand-made queries, as tests of the node's refusals do).
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, SdkError> {
        Self::handle(self.agent.get(&format!("{}{path}", self.base)).call())
    }

    /// GET a path with a query struct, and parse the JSON answer.
    fn get_with<T: DeserializeOwned, Q: Serialize>(&self, path: &str, query: &Q) -> Result<T, SdkError> {
        let mut req = self.agent.get(&format!("{}{path}", self.base));
        for (k, v) in query_pairs(query)? {
            req = req.query(&k, &v);
        }
        Self::handle(req.call())
    }

    /// POST a JSON body to a path and parse the JSON answer.
    pub fn post_json<T: DeserializeOwned, B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<T, SdkError> {
        let body = serde_json::to_value(body).map_err(|e| SdkError::Decode(e.to_string()))?;
        Self::handle(self.agent.post(&format!("{}{path}", self.base)).send_json(body))
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

/// The error of a failed call.
fn error_of(e: ureq::Error) -> SdkError {
    match e {
        ureq::Error::Status(status, resp) => api_error(status, &resp.into_json().unwrap_or_default()),
        e => SdkError::Transport(e.to_string()),
    }
}

/// An error answer (`{"error": {"code", "message"}}`) as an [`SdkError::Api`].
fn api_error(status: u16, body: &serde_json::Value) -> SdkError {
    let e = &body["error"];
    SdkError::Api {
        status,
        code: e["code"].as_str().unwrap_or("unknown").to_string(),
        message: e["message"].as_str().unwrap_or("no message").to_string(),
    }
}

/// A query struct as `key=value` pairs (its JSON object's fields; absent ones left out).
fn query_pairs<Q: Serialize>(q: &Q) -> Result<Vec<(String, String)>, SdkError> {
    let v = serde_json::to_value(q).map_err(|e| SdkError::Decode(e.to_string()))?;
    let Some(fields) = v.as_object() else {
        return Ok(Vec::new());
    };
    Ok(fields
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), String::from)))
        .collect())
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
