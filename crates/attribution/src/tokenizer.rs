//! Tokenizers an index can be built with: bytes (the default), GPT-2 (`r50k_base`) and cl100k BPE.
//!
//! Every tokenizer turns text into a stream of fixed-width big-endian token codes (1 byte for
//! bytes, 2 for GPT-2, 3 for cl100k). Comparing two such streams bytewise is comparing them token
//! by token, so one suffix-array code serves all three: only the width changes. The all-`0xFF`
//! code of each width is never a token and separates documents.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use tiktoken_rs::CoreBPE;

/// A tokenizer, recorded by its id in the index header (and by name in receipts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tokenizer {
    /// One token per UTF-8 byte (infini-gram's byte-level setting).
    #[default]
    Bytes,
    /// GPT-2's byte-pair encoding (tiktoken `r50k_base`, 50,257 tokens).
    Gpt2,
    /// cl100k byte-pair encoding (tiktoken `cl100k_base`, about 100,000 tokens).
    Cl100k,
}

/// Why text could not be tokenized, or a tokenizer name is unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenizerError {
    /// No tokenizer has this name.
    #[error("unknown tokenizer {0:?} (expected bytes, gpt2 or cl100k)")]
    UnknownName(String),
    /// No tokenizer has this header id.
    #[error("unknown tokenizer id {0}")]
    UnknownId(u8),
    /// Byte-pair encodings need UTF-8 text.
    #[error("text is not valid UTF-8")]
    NotUtf8,
    /// A code stream holds a token the vocabulary does not know.
    #[error("token {0} is not in the vocabulary")]
    UnknownToken(u32),
}

impl Tokenizer {
    /// Every tokenizer, in id order.
    pub const ALL: [Tokenizer; 3] = [Tokenizer::Bytes, Tokenizer::Gpt2, Tokenizer::Cl100k];

    /// The id stored in index headers.
    pub fn id(self) -> u8 {
        match self {
            Tokenizer::Bytes => 0,
            Tokenizer::Gpt2 => 1,
            Tokenizer::Cl100k => 2,
        }
    }

    /// The tokenizer with header id `id`.
    pub fn from_id(id: u8) -> Result<Tokenizer, TokenizerError> {
        Tokenizer::ALL
            .into_iter()
            .find(|t| t.id() == id)
            .ok_or(TokenizerError::UnknownId(id))
    }

    /// The name used on the command line and in receipts.
    pub fn name(self) -> &'static str {
        match self {
            Tokenizer::Bytes => "bytes",
            Tokenizer::Gpt2 => "gpt2",
            Tokenizer::Cl100k => "cl100k",
        }
    }

    /// Bytes per token code.
    pub fn width(self) -> usize {
        match self {
            Tokenizer::Bytes => 1,
            Tokenizer::Gpt2 => 2,
            Tokenizer::Cl100k => 3,
        }
    }

    fn bpe(self) -> Option<&'static CoreBPE> {
        match self {
            Tokenizer::Bytes => None,
            Tokenizer::Gpt2 => Some(tiktoken_rs::r50k_base_singleton()),
            Tokenizer::Cl100k => Some(tiktoken_rs::cl100k_base_singleton()),
        }
    }

    /// The token ids of `text`.
    pub fn tokens(self, text: &[u8]) -> Result<Vec<u32>, TokenizerError> {
        match self.bpe() {
            None => Ok(text.iter().map(|&b| u32::from(b)).collect()),
            Some(bpe) => {
                let s = std::str::from_utf8(text).map_err(|_| TokenizerError::NotUtf8)?;
                Ok(bpe.encode_ordinary(s))
            }
        }
    }

    /// `text` as a stream of token codes.
    pub fn encode(self, text: &[u8]) -> Result<Vec<u8>, TokenizerError> {
        if self == Tokenizer::Bytes {
            return Ok(text.to_vec());
        }
        let mut out = Vec::with_capacity(text.len());
        for t in self.tokens(text)? {
            self.push_code(&mut out, t);
        }
        Ok(out)
    }

    /// `text` as token codes, never failing: invalid UTF-8 is replaced (U+FFFD) for byte-pair
    /// encodings, so every node encodes an answer the same way whatever its bytes.
    pub fn encode_lossy(self, text: &[u8]) -> Vec<u8> {
        match self {
            Tokenizer::Bytes => text.to_vec(),
            _ => self
                .encode(String::from_utf8_lossy(text).as_bytes())
                .expect("lossy text is valid UTF-8"),
        }
    }

    /// Appends the code of token `t`.
    pub fn push_code(self, out: &mut Vec<u8>, t: u32) {
        let w = self.width();
        out.extend_from_slice(&t.to_be_bytes()[4 - w..]);
    }

    /// The token whose code starts `codes`.
    pub fn token_at(self, codes: &[u8]) -> u32 {
        codes[..self.width()]
            .iter()
            .fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
    }

    /// The separator's token id (all bits of the code set).
    pub fn separator(self) -> u32 {
        (1u32 << (8 * self.width())) - 1
    }

    /// The bytes a stream of token codes stands for.
    pub fn decode(self, codes: &[u8]) -> Result<Vec<u8>, TokenizerError> {
        match self.bpe() {
            None => Ok(codes.to_vec()),
            Some(bpe) => {
                let ids: Vec<u32> = codes.chunks_exact(self.width()).map(|c| self.token_at(c)).collect();
                bpe.decode_bytes(&ids)
                    .map_err(|e| TokenizerError::UnknownToken(e.token))
            }
        }
    }

    /// The byte length of each token of `codes` once decoded.
    pub fn token_lengths(self, codes: &[u8]) -> Result<Vec<usize>, TokenizerError> {
        codes
            .chunks_exact(self.width())
            .map(|c| self.decode(c).map(|b| b.len()))
            .collect()
    }
}

impl fmt::Display for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Tokenizer {
    type Err = TokenizerError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "bytes" | "byte" => Ok(Tokenizer::Bytes),
            "gpt2" | "r50k" | "r50k_base" => Ok(Tokenizer::Gpt2),
            "cl100k" | "cl100k_base" => Ok(Tokenizer::Cl100k),
            other => Err(TokenizerError::UnknownName(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_never_collide_with_the_separator() {
        let text = "The river Rhône flows 1,233 km to the North Sea. 🌊".as_bytes();
        for t in Tokenizer::ALL {
            let codes = t.encode(text).unwrap();
            assert_eq!(codes.len() % t.width(), 0);
            assert_eq!(t.decode(&codes).unwrap(), text, "{t}");
            let ids = t.tokens(text).unwrap();
            assert_eq!(ids.len(), codes.len() / t.width());
            assert!(ids.iter().all(|&i| i < t.separator()), "{t}");
            assert_eq!(t.token_lengths(&codes).unwrap().iter().sum::<usize>(), text.len());
            assert_eq!(Tokenizer::from_id(t.id()).unwrap(), t);
            assert_eq!(t.name().parse::<Tokenizer>().unwrap(), t);
        }
        assert!(Tokenizer::Gpt2.tokens(&[0xff, 0x00]).is_err());
        assert!("llama".parse::<Tokenizer>().is_err());
    }

    #[test]
    fn bpe_tokens_are_the_published_ones() {
        // GPT-2 and cl100k ids of "hello world", as tiktoken gives them.
        assert_eq!(Tokenizer::Gpt2.tokens(b"hello world").unwrap(), vec![31373, 995]);
        assert_eq!(Tokenizer::Cl100k.tokens(b"hello world").unwrap(), vec![15339, 1917]);
    }
}
