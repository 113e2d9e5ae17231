//! Building, writing and memory-mapping suffix-array indexes; exact n-gram queries.
//!
//! File layout (little endian): a 128-byte header (magic `SINEWIDX`, format version, tokenizer id,
//! token stream length in bytes, document count, the content chain value before the first
//! document and after the last (see [`crate::content`]), and a BLAKE3 checksum of the header's
//! first 96 bytes and the body's regions, hashed in 16 MiB pieces), then the token stream (fixed-width codes, see [`Tokenizer`]),
//! padding to 8 bytes, the suffix array (u32 per token: only suffixes starting at a token), the
//! document start offsets (u64 each, in stream bytes), the document references (contribution
//! u64, record u32), padding to 8 bytes, and a sampled top level: the first 8 bytes (big endian)
//! of every 256th suffix in order, so that the first ~18 steps of every binary search touch one
//! small array instead of the whole suffix array and text. Byte level: about 5.03 bytes per token
//! plus 20 per document. One file holds under 2^31 stream bytes (the suffix array's positions
//! are 32-bit); larger corpora are several shards ([`crate::Shards`]).
//!
//! Patterns given to queries are token-code streams ([`Tokenizer::encode`]); lengths and offsets
//! returned are in tokens.

pub use crate::doc::{DocRef, EncodedDoc};
use crate::tokenizer::{Tokenizer, TokenizerError};
use memmap2::Mmap;
use sinew_types::Hash;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::io::Write;
use std::path::Path;

const MAGIC: &[u8; 8] = b"SINEWIDX";
const VERSION: u32 = 2;
const HEADER: usize = 128;
/// Every how many suffixes the top level samples one.
const STRIDE: usize = 256;
/// One index file holds fewer stream bytes than this (the suffix array's positions are 32-bit).
pub const MAX_SHARD_BYTES: usize = i32::MAX as usize;

/// One place a pattern occurs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Occurrence {
    /// Document number in the index (order of the records given to `build`).
    pub doc: u32,
    /// Offset of the match in that document, in tokens.
    pub offset: u64,
}

/// Why an index could not be built or opened.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The corpus is too large for one shard's 32-bit suffix array (shard it).
    #[error("a shard of {0} stream bytes exceeds the 2^31 limit of one index file")]
    TooLarge(usize),
    /// A document contains the separator byte.
    #[error("document {0} contains the separator byte 0xFF (not UTF-8 text)")]
    Separator(usize),
    /// A document could not be tokenized.
    #[error("document {0}: {1}")]
    Tokenize(usize, TokenizerError),
    /// Suffix array construction failed.
    #[error("suffix array construction failed: {0}")]
    Build(String),
    /// The file is not an index of this version, or its checksum does not match.
    #[error("not a valid index file: {0}")]
    Invalid(String),
    /// File system error.
    #[error("index I/O: {0}")]
    Io(#[from] std::io::Error),
}

enum Bytes {
    Owned(Vec<u8>),
    Mapped(Mmap),
}

impl Bytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(m) => m,
        }
    }
}

/// A suffix-array index, in memory or memory-mapped from a file.
pub struct Index {
    bytes: Bytes,
    tokenizer: Tokenizer,
    /// Token stream length in bytes.
    text_len: usize,
    /// Tokens (suffix array entries).
    tokens: usize,
    docs: usize,
    sa_at: usize,
    starts_at: usize,
    refs_at: usize,
    samples_at: usize,
    chain_start: Hash,
    chain_end: Hash,
}

fn pad8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

/// Where each section of a file starts, and its size.
struct Layout {
    sa_at: usize,
    starts_at: usize,
    refs_at: usize,
    samples_at: usize,
    total: usize,
}

impl Layout {
    fn of(text_len: usize, tokens: usize, docs: usize) -> Layout {
        let sa_at = pad8(HEADER + text_len);
        let starts_at = sa_at + 4 * tokens;
        let refs_at = starts_at + 8 * docs;
        let samples_at = pad8(refs_at + 12 * docs);
        Layout {
            sa_at,
            starts_at,
            refs_at,
            samples_at,
            total: samples_at + 8 * tokens.div_ceil(STRIDE),
        }
    }
}

/// A built index before it is laid out in memory or in a file.
struct Parts {
    tokenizer: Tokenizer,
    text: Vec<u8>,
    sa: Vec<i32>,
    starts: Vec<u64>,
    refs: Vec<DocRef>,
    samples: Vec<u64>,
    chain_start: Hash,
    chain_end: Hash,
}

/// Bytes of a region hashed as one piece; the pieces are hashed on every core.
const CHECKSUM_PIECE: usize = 16 << 20;

/// The file's checksum: BLAKE3 of the header's first 96 bytes and, for each region of the body
/// in order (text, padding, suffix array, starts, references, padding, samples), its length and
/// the BLAKE3 digests of its 16 MiB pieces (pieces, so that checking gigabytes uses every core).
fn checksum(header: &[u8], regions: &[&[u8]]) -> [u8; 32] {
    let digests: Vec<(usize, Vec<[u8; 32]>)> = regions.iter().map(|r| (r.len(), piece_digests(r))).collect();
    combine(header, &digests)
}

/// The BLAKE3 digests of a region's 16 MiB pieces, hashed on every core.
fn piece_digests(region: &[u8]) -> Vec<[u8; 32]> {
    let pieces: Vec<&[u8]> = region.chunks(CHECKSUM_PIECE).collect();
    crate::parallel::map(&pieces, |p| *blake3::hash(p).as_bytes())
}

/// The checksum from each region's length and piece digests.
fn combine(header: &[u8], regions: &[(usize, Vec<[u8; 32]>)]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(&header[..96]);
    for (len, digests) in regions {
        h.update(&(*len as u64).to_le_bytes());
        for d in digests {
            h.update(d);
        }
    }
    *h.finalize().as_bytes()
}

/// Numbers as little-endian bytes.
fn le_bytes<T: Copy>(items: &[T], size: usize, le: impl Fn(T, &mut [u8])) -> Vec<u8> {
    let mut out = vec![0u8; items.len() * size];
    for (x, b) in items.iter().zip(out.chunks_exact_mut(size)) {
        le(*x, b);
    }
    out
}

impl Parts {
    fn build(
        tokenizer: Tokenizer,
        docs: &[EncodedDoc<'_>],
        chain_start: Hash,
        threads: usize,
    ) -> Result<Parts, IndexError> {
        Parts::build_overlapped(tokenizer, docs, chain_start, None, threads, |_| ()).map(|(p, _)| p)
    }

    /// Builds the parts; `during_sort` runs on the token stream on its own thread while the
    /// suffix array is sorted (writing the stream to disk meanwhile). `chain_end`, if the caller
    /// has hashed the documents already, saves hashing them again.
    fn build_overlapped<R: Send>(
        tokenizer: Tokenizer,
        docs: &[EncodedDoc<'_>],
        chain_start: Hash,
        chain_end: Option<Hash>,
        threads: usize,
        during_sort: impl FnOnce(&[u8]) -> R + Send,
    ) -> Result<(Parts, R), IndexError> {
        let w = tokenizer.width();
        let text_len: usize = docs.iter().map(|(_, t)| t.len() + w).sum();
        // The same bound as the compressed mode's (which needs one more position), so a record
        // fails alike on every node whatever its mode.
        if text_len >= MAX_SHARD_BYTES {
            return Err(IndexError::TooLarge(text_len));
        }
        let chain_end = chain_end.unwrap_or_else(|| crate::content::end(chain_start, docs));
        let mut text = Vec::with_capacity(text_len);
        let mut starts = Vec::with_capacity(docs.len());
        for (_, t) in docs {
            starts.push(text.len() as u64);
            text.extend_from_slice(t);
            text.resize(text.len() + w, crate::SEPARATOR);
        }
        let (built, overlapped) = std::thread::scope(|scope| {
            let side = scope.spawn(|| during_sort(&text));
            let construction = libsais::SuffixArrayConstruction::for_text(&text).in_owned_buffer();
            let built = if threads > 1 {
                construction
                    .multi_threaded(libsais::ThreadCount::fixed(threads.min(u16::MAX as usize) as u16))
                    .run()
                    .map(|s| s.into_vec())
            } else {
                construction.single_threaded().run().map(|s| s.into_vec())
            };
            (built, side.join().expect("the side thread of an index build panicked"))
        });
        let mut sa: Vec<i32> = built.map_err(|e| IndexError::Build(format!("{e:?}")))?;
        // Keep the suffixes that start at a token: their byte order is their token order.
        if w > 1 {
            sa.retain(|&s| s as usize % w == 0);
        }
        sa.shrink_to_fit();
        let samples = sa
            .iter()
            .step_by(STRIDE)
            .map(|&s| prefix_key(&text, s as usize))
            .collect();
        let parts = Parts {
            tokenizer,
            text,
            sa,
            starts,
            refs: docs.iter().map(|(r, _)| *r).collect(),
            samples,
            chain_start,
            chain_end,
        };
        Ok((parts, overlapped))
    }

    /// The header's first 96 bytes (everything but the checksum).
    fn header(&self) -> [u8; HEADER] {
        let mut h = [0u8; HEADER];
        h[..8].copy_from_slice(MAGIC);
        h[8..12].copy_from_slice(&VERSION.to_le_bytes());
        h[12] = self.tokenizer.id();
        h[16..24].copy_from_slice(&(self.text.len() as u64).to_le_bytes());
        h[24..32].copy_from_slice(&(self.starts.len() as u64).to_le_bytes());
        h[32..64].copy_from_slice(&self.chain_start.0);
        h[64..96].copy_from_slice(&self.chain_end.0);
        h
    }

    /// The body's regions, in file order (see [`checksum`]).
    fn regions(&self) -> Vec<Cow<'_, [u8]>> {
        let layout = Layout::of(self.text.len(), self.sa.len(), self.starts.len());
        let sa: Cow<'_, [u8]> = if cfg!(target_endian = "little") {
            // Positions are below 2^31: an i32 and a u32 have the same little-endian bytes.
            Cow::Borrowed(bytemuck::cast_slice(&self.sa))
        } else {
            Cow::Owned(le_bytes(&self.sa, 4, |s, b| {
                b.copy_from_slice(&(s as u32).to_le_bytes())
            }))
        };
        let refs_end = layout.refs_at + 12 * self.refs.len();
        vec![
            Cow::Borrowed(&self.text[..]),
            Cow::Owned(vec![0u8; layout.sa_at - HEADER - self.text.len()]),
            sa,
            Cow::Owned(le_bytes(&self.starts, 8, |s, b| b.copy_from_slice(&s.to_le_bytes()))),
            Cow::Owned(le_bytes(&self.refs, 12, |r, b| {
                b[..8].copy_from_slice(&r.contribution.to_le_bytes());
                b[8..].copy_from_slice(&r.record.to_le_bytes());
            })),
            Cow::Owned(vec![0u8; layout.samples_at - refs_end]),
            Cow::Owned(le_bytes(&self.samples, 8, |s, b| b.copy_from_slice(&s.to_le_bytes()))),
        ]
    }

    /// The full header and the body's regions.
    fn file(&self) -> ([u8; HEADER], Vec<Cow<'_, [u8]>>) {
        let mut header = self.header();
        let regions = self.regions();
        let refs: Vec<&[u8]> = regions.iter().map(|r| &r[..]).collect();
        let sum = checksum(&header, &refs);
        header[96..].copy_from_slice(&sum);
        (header, regions)
    }

    fn into_index(self) -> Index {
        let (header, regions) = self.file();
        let mut out = Vec::with_capacity(HEADER + regions.iter().map(|r| r.len()).sum::<usize>());
        out.extend_from_slice(&header);
        for r in &regions {
            out.extend_from_slice(r);
        }
        drop(regions);
        Index::from_bytes(Bytes::Owned(out), false).expect("a built index is valid")
    }
}

impl Index {
    /// Builds the byte-level index of `docs` (record texts with their references), in order.
    pub fn build(docs: &[(DocRef, &[u8])]) -> Result<Index, IndexError> {
        Index::build_with(Tokenizer::Bytes, docs)
    }

    /// Builds the index of `docs` with `tokenizer`. The result is a pure function of the input:
    /// the same records give byte-identical index files.
    pub fn build_with(tokenizer: Tokenizer, docs: &[(DocRef, &[u8])]) -> Result<Index, IndexError> {
        let encoded = encode_all(tokenizer, docs)?;
        Index::build_encoded(tokenizer, &encoded, crate::content::start(tokenizer), 1)
    }

    /// Builds from documents already encoded with `tokenizer`, continuing the content chain
    /// from `chain_start`; the suffix array is sorted on `threads` threads.
    pub fn build_encoded(
        tokenizer: Tokenizer,
        docs: &[EncodedDoc<'_>],
        chain_start: Hash,
        threads: usize,
    ) -> Result<Index, IndexError> {
        Ok(Parts::build(tokenizer, docs, chain_start, threads)?.into_index())
    }

    /// Builds straight into the file at `path` and maps it: the build holds the token stream
    /// and the suffix array (about 5 bytes per stream byte), never a second copy of the file.
    pub fn build_file(
        tokenizer: Tokenizer,
        docs: &[EncodedDoc<'_>],
        chain_start: Hash,
        threads: usize,
        path: &Path,
    ) -> Result<Index, IndexError> {
        Index::build_file_ending(tokenizer, docs, chain_start, None, threads, path)
    }

    /// [`Index::build_file`] of documents whose chain value after the last, `chain_end`, the
    /// caller has computed (a shard folder names files by it before building them).
    pub(crate) fn build_file_ending(
        tokenizer: Tokenizer,
        docs: &[EncodedDoc<'_>],
        chain_start: Hash,
        chain_end: Option<Hash>,
        threads: usize,
        path: &Path,
    ) -> Result<Index, IndexError> {
        // The token stream is written (and hashed) while the suffix array is sorted.
        let tmp = path.with_extension("tmp");
        let (parts, stream) = Parts::build_overlapped(tokenizer, docs, chain_start, chain_end, threads, |text| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&[0u8; HEADER])?;
            f.write_all(text)?;
            Ok::<_, std::io::Error>((f, piece_digests(text)))
        })?;
        let (f, text_digests) = stream?;
        let regions = parts.regions();
        let mut digests = vec![(regions[0].len(), text_digests)];
        let mut at = (HEADER + regions[0].len()) as u64;
        for r in &regions[1..] {
            // The suffix array's gigabytes are hashed on one thread while written on another.
            let (written, hashed) = std::thread::scope(|scope| {
                let hashing = scope.spawn(|| piece_digests(r));
                let written = crate::write::write_at(&f, &tmp, at, r);
                (written, hashing.join().expect("hashing a region panicked"))
            });
            written?;
            digests.push((r.len(), hashed));
            at += r.len() as u64;
        }
        let mut header = parts.header();
        let sum = combine(&header, &digests);
        header[96..].copy_from_slice(&sum);
        std::os::unix::fs::FileExt::write_all_at(&f, &header, 0)?;
        // Not synced: an index is derived data, and its checksum is verified when a node opens
        // it, so a file a crash left torn is refused and rebuilt. Syncing would hold the build
        // until gigabytes reached the disk (about 10 s of a 1 GB build).
        drop(f);
        drop(regions);
        drop(parts);
        std::fs::rename(&tmp, path)?;
        Index::open(path, false)
    }

    /// Writes the index to `path` (atomically: a temporary file renamed into place).
    pub fn write(&self, path: &Path) -> Result<(), IndexError> {
        let tmp = path.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(self.bytes.as_slice())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    /// The index file's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    /// Memory-maps an index file; checks the header (and, with `verify`, the checksum).
    pub fn open(path: &Path, verify: bool) -> Result<Index, IndexError> {
        let f = std::fs::File::open(path)?;
        // SAFETY: the file is opened read-only and index files are never modified in place
        // (they are written to a temporary name and renamed).
        let map = unsafe { Mmap::map(&f)? };
        Index::from_bytes(Bytes::Mapped(map), verify)
    }

    fn from_bytes(bytes: Bytes, verify: bool) -> Result<Index, IndexError> {
        let b = bytes.as_slice();
        let bad = |m: &str| Err(IndexError::Invalid(m.to_string()));
        if b.len() < HEADER || &b[..8] != MAGIC {
            return bad("wrong magic");
        }
        if u32::from_le_bytes(b[8..12].try_into().expect("4 bytes")) != VERSION {
            return bad("unsupported format version");
        }
        let Ok(tokenizer) = Tokenizer::from_id(b[12]) else {
            return bad("unknown tokenizer");
        };
        let text_len = u64::from_le_bytes(b[16..24].try_into().expect("8 bytes")) as usize;
        let docs = u64::from_le_bytes(b[24..32].try_into().expect("8 bytes")) as usize;
        if text_len % tokenizer.width() != 0 || text_len > b.len() || docs > b.len() {
            return bad("inconsistent header");
        }
        let tokens = text_len / tokenizer.width();
        let layout = Layout::of(text_len, tokens, docs);
        if b.len() != layout.total {
            return bad("truncated or padded file");
        }
        if verify {
            let refs_end = layout.refs_at + 12 * docs;
            let cuts = [
                HEADER,
                HEADER + text_len,
                layout.sa_at,
                layout.starts_at,
                layout.refs_at,
                refs_end,
                layout.samples_at,
                layout.total,
            ];
            let regions: Vec<&[u8]> = cuts.windows(2).map(|w| &b[w[0]..w[1]]).collect();
            if checksum(&b[..HEADER], &regions) != b[96..HEADER] {
                return bad("checksum mismatch");
            }
        }
        let hash_at = |at: usize| Hash(b[at..at + 32].try_into().expect("32 bytes"));
        let (chain_start, chain_end) = (hash_at(32), hash_at(64));
        Ok(Index {
            bytes,
            tokenizer,
            text_len,
            tokens,
            docs,
            sa_at: layout.sa_at,
            starts_at: layout.starts_at,
            refs_at: layout.refs_at,
            samples_at: layout.samples_at,
            chain_start,
            chain_end,
        })
    }

    /// Checks what the checksum cannot: that the documents follow each other in the stream, each
    /// ended by a separator, and hash, in order, from the chain value the file claims to the one
    /// it claims to end at.
    pub fn check_content(&self) -> Result<(), IndexError> {
        let w = self.tokenizer.width();
        let mut at = 0usize;
        for d in 0..self.docs {
            let start = self.doc_start(d);
            if start != at || start + w > self.text_len {
                return Err(IndexError::Invalid(format!("document {d} starts out of place")));
            }
            let end = match d + 1 < self.docs {
                true => self.doc_start(d + 1),
                false => self.text_len,
            };
            if end < start + w || (end - start) % w != 0 {
                return Err(IndexError::Invalid(format!("document {d} ends out of place")));
            }
            if self.text()[end - w..end].iter().any(|&b| b != crate::SEPARATOR) {
                return Err(IndexError::Invalid(format!(
                    "document {d} is not followed by a separator"
                )));
            }
            at = end;
        }
        if at != self.text_len {
            return Err(IndexError::Invalid("documents do not fill the stream".into()));
        }
        if crate::content::end(self.chain_start, &self.encoded_docs()) != self.chain_end {
            return Err(IndexError::Invalid(
                "its documents do not hash to its content chain".into(),
            ));
        }
        Ok(())
    }

    /// The content chain value before this index's first document ([`crate::content`]).
    pub fn chain_start(&self) -> Hash {
        self.chain_start
    }

    /// The content chain value after its last document: the id of the corpus it ends.
    pub fn chain_end(&self) -> Hash {
        self.chain_end
    }

    /// The tokenizer the index was built with.
    pub fn tokenizer(&self) -> Tokenizer {
        self.tokenizer
    }

    /// Tokens in the corpus (separators included).
    pub fn len(&self) -> usize {
        self.tokens
    }

    /// Whether the corpus is empty.
    pub fn is_empty(&self) -> bool {
        self.tokens == 0
    }

    /// Documents in the index.
    pub fn doc_count(&self) -> usize {
        self.docs
    }

    /// The token stream (token codes).
    pub fn text(&self) -> &[u8] {
        &self.bytes.as_slice()[HEADER..HEADER + self.text_len]
    }

    /// The i-th suffix array entry: a position in the token stream, in bytes.
    pub fn sa(&self, i: usize) -> usize {
        let b = self.bytes.as_slice();
        u32::from_le_bytes(
            b[self.sa_at + 4 * i..self.sa_at + 4 * i + 4]
                .try_into()
                .expect("4 bytes"),
        ) as usize
    }

    fn doc_start(&self, d: usize) -> usize {
        let b = self.bytes.as_slice();
        u64::from_le_bytes(
            b[self.starts_at + 8 * d..self.starts_at + 8 * d + 8]
                .try_into()
                .expect("8 bytes"),
        ) as usize
    }

    /// Which record document `d` is.
    pub fn doc_ref(&self, d: u32) -> DocRef {
        let b = self.bytes.as_slice();
        let at = self.refs_at + 12 * d as usize;
        DocRef {
            contribution: u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes")),
            record: u32::from_le_bytes(b[at + 8..at + 12].try_into().expect("4 bytes")),
        }
    }

    /// Document `d`'s token codes.
    pub fn doc(&self, d: u32) -> &[u8] {
        let w = self.tokenizer.width();
        let start = self.doc_start(d as usize);
        let end = if (d as usize) + 1 < self.docs {
            self.doc_start(d as usize + 1) - w
        } else {
            self.text_len - w
        };
        &self.text()[start..end]
    }

    /// Every document with its reference, borrowed from the index (to merge shards without
    /// tokenizing again).
    pub fn encoded_docs(&self) -> Vec<EncodedDoc<'_>> {
        (0..self.docs as u32)
            .map(|d| (self.doc_ref(d), Cow::Borrowed(self.doc(d))))
            .collect()
    }

    /// Document `d`'s text (its tokens decoded).
    pub fn doc_text(&self, d: u32) -> Vec<u8> {
        self.tokenizer
            .decode(self.doc(d))
            .expect("an index holds only tokens of its vocabulary")
    }

    /// The document and token offset of stream position `pos` (in bytes).
    pub fn locate(&self, pos: usize) -> Occurrence {
        let (mut lo, mut hi) = (0usize, self.docs);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if self.doc_start(mid) <= pos {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Occurrence {
            doc: lo as u32,
            offset: ((pos - self.doc_start(lo)) / self.tokenizer.width()) as u64,
        }
    }

    fn cmp_at(&self, i: usize, pattern: &[u8]) -> Ordering {
        let s = self.sa(i);
        let text = self.text();
        let end = (s + pattern.len()).min(text.len());
        text[s..end].cmp(pattern)
    }

    fn sample(&self, k: usize) -> u64 {
        let b = self.bytes.as_slice();
        u64::from_le_bytes(
            b[self.samples_at + 8 * k..self.samples_at + 8 * k + 8]
                .try_into()
                .expect("8 bytes"),
        )
    }

    /// The first suffix-array index whose suffix, cut to the pattern's length, compares Greater
    /// (`upper`) or not Less (`!upper`) than `pattern`.
    fn bound(&self, pattern: &[u8], upper: bool) -> usize {
        let goes_left = |o: Ordering| {
            if upper {
                o == Ordering::Greater
            } else {
                o != Ordering::Less
            }
        };
        // Top level: the sampled prefixes decide most steps without touching the suffix array.
        let m = pattern.len().min(8);
        let pkey = prefix_key(pattern, 0).checked_shr(8 * (8 - m) as u32).unwrap_or(0);
        let samples = self.tokens.div_ceil(STRIDE);
        let (mut lo, mut hi) = (0usize, samples);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let skey = if m == 0 { 0 } else { self.sample(mid) >> (8 * (8 - m)) };
            let o = match skey.cmp(&pkey) {
                Ordering::Equal => self.cmp_at(mid * STRIDE, pattern),
                other => other,
            };
            if goes_left(o) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        // The answer lies after sample lo - 1 and at or before sample lo.
        let (mut lo, mut hi) = (
            if lo == 0 { 0 } else { (lo - 1) * STRIDE + 1 },
            (lo * STRIDE).min(self.tokens),
        );
        while lo < hi {
            let mid = (lo + hi) / 2;
            if goes_left(self.cmp_at(mid, pattern)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// `pattern` cut to whole token codes; None if it holds a separator (no occurrence crosses
    /// or includes a document's end), so that every storage mode answers alike.
    fn whole_tokens<'p>(&self, pattern: &'p [u8]) -> Option<&'p [u8]> {
        let (t, w) = (self.tokenizer, self.tokenizer.width());
        let whole = &pattern[..pattern.len() / w * w];
        (!whole.chunks_exact(w).any(|c| t.token_at(c) == t.separator())).then_some(whole)
    }

    /// The suffix-array interval `[lo, hi)` of suffixes starting with `pattern` (its whole
    /// tokens; empty if it holds a separator).
    pub fn range(&self, pattern: &[u8]) -> (usize, usize) {
        match self.whole_tokens(pattern) {
            Some([]) => (0, self.tokens),
            Some(p) => (self.bound(p, false), self.bound(p, true)),
            None => (0, 0),
        }
    }

    /// How many times `pattern` occurs.
    pub fn count(&self, pattern: &[u8]) -> usize {
        if pattern.len() < self.tokenizer.width() {
            return self.tokens;
        }
        let (lo, hi) = self.range(pattern);
        hi - lo
    }

    /// Up to `limit` occurrences of `pattern`, sorted by document and offset.
    pub fn find(&self, pattern: &[u8], limit: usize) -> Vec<Occurrence> {
        if pattern.len() < self.tokenizer.width() {
            return vec![];
        }
        let (lo, hi) = self.range(pattern);
        let mut v: Vec<Occurrence> = (lo..hi.min(lo.saturating_add(limit)))
            .map(|i| self.locate(self.sa(i)))
            .collect();
        v.sort_unstable();
        v
    }

    /// The length in tokens of the longest suffix of `query` that occurs in the corpus (the
    /// infini-gram "infinity-gram" context).
    pub fn longest_suffix(&self, query: &[u8]) -> usize {
        crate::search::longest_occurring_suffix(query, self.tokenizer.width(), |s| self.count(s))
    }

    /// Counts of the token following each occurrence of the longest matching suffix of `query`
    /// (separators excluded), sorted by token: the infini-gram next-token distribution.
    pub fn next_tokens(&self, query: &[u8]) -> (usize, Vec<(u32, u64)>) {
        let k = self.longest_suffix(query);
        let w = self.tokenizer.width();
        (k, self.continuations(&query[query.len() - k * w..]))
    }

    /// Counts of the token following each occurrence of `pattern` (every token for the empty
    /// pattern), separators excluded, sorted by token.
    pub fn continuations(&self, pattern: &[u8]) -> Vec<(u32, u64)> {
        let pattern = &pattern[..pattern.len() / self.tokenizer.width() * self.tokenizer.width()];
        let (lo, hi) = if pattern.is_empty() {
            (0, self.tokens)
        } else {
            self.range(pattern)
        };
        let (text, t, w) = (self.text(), self.tokenizer, self.tokenizer.width());
        let next = (lo..hi).filter_map(|i| {
            let p = self.sa(i) + pattern.len();
            let tok = (p + w <= text.len()).then(|| t.token_at(&text[p..]))?;
            (tok != t.separator()).then_some(tok)
        });
        if w == 1 {
            let mut counts = [0u64; 256];
            next.for_each(|tok| counts[tok as usize] += 1);
            return counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(tok, c)| (tok as u32, *c))
                .collect();
        }
        let mut counts = std::collections::BTreeMap::new();
        next.for_each(|tok| *counts.entry(tok).or_insert(0u64) += 1);
        counts.into_iter().collect()
    }

    /// The longest prefix of `pattern` that occurs (in tokens), and its suffix-array interval.
    pub fn longest_prefix(&self, pattern: &[u8]) -> (usize, (usize, usize)) {
        let best = self.longest_prefix_len(pattern);
        let lo = if best == 0 { self.bound(pattern, false) } else { 0 };
        match best {
            0 => (0, (lo, lo)),
            _ => (best, self.range(&pattern[..best * self.tokenizer.width()])),
        }
    }

    /// The length in tokens of the longest prefix of `pattern` that occurs.
    pub fn longest_prefix_len(&self, pattern: &[u8]) -> usize {
        // Binary search for the insertion point of the whole pattern; the longest occurring
        // prefix is the longer common prefix with the suffixes on either side of it.
        let (n, t, w) = (self.tokens, self.tokenizer, self.tokenizer.width());
        let lo = self.bound(pattern, false);
        let text = self.text();
        let lcp = |i: usize| {
            let s = self.sa(i);
            text[s..]
                .chunks_exact(w)
                .zip(pattern.chunks_exact(w))
                .take_while(|(a, b)| a == b && t.token_at(a) != t.separator())
                .count()
        };
        let mut best = 0;
        if lo < n {
            best = lcp(lo);
        }
        if lo > 0 {
            best = best.max(lcp(lo - 1));
        }
        best
    }
}

/// Encodes every document, on all cores for byte-pair encodings (borrowed as is for bytes).
pub fn encode_all<'a>(tokenizer: Tokenizer, docs: &[(DocRef, &'a [u8])]) -> Result<Vec<EncodedDoc<'a>>, IndexError> {
    if tokenizer == Tokenizer::Bytes {
        return docs
            .iter()
            .enumerate()
            .map(|(i, (r, t))| match t.contains(&crate::SEPARATOR) {
                true => Err(IndexError::Separator(i)),
                false => Ok((*r, Cow::Borrowed(*t))),
            })
            .collect();
    }
    crate::parallel::try_map(docs, |i, (r, t)| {
        let codes = tokenizer.encode(t).map_err(|e| IndexError::Tokenize(i, e))?;
        Ok((*r, Cow::Owned(codes)))
    })
}

/// The 8 bytes of `text` from `at` as a big-endian number, zero-padded past the end (zero sorts
/// first, as a shorter string does).
fn prefix_key(text: &[u8], at: usize) -> u64 {
    let mut k = [0u8; 8];
    let end = (at + 8).min(text.len());
    k[..end - at].copy_from_slice(&text[at..end]);
    u64::from_be_bytes(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs() -> Vec<EncodedDoc<'static>> {
        ["the river flows", "to the sea", "and the lake is still"]
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let r = DocRef {
                    contribution: i as u64,
                    record: 0,
                };
                (r, Cow::Borrowed(t.as_bytes()))
            })
            .collect()
    }

    #[test]
    fn a_file_whose_documents_are_not_its_content_chain_is_refused() {
        let start = crate::content::start(Tokenizer::Bytes);
        let sound = Parts::build(Tokenizer::Bytes, &docs(), start, 1).unwrap().into_index();
        assert!(sound.check_content().is_ok());
        // Checksums that hold over a stream other than the one the chain names: a faulty build.
        let mut other = Parts::build(Tokenizer::Bytes, &docs(), start, 1).unwrap();
        other.text[3] ^= 0x20;
        let e = other.into_index().check_content().unwrap_err().to_string();
        assert!(e.contains("do not hash to its content chain"), "{e}");
        let mut no_separator = Parts::build(Tokenizer::Bytes, &docs(), start, 1).unwrap();
        no_separator.text[15] = b'x';
        let e = no_separator.into_index().check_content().unwrap_err().to_string();
        assert!(e.contains("separator"), "{e}");
        let mut shifted = Parts::build(Tokenizer::Bytes, &docs(), start, 1).unwrap();
        shifted.starts[0] = 1;
        let e = shifted.into_index().check_content().unwrap_err().to_string();
        assert!(e.contains("out of place"), "{e}");
    }
}
