//! Blobs as the state machine's [`BlobSource`]: read from the blob store (verified), ingested
//! once per (blob, format), kept in a small cache; and indexes of published datanet versions
//! ([`VersionIndexes`]: shard files built version by version, memory-mapped).
//!
//! Errors keep the [`BlobSource`] contract: a missing blob or one that does not parse is a fact
//! every node shares (with a message of ours, never a parser's); a failing file system (full
//! disk, too many open files) is `Unavailable`, so the transaction waits instead of failing and
//! the chain goes on; only a blob that no longer matches its id stops execution.

use crate::blob::{BlobError, BlobStore};
use crate::version_indexes::VersionIndexes;
use sinew_attribution::{IndexMode, Shards};
use sinew_datanet::Ingested;
use sinew_state::{BlobSource, BlobSourceError, IndexKey, VersionContents};
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

/// A blob store that answers the state machine's record queries.
pub struct IngestingBlobs {
    /// The blobs.
    pub store: BlobStore,
    cache: Mutex<HashMap<CacheKey, Arc<Ingested>>>,
    indexes: Option<Arc<VersionIndexes>>,
    ingestions: std::sync::atomic::AtomicU64,
}

impl IngestingBlobs {
    /// Wraps a blob store (no indexes).
    pub fn new(store: BlobStore) -> IngestingBlobs {
        IngestingBlobs {
            store,
            cache: Mutex::default(),
            indexes: None,
            ingestions: Default::default(),
        }
    }

    /// Wraps a blob store; indexes of datanet versions are kept under `dir` in `mode`, each
    /// build within `memory_mb` MiB.
    pub fn with_indexes(store: BlobStore, dir: PathBuf, memory_mb: u64, mode: IndexMode) -> IngestingBlobs {
        IngestingBlobs::with_version_indexes(store, VersionIndexes::open(dir, memory_mb, mode))
    }

    /// Wraps a blob store with version indexes already open.
    pub fn with_version_indexes(store: BlobStore, indexes: Arc<VersionIndexes>) -> IngestingBlobs {
        IngestingBlobs {
            indexes: Some(indexes),
            ..IngestingBlobs::new(store)
        }
    }

    /// Blobs parsed into records so far (cache hits not counted): the work a stranger could try to
    /// make this node do for free, watched by tests and the `blob_ingestions` metric.
    pub fn ingestions(&self) -> u64 {
        self.ingestions.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The version indexes, if this node keeps them.
    pub fn version_indexes(&self) -> Option<&Arc<VersionIndexes>> {
        self.indexes.as_ref()
    }
}

impl BlobSource for IngestingBlobs {
    fn records(&self, blob: &BlobId, format: &Format) -> Result<Arc<Ingested>, BlobSourceError> {
        let key = (*blob, borsh::to_vec(format).expect("encodes"));
        if let Some(hit) = self.cache.lock().expect("not poisoned").get(&key) {
            return Ok(hit.clone());
        }
        let bytes = self.store.read(blob).map_err(blob_error)?;
        self.ingestions.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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
        contents: &dyn Fn() -> Result<VersionContents, BlobSourceError>,
    ) -> Result<(Arc<Shards>, Hash), BlobSourceError> {
        let Some(indexes) = &self.indexes else {
            return Err(BlobSourceError::Storage("this node keeps no indexes".into()));
        };
        indexes.get(key, contents, &|blob| {
            self.store.read(blob).map(Arc::new).map_err(blob_error)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sinew_attribution::{Params, Tokenizer};
    use std::cell::{Cell, RefCell};
    use IndexMode::SuffixArray;

    fn blobs() -> (tempfile::TempDir, IngestingBlobs) {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(&dir.path().join("blobs")).unwrap();
        let b = IngestingBlobs::with_indexes(store, dir.path().join("indexes"), 1024, SuffixArray);
        (dir, b)
    }

    fn key(version: u64) -> IndexKey {
        IndexKey {
            datanet: 0,
            version,
            root: Hash::of(format!("version {version}").as_bytes()),
            tokenizer: Tokenizer::Bytes,
        }
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
    fn an_unindexable_version_is_remembered_not_rebuilt_per_request() {
        let (_dir, b) = blobs();
        let json = Format::Jsonl { field: "text".into() };
        let (bad, _) = b.store.put(&b"{not json\n"[..], 1 << 20).unwrap();
        let calls = Cell::new(0);
        let list = || {
            calls.set(calls.get() + 1);
            Ok(VersionContents {
                contributions: vec![(0, bad, json.clone())],
                versions: vec![(1, key(1).root)],
            })
        };
        let first = b.version_index(key(1), &list).err().unwrap();
        assert!(
            matches!(first, BlobSourceError::Ingest(ref m) if !m.contains("expected")),
            "{first:?}"
        );
        let again = b.version_index(key(1), &list).err().unwrap();
        assert_eq!(first, again);
        assert_eq!(calls.get(), 1, "the failing build ran once");
    }

    /// Six versions of a datanet, one contribution each.
    fn history(b: &IngestingBlobs) -> VersionContents {
        let text = Format::Text { max_record_bytes: 4096 };
        let mut contents = VersionContents {
            contributions: vec![],
            versions: vec![],
        };
        for v in 1..=6u64 {
            let body: String = (0..v + 2)
                .map(|r| {
                    format!(
                        "Version {v}, record {r}: the Danube flows east past town {}.\n\n",
                        (v * 3 + r) % 7
                    )
                })
                .collect();
            let (id, _) = b.store.put(body.as_bytes(), 1 << 20).unwrap();
            contents.contributions.push((v - 1, id, text.clone()));
            contents.versions.push((v, key(v).root));
        }
        contents
    }

    fn upto(all: &VersionContents, v: u64) -> VersionContents {
        VersionContents {
            contributions: all.contributions[..v as usize].to_vec(),
            versions: all.versions[..v as usize].to_vec(),
        }
    }

    #[test]
    fn each_version_indexes_only_its_delta_and_merges_reach_the_layout_built_at_once() {
        for mode in IndexMode::ALL {
            versions_index_their_delta_and_merge_in(mode);
        }
    }

    fn versions_index_their_delta_and_merge_in(mode: IndexMode) {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(&dir.path().join("blobs")).unwrap();
        let indexes = VersionIndexes::open_with_shard_cap(dir.path().join("indexes"), 1024, mode, 700);
        let b = IngestingBlobs::with_version_indexes(store, indexes.clone());
        let all = history(&b);
        let reads = RefCell::new(Vec::new());
        let read = |id: &BlobId| {
            reads.borrow_mut().push(*id);
            b.store.read(id).map(Arc::new).map_err(blob_error)
        };
        let p = Params {
            min_len: 12,
            max_count: 10,
        };
        let answer = b"We know the Danube flows east past town 3, they said.";
        for v in 1..=6u64 {
            reads.borrow_mut().clear();
            let (shards, id) = indexes.get(key(v), &|| Ok(upto(&all, v)), &read).unwrap();
            assert_eq!(
                *reads.borrow(),
                vec![all.contributions[v as usize - 1].1],
                "v{v}: only the new blob is read"
            );
            assert!(shards.shards().iter().all(|s| s.mode() == mode), "{mode}");
            // The same version built at once by the ledger's pure function (suffix arrays): same
            // id, same receipt.
            let once = sinew_state::blobs::build_version_index(Tokenizer::Bytes, &upto(&all, v), &read).unwrap();
            assert_eq!(id, once.id(), "v{v}");
            assert_eq!(
                sinew_attribution::receipt(&*shards, id, answer, &p),
                sinew_attribution::receipt(&once, once.id(), answer, &p)
            );
        }
        indexes.wait_for_merges();
        let merged = indexes.served_shards(&key(6)).unwrap();
        let at_once = tempfile::tempdir().unwrap();
        let fresh = VersionIndexes::open_with_shard_cap(at_once.path().to_path_buf(), 1024, mode, 700);
        let (s2, _) = fresh.get(key(6), &|| Ok(upto(&all, 6)), &read).unwrap();
        assert_eq!(
            merged,
            s2.shards().len(),
            "merges reach the layout a node building at once has"
        );
        assert!(merged > 1 && merged < 6, "{merged} shards");
        // A restart opens every version from its manifest, reading no blob.
        let again = VersionIndexes::open_with_shard_cap(dir.path().join("indexes"), 1024, mode, 700);
        reads.borrow_mut().clear();
        let refuse = || Err(BlobSourceError::Storage("must not be called".into()));
        for v in 1..=6 {
            again.get(key(v), &refuse, &read).unwrap();
        }
        assert!(reads.borrow().is_empty());
        drop(again);
        // Restarted in the other mode: the version is rebuilt in it, to the same id and receipt.
        let other = match mode {
            IndexMode::SuffixArray => IndexMode::Compressed,
            IndexMode::Compressed => IndexMode::SuffixArray,
        };
        let switched = VersionIndexes::open_with_shard_cap(dir.path().join("indexes"), 1024, other, 700);
        let (s6, id6) = switched.get(key(6), &|| Ok(upto(&all, 6)), &read).unwrap();
        assert!(s6.shards().iter().all(|s| s.mode() == other), "{other}");
        assert_eq!(id6, s2.id());
        assert_eq!(
            sinew_attribution::receipt(&*s6, id6, answer, &p),
            sinew_attribution::receipt(&*s2, id6, answer, &p)
        );
    }

    #[test]
    fn a_damaged_shard_is_rebuilt_never_served() {
        let (dir, b) = blobs();
        let all = history(&b);
        let v1 = upto(&all, 1);
        let (_, id) = b.version_index(key(1), &|| Ok(v1.clone())).unwrap();
        let shard = std::fs::read_dir(dir.path().join("indexes"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "shard"))
            .unwrap();
        let mut bytes = std::fs::read(&shard).unwrap();
        bytes[150] ^= 0x01;
        std::fs::write(&shard, &bytes).unwrap();
        let store = BlobStore::open(&dir.path().join("blobs")).unwrap();
        let restarted = IngestingBlobs::with_indexes(store, dir.path().join("indexes"), 1024, SuffixArray);
        let (s, rebuilt) = restarted.version_index(key(1), &|| Ok(v1.clone())).unwrap();
        assert_eq!(rebuilt, id, "rebuilt to the same content");
        assert_ne!(std::fs::read(&shard).unwrap(), bytes, "the damaged file was replaced");
        assert_eq!(s.doc_count(), 3);
    }
}
