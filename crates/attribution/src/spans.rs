//! Maximal spans: the stretches of an answer that occur verbatim in the corpus and cannot be
//! extended either way (the OLMoTrace definition).

use crate::corpus::Corpus;

/// A maximal span of the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// Byte offset in the answer.
    pub start: usize,
    /// Length in bytes.
    pub len: usize,
    /// How many times it occurs in the corpus.
    pub count: usize,
}

/// All maximal spans of `answer` of at least `min_len` tokens occurring at most `max_count`
/// times (0: no limit), in answer order.
///
/// The longest match starting at `i + 1` is at least the one at `i` minus one, so a span starting
/// at `i + 1` is maximal only if it reaches past the previous one's end; positions whose match
/// cannot do so are skipped without a search.
pub fn maximal_spans<C: Corpus + ?Sized>(index: &C, answer: &[u8], min_len: usize, max_count: usize) -> Vec<Span> {
    let mut out = Vec::new();
    let mut prev_end = 0usize;
    let mut i = 0usize;
    while i < answer.len() {
        let (len, count) = index.longest_prefix_count(&answer[i..]);
        let end = i + len;
        if len > 0 && end > prev_end {
            prev_end = end;
            if len >= min_len && (max_count == 0 || count <= max_count) {
                out.push(Span { start: i, len, count });
            }
        }
        i += 1;
    }
    out
}
