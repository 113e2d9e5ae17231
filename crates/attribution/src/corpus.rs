//! What attribution needs from an index, implemented by one [`Index`] and by [`Shards`], several
//! indexes queried as one (a corpus larger than the build memory budget is split into shards).

use crate::index::{DocRef, Index, IndexError};
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
    /// Up to `limit` occurrences of `pattern`: the record and the offset in it, sorted.
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

/// The most tokens one shard may hold so that building it fits in `memory_budget_mb`: a build
/// holds the text, the suffix array and the index file, about 10 bytes per token.
pub fn shard_tokens_for(memory_budget_mb: usize) -> usize {
    ((memory_budget_mb << 20) / 10).max(1)
}

/// Several indexes queried as one corpus.
pub struct Shards {
    /// The shards, in order.
    pub shards: Vec<Index>,
}

fn shard_path(base: &Path, i: usize) -> PathBuf {
    let mut s = base.as_os_str().to_owned();
    s.push(format!(".{i}"));
    PathBuf::from(s)
}

impl Shards {
    /// Builds byte-level shards of at most `budget_tokens` tokens each (a larger record gets a
    /// shard of its own), documents kept in order: the same records and budget give the same files.
    pub fn build(
        docs: &[(DocRef, &[u8])],
        budget_tokens: usize,
        progress: impl FnMut(usize, usize),
    ) -> Result<Shards, IndexError> {
        Shards::build_with(Tokenizer::Bytes, docs, budget_tokens, progress)
    }

    /// [`Shards::build`] with another tokenizer; the budget counts its tokens.
    pub fn build_with(
        tokenizer: Tokenizer,
        docs: &[(DocRef, &[u8])],
        budget_tokens: usize,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Shards, IndexError> {
        let encoded = crate::index::encode_all(tokenizer, docs)?;
        let w = tokenizer.width();
        let mut groups = Vec::new();
        let (mut start, mut size) = (0usize, 0usize);
        for (i, (_, t)) in encoded.iter().enumerate() {
            let tokens = t.len() / w + 1;
            if size > 0 && size + tokens > budget_tokens {
                groups.push(&encoded[start..i]);
                start = i;
                size = 0;
            }
            size += tokens;
        }
        groups.push(&encoded[start..]);
        let mut shards = Vec::with_capacity(groups.len());
        for (i, g) in groups.iter().enumerate() {
            progress(i, groups.len());
            shards.push(Index::build_encoded(tokenizer, g)?);
        }
        progress(groups.len(), groups.len());
        Ok(Shards { shards })
    }

    /// Writes the shards: one file at `base`, or `base.0`, `base.1`... for several.
    pub fn write(&self, base: &Path) -> Result<Vec<PathBuf>, IndexError> {
        if self.shards.len() == 1 {
            self.shards[0].write(base)?;
            return Ok(vec![base.to_path_buf()]);
        }
        let mut paths = Vec::new();
        for (i, s) in self.shards.iter().enumerate() {
            let p = shard_path(base, i);
            s.write(&p)?;
            paths.push(p);
        }
        Ok(paths)
    }

    /// Opens `base`, or the shards `base.0`, `base.1`... if `base` itself does not exist.
    pub fn open(base: &Path, verify: bool) -> Result<Shards, IndexError> {
        if base.exists() {
            return Ok(Shards {
                shards: vec![Index::open(base, verify)?],
            });
        }
        let mut shards = Vec::new();
        while shard_path(base, shards.len()).exists() {
            shards.push(Index::open(&shard_path(base, shards.len()), verify)?);
        }
        if shards.is_empty() {
            return Err(IndexError::Invalid(format!(
                "no index at {} (nor shards {}.0, ...)",
                base.display(),
                base.display()
            )));
        }
        Ok(Shards { shards })
    }

    /// The corpus id: BLAKE3 of the shards' file hashes, in order (a single shard: its file hash).
    pub fn id(&self) -> Hash {
        if self.shards.len() == 1 {
            return Hash::of(self.shards[0].as_bytes());
        }
        let ids: Vec<u8> = self.shards.iter().flat_map(|s| Hash::of(s.as_bytes()).0).collect();
        Hash::tagged(b"sinew/sharded-index", &ids)
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

    /// The text of a record (a linear scan: for tools, not hot paths).
    pub fn doc_text(&self, r: DocRef) -> Option<Vec<u8>> {
        self.shards.iter().find_map(|s| {
            (0..s.doc_count() as u32)
                .find(|&d| s.doc_ref(d) == r)
                .map(|d| s.doc_text(d))
        })
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
        merged_occurrences(self.shards.iter(), pattern, limit, |_| 0)
    }
    fn count(&self, pattern: &[u8]) -> usize {
        self.shards.iter().map(|s| s.count(pattern)).sum()
    }
    fn next_tokens(&self, query: &[u8]) -> (usize, Vec<(u32, u64)>) {
        merged_next_tokens(self.shards.iter(), Corpus::tokenizer(self), query)
    }
}

/// Indexes of several datanet versions queried as one corpus (a model built from several
/// datanets). Contribution numbers are tagged with the part they come from:
/// `part << 48 | contribution` (see [`Union::split_tag`]). All parts share one tokenizer.
pub struct Union {
    parts: Vec<Arc<Index>>,
}

impl Union {
    /// Bits of a tagged contribution number that hold the contribution.
    pub const TAG_SHIFT: u32 = 48;

    /// The union of `parts`, which must share a tokenizer and number fewer than 65,536.
    pub fn new(parts: Vec<Arc<Index>>) -> Result<Union, IndexError> {
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

    /// The corpus id: BLAKE3 over the parts' ids, in order.
    pub fn id(ids: &[Hash]) -> Hash {
        let bytes: Vec<u8> = ids.iter().flat_map(|h| h.0).collect();
        Hash::tagged(b"sinew/union-index", &bytes)
    }
}

impl Corpus for Union {
    fn tokenizer(&self) -> Tokenizer {
        self.parts.first().map_or(Tokenizer::Bytes, |p| p.tokenizer())
    }
    fn longest_prefix_len(&self, pattern: &[u8]) -> usize {
        merged_longest_prefix_len(self.parts.iter().map(|p| &**p), pattern)
    }
    fn occurrences(&self, pattern: &[u8], limit: usize) -> Vec<(DocRef, u64)> {
        merged_occurrences(self.parts.iter().map(|p| &**p), pattern, limit, |i| {
            (i as u64) << Self::TAG_SHIFT
        })
    }
    fn count(&self, pattern: &[u8]) -> usize {
        self.parts.iter().map(|p| p.count(pattern)).sum()
    }
    fn next_tokens(&self, query: &[u8]) -> (usize, Vec<(u32, u64)>) {
        merged_next_tokens(self.parts.iter().map(|p| &**p), Corpus::tokenizer(self), query)
    }
}

/// The longest prefix of `pattern` occurring in any of several indexes.
fn merged_longest_prefix_len<'a>(parts: impl Iterator<Item = &'a Index>, pattern: &[u8]) -> usize {
    parts.map(|p| p.longest_prefix_len(pattern)).max().unwrap_or(0)
}

/// Up to `limit` occurrences over several indexes, sorted; `tag(i)` is OR-ed into the
/// contribution numbers of part `i`.
fn merged_occurrences<'a>(
    parts: impl Iterator<Item = &'a Index>,
    pattern: &[u8],
    limit: usize,
    tag: impl Fn(usize) -> u64,
) -> Vec<(DocRef, u64)> {
    let mut all: Vec<(DocRef, u64)> = Vec::new();
    for (i, p) in parts.enumerate() {
        all.extend(p.occurrences(pattern, limit).into_iter().map(|(mut r, o)| {
            r.contribution |= tag(i);
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
    parts: impl Iterator<Item = &'a Index> + Clone,
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
