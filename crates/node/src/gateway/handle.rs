//! The gateway's narrow view of the ledger: read the latest state and parameters, find its
//! corpus, submit its own transactions and watch them. Whatever implements it (the node, or a
//! test double) is all the gateway knows of the node.

use super::GatewayError;
use crate::mempool::AdmitError;
use sinew_state::inference::ModelCorpus;
use sinew_state::{StateKey, StorageError};
use sinew_types::inference::ModelInfo;
use sinew_types::wire::SubmitOutcome;
use sinew_types::{Address, Params, SignedTransaction, TxId};

/// Resolves when a submitted transaction is committed or dropped.
pub type CommitWatch = tokio::sync::oneshot::Receiver<SubmitOutcome>;

/// What the gateway may ask of the ledger.
pub trait LedgerHandle: Send + Sync {
    /// The chain id transactions are signed for.
    fn chain_id(&self) -> &str;
    /// Parameters in force for the next block.
    fn params(&self) -> Params;
    /// Wall-clock milliseconds (the node's injected clock).
    fn now_ms(&self) -> u64;
    /// The encoded value under `key` in the latest executed state.
    fn latest_bytes(&self, key: &StateKey) -> Result<Option<Vec<u8>>, StorageError>;
    /// Ids of the models `provider` has accepted, from durable state (at most `limit`).
    fn provider_models(&self, provider: &Address, limit: usize) -> Result<Vec<u64>, StorageError>;
    /// The corpus a model's answers are attributed against (built on first use).
    fn model_corpus(&self, info: &ModelInfo) -> Result<ModelCorpus, String>;
    /// The nonce after the last of `signer`'s transactions waiting in the mempool, if any.
    fn pooled_next_nonce(&self, signer: &Address) -> Option<u64>;
    /// Admits one of the gateway's own signed transactions and watches it. `dry_run`: refuse
    /// at admission what would only fail.
    fn submit_watched(&self, tx: SignedTransaction, dry_run: bool) -> (TxId, Result<CommitWatch, AdmitError>);
}

/// A value of the latest state, decoded.
pub(super) fn latest<T: borsh::BorshDeserialize>(
    ledger: &dyn LedgerHandle,
    key: &StateKey,
) -> Result<Option<T>, GatewayError> {
    let internal = |e: String| GatewayError::Internal(e);
    match ledger.latest_bytes(key).map_err(|e| internal(e.to_string()))? {
        Some(bytes) => borsh::from_slice(&bytes)
            .map(Some)
            .map_err(|e| internal(format!("corrupt value in state: {e}"))),
        None => Ok(None),
    }
}
