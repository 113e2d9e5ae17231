//! Blobs as the state machine's [`BlobSource`]: read from the blob store (verified), ingested
//! once per (blob, format), kept in a small cache; and indexes of published datanet versions,
//! built once from their records, kept as files and memory-mapped.

use crate::blob::{BlobError, BlobStore};
use sinew_attribution::{DocRef, Index, Tokenizer};
use sinew_datanet::Ingested;
use sinew_state::{BlobSource, BlobSourceError, IndexKey};
use sinew_types::datanet::{BlobId, Format};
use sinew_types::Hash;
use std::collections::HashMap;
use std::path::PathBuf;
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
    index_dir: Option<PathBuf>,
    indexes: Mutex<HashMap<IndexKey, (Arc<Index>, Hash)>>,
    /// Serializes index builds so one version is never built twice at once.
    building: Mutex<()>,
}

impl IngestingBlobs {
    /// Wraps a blob store (no indexes).
    pub fn new(store: BlobStore) -> IngestingBlobs {
        IngestingBlobs {
            store,
            cache: Mutex::default(),
            index_dir: None,
            indexes: Mutex::default(),
            building: Mutex::default(),
        }
    }

    /// Wraps a blob store; indexes of datanet versions are kept under `dir`.
    pub fn with_indexes(store: BlobStore, dir: PathBuf) -> IngestingBlobs {
        IngestingBlobs {
            index_dir: Some(dir),
            ..IngestingBlobs::new(store)
        }
    }

    fn index_path(dir: &std::path::Path, key: &IndexKey) -> PathBuf {
        let name = match key.tokenizer {
            Tokenizer::Bytes => format!("{}-{}.idx", key.datanet, key.version),
            t => format!("{}-{}-{t}.idx", key.datanet, key.version),
        };
        dir.join(name)
    }

    fn build_index(&self, key: &IndexKey, contributions: &[(u64, BlobId, Format)]) -> Result<Index, BlobSourceError> {
        let mut texts: Vec<(DocRef, String)> = Vec::new();
        for (seq, blob, format) in contributions {
            let bytes = self.store.read(blob).map_err(|e| match e {
                BlobError::NotFound(id) => BlobSourceError::NotFound(id),
                other => BlobSourceError::Storage(other.to_string()),
            })?;
            let records = sinew_datanet::ingest(&bytes, format, &format!("blob {blob}"))
                .map_err(|e| BlobSourceError::Ingest(e.to_string()))?;
            texts.extend(records.into_iter().enumerate().map(|(i, r)| {
                (
                    DocRef {
                        contribution: *seq,
                        record: i as u32,
                    },
                    r.text,
                )
            }));
        }
        let docs: Vec<(DocRef, &[u8])> = texts.iter().map(|(r, t)| (*r, t.as_bytes())).collect();
        Index::build_with(key.tokenizer, &docs).map_err(|e| BlobSourceError::Ingest(e.to_string()))
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

    fn blob(&self, id: &BlobId) -> Result<Arc<Vec<u8>>, BlobSourceError> {
        self.store.read(id).map(Arc::new).map_err(|e| match e {
            BlobError::NotFound(id) => BlobSourceError::NotFound(id),
            other => BlobSourceError::Storage(other.to_string()),
        })
    }

    fn version_index(
        &self,
        key: IndexKey,
        contributions: &dyn Fn() -> Result<Vec<(u64, BlobId, Format)>, BlobSourceError>,
    ) -> Result<(Arc<Index>, Hash), BlobSourceError> {
        version_index(self, key, contributions)
    }
}

impl IngestingBlobs {
    fn cached_index(&self, key: &IndexKey) -> Option<(Arc<Index>, Hash)> {
        self.indexes.lock().expect("not poisoned").get(key).cloned()
    }
}

/// The index half of [`BlobSource`] for [`IngestingBlobs`].
pub(crate) fn version_index(
    blobs: &IngestingBlobs,
    key: IndexKey,
    contributions: &dyn Fn() -> Result<Vec<(u64, BlobId, Format)>, BlobSourceError>,
) -> Result<(Arc<Index>, Hash), BlobSourceError> {
    if let Some(hit) = blobs.cached_index(&key) {
        return Ok(hit);
    }
    let Some(dir) = &blobs.index_dir else {
        return Err(BlobSourceError::Storage("this node keeps no indexes".into()));
    };
    let _building = blobs.building.lock().expect("not poisoned");
    if let Some(hit) = blobs.cached_index(&key) {
        return Ok(hit);
    }
    let path = IngestingBlobs::index_path(dir, &key);
    let storage = |e: sinew_attribution::IndexError| BlobSourceError::Storage(e.to_string());
    if !path.exists() {
        let index = blobs.build_index(&key, &contributions()?)?;
        std::fs::create_dir_all(dir).map_err(|e| BlobSourceError::Storage(e.to_string()))?;
        index.write(&path).map_err(storage)?;
    }
    // A file we did not just write is checked against its checksum before use.
    let index = Index::open(&path, true).map_err(storage)?;
    let id = Hash::of(index.as_bytes());
    let entry = (Arc::new(index), id);
    blobs.indexes.lock().expect("not poisoned").insert(key, entry.clone());
    Ok(entry)
}
