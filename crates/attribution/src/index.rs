//! Building, writing and memory-mapping suffix-array indexes; exact n-gram queries.
//!
//! File layout (little endian): a 64-byte header (magic `SINEWIDX`, format version, tokenizer id,
//! token stream length in bytes, document count, BLAKE3 checksum of the body), then the token
//! stream (fixed-width codes, see [`Tokenizer`]), padding to 8 bytes, the suffix array (u32 per
//! token: only suffixes starting at a token), the document start offsets (u64 each, in stream
//! bytes), the document references (contribution u64, record u32), padding to 8 bytes, and a
//! sampled top level: the first 8 bytes (big endian) of every 256th suffix in order, so that the
//! first ~18 steps of every binary search touch one small array instead of the whole suffix array
//! and text. Byte level: about 5.03 bytes per token plus 20 per document.
//!
//! Patterns given to queries are token-code streams ([`Tokenizer::encode`]); lengths and offsets
//! returned are in tokens.

use crate::tokenizer::{Tokenizer, TokenizerError};
use memmap2::Mmap;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::io::Write;
use std::path::Path;

const MAGIC: &[u8; 8] = b"SINEWIDX";
const VERSION: u32 = 1;
const HEADER: usize = 64;
/// Every how many suffixes the top level samples one.
const STRIDE: usize = 256;

/// Which record a document of the index is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocRef {
    /// Contribution number in the datanet.
    pub contribution: u64,
    /// Record index in the contribution.
    pub record: u32,
}

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
    /// The corpus is too large for a 32-bit suffix array (shard it).
    #[error("corpus of {0} tokens exceeds the 2^31 limit of one shard")]
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
}

fn pad8(n: usize) -> usize {
    n.div_ceil(8) * 8
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
        Index::build_encoded(tokenizer, &encoded)
    }

    /// Builds from documents already encoded with `tokenizer`.
    pub(crate) fn build_encoded(tokenizer: Tokenizer, docs: &[EncodedDoc<'_>]) -> Result<Index, IndexError> {
        let w = tokenizer.width();
        let text_len: usize = docs.iter().map(|(_, t)| t.len() + w).sum();
        if text_len >= i32::MAX as usize {
            return Err(IndexError::TooLarge(text_len / w));
        }
        let tokens = text_len / w;
        let sa_at = pad8(HEADER + text_len);
        let starts_at = sa_at + 4 * tokens;
        let refs_at = starts_at + 8 * docs.len();
        let samples_at = pad8(refs_at + 12 * docs.len());
        let total = samples_at + 8 * tokens.div_ceil(STRIDE);
        let mut out = vec![0u8; total];
        let mut pos = HEADER;
        for (i, (r, t)) in docs.iter().enumerate() {
            let start = (pos - HEADER) as u64;
            out[starts_at + 8 * i..starts_at + 8 * i + 8].copy_from_slice(&start.to_le_bytes());
            out[refs_at + 12 * i..refs_at + 12 * i + 8].copy_from_slice(&r.contribution.to_le_bytes());
            out[refs_at + 12 * i + 8..refs_at + 12 * i + 12].copy_from_slice(&r.record.to_le_bytes());
            out[pos..pos + t.len()].copy_from_slice(t);
            out[pos + t.len()..pos + t.len() + w].fill(crate::SEPARATOR);
            pos += t.len() + w;
        }
        let sa: Vec<i32> = libsais::SuffixArrayConstruction::for_text(&out[HEADER..HEADER + text_len])
            .in_owned_buffer()
            .single_threaded()
            .run()
            .map_err(|e| IndexError::Build(format!("{e:?}")))?
            .into_vec();
        // Keep the suffixes that start at a token: their byte order is their token order.
        let aligned = sa.iter().filter(|&&s| s as usize % w == 0);
        for (i, s) in aligned.enumerate() {
            out[sa_at + 4 * i..sa_at + 4 * i + 4].copy_from_slice(&(*s as u32).to_le_bytes());
        }
        drop(sa);
        for k in 0..tokens.div_ceil(STRIDE) {
            let at = sa_at + 4 * k * STRIDE;
            let s = u32::from_le_bytes(out[at..at + 4].try_into().expect("4 bytes")) as usize;
            let key = prefix_key(&out[HEADER..HEADER + text_len], s);
            out[samples_at + 8 * k..samples_at + 8 * k + 8].copy_from_slice(&key.to_le_bytes());
        }
        out[..8].copy_from_slice(MAGIC);
        out[8..12].copy_from_slice(&VERSION.to_le_bytes());
        out[12] = tokenizer.id();
        out[16..24].copy_from_slice(&(text_len as u64).to_le_bytes());
        out[24..32].copy_from_slice(&(docs.len() as u64).to_le_bytes());
        let sum = blake3::hash(&out[HEADER..]);
        out[32..64].copy_from_slice(sum.as_bytes());
        Ok(Index {
            bytes: Bytes::Owned(out),
            tokenizer,
            text_len,
            tokens,
            docs: docs.len(),
            sa_at,
            starts_at,
            refs_at,
            samples_at,
        })
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
        let sa_at = pad8(HEADER + text_len);
        let starts_at = sa_at + 4 * tokens;
        let refs_at = starts_at + 8 * docs;
        let samples_at = pad8(refs_at + 12 * docs);
        if b.len() != samples_at + 8 * tokens.div_ceil(STRIDE) {
            return bad("truncated or padded file");
        }
        if verify && blake3::hash(&b[HEADER..]).as_bytes() != &b[32..64] {
            return bad("checksum mismatch");
        }
        Ok(Index {
            bytes,
            tokenizer,
            text_len,
            tokens,
            docs,
            sa_at,
            starts_at,
            refs_at,
            samples_at,
        })
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
        let pkey = prefix_key(pattern, 0) >> (8 * (8 - m));
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

    /// The suffix-array interval `[lo, hi)` of suffixes starting with `pattern`.
    pub fn range(&self, pattern: &[u8]) -> (usize, usize) {
        (self.bound(pattern, false), self.bound(pattern, true))
    }

    /// How many times `pattern` occurs.
    pub fn count(&self, pattern: &[u8]) -> usize {
        if pattern.is_empty() {
            return self.tokens;
        }
        let (lo, hi) = self.range(pattern);
        hi - lo
    }

    /// Up to `limit` occurrences of `pattern`, sorted by document and offset.
    pub fn find(&self, pattern: &[u8], limit: usize) -> Vec<Occurrence> {
        if pattern.is_empty() {
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
        let w = self.tokenizer.width();
        // If a suffix occurs, every shorter suffix occurs too: binary search on the length.
        let (mut lo, mut hi) = (0usize, query.len() / w);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if self.count(&query[query.len() - mid * w..]) > 0 {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
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

/// A document's reference and its token codes.
pub(crate) type EncodedDoc<'a> = (DocRef, Cow<'a, [u8]>);

/// Encodes every document, on all cores for byte-pair encodings (borrowed as is for bytes).
pub(crate) fn encode_all<'a>(
    tokenizer: Tokenizer,
    docs: &[(DocRef, &'a [u8])],
) -> Result<Vec<EncodedDoc<'a>>, IndexError> {
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
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(docs.len().max(1));
    let chunk = docs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = docs
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                scope.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(j, (r, t))| {
                            let codes = tokenizer
                                .encode(t)
                                .map_err(|e| IndexError::Tokenize(c * chunk + j, e))?;
                            Ok((*r, Cow::Owned(codes)))
                        })
                        .collect::<Result<Vec<_>, IndexError>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(docs.len());
        for p in parts {
            out.extend(p.join().expect("tokenizer thread panicked")?);
        }
        Ok(out)
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
