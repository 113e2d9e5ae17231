//! Errors from decoding untrusted bytes.

/// Why bytes could not be decoded into a ledger object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input is longer than the limit for its kind.
    #[error("input of {len} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Bytes received.
        len: usize,
        /// Bytes allowed.
        limit: usize,
    },
    /// The bytes are not a valid canonical encoding (truncated, unknown tag, trailing bytes...).
    #[error("malformed encoding: {0}")]
    Malformed(String),
}
