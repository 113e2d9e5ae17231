//! The node as the gateway's ledger: the narrow handle through which the gateway reads state
//! and submits its own transactions.

use crate::core::Node;
use crate::gateway::{CommitWatch, LedgerHandle};
use crate::mempool::AdmitError;
use sinew_state::inference::{model_corpus, ModelCorpus};
use sinew_state::{StateKey, StateReader, StorageError};
use sinew_types::inference::ModelInfo;
use sinew_types::{Address, Params, SignedTransaction, TxId};

impl LedgerHandle for Node {
    fn chain_id(&self) -> &str {
        self.ledger.chain_id()
    }

    fn params(&self) -> Params {
        self.ledger.params()
    }

    fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    fn latest_bytes(&self, key: &StateKey) -> Result<Option<Vec<u8>>, StorageError> {
        self.ledger.chain.read().tree().get(&key.encode())
    }

    fn provider_models(&self, provider: &Address, limit: usize) -> Result<Vec<u64>, StorageError> {
        let prefix = StateKey::ProviderModels(*provider, 0).owner_prefix();
        let entries = self
            .ledger
            .store
            .state_page(&prefix, None, limit)
            .map_err(|e| StorageError::caused_by("listing the provider's models", e))?;
        Ok(entries
            .into_iter()
            .filter_map(|(k, _)| match borsh::from_slice::<StateKey>(&k) {
                Ok(StateKey::ProviderModels(_, id)) => Some(id),
                _ => None,
            })
            .collect())
    }

    fn model_corpus(&self, info: &ModelInfo) -> Result<ModelCorpus, String> {
        let chain = self.ledger.chain.read();
        model_corpus(chain.tree(), &self.ledger.blobs, info).map_err(|e| e.to_string())
    }

    fn pooled_next_nonce(&self, signer: &Address) -> Option<u64> {
        self.admission.pool.lock().next_nonce(signer)
    }

    fn submit_watched(&self, tx: SignedTransaction, dry_run: bool) -> (TxId, Result<CommitWatch, AdmitError>) {
        let (id, result) = self
            .submit_with(vec![tx], true, dry_run)
            .pop()
            .expect("one result per transaction");
        (id, result.map(|rx| rx.expect("watched")))
    }
}
