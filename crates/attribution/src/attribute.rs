//! From an answer to per-contribution weights: maximal spans (trimmed to word boundaries and
//! filtered by length and rarity), their occurrences mapped to contributions, and integer weights
//! in parts per million that always sum to exactly 1,000,000 (or to 0 when nothing matches).
//!
//! Lengths and offsets are in tokens of the index's tokenizer (bytes for byte-level indexes).
//!
//! Weight rule: a kept span of `len` tokens occurring `count` times is worth `len^2 / count`
//! (longer spans are much stronger evidence of copying than several short ones; a rare span says
//! more about where the answer came from than a common one), shared equally among its `count`
//! occurrences. Each occurrence's share is `floor(len^2 * 2^40 / count^2)`; contributions sum the
//! shares of their occurrences; the totals are scaled to parts per million by largest remainder,
//! ties broken by the lower contribution number. Integers only: every node gets the same result.

use crate::corpus::Corpus;
use crate::index::DocRef;
use crate::spans::maximal_spans;
use crate::tokenizer::Tokenizer;
use std::collections::BTreeMap;

/// Attribution parameters (the ledger keeps them in state).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Shortest span kept, in tokens.
    pub min_len: usize,
    /// Most occurrences a kept span may have (OLMoTrace: 10).
    pub max_count: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_len: 32,
            max_count: 10,
        }
    }
}

/// A kept span and where it occurs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributedSpan {
    /// Offset in the answer, in tokens.
    pub start: usize,
    /// Length in tokens.
    pub len: usize,
    /// Offset in the answer, in bytes.
    pub byte_start: usize,
    /// Length in bytes.
    pub byte_len: usize,
    /// Its occurrences: record and offset in the record.
    pub occurrences: Vec<(DocRef, u64)>,
}

/// The outcome of attributing one answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribution {
    /// Kept spans, in answer order.
    pub spans: Vec<AttributedSpan>,
    /// Parts per million per contribution, sorted by contribution; sums to 1,000,000 or is empty.
    pub weights: Vec<(u64, u32)>,
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// Shrinks the token span `[start, start + len)` to whole words: it neither starts nor ends in the
/// middle of a word, and its first and last tokens hold part of a word. `bounds` are the byte
/// offsets in `answer` where each token starts, followed by the answer's length.
pub fn trim_to_words(answer: &[u8], bounds: &[usize], start: usize, len: usize) -> (usize, usize) {
    let mid_word = |b: usize| b > 0 && b < answer.len() && is_word(answer[b - 1]) && is_word(answer[b]);
    let wordy = |t: usize| answer[bounds[t]..bounds[t + 1]].iter().any(|&b| is_word(b));
    let (mut s, mut e) = (start, start + len);
    while s < e && (mid_word(bounds[s]) || !wordy(s)) {
        s += 1;
    }
    while e > s && (mid_word(bounds[e]) || !wordy(e - 1)) {
        e -= 1;
    }
    (s, e - s)
}

/// The byte offset where each token of `codes` starts in the text they encode, then its length.
pub fn token_bounds(tokenizer: Tokenizer, codes: &[u8]) -> Vec<usize> {
    let lens = tokenizer
        .token_lengths(codes)
        .expect("codes made by the tokenizer decode");
    let mut bounds = Vec::with_capacity(lens.len() + 1);
    let mut at = 0;
    bounds.push(0);
    for l in lens {
        at += l;
        bounds.push(at);
    }
    bounds
}

/// Attributes `answer` against `index`.
pub fn attribute<C: Corpus + ?Sized>(index: &C, answer: &[u8], params: &Params) -> Attribution {
    let tokenizer = index.tokenizer();
    let w = tokenizer.width();
    let codes = tokenizer.encode_lossy(answer);
    let text = tokenizer.decode(&codes).expect("codes made by the tokenizer decode");
    let bounds = token_bounds(tokenizer, &codes);
    let mut spans = Vec::new();
    let mut shares: BTreeMap<u64, u128> = BTreeMap::new();
    for s in maximal_spans(index, &codes, params.min_len, 0) {
        let (start, len) = trim_to_words(&text, &bounds, s.start, s.len);
        if len < params.min_len {
            continue;
        }
        let pattern = &codes[start * w..(start + len) * w];
        let occurrences = index.occurrences(pattern, params.max_count + 1);
        if occurrences.is_empty() || occurrences.len() > params.max_count {
            continue;
        }
        let count = occurrences.len() as u128;
        let share = (((len as u128) * (len as u128)) << 40) / (count * count);
        for (r, _) in &occurrences {
            *shares.entry(r.contribution).or_default() += share;
        }
        spans.push(AttributedSpan {
            start,
            len,
            byte_start: bounds[start],
            byte_len: bounds[start + len] - bounds[start],
            occurrences,
        });
    }
    Attribution {
        spans,
        weights: to_ppm(&shares),
    }
}

/// Scales shares to parts per million summing to exactly 1,000,000 (largest remainder; ties to
/// the lower key). Empty when there is nothing to share.
pub fn to_ppm(shares: &BTreeMap<u64, u128>) -> Vec<(u64, u32)> {
    const TOTAL: u128 = 1_000_000;
    let sum: u128 = shares.values().sum();
    if sum == 0 {
        return vec![];
    }
    let mut parts: Vec<(u64, u128, u128)> = shares
        .iter()
        .map(|(k, v)| (*k, v * TOTAL / sum, v * TOTAL % sum))
        .collect();
    let assigned: u128 = parts.iter().map(|p| p.1).sum();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| parts[b].2.cmp(&parts[a].2).then(parts[a].0.cmp(&parts[b].0)));
    for &i in order.iter().take((TOTAL - assigned) as usize) {
        parts[i].1 += 1;
    }
    parts.into_iter().map(|(k, v, _)| (k, v as u32)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Index;

    #[test]
    fn ppm_always_sums_exactly() {
        let shares: BTreeMap<u64, u128> = [(1, 1), (2, 1), (3, 1)].into_iter().collect();
        let w = to_ppm(&shares);
        assert_eq!(w.iter().map(|x| x.1).sum::<u32>(), 1_000_000);
        assert_eq!(
            w,
            vec![(1, 333_334), (2, 333_333), (3, 333_333)],
            "ties go to the lower key"
        );
        assert!(to_ppm(&BTreeMap::new()).is_empty());
        let big: BTreeMap<u64, u128> = (0..7).map(|k| (k, u128::from(k) * 1_000_003 + 1)).collect();
        assert_eq!(to_ppm(&big).iter().map(|x| x.1).sum::<u32>(), 1_000_000);
    }

    #[test]
    fn spans_are_trimmed_to_words() {
        let a = b"xx the river flows yy";
        let bounds: Vec<usize> = (0..=a.len()).collect();
        assert_eq!(trim_to_words(a, &bounds, 1, 17), (3, 15));
        assert_eq!(&a[3..18], b"the river flows");
        assert_eq!(trim_to_words(a, &bounds, 3, 15), (3, 15));
        // GPT-2 tokens: "xx| the| river| flows| y|y"; a span may not end inside "yy".
        let t = Tokenizer::Gpt2;
        let codes = t.encode(a).unwrap();
        let b = token_bounds(t, &codes);
        assert_eq!(b, vec![0, 2, 6, 12, 18, 20, 21]);
        assert_eq!(trim_to_words(a, &b, 0, 4), (0, 4));
        assert_eq!(trim_to_words(a, &b, 3, 2), (3, 1));
    }

    #[test]
    fn longer_and_rarer_spans_weigh_more() {
        let docs: Vec<(DocRef, &[u8])> = vec![
            (
                DocRef {
                    contribution: 0,
                    record: 0,
                },
                b"the great river carries silt from the mountains down to the wide sea",
            ),
            (
                DocRef {
                    contribution: 1,
                    record: 0,
                },
                b"a lake holds still water",
            ),
            (
                DocRef {
                    contribution: 2,
                    record: 0,
                },
                b"a lake holds still water too",
            ),
        ];
        let idx = Index::build(&docs).unwrap();
        let answer = b"We know the great river carries silt from the mountains, and a lake holds still water.";
        let a = attribute(
            &idx,
            answer,
            &Params {
                min_len: 10,
                max_count: 10,
            },
        );
        assert_eq!(a.spans.len(), 2, "{:?}", a.spans);
        assert_eq!(a.weights.iter().map(|w| w.1).sum::<u32>(), 1_000_000);
        let w: BTreeMap<u64, u32> = a.weights.iter().copied().collect();
        assert!(w[&0] > w[&1] * 4, "the long unique span dominates: {w:?}");
        assert_eq!(w[&1], w[&2], "a shared span is split evenly");
        let none = attribute(&idx, b"nothing here matches at all, not one bit", &Params::default());
        assert!(none.spans.is_empty() && none.weights.is_empty());
    }
}
