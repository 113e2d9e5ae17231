//! The compressed mode: an FM-index of the reversed token stream, so that backward search extends
//! a pattern forward, with the same answers as the suffix array (counts, occurrences, longest
//! prefixes and suffixes, next tokens, and so maximal spans and receipts) in well under the text's
//! size, for every tokenizer.
//!
//! Layout: the Burrows-Wheeler transform in Huffman-shaped wavelet trees ([`boosted`]), the rows
//! whose suffix starts at a multiple of [`SAMPLE`] ([`bits::SparseMarks`]) with those positions,
//! and the documents' starts. Symbols: 0 is the sentinel; byte-level tokens are 1 + byte; for
//! byte-pair encodings, 1 + the token's rank among the ids the corpus holds (so symbol order is
//! token order); the separator is the largest.

pub mod bits;
pub mod boosted;
mod codec;
mod extract;
mod file;

pub use file::MAGIC;

use crate::doc::{DocRef, EncodedDoc};
use crate::tokenizer::Tokenizer;
use crate::IndexError;
use bits::SparseMarks;
use boosted::{Boosted, SIGMA};
use sinew_types::Hash;

/// Every how many text positions the suffix array is sampled.
const SAMPLE: usize = 64;

/// An FM-index over the documents of one shard.
pub struct FmIndex {
    tokenizer: Tokenizer,
    /// Byte-pair encodings: the token ids the corpus holds, sorted (symbol 1 + i is
    /// `alphabet[i]`). Empty at byte level.
    alphabet: Vec<u32>,
    /// Symbols in the indexed sequence (the reversed stream and its sentinel).
    n: usize,
    /// Stream tokens (separators included).
    text_len: usize,
    /// `c_array[c]`: symbols smaller than c in the sequence.
    c_array: Vec<usize>,
    bwt: Boosted,
    /// Rows whose suffix starts at a sampled position.
    marks: SparseMarks,
    samples: Vec<u32>,
    /// Each document's first token in the stream.
    starts: Vec<u64>,
    refs: Vec<DocRef>,
    chain_start: Hash,
    chain_end: Hash,
}

/// The reversed stream as symbols: 16-bit at byte level (half the memory while sorting), 32-bit
/// for byte-pair encodings.
enum Symbols {
    Small(Vec<u16>),
    Large(Vec<i32>),
}

impl Symbols {
    fn get(&self, i: usize) -> u32 {
        match self {
            Symbols::Small(v) => u32::from(v[i]),
            Symbols::Large(v) => v[i] as u32,
        }
    }

    /// The suffix array, sorted on `threads` threads.
    fn suffix_array(&mut self, threads: usize) -> Result<Vec<i32>, IndexError> {
        let threads = libsais::ThreadCount::fixed(threads.clamp(1, u16::MAX as usize) as u16);
        let built = match self {
            Symbols::Small(v) => {
                let c = libsais::SuffixArrayConstruction::for_text(v).in_owned_buffer();
                c.multi_threaded(threads).run().map(|s| s.into_vec())
            }
            Symbols::Large(v) => {
                let c = libsais::SuffixArrayConstruction::for_text_mut(v).in_owned_buffer();
                c.multi_threaded(threads).run().map(|s| s.into_vec())
            }
        };
        built.map_err(|e| IndexError::Build(format!("{e:?}")))
    }
}

impl FmIndex {
    /// Builds the byte-level index of `docs` (each followed by the separator), sorting on
    /// `threads` threads: [`FmIndex::build_encoded`] from the start of the content chain.
    pub fn build(docs: &[(DocRef, &[u8])], threads: usize) -> Result<FmIndex, IndexError> {
        let encoded = crate::index::encode_all(Tokenizer::Bytes, docs)?;
        FmIndex::build_encoded(
            Tokenizer::Bytes,
            &encoded,
            crate::content::start(Tokenizer::Bytes),
            threads,
        )
    }

    /// Builds the index of `docs`, token codes of `tokenizer`, continuing the content chain from
    /// `chain_start` (as a suffix-array shard would). Refuses a document holding the separator,
    /// and a stream of more than [`crate::index::MAX_SHARD_BYTES`] (the suffix array sorted here
    /// has 32-bit entries). Holds at most the symbols and the suffix array at once.
    pub fn build_encoded(
        tokenizer: Tokenizer,
        docs: &[EncodedDoc<'_>],
        chain_start: Hash,
        threads: usize,
    ) -> Result<FmIndex, IndexError> {
        let w = tokenizer.width();
        let sep = tokenizer.separator();
        let mut starts = Vec::with_capacity(docs.len());
        let mut text_len = 0usize;
        for (i, (_, t)) in docs.iter().enumerate() {
            let holds_separator = match w {
                1 => t.contains(&crate::SEPARATOR),
                _ => t.len() % w != 0 || t.chunks_exact(w).any(|c| tokenizer.token_at(c) == sep),
            };
            if holds_separator {
                return Err(IndexError::Separator(i));
            }
            starts.push(text_len as u64);
            text_len += t.len() / w + 1;
        }
        if text_len.saturating_mul(w) >= crate::index::MAX_SHARD_BYTES {
            return Err(IndexError::TooLarge(text_len * w));
        }
        let chain_end = crate::content::end(chain_start, docs);
        let tokens = |t: &[u8]| {
            t.chunks_exact(w)
                .map(move |c| tokenizer.token_at(c))
                .collect::<Vec<u32>>()
        };
        // The alphabet and each token's symbol (byte-pair encodings).
        let (alphabet, symbol_of): (Vec<u32>, Vec<u32>) = if tokenizer == Tokenizer::Bytes {
            (vec![], vec![])
        } else {
            let mut seen: Vec<bool> = Vec::new();
            for (_, t) in docs {
                for tok in tokens(t) {
                    if tok as usize >= seen.len() {
                        seen.resize(tok as usize + 1, false);
                    }
                    seen[tok as usize] = true;
                }
            }
            let alphabet: Vec<u32> = (0..seen.len() as u32).filter(|&t| seen[t as usize]).collect();
            let mut symbol_of = vec![0u32; seen.len()];
            for (i, &t) in alphabet.iter().enumerate() {
                symbol_of[t as usize] = i as u32 + 1;
            }
            (alphabet, symbol_of)
        };
        let sigma = if tokenizer == Tokenizer::Bytes {
            SIGMA
        } else {
            alphabet.len() + 2
        };
        let sep_symbol = sigma as u32 - 1;
        // The reversed stream (each document followed by the separator), then the sentinel 0.
        let reversed = docs.iter().rev().flat_map(|(_, t)| {
            let mut toks = tokens(t);
            toks.reverse();
            std::iter::once(sep_symbol).chain(toks.into_iter().map(|tok| match tokenizer {
                Tokenizer::Bytes => tok + 1,
                _ => symbol_of[tok as usize],
            }))
        });
        let mut seq = if tokenizer == Tokenizer::Bytes {
            let mut v: Vec<u16> = Vec::with_capacity(text_len + 1);
            v.extend(reversed.map(|s| s as u16));
            v.push(0);
            Symbols::Small(v)
        } else {
            let mut v: Vec<i32> = Vec::with_capacity(text_len + 1);
            v.extend(reversed.map(|s| s as i32));
            v.push(0);
            Symbols::Large(v)
        };
        drop(symbol_of);
        let n = text_len + 1;
        let mut sa = seq.suffix_array(threads)?;
        let mut counts = vec![0usize; sigma];
        for i in 0..n {
            counts[seq.get(i) as usize] += 1;
        }
        let mut c_array = vec![0usize; sigma + 1];
        for c in 0..sigma {
            c_array[c + 1] = c_array[c] + counts[c];
        }
        let marked = sa
            .iter()
            .enumerate()
            .filter(|(_, &s)| s as usize % SAMPLE == 0)
            .map(|(row, _)| row);
        let marks = SparseMarks::from_sorted(marked, n);
        let samples = sa
            .iter()
            .filter(|&&s| s as usize % SAMPLE == 0)
            .map(|&s| s as u32)
            .collect();
        // The transform in place of the suffix array, then the symbols dropped.
        for s in sa.iter_mut() {
            *s = seq.get(if *s == 0 { n - 1 } else { *s as usize - 1 }) as i32;
        }
        drop(seq);
        let bwt: Vec<u32> = sa.into_iter().map(|c| c as u32).collect();
        Ok(FmIndex {
            tokenizer,
            alphabet,
            n,
            text_len,
            c_array,
            bwt: Boosted::new(&bwt, sigma),
            marks,
            samples,
            starts,
            refs: docs.iter().map(|(r, _)| *r).collect(),
            chain_start,
            chain_end,
        })
    }

    /// The tokenizer the corpus was indexed with.
    pub fn tokenizer(&self) -> Tokenizer {
        self.tokenizer
    }

    /// The content chain value before this shard's first document.
    pub fn chain_start(&self) -> Hash {
        self.chain_start
    }

    /// The content chain value after its last document.
    pub fn chain_end(&self) -> Hash {
        self.chain_end
    }

    /// Tokens in the corpus (separators included).
    pub fn len(&self) -> usize {
        self.text_len
    }

    /// Whether the corpus is empty.
    pub fn is_empty(&self) -> bool {
        self.text_len == 0
    }

    /// Documents in the corpus.
    pub fn doc_count(&self) -> usize {
        self.refs.len()
    }

    /// The symbol of token `tok`, if the corpus holds it (never for the separator).
    fn symbol(&self, tok: u32) -> Option<u32> {
        match self.tokenizer {
            Tokenizer::Bytes => (tok < u32::from(crate::SEPARATOR)).then_some(tok + 1),
            _ => self.alphabet.binary_search(&tok).ok().map(|i| i as u32 + 1),
        }
    }

    /// The token of symbol `s`, unless it is the sentinel or the separator.
    fn token(&self, s: u32) -> Option<u32> {
        match self.tokenizer {
            Tokenizer::Bytes => (1..=u32::from(crate::SEPARATOR)).contains(&s).then(|| s - 1),
            _ => s.checked_sub(1).and_then(|i| self.alphabet.get(i as usize).copied()),
        }
    }

    /// The interval of rows whose suffixes start with the reversal of `pattern`'s first `k`
    /// tokens, extended one token at a time; stops before the interval would empty.
    fn extend(&self, pattern: &[u8]) -> (usize, (usize, usize)) {
        let w = self.tokenizer.width();
        let (mut lo, mut hi) = (0usize, self.n);
        for (k, code) in pattern.chunks_exact(w).enumerate() {
            let Some(c) = self.symbol(self.tokenizer.token_at(code)) else {
                return (k, (lo, hi));
            };
            let base = self.c_array[c as usize];
            let (l, h) = (base + self.bwt.rank(c, lo), base + self.bwt.rank(c, hi));
            if l >= h {
                return (k, (lo, hi));
            }
            (lo, hi) = (l, h);
        }
        (pattern.len() / w, (lo, hi))
    }

    /// How many times `pattern` occurs.
    pub fn count(&self, pattern: &[u8]) -> usize {
        if pattern.len() < self.tokenizer.width() {
            return self.text_len;
        }
        match self.extend(pattern) {
            (k, (lo, hi)) if k == pattern.len() / self.tokenizer.width() => hi - lo,
            _ => 0,
        }
    }

    /// The length in tokens of the longest prefix of `pattern` that occurs.
    pub fn longest_prefix_len(&self, pattern: &[u8]) -> usize {
        self.extend(pattern).0
    }

    /// The position in the indexed sequence of the suffix at `row`.
    fn locate_row(&self, mut row: usize) -> usize {
        // A sampled position is at most SAMPLE - 1 steps back in a sound index (and files are
        // checked to sample every multiple of SAMPLE once): the bound only stops a loop.
        for steps in 0..SAMPLE {
            let (marked, rank) = self.marks.find(row);
            if marked {
                return self.samples[rank] as usize + steps;
            }
            let (c, r) = self.bwt.access_rank(row);
            row = self.c_array[c as usize] + r;
        }
        0
    }

    /// The length in tokens of the longest suffix of `query` that occurs.
    pub fn longest_suffix(&self, query: &[u8]) -> usize {
        crate::search::longest_occurring_suffix(query, self.tokenizer.width(), |s| self.count(s))
    }

    /// Counts of the token following each occurrence of `pattern` (every token of the text for
    /// the empty pattern), separators excluded, sorted by token. In the reversed stream the token
    /// after an occurrence is the one before its suffix: the transform's symbols over its rows.
    pub fn continuations(&self, pattern: &[u8]) -> Vec<(u32, u64)> {
        let (lo, hi) = if pattern.len() < self.tokenizer.width() {
            (0, self.n)
        } else {
            match self.extend(pattern) {
                (k, range) if k == pattern.len() / self.tokenizer.width() => range,
                _ => return vec![],
            }
        };
        self.bwt
            .distinct(lo, hi)
            .into_iter()
            .filter_map(|(s, count)| Some((self.token(s)?, count as u64)))
            .collect()
    }

    /// The longest suffix of `query` that occurs (in tokens) and the counts of what follows it.
    pub fn next_tokens(&self, query: &[u8]) -> (usize, Vec<(u32, u64)>) {
        let k = self.longest_suffix(query);
        let w = self.tokenizer.width();
        (k, self.continuations(&query[query.len() - k * w..]))
    }

    /// Up to `limit` occurrences of `pattern` (record, token offset), sorted.
    pub fn occurrences(&self, pattern: &[u8], limit: usize) -> Vec<(DocRef, u64)> {
        let m = pattern.len() / self.tokenizer.width();
        let (k, (lo, hi)) = self.extend(pattern);
        if k < m || m == 0 {
            return vec![];
        }
        let mut out: Vec<(DocRef, u64)> = (lo..hi.min(lo.saturating_add(limit)))
            .map(|row| {
                let j = self.locate_row(row);
                // The reversed pattern starts at j in the reversed stream: the pattern ends
                // just before text_len - j in the stream.
                let start = self.text_len.saturating_sub(j + m);
                let d = self.starts.partition_point(|&s| s as usize <= start).saturating_sub(1);
                (self.refs[d], (start - self.starts[d] as usize) as u64)
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// Heap bytes of the index (also about its file size).
    pub fn bytes(&self) -> usize {
        self.bwt.bytes()
            + self.marks.bytes()
            + self.samples.len() * 4
            + self.starts.len() * 24
            + self.alphabet.len() * 4
    }
}

impl crate::Corpus for FmIndex {
    fn tokenizer(&self) -> crate::Tokenizer {
        self.tokenizer
    }
    fn longest_prefix_len(&self, pattern: &[u8]) -> usize {
        FmIndex::longest_prefix_len(self, pattern)
    }
    fn occurrences(&self, pattern: &[u8], limit: usize) -> Vec<(DocRef, u64)> {
        FmIndex::occurrences(self, pattern, limit)
    }
    fn count(&self, pattern: &[u8]) -> usize {
        FmIndex::count(self, pattern)
    }
    fn next_tokens(&self, query: &[u8]) -> (usize, Vec<(u32, u64)>) {
        FmIndex::next_tokens(self, query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Corpus;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn the_fm_index_answers_like_the_suffix_array(
            docs in prop::collection::vec(prop::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(b' ')], 0..300), 1..12),
            pats in prop::collection::vec(prop::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(b' ')], 1..12), 1..20),
        ) {
            let refs: Vec<(DocRef, &[u8])> = docs.iter().enumerate().map(|(i, d)| (DocRef { contribution: i as u64, record: 0 }, d.as_slice())).collect();
            let sa = crate::Index::build(&refs).unwrap();
            let fm = FmIndex::build(&refs, 1).unwrap();
            for p in &pats {
                prop_assert_eq!(fm.count(p), sa.count(p));
                prop_assert_eq!(fm.longest_prefix_len(p), Corpus::longest_prefix_len(&sa, p));
                prop_assert_eq!(fm.occurrences(p, usize::MAX), Corpus::occurrences(&sa, p, usize::MAX));
            }
        }
    }
}
