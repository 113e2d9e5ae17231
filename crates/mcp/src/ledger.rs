//! The session's side of the ledger: a blocking SDK client and the session's key, called from
//! async tool handlers on tokio's blocking pool, and the conversions of its answers into what a
//! tool returns.

use sinew_sdk::{Client, Committed, SdkError};
use sinew_types::{Event, Hash, Keypair, Payload};
use std::sync::Arc;

/// The node and the key a session acts with (given when the server starts, never by a tool).
pub struct Ledger {
    /// The node's API.
    pub client: Client,
    /// The signing key.
    pub key: Keypair,
    /// Held while a transaction is built and waited for: every session shares one key, and two
    /// transactions built at once would take the same nonce.
    send_lock: std::sync::Mutex<()>,
}

/// Why a ledger call did not go through.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The SDK's error (unreachable node, refusal, failed transaction with its code).
    #[error(transparent)]
    Sdk(#[from] SdkError),
    /// The blocking task did not finish.
    #[error("the ledger call was cancelled")]
    Cancelled,
}

impl LedgerError {
    /// Whether nothing can have happened on the ledger (a refusal, a failure at inclusion, a
    /// bad request), as opposed to an unknown outcome (the connection was cut).
    pub fn nothing_moved(&self) -> bool {
        match self {
            LedgerError::Sdk(SdkError::Transport(_) | SdkError::Decode(_) | SdkError::Pending { .. })
            | LedgerError::Cancelled => false,
            LedgerError::Sdk(SdkError::Api { status, .. }) => *status < 500,
            LedgerError::Sdk(SdkError::Failed { .. } | SdkError::Refused { .. } | SdkError::Dropped { .. }) => true,
        }
    }
}

/// Runs `f` with the ledger on the blocking pool.
pub async fn call<T: Send + 'static>(
    ledger: &Arc<Ledger>,
    f: impl FnOnce(&Ledger) -> Result<T, SdkError> + Send + 'static,
) -> Result<T, LedgerError> {
    let l = ledger.clone();
    tokio::task::spawn_blocking(move || f(&l))
        .await
        .map_err(|_| LedgerError::Cancelled)?
        .map_err(LedgerError::from)
}

impl Ledger {
    /// The ledger at the node `client` talks to, acting with `key`.
    pub fn new(client: Client, key: Keypair) -> Ledger {
        Ledger {
            client,
            key,
            send_lock: std::sync::Mutex::new(()),
        }
    }

    /// Signs and sends `payload`, waiting for its commit (one at a time: nonces are sequential).
    pub fn send(&self, payload: impl Into<Payload>) -> Result<Committed, SdkError> {
        let _one_at_a_time = self.send_lock.lock().unwrap_or_else(|p| p.into_inner());
        self.client.send(&self.key, payload.into())
    }

    /// GETs a path as JSON.
    pub fn json(&self, path: &str) -> Result<serde_json::Value, SdkError> {
        self.client.get(path)
    }
}

/// The id a committed `PostTask` got (its `task_posted` event).
pub fn posted_task(c: &Committed) -> Option<Hash> {
    c.receipt.events.iter().find_map(|e| match e {
        Event::Tasks(sinew_types::TaskEvent::TaskPosted { task, .. }) => Some(*task),
        _ => None,
    })
}
