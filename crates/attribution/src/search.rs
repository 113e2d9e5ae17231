//! Searches every storage mode shares, written once over a count.

/// The length in tokens (of `width` bytes) of the longest suffix of `query` that `count` finds:
/// a suffix occurs whenever a longer one does, so a binary search on the length.
pub(crate) fn longest_occurring_suffix(query: &[u8], width: usize, count: impl Fn(&[u8]) -> usize) -> usize {
    let (mut lo, mut hi) = (0usize, query.len() / width);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if count(&query[query.len() - mid * width..]) > 0 {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}
