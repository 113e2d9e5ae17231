//! The indexes of published datanet versions on a node: shard files and one manifest per
//! version (`sinew_attribution::ShardDir`), built version by version and merged in the
//! background.
//!
//! A version whose predecessor's shards are at hand is made queryable by indexing only its new
//! contributions (seconds for a day's data on a datanet of any size); otherwise it is built at
//! once in its merged layout. Merges towards the layout every node shares run on one background
//! thread, one shard at a time, with one core; until a merge lands the version is served from
//! its parts, which give the same answers and receipts. An index is derived data: a damaged
//! manifest or shard is refused and rebuilt, a version that cannot be indexed is remembered as
//! such (not rebuilt on every request), and two versions build at the same time without waiting
//! for each other.

use crate::version_spill::spill_contributions;
use sinew_attribution::{BuildLimits, IndexMode, Manifest, ShardDir, Shards};
use sinew_state::blobs::{check_contents, index_error, ReadBlob, VERSION_SHARD_MAX_BYTES};
use sinew_state::{BlobSourceError, IndexKey, VersionContents};
use sinew_types::Hash;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Condvar, Mutex, Weak};

/// Memory a node gives one index build by default, in MiB (a 1 GiB shard needs about 6 GiB).
pub const DEFAULT_INDEX_MEMORY_MB: u64 = 6 << 10;

/// A version's index as held: its manifest and its open shards.
#[derive(Clone)]
struct Held {
    manifest: Manifest,
    shards: Arc<Shards>,
}

/// The version indexes of one node.
pub struct VersionIndexes {
    dir: ShardDir,
    /// Limits of builds a request waits for (every core).
    limits: BuildLimits,
    /// Limits of background merges (one core).
    merge_limits: BuildLimits,
    held: Mutex<HashMap<IndexKey, Held>>,
    /// Versions that cannot be indexed (bad records), with why: never retried.
    unindexable: Mutex<HashMap<IndexKey, BlobSourceError>>,
    /// One lock per version being built, so a version is never built twice at once and builds
    /// of different versions do not wait for each other.
    building: Mutex<HashMap<IndexKey, Arc<Mutex<()>>>>,
    merges: Mutex<Merges>,
    merged: Condvar,
    this: Weak<VersionIndexes>,
}

/// The background merges: the queue's sender (the thread starts with the first merge) and the
/// versions queued or running.
#[derive(Default)]
struct Merges {
    queue: Option<mpsc::Sender<IndexKey>>,
    waiting: BTreeSet<IndexKey>,
}

fn manifest_name(key: &IndexKey) -> String {
    // Named by content too (the whole root), so forks publishing different contents under one
    // version number never share a manifest.
    format!("{}-{}-{}-{}", key.datanet, key.version, key.root, key.tokenizer)
}

impl VersionIndexes {
    /// The version indexes under `dir`, stored in `mode`, each build within `memory_mb` MiB.
    /// Shard files no manifest names (superseded by merges, left by a crash, of the other mode)
    /// are removed first; a version saved in the other mode is rebuilt in this one when asked for.
    pub fn open(dir: PathBuf, memory_mb: u64, mode: IndexMode) -> Arc<VersionIndexes> {
        VersionIndexes::open_with_shard_cap(dir, memory_mb, mode, VERSION_SHARD_MAX_BYTES)
    }

    /// [`VersionIndexes::open`] with another cap on merged shards than the ledger's (tests:
    /// many shards from little data).
    pub fn open_with_shard_cap(dir: PathBuf, memory_mb: u64, mode: IndexMode, max_bytes: u64) -> Arc<VersionIndexes> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let limits = BuildLimits::for_memory(max_bytes, memory_mb, cores).for_mode(mode);
        let dir = ShardDir::with_mode(dir, mode);
        if dir.path().exists() {
            match dir.collect_garbage() {
                Ok(0) => {}
                Ok(n) => tracing::info!("removed {n} bytes of index shards no version uses"),
                Err(e) => tracing::warn!("could not clean the index folder: {e}"),
            }
        }
        Arc::new_cyclic(|this| VersionIndexes {
            dir,
            limits,
            merge_limits: BuildLimits { threads: 1, ..limits },
            held: Mutex::default(),
            unindexable: Mutex::default(),
            building: Mutex::default(),
            merges: Mutex::default(),
            merged: Condvar::new(),
            this: this.clone(),
        })
    }

    fn held(&self, key: &IndexKey) -> Option<Held> {
        self.held.lock().expect("not poisoned").get(key).cloned()
    }

    /// The index of a version and its id; `contents` is read only if it must be built.
    pub fn get(
        &self,
        key: IndexKey,
        contents: &dyn Fn() -> Result<VersionContents, BlobSourceError>,
        read_blob: &ReadBlob,
    ) -> Result<(Arc<Shards>, Hash), BlobSourceError> {
        let out = |h: Held| (h.shards.clone(), h.shards.id());
        if let Some(h) = self.held(&key) {
            return Ok(out(h));
        }
        if let Some(e) = self.unindexable.lock().expect("not poisoned").get(&key) {
            return Err(e.clone());
        }
        let lock = self
            .building
            .lock()
            .expect("not poisoned")
            .entry(key)
            .or_default()
            .clone();
        let _building = lock.lock().expect("not poisoned");
        if let Some(h) = self.held(&key) {
            return Ok(out(h));
        }
        let held = match self.load(&key)? {
            Some(h) => h,
            None => match self.build(&key, &contents()?, read_blob) {
                Ok(h) => h,
                Err(e @ BlobSourceError::Ingest(_)) => {
                    self.unindexable.lock().expect("not poisoned").insert(key, e.clone());
                    return Err(e);
                }
                Err(e) => return Err(e),
            },
        };
        self.held.lock().expect("not poisoned").insert(key, held.clone());
        self.building.lock().expect("not poisoned").remove(&key);
        if !held.manifest.pending(self.merge_limits.build_max).is_empty() {
            self.schedule_merge(key);
        }
        Ok(out(held))
    }

    /// The version as saved by an earlier run, if its manifest and every shard are sound; a
    /// damaged one is logged and dropped (to be rebuilt).
    fn load(&self, key: &IndexKey) -> Result<Option<Held>, BlobSourceError> {
        let name = manifest_name(key);
        let unavailable = |e: std::io::Error| BlobSourceError::Unavailable(e.to_string());
        let manifest = match self.dir.read_manifest(&name) {
            Ok(Some(m)) => m,
            Ok(None) => return Ok(None),
            Err(sinew_attribution::IndexError::Io(e)) => return Err(unavailable(e)),
            Err(e) => {
                tracing::warn!("index of {name} is damaged ({e}); rebuilding it");
                return Ok(None);
            }
        };
        if manifest.tokenizer != key.tokenizer || manifest.mode != self.dir.mode() {
            return Ok(None);
        }
        match self.dir.open(&manifest) {
            Ok(shards) => Ok(Some(Held {
                manifest,
                shards: Arc::new(shards),
            })),
            Err(sinew_attribution::IndexError::Io(e)) => Err(unavailable(e)),
            Err(e) => {
                tracing::warn!("index of {name} is damaged ({e}); rebuilding it");
                Ok(None)
            }
        }
    }

    /// Builds a version: from its predecessor when that one is at hand (only the delta is
    /// indexed), at once otherwise. Saves its manifest.
    fn build(&self, key: &IndexKey, contents: &VersionContents, read_blob: &ReadBlob) -> Result<Held, BlobSourceError> {
        let t = key.tokenizer;
        let n = key.version as usize;
        check_contents(contents)?;
        if contents.versions.len() != n {
            return Err(BlobSourceError::Storage(format!(
                "datanet {} version {n}: {} versions listed",
                key.datanet,
                contents.versions.len()
            )));
        }
        let prev = (n > 1)
            .then(|| IndexKey {
                version: key.version - 1,
                root: contents.versions[n - 2].1,
                ..*key
            })
            .map(|p| match self.held(&p) {
                Some(h) => Ok(Some(h)),
                None => self.load(&p),
            })
            .transpose()?
            .flatten();
        // The records stream through a spill file: the build holds one shard's documents at a
        // time, however large the version.
        let (manifest, shards) = match prev {
            Some(prev) => {
                let from = contents.versions[n - 2].0 as usize;
                let to = contents.versions[n - 1].0 as usize;
                let delta = contents.contributions.get(from..to).ok_or_else(|| {
                    BlobSourceError::Storage(format!("version {n} lists fewer contributions than it covers"))
                })?;
                let mut spill = self.dir.spill_after(&prev.manifest, self.limits).map_err(index_error)?;
                spill_contributions(&mut spill, delta, &[], read_blob)?;
                self.dir
                    .extend_spilled(&prev.manifest, &prev.shards, spill, self.limits)
                    .map_err(index_error)?
            }
            None => {
                let mut spill = self.dir.spill(t, self.limits).map_err(index_error)?;
                let ends: Vec<u64> = contents.versions.iter().map(|v| v.0).collect();
                spill_contributions(&mut spill, &contents.contributions, &ends, read_blob)?;
                self.dir.build_spilled(spill, self.limits).map_err(index_error)?
            }
        };
        self.dir
            .write_manifest(&manifest_name(key), &manifest)
            .map_err(index_error)?;
        Ok(Held {
            manifest,
            shards: Arc::new(shards),
        })
    }

    fn schedule_merge(&self, key: IndexKey) {
        let mut m = self.merges.lock().expect("not poisoned");
        if !m.waiting.insert(key) {
            return;
        }
        if m.queue.is_none() {
            let (tx, rx) = mpsc::channel::<IndexKey>();
            let this = self.this.clone();
            let spawned = std::thread::Builder::new().name("index-merges".into()).spawn(move || {
                while let Ok(key) = rx.recv() {
                    let Some(v) = this.upgrade() else { return };
                    let merged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| v.merge(key)));
                    if merged.is_err() {
                        tracing::error!("merging the index of {} panicked; left unmerged", manifest_name(&key));
                    }
                    v.done_merging(key);
                }
            });
            match spawned {
                Ok(_) => m.queue = Some(tx),
                Err(e) => {
                    tracing::warn!("cannot start the index merge thread: {e}");
                    m.waiting.remove(&key);
                    return;
                }
            }
        }
        if let Some(q) = &m.queue {
            let _ = q.send(key);
        }
    }

    /// Runs the merges of one version and serves the result.
    fn merge(&self, key: IndexKey) {
        if let Some(h) = self.held(&key) {
            match self.dir.compact(&h.manifest, &h.shards, self.merge_limits) {
                Ok((manifest, shards)) => {
                    let saved = self.dir.write_manifest(&manifest_name(&key), &manifest);
                    if let Err(e) = saved {
                        tracing::warn!("could not save merged index of {}: {e}", manifest_name(&key));
                    }
                    let held = Held {
                        manifest,
                        shards: Arc::new(shards),
                    };
                    self.held.lock().expect("not poisoned").insert(key, held);
                }
                Err(e) => tracing::warn!("merging the index of {} failed: {e}", manifest_name(&key)),
            }
        }
    }

    /// Marks a version's merges as over (done, failed or panicked).
    fn done_merging(&self, key: IndexKey) {
        let mut m = self.merges.lock().unwrap_or_else(|p| p.into_inner());
        m.waiting.remove(&key);
        self.merged.notify_all();
    }

    /// Waits until no merge is queued or running (tests, benchmarks, a clean shutdown).
    pub fn wait_for_merges(&self) {
        let mut m = self.merges.lock().expect("not poisoned");
        while !m.waiting.is_empty() {
            m = self.merged.wait(m).expect("not poisoned");
        }
    }

    /// How many shards serve a version now (None: not held).
    pub fn served_shards(&self, key: &IndexKey) -> Option<usize> {
        self.held(key).map(|h| h.shards.shards().len())
    }
}
