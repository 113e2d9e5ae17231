//! Blobs as the state machine's [`BlobSource`]: read from the blob store (verified), ingested
//! once per (blob, format), kept in a small cache.

use crate::blob::{BlobError, BlobStore};
use sinew_datanet::Ingested;
use sinew_state::{BlobSource, BlobSourceError};
use sinew_types::datanet::{BlobId, Format};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Ingested blobs kept in memory.
const CACHE_ENTRIES: usize = 32;

/// A blob and the encoding of a format.
type CacheKey = (BlobId, Vec<u8>);

/// A blob store that answers the state machine's record queries.
pub struct IngestingBlobs {
    /// The blobs.
    pub store: BlobStore,
    cache: Mutex<HashMap<CacheKey, Arc<Ingested>>>,
}

impl IngestingBlobs {
    /// Wraps a blob store.
    pub fn new(store: BlobStore) -> IngestingBlobs {
        IngestingBlobs {
            store,
            cache: Mutex::default(),
        }
    }
}

impl BlobSource for IngestingBlobs {
    fn records(&self, blob: &BlobId, format: &Format) -> Result<Arc<Ingested>, BlobSourceError> {
        let key = (*blob, borsh::to_vec(format).expect("encodes"));
        if let Some(hit) = self.cache.lock().expect("not poisoned").get(&key) {
            return Ok(hit.clone());
        }
        let bytes = self.store.read(blob).map_err(|e| match e {
            BlobError::NotFound(id) => BlobSourceError::NotFound(id),
            other => BlobSourceError::Storage(other.to_string()),
        })?;
        let ingested = Arc::new(
            sinew_datanet::ingest_blob(&bytes, format, &format!("blob {blob}"))
                .map_err(|e| BlobSourceError::Ingest(e.to_string()))?,
        );
        let mut cache = self.cache.lock().expect("not poisoned");
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(key, ingested.clone());
        Ok(ingested)
    }
}
