//! Blobs as the state machine's [`BlobSource`]: read from the blob store (verified), ingested
//! once per (blob, format), kept in a small cache; and indexes of published datanet versions,
//! built once from their records, kept as files and memory-mapped.
//!
//! Errors keep the [`BlobSource`] contract: a missing blob or one that does not parse is a fact
//! every node shares (with a message of ours, never a parser's); a failing file system (full
//! disk, too many open files) is `Unavailable`, so the transaction waits instead of failing and
//! the chain goes on; only a blob that no longer matches its id stops execution. An index is
//! derived data: a damaged index file is rebuilt, a version that cannot be indexed is remembered
//! as such (not rebuilt on every request), and two versions build at the same time without
//! waiting for each other.

use crate::blob::{BlobError, BlobStore};
use sinew_attribution::{Index, Tokenizer};
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

/// A blob store error as the state machine must see it.
fn blob_error(e: BlobError) -> BlobSourceError {
    match e {
        BlobError::NotFound(id) => BlobSourceError::NotFound(id),
        BlobError::Io(e) => BlobSourceError::Unavailable(e.to_string()),
        other => BlobSourceError::Storage(other.to_string()),
    }
}

/// An index build error as the state machine must see it: file trouble passes, everything else
/// is a fact about the version's records that every node reaches alike.
fn index_error(e: sinew_attribution::IndexError) -> BlobSourceError {
    match e {
        sinew_attribution::IndexError::Io(e) => BlobSourceError::Unavailable(e.to_string()),
        other => BlobSourceError::Ingest(format!("the version cannot be indexed: {other}")),
    }
}

/// A blob store that answers the state machine's record queries.
pub struct IngestingBlobs {
    /// The blobs.
    pub store: BlobStore,
    cache: Mutex<HashMap<CacheKey, Arc<Ingested>>>,
    index_dir: Option<PathBuf>,
    indexes: Mutex<HashMap<IndexKey, (Arc<Index>, Hash)>>,
    /// Versions that cannot be indexed (too large, bad records), with why: never retried.
    unindexable: Mutex<HashMap<IndexKey, BlobSourceError>>,
    /// One lock per index being built, so a version is never built twice at once and builds of
    /// different versions do not wait for each other.
    building: Mutex<HashMap<IndexKey, Arc<Mutex<()>>>>,
}

impl IngestingBlobs {
    /// Wraps a blob store (no indexes).
    pub fn new(store: BlobStore) -> IngestingBlobs {
        IngestingBlobs {
            store,
            cache: Mutex::default(),
            index_dir: None,
            indexes: Mutex::default(),
            unindexable: Mutex::default(),
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
        // Named by content too (the root), so forks publishing different contents under one
        // version number never share a file.
        let root = &key.root.to_string()[..16];
        let name = match key.tokenizer {
            Tokenizer::Bytes => format!("{}-{}-{root}.idx", key.datanet, key.version),
            t => format!("{}-{}-{root}-{t}.idx", key.datanet, key.version),
        };
        dir.join(name)
    }

    fn build_index(&self, key: &IndexKey, contributions: &[(u64, BlobId, Format)]) -> Result<Index, BlobSourceError> {
        sinew_state::blobs::build_version_index(key.tokenizer, contributions, &|blob| {
            self.store.read(blob).map(Arc::new).map_err(blob_error)
        })
    }
}

impl BlobSource for IngestingBlobs {
    fn records(&self, blob: &BlobId, format: &Format) -> Result<Arc<Ingested>, BlobSourceError> {
        let key = (*blob, borsh::to_vec(format).expect("encodes"));
        if let Some(hit) = self.cache.lock().expect("not poisoned").get(&key) {
            return Ok(hit.clone());
        }
        let bytes = self.store.read(blob).map_err(blob_error)?;
        let ingested = Arc::new(
            sinew_datanet::ingest_blob(&bytes, format, &format!("blob {blob}"))
                .map_err(|e| BlobSourceError::Ingest(e.stable()))?,
        );
        let mut cache = self.cache.lock().expect("not poisoned");
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(key, ingested.clone());
        Ok(ingested)
    }

    fn blob(&self, id: &BlobId) -> Result<Arc<Vec<u8>>, BlobSourceError> {
        self.store.read(id).map(Arc::new).map_err(blob_error)
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
    if let Some(e) = blobs.unindexable.lock().expect("not poisoned").get(&key) {
        return Err(e.clone());
    }
    let Some(dir) = &blobs.index_dir else {
        return Err(BlobSourceError::Storage("this node keeps no indexes".into()));
    };
    let lock = blobs
        .building
        .lock()
        .expect("not poisoned")
        .entry(key)
        .or_default()
        .clone();
    let _building = lock.lock().expect("not poisoned");
    if let Some(hit) = blobs.cached_index(&key) {
        return Ok(hit);
    }
    let path = IngestingBlobs::index_path(dir, &key);
    // A file we did not just write is checked against its checksum before use; a damaged one
    // is derived data: rebuilt.
    let opened = if path.exists() {
        match Index::open(&path, true) {
            Ok(i) => Some(i),
            Err(sinew_attribution::IndexError::Io(e)) => return Err(BlobSourceError::Unavailable(e.to_string())),
            Err(e) => {
                tracing::warn!("index {} is damaged ({e}); rebuilding it", path.display());
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    } else {
        None
    };
    let index = match opened {
        Some(i) => i,
        None => {
            let built = match blobs.build_index(&key, &contributions()?) {
                Ok(i) => i,
                Err(e @ BlobSourceError::Ingest(_)) => {
                    blobs.unindexable.lock().expect("not poisoned").insert(key, e.clone());
                    return Err(e);
                }
                Err(e) => return Err(e),
            };
            let io = |e: std::io::Error| BlobSourceError::Unavailable(e.to_string());
            std::fs::create_dir_all(dir).map_err(io)?;
            built.write(&path).map_err(index_error)?;
            Index::open(&path, false).map_err(index_error)?
        }
    };
    let id = Hash::of(index.as_bytes());
    let entry = (Arc::new(index), id);
    blobs.indexes.lock().expect("not poisoned").insert(key, entry.clone());
    blobs.building.lock().expect("not poisoned").remove(&key);
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn blobs() -> (tempfile::TempDir, IngestingBlobs) {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(&dir.path().join("blobs")).unwrap();
        let b = IngestingBlobs::with_indexes(store, dir.path().join("indexes"));
        (dir, b)
    }

    #[test]
    fn file_system_trouble_is_unavailable_and_damage_stops() {
        let io = blob_error(BlobError::Io(std::io::Error::from_raw_os_error(24)));
        assert!(matches!(io, BlobSourceError::Unavailable(_)));
        let id = Hash::of(b"x");
        assert!(matches!(
            blob_error(BlobError::Corrupt(id)),
            BlobSourceError::Storage(_)
        ));
        assert_eq!(blob_error(BlobError::NotFound(id)), BlobSourceError::NotFound(id));
    }

    #[test]
    fn an_unindexable_version_is_remembered_not_rebuilt_per_request_and_damaged_files_rebuilt() {
        let (_dir, b) = blobs();
        let json = Format::Jsonl { field: "text".into() };
        let (bad, _) = b.store.put(&b"{not json\n"[..], 1 << 20).unwrap();
        let key = IndexKey {
            datanet: 0,
            version: 1,
            root: Hash::of(b"version 1"),
            tokenizer: Tokenizer::Bytes,
        };
        let calls = Cell::new(0);
        let list = || {
            calls.set(calls.get() + 1);
            Ok(vec![(0, bad, json.clone())])
        };
        let first = version_index(&b, key, &list).err().unwrap();
        assert!(
            matches!(first, BlobSourceError::Ingest(ref m) if !m.contains("expected")),
            "{first:?}"
        );
        let again = version_index(&b, key, &list).err().unwrap();
        assert_eq!(first, again);
        assert_eq!(calls.get(), 1, "the failing build ran once");
        // A good version: built once; a damaged file on disk is rebuilt, not fatal.
        let (good, _) = b
            .store
            .put(&b"The Danube flows east.\n\nThe Rhine flows north.\n"[..], 1 << 20)
            .unwrap();
        let key2 = IndexKey {
            version: 2,
            root: Hash::of(b"version 2"),
            ..key
        };
        let text = Format::Text { max_record_bytes: 4096 };
        let list2 = || Ok(vec![(0, good, text.clone())]);
        let (_, id) = version_index(&b, key2, &list2).unwrap();
        let path = IngestingBlobs::index_path(b.index_dir.as_ref().unwrap(), &key2);
        std::fs::write(&path, b"garbage").unwrap();
        b.indexes.lock().unwrap().clear();
        let (_, rebuilt) = version_index(&b, key2, &list2).unwrap();
        assert_eq!(rebuilt, id, "rebuilt byte for byte");
    }
}
