//! What attribution needs from an index, implemented by one [`Index`] and by [`Shards`], several
//! indexes queried as one (a corpus larger than the build memory budget is split into shards,
//! each a suffix array or an FM-index).

use crate::index::{DocRef, Index, IndexError};
use crate::shard::{IndexMode, Shard};
use crate::tokenizer::Tokenizer;
use sinew_types::Hash;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Queries over a corpus, however it is stored. Patterns are token-code streams of the corpus's
/// tokenizer; lengths and offsets are in tokens.
pub trait Corpus {
    /// The tokenizer the corpus was indexed with.
    fn tokenizer(&self) -> Tokenizer;
    /// The length of the longest prefix of `pattern` that occurs.
    fn longest_prefix_len(&self, pattern: &[u8]) -> usize;
    /// Up to `limit` occurrences of `pattern`: the record and the offset in it, sorted. All of
    /// them when there are at most `limit`; past that, which ones come back depends on how the
    /// corpus is stored (attribution only ever keeps spans with at most `limit` occurrences).
    fn occurrences(&self, pattern: &[u8], limit: usize) -> Vec<(DocRef, u64)>;
    /// How many times `pattern` occurs.
    fn count(&self, pattern: &[u8]) -> usize;
    /// Length of the longest suffix of `query` that occurs, and the counts of the tokens that
    /// follow its occurrences (separators excluded), sorted by token.
    fn next_tokens(&self, query: &[u8]) -> (usize, Vec<(u32, u64)>);
}

impl Corpus for Index {
    fn tokenizer(&self) -> Tokenizer {
        Index::tokenizer(self)
    }
    fn longest_prefix_len(&self, pattern: &[u8]) -> usize {
        Index::longest_prefix_len(self, pattern)
    }
    fn occurrences(&self, pattern: &[u8], limit: usize) -> Vec<(DocRef, u64)> {
        self.find(pattern, limit)
            .into_iter()
            .map(|o| (self.doc_ref(o.doc), o.offset))
            .collect()
    }
    fn count(&self, pattern: &[u8]) -> usize {
        Index::count(self, pattern)
    }
    fn next_tokens(&self, query: &[u8]) -> (usize, Vec<(u32, u64)>) {
        Index::next_tokens(self, query)
    }
}

/// The most stream bytes one shard may hold so that building it in memory fits in
/// `memory_budget_mb`: a build holds the token stream, the suffix array (4 bytes per stream byte)
/// and the index file, at most 10 bytes per stream byte.
pub fn shard_bytes_for(memory_budget_mb: usize) -> usize {
    ((memory_budget_mb << 20) / 10).clamp(1, crate::index::MAX_SHARD_BYTES)
}

/// Several indexes queried as one corpus: a corpus larger than one file or than the build's
/// memory budget, or a datanet version made of the shards its versions added. The shards follow
/// each other in the content chain ([`crate::content`]), so their id is the corpus's whatever the
/// split.
pub struct Shards {
    shards: Vec<Shard>,
}

fn shard_path(base: &Path, i: usize) -> PathBuf {
    let mut s = base.as_os_str().to_owned();
    s.push(format!(".{i}"));
    PathBuf::from(s)
}

/// Threads for sorting one suffix array: every core.
fn build_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Shards {
    /// The corpus made of `shards`, in order: they must share a tokenizer and follow each other in
    /// the content chain from its start (a shard missing, repeated or out of place is refused).
    pub fn new(shards: Vec<impl Into<Shard>>) -> Result<Shards, IndexError> {
        let shards: Vec<Shard> = shards.into_iter().map(Into::into).collect();
        let Some(first) = shards.first() else {
            return Err(IndexError::Invalid("a corpus needs at least one shard".into()));
        };
        let t = first.tokenizer();
        let mut chain = crate::content::start(t);
        for (i, s) in shards.iter().enumerate() {
            if s.tokenizer() != t {
                return Err(IndexError::Invalid(format!(
                    "shard {i} is indexed with {}, shard 0 with {t}",
                    s.tokenizer()
                )));
            }
            if s.chain_start() != chain {
                return Err(IndexError::Invalid(format!(
                    "shard {i} does not continue the content of the shards before it (missing, repeated or out of order)"
                )));
            }
            chain = s.chain_end();
        }
        Ok(Shards { shards })
    }

    /// The shards, in order.
    pub fn shards(&self) -> &[Shard] {
        &self.shards
    }

    /// Builds byte-level shards of at most `max_shard_bytes` stream bytes each (a larger record
    /// gets a shard of its own), documents kept in order: the same records and budget give the
    /// same files.
    pub fn build(
        docs: &[(DocRef, &[u8])],
        max_shard_bytes: usize,
        progress: impl FnMut(usize, usize),
    ) -> Result<Shards, IndexError> {
        Shards::build_with(Tokenizer::Bytes, docs, max_shard_bytes, progress)
    }

    /// [`Shards::build`] with another tokenizer (the budget counts stream bytes: tokens times
    /// the tokenizer's code width). Shards are built
    /// one at a time, each suffix array sorted on every core, so the memory held is one shard's.
    pub fn build_with(
        tokenizer: Tokenizer,
        docs: &[(DocRef, &[u8])],
        max_shard_bytes: usize,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Shards, IndexError> {
        let encoded = crate::index::encode_all(tokenizer, docs)?;
        let w = tokenizer.width();
        let sizes: Vec<u64> = encoded.iter().map(|(_, t)| (t.len() + w) as u64).collect();
        let max_bytes = max_shard_bytes.clamp(1, crate::index::MAX_SHARD_BYTES) as u64;
        let groups = crate::layout::split(&sizes, max_bytes);
        Shards::build_spans(IndexMode::SuffixArray, tokenizer, &encoded, &groups, &mut progress)
    }

    /// Builds, in memory, the suffix-array shards `layout` cuts `docs` (encoded with
    /// `tokenizer`) into: how a datanet version is held ([`crate::layout`]).
    pub fn build_layout(
        tokenizer: Tokenizer,
        docs: &[crate::index::EncodedDoc<'_>],
        layout: &[crate::layout::ShardSpan],
    ) -> Result<Shards, IndexError> {
        Shards::build_layout_in(IndexMode::SuffixArray, tokenizer, docs, layout)
    }

    /// [`Shards::build_layout`] in either mode.
    pub fn build_layout_in(
        mode: IndexMode,
        tokenizer: Tokenizer,
        docs: &[crate::index::EncodedDoc<'_>],
        layout: &[crate::layout::ShardSpan],
    ) -> Result<Shards, IndexError> {
        Shards::build_spans(mode, tokenizer, docs, layout, &mut |_, _| {})
    }

    /// Builds the shards `spans` cut `docs` into, one at a time, reporting (done, total).
    fn build_spans(
        mode: IndexMode,
        tokenizer: Tokenizer,
        docs: &[crate::index::EncodedDoc<'_>],
        spans: &[crate::layout::ShardSpan],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Shards, IndexError> {
        let mut shards = Vec::with_capacity(spans.len().max(1));
        let mut chain = crate::content::start(tokenizer);
        for (i, span) in spans.iter().enumerate() {
            progress(i, spans.len());
            let part = docs
                .get(span.first as usize..span.end() as usize)
                .ok_or_else(|| IndexError::Invalid(format!("layout names documents past the {} given", docs.len())))?;
            let shard = Shard::build(mode, tokenizer, part, chain, build_threads())?;
            chain = shard.chain_end();
            shards.push(shard);
        }
        progress(spans.len(), spans.len());
        if shards.is_empty() {
            shards.push(Shard::build(mode, tokenizer, &[], chain, 1)?);
        }
        Shards::new(shards)
    }

    /// Writes the shards: one file at `base`, or `base.0`, `base.1`... for several.
    pub fn write(&self, base: &Path) -> Result<Vec<PathBuf>, IndexError> {
        let write = |s: &Shard, p: &Path| match s {
            Shard::Suffix(i) => i.write(p),
            Shard::Compressed(f) => f.write(p),
        };
        if self.shards.len() == 1 {
            write(&self.shards[0], base)?;
            return Ok(vec![base.to_path_buf()]);
        }
        let mut paths = Vec::new();
        for (i, s) in self.shards.iter().enumerate() {
            let p = shard_path(base, i);
            write(s, &p)?;
            paths.push(p);
        }
        Ok(paths)
    }

    /// Opens `base`, or the shards `base.0`, `base.1`... if `base` itself does not exist; each
    /// file a suffix array or an FM-index, told apart by its magic.
    pub fn open(base: &Path, verify: bool) -> Result<Shards, IndexError> {
        if base.exists() {
            return Shards::new(vec![open_shard_file(base, verify)?]);
        }
        let mut shards = Vec::new();
        while shard_path(base, shards.len()).exists() {
            shards.push(open_shard_file(&shard_path(base, shards.len()), verify)?);
        }
        if shards.is_empty() {
            return Err(IndexError::Invalid(format!(
                "no index at {} (nor shards {}.0, ...)",
                base.display(),
                base.display()
            )));
        }
        Shards::new(shards)
    }

    /// The corpus id: the content chain value after its last document. It names the content,
    /// not the files: however the corpus is split into shards, it is the same.
    pub fn id(&self) -> Hash {
        self.shards.last().expect("a corpus has a shard").chain_end()
    }

    /// Tokens in all shards.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.len()).sum()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Documents in all shards.
    pub fn doc_count(&self) -> usize {
        self.shards.iter().map(|s| s.doc_count()).sum()
    }

    /// Bytes of the shards as stored.
    pub fn file_bytes(&self) -> usize {
        self.shards.iter().map(|s| s.stored_bytes()).sum()
    }

    /// The text of a record (a linear scan: for tools, not hot paths).
    pub fn doc_text(&self, r: DocRef) -> Option<Vec<u8>> {
        self.shards.iter().find_map(|s| s.doc_text(r))
    }
}

impl Corpus for Shards {
    fn tokenizer(&self) -> Tokenizer {
        self.shards.first().map_or(Tokenizer::Bytes, |s| s.tokenizer())
    }
    fn longest_prefix_len(&self, pattern: &[u8]) -> usize {
        merged_longest_prefix_len(self.shards.iter(), pattern)
    }
    fn occurrences(&self, pattern: &[u8], limit: usize) -> Vec<(DocRef, u64)> {
        merged_occurrences(self.shards.iter().map(|s| (0, s)), pattern, limit)
    }
    fn count(&self, pattern: &[u8]) -> usize {
        self.shards.iter().map(|s| s.count(pattern)).sum()
    }
    fn next_tokens(&self, query: &[u8]) -> (usize, Vec<(u32, u64)>) {
        merged_next_tokens(self.shards.iter(), Corpus::tokenizer(self), query)
    }
}

/// Indexes of several datanet versions queried as one corpus (a model built from several
/// datanets), each made of shards. Contribution numbers are tagged with the part they come from:
/// `part << 48 | contribution` (see [`Union::split_tag`]). All parts share one tokenizer.
pub struct Union {
    parts: Vec<Arc<Shards>>,
}

impl Union {
    /// Bits of a tagged contribution number that hold the contribution.
    pub const TAG_SHIFT: u32 = 48;

    /// The union of `parts`, which must share a tokenizer and number fewer than 65,536.
    pub fn new(parts: Vec<Arc<Shards>>) -> Result<Union, IndexError> {
        let t = parts.first().map(|p| p.tokenizer());
        if parts.iter().any(|p| Some(p.tokenizer()) != t) || parts.len() > 0xFFFF {
            return Err(IndexError::Invalid(
                "union parts differ in tokenizer (or are too many)".into(),
            ));
        }
        Ok(Union { parts })
    }

    /// The part and the contribution of a tagged contribution number.
    pub fn split_tag(tagged: u64) -> (usize, u64) {
        (
            (tagged >> Self::TAG_SHIFT) as usize,
            tagged & ((1 << Self::TAG_SHIFT) - 1),
        )
    }

    /// Every shard of every part, with its part's number.
    fn indexes(&self) -> impl Iterator<Item = (usize, &Shard)> + Clone {
        self.parts
            .iter()
            .enumerate()
            .flat_map(|(i, p)| p.shards().iter().map(move |s| (i, s)))
    }

    /// The corpus id: BLAKE3 over the parts' ids, in order.
    pub fn id(ids: &[Hash]) -> Hash {
        let bytes: Vec<u8> = ids.iter().flat_map(|h| h.0).collect();
        Hash::tagged(b"sinew/union-index", &bytes)
    }
}

impl Corpus for Union {
    fn tokenizer(&self) -> Tokenizer {
        self.parts.first().map_or(Tokenizer::Bytes, |p| Corpus::tokenizer(&**p))
    }
    fn longest_prefix_len(&self, pattern: &[u8]) -> usize {
        merged_longest_prefix_len(self.indexes().map(|(_, s)| s), pattern)
    }
    fn occurrences(&self, pattern: &[u8], limit: usize) -> Vec<(DocRef, u64)> {
        let tagged = self.indexes().map(|(i, s)| ((i as u64) << Self::TAG_SHIFT, s));
        merged_occurrences(tagged, pattern, limit)
    }
    fn count(&self, pattern: &[u8]) -> usize {
        self.indexes().map(|(_, s)| s.count(pattern)).sum()
    }
    fn next_tokens(&self, query: &[u8]) -> (usize, Vec<(u32, u64)>) {
        merged_next_tokens(self.indexes().map(|(_, s)| s), Corpus::tokenizer(self), query)
    }
}

/// The longest prefix of `pattern` occurring in any of several indexes.
fn merged_longest_prefix_len<'a>(parts: impl Iterator<Item = &'a Shard>, pattern: &[u8]) -> usize {
    parts.map(|p| p.longest_prefix_len(pattern)).max().unwrap_or(0)
}

/// Up to `limit` occurrences over several indexes, sorted; each index's tag is OR-ed into its
/// contribution numbers.
fn merged_occurrences<'a>(
    parts: impl Iterator<Item = (u64, &'a Shard)>,
    pattern: &[u8],
    limit: usize,
) -> Vec<(DocRef, u64)> {
    let mut all: Vec<(DocRef, u64)> = Vec::new();
    for (tag, p) in parts {
        all.extend(p.occurrences(pattern, limit).into_iter().map(|(mut r, o)| {
            r.contribution |= tag;
            (r, o)
        }));
    }
    all.sort_unstable();
    all.truncate(limit);
    all
}

/// The next-token counts of several indexes taken together: the longest suffix over all of
/// them, and the sum of each one's continuation counts of it.
fn merged_next_tokens<'a>(
    parts: impl Iterator<Item = &'a Shard> + Clone,
    tokenizer: Tokenizer,
    query: &[u8],
) -> (usize, Vec<(u32, u64)>) {
    let k = parts.clone().map(|s| s.longest_suffix(query)).max().unwrap_or(0);
    let w = tokenizer.width();
    let mut counts = std::collections::BTreeMap::new();
    for s in parts {
        for (t, c) in s.continuations(&query[query.len() - k * w..]) {
            *counts.entry(t).or_insert(0u64) += c;
        }
    }
    (k, counts.into_iter().collect())
}

/// The shard in the file at `path`: an FM-index if it starts with that format's magic, a suffix
/// array otherwise.
fn open_shard_file(path: &Path, verify: bool) -> Result<Shard, IndexError> {
    let mut magic = [0u8; 8];
    let is_fm = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && magic == *crate::fm::MAGIC;
    Ok(match is_fm {
        true => {
            let fm = crate::fm::FmIndex::open(path)?;
            if verify {
                fm.check_content()?;
            }
            fm.into()
        }
        false => Index::open(path, verify)?.into(),
    })
}
