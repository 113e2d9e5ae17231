//! The node's blob store as a validator's [`BlobHost`]: pieces of held blobs served to the
//! other validators, blobs they hold received into a download that appears in the store only
//! once whole and checked.

use crate::replica::NodeReplica;
use sinew_consensus::{AppError, BlobHost, Keep, StagedBlob};
use sinew_store::BlobDownload;
use sinew_types::Hash;
use std::sync::Arc;

impl BlobHost for NodeReplica {
    fn blob_size(&self, id: &Hash) -> Option<u64> {
        self.node().ledger.blobs.store.size(id)
    }

    fn read_blob(&self, id: &Hash, offset: u64, len: u64) -> Result<Vec<u8>, AppError> {
        self.node()
            .ledger
            .blobs
            .store
            .read_range(id, offset, len)
            .map_err(|e| AppError::new("reading a blob", e))
    }

    fn max_blob_bytes(&self) -> u64 {
        self.node().params().max_blob_bytes
    }

    fn stage_blob(&self, id: &Hash, max_size: u64, keep: Keep) -> Result<Box<dyn StagedBlob>, AppError> {
        let node = self.node();
        let store = &node.ledger.blobs.store;
        let quota = node.config.api.max_unpinned_blob_bytes;
        if keep == Keep::Speculative && store.unpinned_bytes().saturating_add(max_size) > quota {
            return Err(AppError::new(
                "receiving a blob",
                format!("uploads no transaction names fill this node's quota ({quota} bytes)"),
            ));
        }
        let download = store
            .download(*id, max_size)
            .map_err(|e| AppError::new("receiving a blob", e))?;
        Ok(Box::new(Staged {
            node: node.clone(),
            download,
        }))
    }
}

/// A blob being received into the node's store.
struct Staged {
    node: Arc<crate::core::Node>,
    download: BlobDownload,
}

impl StagedBlob for Staged {
    fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<(), AppError> {
        self.download
            .write_at(offset, bytes)
            .map_err(|e| AppError::new("receiving a blob", e))
    }

    fn commit(self: Box<Self>, size: u64, pin: bool) -> Result<(), AppError> {
        let id = self.download.id();
        self.node
            .ledger
            .blobs
            .store
            .finish_download(self.download, size, pin)
            .map_err(|e| AppError::new("keeping a received blob", e))?;
        tracing::info!("blob {id} received from a peer");
        Ok(())
    }
}
