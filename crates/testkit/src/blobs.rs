//! Blobs held in memory for tests: records cut and version indexes built by the same functions
//! the node uses (`sinew_datanet::ingest_blob`, `sinew_state::blobs::build_version_index`), so
//! a test cannot pass on an index the node would not build.

use sinew_attribution::Shards;
use sinew_datanet::Ingested;
use sinew_state::{BlobSource, BlobSourceError, IndexKey, VersionContents};
use sinew_types::datanet::{BlobId, Format};
use sinew_types::Hash;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Blobs held in memory; version indexes built in memory on first use, as a node builds them.
#[derive(Default)]
pub struct MemBlobs {
    /// The blobs by id.
    pub blobs: BTreeMap<BlobId, Vec<u8>>,
    indexes: Mutex<BTreeMap<IndexKey, (Arc<Shards>, Hash)>>,
}

impl MemBlobs {
    /// Stores a blob; returns its id.
    pub fn put(&mut self, bytes: &[u8]) -> BlobId {
        let id = Hash::of(bytes);
        self.blobs.insert(id, bytes.to_vec());
        id
    }
}

impl BlobSource for MemBlobs {
    fn records(&self, blob: &BlobId, format: &Format) -> Result<Arc<Ingested>, BlobSourceError> {
        let bytes = self.blobs.get(blob).ok_or(BlobSourceError::NotFound(*blob))?;
        sinew_datanet::ingest_blob(bytes, format, &format!("blob {blob}"))
            .map(Arc::new)
            .map_err(|e| BlobSourceError::Ingest(e.stable()))
    }

    fn blob(&self, id: &BlobId) -> Result<Arc<Vec<u8>>, BlobSourceError> {
        self.blobs
            .get(id)
            .cloned()
            .map(Arc::new)
            .ok_or(BlobSourceError::NotFound(*id))
    }

    fn version_index(
        &self,
        key: IndexKey,
        contents: &dyn Fn() -> Result<VersionContents, BlobSourceError>,
    ) -> Result<(Arc<Shards>, Hash), BlobSourceError> {
        if let Some(hit) = self.indexes.lock().expect("not poisoned").get(&key) {
            return Ok(hit.clone());
        }
        let index = sinew_state::blobs::build_version_index(key.tokenizer, &contents()?, &|blob| {
            self.blobs
                .get(blob)
                .cloned()
                .map(Arc::new)
                .ok_or(BlobSourceError::NotFound(*blob))
        })?;
        let id = index.id();
        let entry = (Arc::new(index), id);
        self.indexes.lock().expect("not poisoned").insert(key, entry.clone());
        Ok(entry)
    }
}
