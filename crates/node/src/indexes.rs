//! Suffix-array indexes of published datanet versions: built once from the approved
//! contributions' records (a version never changes, so neither does its index), kept under the
//! data directory, memory-mapped on use. The state machine reads the same indexes (through
//! `BlobSource::version_index`) to recompute attributions in settlements.

use crate::core::{Node, NodeError};
use sinew_attribution::{Index, Tokenizer};
use sinew_state::inference::version_contributions;
use sinew_state::{BlobSource, BlobSourceError, IndexKey};
use sinew_types::Hash;
use std::sync::Arc;

impl Node {
    /// The index of a published version with `tokenizer`, built on first use. Returns it and its
    /// id (BLAKE3 of the file).
    pub fn version_index(
        &self,
        datanet: u64,
        version: u64,
        tokenizer: Tokenizer,
    ) -> Result<(Arc<Index>, Hash), NodeError> {
        let key = IndexKey {
            datanet,
            version,
            tokenizer,
        };
        // The version's contributions, read once from committed state (outside any build).
        let contributions = {
            let chain = self.chain.read();
            version_contributions(chain.tree(), datanet, version)
        };
        let contributions = match contributions {
            Ok(c) => c,
            Err(BlobSourceError::Ingest(m)) => return Err(NodeError::NotAvailable(m)),
            Err(e) => return Err(NodeError::Setup(e.to_string())),
        };
        self.blobs
            .version_index(key, &|| Ok(contributions.clone()))
            .map_err(|e| NodeError::Setup(e.to_string()))
    }
}
