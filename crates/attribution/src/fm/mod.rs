//! The compressed mode: an FM-index of the reversed token stream, so that backward search extends
//! a pattern forward, with the same answers as the suffix array (counts, occurrences, longest
//! prefixes and suffixes, next tokens, and so maximal spans and receipts) in well under the text's
//! size. Byte-level documents so far; it lives in memory.
//!
//! Layout: the Burrows-Wheeler transform in Huffman-shaped wavelet trees per block
//! ([`boosted`]), the rows whose suffix starts at a multiple of [`SAMPLE`] ([`bits::SparseMarks`])
//! with those positions, and the documents' starts.

pub mod bits;
pub mod boosted;

use crate::doc::DocRef;
use bits::SparseMarks;
use boosted::{Boosted, SIGMA};

/// Every how many text positions the suffix array is sampled.
const SAMPLE: usize = 64;

/// An FM-index over byte-level documents.
pub struct FmIndex {
    /// Symbols in the indexed sequence (the reversed stream and its sentinel).
    n: usize,
    /// Stream bytes.
    text_len: usize,
    /// `c_array[c]`: symbols smaller than c in the sequence.
    c_array: Vec<usize>,
    bwt: Boosted,
    /// Rows whose suffix starts at a sampled position.
    marks: SparseMarks,
    samples: Vec<u32>,
    starts: Vec<u64>,
    refs: Vec<DocRef>,
}

impl FmIndex {
    /// Builds the index of `docs` (byte-level, each followed by the separator), sorting on
    /// `threads` threads. Refuses a document holding the separator byte, and a stream of more
    /// than [`crate::index::MAX_SHARD_BYTES`] (the suffix array sorted here has 32-bit entries).
    pub fn build(docs: &[(DocRef, &[u8])], threads: usize) -> Result<FmIndex, crate::IndexError> {
        let mut starts = Vec::with_capacity(docs.len());
        let mut text_len = 0usize;
        for (i, (_, t)) in docs.iter().enumerate() {
            if t.contains(&crate::SEPARATOR) {
                return Err(crate::IndexError::Separator(i));
            }
            starts.push(text_len as u64);
            text_len += t.len() + 1;
        }
        if text_len >= crate::index::MAX_SHARD_BYTES {
            return Err(crate::IndexError::TooLarge(text_len));
        }
        // The reversed stream (each document followed by the separator) as symbols 1 + byte,
        // then the sentinel 0.
        let mut seq: Vec<u16> = Vec::with_capacity(text_len + 1);
        for (_, t) in docs.iter().rev() {
            seq.push(u16::from(crate::SEPARATOR) + 1);
            seq.extend(t.iter().rev().map(|&b| u16::from(b) + 1));
        }
        seq.push(0);
        let n = seq.len();
        let construction = libsais::SuffixArrayConstruction::for_text(&seq).in_owned_buffer();
        let mut sa: Vec<i32> = if threads > 1 {
            construction
                .multi_threaded(libsais::ThreadCount::fixed(threads.min(u16::MAX as usize) as u16))
                .run()
        } else {
            construction.single_threaded().run()
        }
        .expect("suffix array of a small alphabet")
        .into_vec();
        let mut counts = vec![0usize; SIGMA];
        for &s in &seq {
            counts[s as usize] += 1;
        }
        let mut c_array = vec![0usize; SIGMA + 1];
        for c in 0..SIGMA {
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
        // The transform in place of the suffix array, then the text dropped: at most the text
        // and the suffix array are held at once (6 bytes per symbol).
        for s in sa.iter_mut() {
            *s = i32::from(if *s == 0 { seq[n - 1] } else { seq[*s as usize - 1] });
        }
        drop(seq);
        let bwt: Vec<u16> = sa.iter().map(|&c| c as u16).collect();
        drop(sa);
        Ok(FmIndex {
            n,
            text_len,
            c_array,
            bwt: Boosted::new(&bwt),
            marks,
            samples,
            starts,
            refs: docs.iter().map(|(r, _)| *r).collect(),
        })
    }

    /// The interval of rows whose suffixes start with the reversal of `pattern`'s first `k`
    /// bytes, extended one byte at a time; stops before the interval would empty.
    fn extend(&self, pattern: &[u8]) -> (usize, (usize, usize)) {
        let (mut lo, mut hi) = (0usize, self.n);
        for (k, &b) in pattern.iter().enumerate() {
            if b == crate::SEPARATOR {
                return (k, (lo, hi));
            }
            let c = b as u16 + 1;
            let (l, h) = (
                self.c_array[c as usize] + self.bwt.rank(c, lo),
                self.c_array[c as usize] + self.bwt.rank(c, hi),
            );
            if l >= h {
                return (k, (lo, hi));
            }
            (lo, hi) = (l, h);
        }
        (pattern.len(), (lo, hi))
    }

    /// How many times `pattern` occurs.
    pub fn count(&self, pattern: &[u8]) -> usize {
        if pattern.is_empty() {
            return self.text_len;
        }
        match self.extend(pattern) {
            (k, (lo, hi)) if k == pattern.len() => hi - lo,
            _ => 0,
        }
    }

    /// The length of the longest prefix of `pattern` that occurs.
    pub fn longest_prefix_len(&self, pattern: &[u8]) -> usize {
        self.extend(pattern).0
    }

    /// The position in the indexed sequence of the suffix at `row`.
    fn locate_row(&self, mut row: usize) -> usize {
        let mut steps = 0;
        loop {
            let (marked, rank) = self.marks.find(row);
            if marked {
                return self.samples[rank] as usize + steps;
            }
            let (c, r) = self.bwt.access_rank(row);
            row = self.c_array[c as usize] + r;
            steps += 1;
        }
    }

    /// The length of the longest suffix of `query` that occurs (a suffix occurs whenever a longer
    /// one does: binary search on the length).
    pub fn longest_suffix(&self, query: &[u8]) -> usize {
        let (mut lo, mut hi) = (0usize, query.len());
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if self.count(&query[query.len() - mid..]) > 0 {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }

    /// Counts of the byte following each occurrence of `pattern` (every byte of the text for the
    /// empty pattern), separators excluded, by byte. In the reversed stream the byte after an
    /// occurrence is the one before its suffix: the transform's symbol at its row.
    pub fn continuations(&self, pattern: &[u8]) -> Vec<(u32, u64)> {
        let (lo, hi) = if pattern.is_empty() {
            (0, self.n)
        } else {
            match self.extend(pattern) {
                (k, range) if k == pattern.len() => range,
                _ => return vec![],
            }
        };
        (0..crate::SEPARATOR)
            .filter_map(|b| {
                let c = b as u16 + 1;
                let count = self.bwt.rank(c, hi) - self.bwt.rank(c, lo);
                (count > 0).then_some((u32::from(b), count as u64))
            })
            .collect()
    }

    /// The longest suffix of `query` that occurs (in bytes) and the counts of what follows it.
    pub fn next_tokens(&self, query: &[u8]) -> (usize, Vec<(u32, u64)>) {
        let k = self.longest_suffix(query);
        (k, self.continuations(&query[query.len() - k..]))
    }

    /// Up to `limit` occurrences of `pattern` (record, offset), sorted.
    pub fn occurrences(&self, pattern: &[u8], limit: usize) -> Vec<(DocRef, u64)> {
        let (k, (lo, hi)) = self.extend(pattern);
        if k < pattern.len() || pattern.is_empty() {
            return vec![];
        }
        let m = pattern.len();
        let mut out: Vec<(DocRef, u64)> = (lo..hi.min(lo.saturating_add(limit)))
            .map(|row| {
                let j = self.locate_row(row);
                // The reversed pattern starts at j in the reversed stream: the pattern ends
                // just before text_len - j in the stream.
                let start = self.text_len - j - m;
                let d = self.starts.partition_point(|&s| s as usize <= start) - 1;
                (self.refs[d], (start - self.starts[d] as usize) as u64)
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// Heap bytes of the index, and per stream byte.
    pub fn bytes(&self) -> usize {
        self.bwt.bytes() + self.marks.bytes() + self.samples.len() * 4 + self.starts.len() * 24
    }
}

impl crate::Corpus for FmIndex {
    fn tokenizer(&self) -> crate::Tokenizer {
        crate::Tokenizer::Bytes
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
