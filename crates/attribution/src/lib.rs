//! Proof of attribution, the engine: a suffix-array index over the records of a datanet version,
//! n-gram queries (count, find, longest matching suffix, next-token counts) and maximal-span
//! attribution of an answer (the OLMoTrace method), all deterministic so that every node can
//! recompute an attribution and check someone else's.
//!
//! Tokens: byte level by default (the corpus is the records' UTF-8 bytes, each followed by the
//! separator `0xFF`, a byte UTF-8 never contains, so no match crosses a record boundary), or GPT-2
//! / cl100k BPE, stored as fixed-width codes with an all-`0xFF` separator code ([`Tokenizer`]).

pub mod attribute;
pub mod content;
pub mod corpus;
mod doc;
pub mod fm;
pub mod index;
pub mod layout;
pub mod lm;
mod parallel;
pub mod receipt;
mod search;
pub mod shard;
pub mod shard_dir;
pub mod spans;
mod spill;
pub mod tokenizer;
mod write;

pub use attribute::{attribute, AttributedSpan, Attribution, Params};
pub use corpus::{Corpus, Shards, Union};
pub use index::{encode_all, DocRef, EncodedDoc, Index, IndexError, Occurrence, MAX_SHARD_BYTES};
pub use layout::ShardSpan;
pub use lm::{generate, generate_tokens, Sampling};
pub use receipt::{receipt, recompute, verify_against_records, Receipt, ReceiptError};
pub use shard::{IndexMode, Shard, UnknownIndexMode};
pub use shard_dir::{BuildLimits, Manifest, ShardDir, ShardFile};
pub use spans::{maximal_spans, Span};
pub use spill::Spill;
pub use tokenizer::{Tokenizer, TokenizerError};

/// Separates documents in the token stream (repeated to the code width); never part of UTF-8
/// text, never a token code.
pub const SEPARATOR: u8 = 0xFF;
