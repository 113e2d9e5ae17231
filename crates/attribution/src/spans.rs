//! Maximal spans: the stretches of an answer that occur verbatim in the corpus and cannot be
//! extended either way (the OLMoTrace definition).

use crate::corpus::Corpus;

/// A maximal span of the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// Offset in the answer, in tokens.
    pub start: usize,
    /// Length in tokens.
    pub len: usize,
    /// How many times it occurs in the corpus.
    pub count: usize,
}

/// All maximal spans of `answer` (token codes of the corpus's tokenizer) of at least `min_len`
/// tokens occurring at most `max_count` times (0: no limit), in answer order.
///
/// The longest match starting at `i + 1` is at least the one at `i` minus one, so a span
/// starting after `i` is maximal exactly when it reaches past the previous one's end `e`.
/// Whether the match at `j` reaches past `e` is whether `answer[j..=e]` occurs, which holds for
/// every `j` from some point on: a binary search finds the next maximal span's start in
/// O(log L) occurrence tests instead of one longest-match search per position (what makes the
/// compressed index, whose searches cost a step per token, fast enough).
pub fn maximal_spans<C: Corpus + ?Sized>(index: &C, answer: &[u8], min_len: usize, max_count: usize) -> Vec<Span> {
    let w = index.tokenizer().width();
    let n = answer.len() / w;
    let occurs = |from: usize, to: usize| index.longest_prefix_len(&answer[from * w..to * w]) == to - from;
    let mut out = Vec::new();
    let mut i = 0usize;
    while i < n {
        let len = index.longest_prefix_len(&answer[i * w..n * w]);
        if len == 0 {
            i += 1;
            continue;
        }
        let end = i + len;
        if len >= min_len {
            let count = index.count(&answer[i * w..end * w]);
            if max_count == 0 || count <= max_count {
                out.push(Span { start: i, len, count });
            }
        }
        if end >= n {
            break;
        }
        // The first start in (i, end] whose match reaches past `end`, if any.
        let (mut lo, mut hi) = (i + 1, end + 1);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if occurs(mid, end + 1) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        i = lo;
    }
    out
}
