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
/// The longest match starting at `i + 1` is at least the one at `i` minus one, so a span starting
/// at `i + 1` is maximal exactly when it reaches past the previous one's end. Each position costs
/// one binary search for its insertion point (the sampled top level keeps it in cache); the
/// occurrence count is searched only for the maximal spans long enough to keep.
pub fn maximal_spans<C: Corpus + ?Sized>(index: &C, answer: &[u8], min_len: usize, max_count: usize) -> Vec<Span> {
    let w = index.tokenizer().width();
    let mut out = Vec::new();
    let mut prev_end = 0usize;
    let mut i = 0usize;
    while i < answer.len() / w {
        let len = index.longest_prefix_len(&answer[i * w..]);
        let end = i + len;
        if len > 0 && end > prev_end {
            prev_end = end;
            if len >= min_len {
                let count = index.count(&answer[i * w..end * w]);
                if max_count == 0 || count <= max_count {
                    out.push(Span { start: i, len, count });
                }
            }
        }
        i += 1;
    }
    out
}
