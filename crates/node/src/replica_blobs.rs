//! The node's blob store as a validator's [`BlobHost`]: pieces of held blobs served to the
//! other validators, blobs they hold received into a download that appears in the store only
//! once whole and checked.

use crate::replica::NodeReplica;
use sinew_consensus::{AppError, BlobHost, StagedBlob};
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

    fn stage_blob(&self, id: &Hash, size: u64, pin: bool) -> Result<Box<dyn StagedBlob>, AppError> {
        let download = self
            .node()
            .ledger
            .blobs
            .store
            .download(*id, size)
            .map_err(|e| AppError::new("receiving a blob", e))?;
        Ok(Box::new(Staged {
            node: self.node().clone(),
            download,
            pin,
        }))
    }
}

/// A blob being received into the node's store.
struct Staged {
    node: Arc<crate::core::Node>,
    download: BlobDownload,
    pin: bool,
}

impl StagedBlob for Staged {
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> Result<(), AppError> {
        self.download
            .write_at(offset, bytes)
            .map_err(|e| AppError::new("receiving a blob", e))
    }

    fn commit(self: Box<Self>) -> Result<(), AppError> {
        let id = self.download.id();
        self.node
            .ledger
            .blobs
            .store
            .finish_download(self.download, self.pin)
            .map_err(|e| AppError::new("keeping a received blob", e))?;
        tracing::info!("blob {id} received from a peer");
        Ok(())
    }
}
