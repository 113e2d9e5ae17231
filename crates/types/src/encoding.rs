//! Canonical encoding: borsh, with a size limit checked before any allocation and no trailing
//! bytes allowed, so every object has exactly one encoding.

use crate::DecodeError;
use borsh::{BorshDeserialize, BorshSerialize};

/// Encodes a value canonically.
pub fn encode<T: BorshSerialize>(value: &T) -> Vec<u8> {
    borsh::to_vec(value).expect("borsh encoding into a Vec cannot fail")
}

/// Decodes exactly one value from `bytes`, refusing inputs over `limit` bytes and trailing data.
pub fn decode<T: BorshDeserialize>(bytes: &[u8], limit: usize) -> Result<T, DecodeError> {
    if bytes.len() > limit {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            limit,
        });
    }
    borsh::from_slice(bytes).map_err(|e| DecodeError::Malformed(e.to_string()))
}
