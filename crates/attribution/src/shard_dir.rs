//! Versions on disk: shard files named by the content they hold, and one manifest per version
//! naming the shards that serve it now and the merged layout it is heading to.
//!
//! A version is built from scratch ([`ShardDir::build`]: its merged layout at once), or from the
//! version before it ([`ShardDir::extend`]: only the new documents are indexed, as new shards;
//! the version is queryable as soon as they are written), and merged later
//! ([`ShardDir::compact`], from the shards' own token streams, never re-reading or
//! re-tokenizing records). Shards are immutable and shared by every version that holds them. A
//! node builds no shard larger than its memory allows (`BuildLimits::build_max`): a merged shard
//! above that stays served as its parts, which answer the same.
//!
//! Each folder builds in one [`IndexMode`] (suffix arrays or FM-indexes, told apart by file
//! extension and recorded in the manifest); the answers, and so receipts, are the same in both.
//!
//! A shard file is opened once per process with its checksum checked and its place in the
//! content chain compared with the manifest's; one that is missing, truncated, tampered with or
//! not the one named is refused (and removed, so that it is rebuilt), never served.

use crate::content;
use crate::corpus::Shards;
use crate::fm::FmIndex;
use crate::index::{EncodedDoc, Index, IndexError};
use crate::layout::{self, ShardSpan};
use crate::shard::{IndexMode, Shard};
use crate::spill::{InMemory, Pieces, Spill};
use crate::tokenizer::Tokenizer;
use sinew_types::Hash;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

const MAGIC: &[u8; 8] = b"SINEWVER";
const MANIFEST_VERSION: u32 = 1;

/// One shard of a version: the documents it holds and its place in the content chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardFile {
    /// Its documents.
    pub span: ShardSpan,
    /// The chain value before its first document.
    pub start: Hash,
    /// The chain value after its last.
    pub end: Hash,
}

/// A version's shards as a node holds them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The tokenizer of every shard.
    pub tokenizer: Tokenizer,
    /// How every shard is stored.
    pub mode: IndexMode,
    /// The shards that serve it now, in order.
    pub served: Vec<ShardFile>,
    /// The layout it reaches once merges land (the same on every node).
    pub merged: Vec<ShardSpan>,
}

/// How much a build may take of the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildLimits {
    /// Largest shard of the merged layout, in stream bytes (the same on every node).
    pub max_bytes: u64,
    /// Largest shard this node builds, in stream bytes: a suffix-array build holds about 6 bytes
    /// per stream byte (the documents as read, the stream and its suffix array), so its memory
    /// budget divided by 6; an FM-index build at most 8 ([`BuildLimits::for_mode`]).
    pub build_max: u64,
    /// Threads sorting a suffix array.
    pub threads: usize,
}

impl BuildLimits {
    /// Limits for a memory budget in MiB.
    pub fn for_memory(max_bytes: u64, memory_budget_mb: u64, threads: usize) -> BuildLimits {
        BuildLimits {
            max_bytes,
            build_max: (memory_budget_mb.max(64).saturating_mul(1 << 20) / 6)
                .min(crate::index::MAX_SHARD_BYTES as u64 - 1),
            threads: threads.max(1),
        }
    }
}

impl BuildLimits {
    /// These limits for builds in `mode`: an FM-index build holds the stream as 16- or 32-bit
    /// symbols beside its suffix array, and then the compressed transform (up to 8 bytes per
    /// stream byte at byte level with the documents as read, against 6 for a suffix array), so
    /// it builds smaller shards.
    pub fn for_mode(self, mode: IndexMode) -> BuildLimits {
        match mode {
            IndexMode::SuffixArray => self,
            IndexMode::Compressed => BuildLimits {
                build_max: (self.build_max / 8 * 6).max(1),
                ..self
            },
        }
    }
}

impl Manifest {
    /// The corpus id of the version (the chain value after its last document).
    pub fn id(&self) -> Hash {
        self.served.last().map_or(content::start(self.tokenizer), |f| f.end)
    }

    /// Documents in the version.
    pub fn docs(&self) -> u64 {
        self.served.last().map_or(0, |f| f.span.end())
    }

    /// Merged shards not served yet that this node can build (at most `build_max` bytes).
    pub fn pending(&self, build_max: u64) -> Vec<ShardSpan> {
        let served: std::collections::BTreeSet<ShardSpan> = self.served.iter().map(|f| f.span).collect();
        self.merged
            .iter()
            .filter(|m| !served.contains(m) && m.bytes <= build_max)
            .copied()
            .collect()
    }

    fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(40 + 88 * self.served.len() + 24 * self.merged.len());
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&MANIFEST_VERSION.to_le_bytes());
        b.extend_from_slice(&[self.tokenizer.id(), self.mode.id(), 0, 0]);
        b.extend_from_slice(&(self.served.len() as u64).to_le_bytes());
        b.extend_from_slice(&(self.merged.len() as u64).to_le_bytes());
        let span = |b: &mut Vec<u8>, s: &ShardSpan| {
            for x in [s.first, s.docs, s.bytes] {
                b.extend_from_slice(&x.to_le_bytes());
            }
        };
        for f in &self.served {
            span(&mut b, &f.span);
            b.extend_from_slice(&f.start.0);
            b.extend_from_slice(&f.end.0);
        }
        for m in &self.merged {
            span(&mut b, m);
        }
        let sum = blake3::hash(&b);
        b.extend_from_slice(sum.as_bytes());
        b
    }

    fn decode(b: &[u8]) -> Result<Manifest, IndexError> {
        let bad = |m: &str| IndexError::Invalid(format!("version manifest: {m}"));
        if b.len() < 64 || &b[..8] != MAGIC {
            return Err(bad("wrong magic"));
        }
        let (body, sum) = b.split_at(b.len() - 32);
        if blake3::hash(body).as_bytes() != sum {
            return Err(bad("checksum mismatch"));
        }
        let u64_at = |at: usize| u64::from_le_bytes(body[at..at + 8].try_into().expect("8 bytes"));
        if u32::from_le_bytes(body[8..12].try_into().expect("4 bytes")) != MANIFEST_VERSION {
            return Err(bad("unsupported version"));
        }
        let tokenizer = Tokenizer::from_id(body[12]).map_err(|_| bad("unknown tokenizer"))?;
        let mode = IndexMode::from_id(body[13]).ok_or_else(|| bad("unknown index mode"))?;
        let (ns, nm) = (u64_at(16) as usize, u64_at(24) as usize);
        if ns.checked_mul(88).and_then(|x| x.checked_add(nm.checked_mul(24)?)) != Some(body.len() - 32) {
            return Err(bad("inconsistent length"));
        }
        let span = |at: usize| ShardSpan {
            first: u64_at(at),
            docs: u64_at(at + 8),
            bytes: u64_at(at + 16),
        };
        let hash = |at: usize| Hash(body[at..at + 32].try_into().expect("32 bytes"));
        let served = (0..ns)
            .map(|i| {
                let at = 32 + 88 * i;
                ShardFile {
                    span: span(at),
                    start: hash(at + 24),
                    end: hash(at + 56),
                }
            })
            .collect();
        let merged: Vec<ShardSpan> = (0..nm).map(|i| span(32 + 88 * ns + 24 * i)).collect();
        let m = Manifest {
            tokenizer,
            mode,
            served,
            merged,
        };
        m.check().map_err(bad)?;
        Ok(m)
    }

    /// Whether the spans make sense: served and merged shards each run contiguously from the
    /// first document to the same last one, and every merged shard is whole served shards.
    fn check(&self) -> Result<(), &'static str> {
        let contiguous = |spans: &mut dyn Iterator<Item = ShardSpan>| {
            let mut at = 0u64;
            for s in spans {
                if s.first != at || s.first.checked_add(s.docs).is_none() {
                    return None;
                }
                at = s.end();
            }
            Some(at)
        };
        let served_end = contiguous(&mut self.served.iter().map(|f| f.span)).ok_or("served shards leave gaps")?;
        let merged_end = contiguous(&mut self.merged.iter().copied()).ok_or("merged shards leave gaps")?;
        let spans: Vec<ShardSpan> = self.served.iter().map(|f| f.span).collect();
        if self.served.is_empty() || served_end != merged_end || !layout::refines(&spans, &self.merged) {
            return Err("served shards do not make up the merged layout");
        }
        if self.served.windows(2).any(|w| w[0].end != w[1].start) {
            return Err("served shards do not follow each other in the content chain");
        }
        Ok(())
    }
}

/// A shard held by this process, not kept alive by it.
enum WeakShard {
    Suffix(Weak<Index>),
    Compressed(Weak<FmIndex>),
}

impl WeakShard {
    fn of(s: &Shard) -> WeakShard {
        match s {
            Shard::Suffix(i) => WeakShard::Suffix(Arc::downgrade(i)),
            Shard::Compressed(f) => WeakShard::Compressed(Arc::downgrade(f)),
        }
    }

    fn upgrade(&self) -> Option<Shard> {
        match self {
            WeakShard::Suffix(w) => w.upgrade().map(Shard::Suffix),
            WeakShard::Compressed(w) => w.upgrade().map(Shard::Compressed),
        }
    }
}

/// A folder of shard files and version manifests, building in one mode.
pub struct ShardDir {
    dir: PathBuf,
    mode: IndexMode,
    /// Shards opened (and checked) by this process, shared by every version holding them.
    open: Mutex<HashMap<PathBuf, WeakShard>>,
}

impl ShardDir {
    /// The shards and manifests under `dir` (created on first write), building suffix arrays.
    pub fn new(dir: PathBuf) -> ShardDir {
        ShardDir::with_mode(dir, IndexMode::SuffixArray)
    }

    /// The shards and manifests under `dir`, building in `mode`.
    pub fn with_mode(dir: PathBuf, mode: IndexMode) -> ShardDir {
        ShardDir {
            dir,
            mode,
            open: Mutex::default(),
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The mode new versions are built in.
    pub fn mode(&self) -> IndexMode {
        self.mode
    }

    fn shard_path(&self, t: Tokenizer, mode: IndexMode, start: &Hash, end: &Hash) -> PathBuf {
        let (s, e) = (start.to_string(), end.to_string());
        let ext = match mode {
            IndexMode::SuffixArray => "shard",
            IndexMode::Compressed => "fm",
        };
        self.dir.join(format!("{t}-{}-{}.{ext}", &s[..32], &e[..32]))
    }

    /// A fresh temporary file name in the folder (`*.tmp`: removed by garbage collection if a
    /// crash leaves it).
    fn temp_path(&self, what: &str) -> PathBuf {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.dir.join(format!("{what}-{}-{n}.tmp", std::process::id()))
    }

    fn manifest_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.version"))
    }

    /// The manifest saved under `name`, if any; a damaged one is an error (and removed).
    pub fn read_manifest(&self, name: &str) -> Result<Option<Manifest>, IndexError> {
        let path = self.manifest_path(name);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Manifest::decode(&bytes).map(Some).inspect_err(|_| {
            let _ = std::fs::remove_file(&path);
        })
    }

    /// Saves a manifest under `name` (atomically: written, synced, renamed into place).
    pub fn write_manifest(&self, name: &str, m: &Manifest) -> Result<(), IndexError> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.manifest_path(name);
        let tmp = path.with_extension("version-tmp");
        std::fs::write(&tmp, m.encode())?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        Ok(())
    }

    /// Opens the shards serving `m`, in order. A shard file missing, damaged or not the one
    /// named is refused with the reason (and removed, so the next build makes it again).
    pub fn open(&self, m: &Manifest) -> Result<Shards, IndexError> {
        let shards = m
            .served
            .iter()
            .map(|f| self.open_shard(m.tokenizer, m.mode, f))
            .collect::<Result<Vec<_>, _>>()?;
        if shards.is_empty() {
            return Err(IndexError::Invalid("version manifest: no shards".into()));
        }
        Shards::new(shards)
    }

    fn open_shard(&self, t: Tokenizer, mode: IndexMode, f: &ShardFile) -> Result<Shard, IndexError> {
        let path = self.shard_path(t, mode, &f.start, &f.end);
        if let Some(hit) = self
            .open
            .lock()
            .expect("not poisoned")
            .get(&path)
            .and_then(WeakShard::upgrade)
        {
            return Ok(hit);
        }
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let refuse = |why: String| {
            let _ = std::fs::remove_file(&path);
            IndexError::Invalid(format!("shard {name}: {why}"))
        };
        let opened = match mode {
            IndexMode::SuffixArray => Index::open(&path, true).map(Shard::from),
            IndexMode::Compressed => FmIndex::open(&path).map(Shard::from),
        };
        let idx = match opened {
            Ok(i) => i,
            Err(IndexError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(IndexError::Invalid(format!("shard {name} is missing")))
            }
            Err(IndexError::Io(e)) => return Err(IndexError::Io(e)),
            Err(e) => return Err(refuse(e.to_string())),
        };
        if idx.tokenizer() != t
            || idx.chain_start() != f.start
            || idx.chain_end() != f.end
            || idx.doc_count() as u64 != f.span.docs
            || idx.stream_bytes() as u64 != f.span.bytes
        {
            return Err(refuse("holds other documents than its name and manifest say".into()));
        }
        // The checksum only says the file is as written: a suffix array's documents must also
        // hash to the chain values it claims (a file from a faulty build or another node is
        // refused). An FM-index holds no text to hash: reading its documents back costs seconds
        // per 100 MB, so only its checksum and the fit of its parts are checked here.
        if let Some(Err(e)) = idx.suffix().map(Index::check_content) {
            return Err(refuse(e.to_string()));
        }
        self.open
            .lock()
            .expect("not poisoned")
            .insert(path, WeakShard::of(&idx));
        Ok(idx)
    }

    /// The shard of `docs` in `mode`, continuing the chain from `start`: reused if its file is
    /// there and sound, built otherwise. `end`, when given, is the chain value after `docs`,
    /// hashed from them by the caller.
    #[allow(clippy::too_many_arguments)]
    fn shard(
        &self,
        t: Tokenizer,
        mode: IndexMode,
        docs: &[EncodedDoc<'_>],
        span: ShardSpan,
        start: Hash,
        end: Option<Hash>,
        threads: usize,
    ) -> Result<(ShardFile, Shard), IndexError> {
        if let Some(end) = end {
            let f = ShardFile { span, start, end };
            if self.shard_path(t, mode, &start, &end).exists() {
                if let Ok(idx) = self.open_shard(t, mode, &f) {
                    return Ok((f, idx));
                }
            }
        }
        std::fs::create_dir_all(&self.dir)?;
        let tmp = self.temp_path("building");
        let built = match mode {
            IndexMode::SuffixArray => Index::build_file_ending(t, docs, start, end, threads, &tmp).map(Shard::from),
            IndexMode::Compressed => {
                FmIndex::build_encoded(t, docs, start, threads).and_then(|fm| fm.write(&tmp).map(|()| Shard::from(fm)))
            }
        };
        // A failed build (a full disk) leaves no partial file to pile up across retries.
        let idx = built.inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })?;
        let f = ShardFile {
            span,
            start,
            end: idx.chain_end(),
        };
        let path = self.shard_path(t, mode, &f.start, &f.end);
        std::fs::rename(&tmp, &path)?;
        self.open
            .lock()
            .expect("not poisoned")
            .insert(path, WeakShard::of(&idx));
        Ok((f, idx))
    }

    /// Builds a version from scratch in this folder's mode: `docs` (encoded with `t`), whose
    /// versions end after the documents `ends`, in its merged layout (shards over
    /// `limits.build_max` left in parts).
    pub fn build(
        &self,
        t: Tokenizer,
        docs: &[EncodedDoc<'_>],
        ends: &[u64],
        limits: BuildLimits,
    ) -> Result<(Manifest, Shards), IndexError> {
        let w = t.width();
        let sizes: Vec<u64> = docs.iter().map(|(_, c)| (c.len() + w) as u64).collect();
        let merged = layout::plan(&sizes, ends, limits.max_bytes);
        let mut pieces = InMemory::new(docs, 0, w);
        self.build_from(t, &mut pieces, merged, limits)
    }

    /// A spill for a version built from scratch with `t` ([`ShardDir::build_spilled`]): its
    /// documents are written to a temporary file in this folder as they are encoded, so the
    /// build holds one shard's documents at a time, whatever the version's size.
    pub fn spill(&self, t: Tokenizer, limits: BuildLimits) -> Result<Spill, IndexError> {
        std::fs::create_dir_all(&self.dir)?;
        Spill::create(self.temp_path("spill"), t, &[], limits.max_bytes)
    }

    /// A spill of the documents `prev`'s next version adds ([`ShardDir::extend_spilled`]).
    pub fn spill_after(&self, prev: &Manifest, limits: BuildLimits) -> Result<Spill, IndexError> {
        std::fs::create_dir_all(&self.dir)?;
        Spill::create(self.temp_path("spill"), prev.tokenizer, &prev.merged, limits.max_bytes)
    }

    /// [`ShardDir::build`] from documents spilled to disk (versions ended with
    /// [`Spill::end_version`]; the last one ends with the spill): the same manifest and shards.
    pub fn build_spilled(&self, spill: Spill, limits: BuildLimits) -> Result<(Manifest, Shards), IndexError> {
        if spill.first() != 0 {
            return Err(IndexError::Invalid(
                "a spill after a version cannot start a corpus".into(),
            ));
        }
        if spill.max_bytes() != limits.max_bytes {
            return Err(IndexError::Invalid(
                "the spill was planned with another shard cap".into(),
            ));
        }
        let t = spill.tokenizer();
        let (merged, _, mut reader) = spill.finish()?;
        self.build_from(t, &mut reader, merged, limits)
    }

    /// Builds the shards of `merged` (split at `limits.build_max`) from `pieces`, the corpus's
    /// documents in order.
    fn build_from(
        &self,
        t: Tokenizer,
        pieces: &mut dyn Pieces,
        merged: Vec<ShardSpan>,
        limits: BuildLimits,
    ) -> Result<(Manifest, Shards), IndexError> {
        let (mut served, mut shards) = self.build_spans(t, self.mode, pieces, &merged, content::start(t), limits)?;
        if shards.is_empty() {
            let empty = ShardSpan {
                first: 0,
                docs: 0,
                bytes: 0,
            };
            let (f, idx) = self.shard(t, self.mode, &[], empty, content::start(t), None, 1)?;
            served.push(f);
            shards.push(idx);
        }
        let m = Manifest {
            tokenizer: t,
            mode: self.mode,
            served,
            merged,
        };
        Ok((m, Shards::new(shards)?))
    }

    /// Builds the shards of `spans`, each split into shards of at most `limits.build_max`
    /// (whole documents, greedily), from `pieces`, continuing the content chain from `chain`.
    fn build_spans(
        &self,
        t: Tokenizer,
        mode: IndexMode,
        pieces: &mut dyn Pieces,
        spans: &[ShardSpan],
        mut chain: Hash,
        limits: BuildLimits,
    ) -> Result<(Vec<ShardFile>, Vec<Shard>), IndexError> {
        let w = t.width() as u64;
        let mut served = Vec::with_capacity(spans.len());
        let mut shards = Vec::with_capacity(spans.len());
        for s in spans {
            let mut at = s.first;
            while at < s.end() {
                let docs = pieces.next_piece(s.end(), limits.build_max)?;
                if docs.is_empty() {
                    return Err(IndexError::Invalid(
                        "the layout holds more documents than were given".into(),
                    ));
                }
                let span = ShardSpan {
                    first: at,
                    docs: docs.len() as u64,
                    bytes: docs.iter().map(|(_, c)| c.len() as u64 + w).sum(),
                };
                let end = content::end(chain, &docs);
                let (f, idx) = self.shard(t, mode, &docs, span, chain, Some(end), limits.threads)?;
                chain = f.end;
                at = span.end();
                served.push(f);
                shards.push(idx);
            }
        }
        Ok((served, shards))
    }

    /// The next version from the one before it (`prev`, served by `prev_shards`): only `delta`,
    /// its new documents, is indexed, as new shards in `prev`'s mode.
    pub fn extend(
        &self,
        prev: &Manifest,
        prev_shards: &Shards,
        delta: &[EncodedDoc<'_>],
        limits: BuildLimits,
    ) -> Result<(Manifest, Shards), IndexError> {
        let w = prev.tokenizer.width();
        let sizes: Vec<u64> = delta.iter().map(|(_, c)| (c.len() + w) as u64).collect();
        let first = prev.merged.last().map_or(0, |s| s.end());
        let pieces = layout::delta(first, &sizes, limits.max_bytes);
        let merged = layout::append(&prev.merged, &sizes, limits.max_bytes);
        let mut docs = InMemory::new(delta, first, w);
        self.extend_from(prev, prev_shards, &mut docs, &pieces, merged, limits)
    }

    /// [`ShardDir::extend`] from the new documents spilled to disk (a spill made by
    /// [`ShardDir::spill_after`] of `prev`): the same manifest and shards.
    pub fn extend_spilled(
        &self,
        prev: &Manifest,
        prev_shards: &Shards,
        spill: Spill,
        limits: BuildLimits,
    ) -> Result<(Manifest, Shards), IndexError> {
        if spill.first() != prev.merged.last().map_or(0, |s| s.end()) || spill.tokenizer() != prev.tokenizer {
            return Err(IndexError::Invalid("the spill does not follow this version".into()));
        }
        if spill.max_bytes() != limits.max_bytes {
            return Err(IndexError::Invalid(
                "the spill was planned with another shard cap".into(),
            ));
        }
        let (merged, pieces, mut reader) = spill.finish()?;
        self.extend_from(prev, prev_shards, &mut reader, &pieces, merged, limits)
    }

    /// Builds the delta's shards `pieces` (before splitting at `limits.build_max`) from `docs`
    /// after `prev`, heading to the merged layout `merged`.
    fn extend_from(
        &self,
        prev: &Manifest,
        prev_shards: &Shards,
        docs: &mut dyn Pieces,
        pieces: &[ShardSpan],
        merged: Vec<ShardSpan>,
        limits: BuildLimits,
    ) -> Result<(Manifest, Shards), IndexError> {
        let t = prev.tokenizer;
        if prev_shards.id() != prev.id()
            || crate::Corpus::tokenizer(prev_shards) != t
            || prev_shards.shards().iter().any(|s| s.mode() != prev.mode)
        {
            return Err(IndexError::Invalid(
                "the previous version's shards are not its manifest's".into(),
            ));
        }
        // An empty starting shard (a version with no documents) is dropped once there are some.
        let keep = |f: &ShardFile| f.span.docs > 0;
        let mut served: Vec<ShardFile> = prev.served.iter().filter(|f| keep(f)).copied().collect();
        let mut shards: Vec<Shard> = prev
            .served
            .iter()
            .zip(prev_shards.shards())
            .filter(|(f, _)| keep(f))
            .map(|(_, s)| s.clone())
            .collect();
        let (new_files, new_shards) = self.build_spans(t, prev.mode, docs, pieces, prev.id(), limits)?;
        if new_shards.is_empty() {
            return Ok((prev.clone(), Shards::new(prev_shards.shards().to_vec())?));
        }
        served.extend(new_files);
        shards.extend(new_shards);
        let m = Manifest {
            tokenizer: t,
            mode: prev.mode,
            served,
            merged,
        };
        Ok((m, Shards::new(shards)?))
    }

    /// Merges the shards of `m` (served by `shards`) into its merged layout, as far as
    /// `limits.build_max` allows, from the shards' own token streams.
    pub fn compact(
        &self,
        m: &Manifest,
        shards: &Shards,
        limits: BuildLimits,
    ) -> Result<(Manifest, Shards), IndexError> {
        if !layout::refines(&m.served.iter().map(|f| f.span).collect::<Vec<_>>(), &m.merged)
            || shards.shards().len() != m.served.len()
        {
            return Err(IndexError::Invalid(
                "version manifest: served shards do not tile the merged layout".into(),
            ));
        }
        let mut served = Vec::with_capacity(m.merged.len());
        let mut out = Vec::with_capacity(m.merged.len());
        let mut i = 0;
        for target in &m.merged {
            let from = i;
            while i < m.served.len() && m.served[i].span.end() <= target.end() {
                i += 1;
            }
            let parts = &m.served[from..i];
            let indexes = &shards.shards()[from..i];
            if parts.is_empty() {
                return Err(IndexError::Invalid(
                    "version manifest: a merged shard covers no served one".into(),
                ));
            }
            if parts.len() == 1 || target.bytes > limits.build_max {
                served.extend_from_slice(parts);
                out.extend(indexes.iter().cloned());
                continue;
            }
            let mut docs: Vec<EncodedDoc<'_>> = Vec::new();
            for s in indexes {
                docs.extend(s.encoded_docs()?);
            }
            // The documents read back must hash to the chain the parts claim (a compressed
            // shard's content is checked here, not when it is opened).
            let end = content::end(parts[0].start, &docs);
            if parts.last().map(|p| p.end) != Some(end) {
                return Err(IndexError::Invalid(
                    "merged documents do not hash to their parts' content chain".into(),
                ));
            }
            let (f, idx) = self.shard(
                m.tokenizer,
                m.mode,
                &docs,
                *target,
                parts[0].start,
                Some(end),
                limits.threads,
            )?;
            // Synced (in the background, unlike a build a request waits for): the parts it
            // replaces are removed at the next start.
            std::fs::File::open(self.shard_path(m.tokenizer, m.mode, &f.start, &f.end))?.sync_all()?;
            served.push(f);
            out.push(idx);
        }
        let next = Manifest {
            tokenizer: m.tokenizer,
            mode: m.mode,
            served,
            merged: m.merged.clone(),
        };
        Ok((next, Shards::new(out)?))
    }

    /// Removes shard files no manifest under the folder names (left by merges, by builds a crash
    /// cut short, by earlier file formats). Returns the bytes freed. Run it before any build
    /// starts (a node's start), never beside one. Manifests stay (a version of a fork that lost
    /// keeps its shards: forks are rare and short).
    pub fn collect_garbage(&self) -> Result<u64, IndexError> {
        let mut live = std::collections::BTreeSet::new();
        let mut entries = Vec::new();
        for e in std::fs::read_dir(&self.dir)? {
            let p = e?.path();
            match p.extension().and_then(|x| x.to_str()) {
                Some("version") => {
                    let name = p
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    if let Some(m) = self.read_manifest(&name)? {
                        live.extend(
                            m.served
                                .iter()
                                .map(|f| self.shard_path(m.tokenizer, m.mode, &f.start, &f.end)),
                        );
                    }
                }
                Some("shard") | Some("fm") | Some("tmp") | Some("idx") | Some("version-tmp") => entries.push(p),
                _ => {}
            }
        }
        let mut freed = 0;
        for p in entries {
            if !live.contains(&p) {
                freed += std::fs::metadata(&p).map_or(0, |m| m.len());
                std::fs::remove_file(&p)?;
            }
        }
        Ok(freed)
    }
}
