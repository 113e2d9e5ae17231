//! One shard of a corpus in either storage mode, and the mode itself: a suffix array (fastest,
//! memory-mapped, about five bytes per text byte) or an FM-index (compressed, under half the
//! text, held in memory). Both give the same answers, so a version's receipts do not depend on
//! the mode a node chose.

use crate::doc::{DocRef, EncodedDoc};
use crate::fm::FmIndex;
use crate::index::{Index, IndexError};
use crate::tokenizer::Tokenizer;
use serde::{Deserialize, Serialize};
use sinew_types::Hash;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// How a node stores the indexes of datanet versions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndexMode {
    /// Suffix arrays: the fastest queries, about five bytes per text byte on disk.
    #[default]
    SuffixArray,
    /// FM-indexes: under half a byte per text byte, queries a few times slower.
    Compressed,
}

/// An index mode name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown index mode {0:?} (expected suffix-array or compressed)")]
pub struct UnknownIndexMode(pub String);

impl IndexMode {
    /// Both modes, in id order.
    pub const ALL: [IndexMode; 2] = [IndexMode::SuffixArray, IndexMode::Compressed];

    /// The id stored in version manifests.
    pub fn id(self) -> u8 {
        match self {
            IndexMode::SuffixArray => 0,
            IndexMode::Compressed => 1,
        }
    }

    /// The mode with manifest id `id`.
    pub fn from_id(id: u8) -> Option<IndexMode> {
        IndexMode::ALL.into_iter().find(|m| m.id() == id)
    }

    /// The name used in configuration.
    pub fn name(self) -> &'static str {
        match self {
            IndexMode::SuffixArray => "suffix-array",
            IndexMode::Compressed => "compressed",
        }
    }
}

impl fmt::Display for IndexMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for IndexMode {
    type Err = UnknownIndexMode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IndexMode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| UnknownIndexMode(s.to_string()))
    }
}

/// One shard, shared: a suffix array or an FM-index over the same kind of documents.
#[derive(Clone)]
pub enum Shard {
    /// A suffix-array index.
    Suffix(Arc<Index>),
    /// An FM-index.
    Compressed(Arc<FmIndex>),
}

impl From<Arc<Index>> for Shard {
    fn from(i: Arc<Index>) -> Shard {
        Shard::Suffix(i)
    }
}

impl From<Index> for Shard {
    fn from(i: Index) -> Shard {
        Shard::Suffix(Arc::new(i))
    }
}

impl From<Arc<FmIndex>> for Shard {
    fn from(i: Arc<FmIndex>) -> Shard {
        Shard::Compressed(i)
    }
}

impl From<FmIndex> for Shard {
    fn from(i: FmIndex) -> Shard {
        Shard::Compressed(Arc::new(i))
    }
}

/// Calls the same method on either kind of shard.
macro_rules! either {
    ($self:ident, $i:ident => $e:expr) => {
        match $self {
            Shard::Suffix($i) => $e,
            Shard::Compressed($i) => $e,
        }
    };
}

impl Shard {
    /// Its storage mode.
    pub fn mode(&self) -> IndexMode {
        match self {
            Shard::Suffix(_) => IndexMode::SuffixArray,
            Shard::Compressed(_) => IndexMode::Compressed,
        }
    }

    /// The suffix array, if it is one (tools that read suffix-array ranges).
    pub fn suffix(&self) -> Option<&Index> {
        match self {
            Shard::Suffix(i) => Some(i),
            Shard::Compressed(_) => None,
        }
    }

    /// The tokenizer its documents were encoded with.
    pub fn tokenizer(&self) -> Tokenizer {
        either!(self, i => i.tokenizer())
    }

    /// The content chain value before its first document.
    pub fn chain_start(&self) -> Hash {
        either!(self, i => i.chain_start())
    }

    /// The content chain value after its last document.
    pub fn chain_end(&self) -> Hash {
        either!(self, i => i.chain_end())
    }

    /// Its documents.
    pub fn doc_count(&self) -> usize {
        either!(self, i => i.doc_count())
    }

    /// Its tokens, separators included.
    pub fn len(&self) -> usize {
        either!(self, i => i.len())
    }

    /// Whether it holds no tokens.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Its token stream in bytes (tokens times the code width), as layouts count shards.
    pub fn stream_bytes(&self) -> usize {
        self.len() * self.tokenizer().width()
    }

    /// Bytes it takes: the suffix-array file, or the FM-index in memory (and on disk).
    pub fn stored_bytes(&self) -> usize {
        match self {
            Shard::Suffix(i) => i.as_bytes().len(),
            Shard::Compressed(i) => i.bytes(),
        }
    }

    /// Its documents as token codes: borrowed from a suffix array's stream, read back from an
    /// FM-index's transform.
    pub fn encoded_docs(&self) -> Result<Vec<EncodedDoc<'_>>, IndexError> {
        match self {
            Shard::Suffix(i) => Ok(i.encoded_docs()),
            Shard::Compressed(i) => i.encoded_docs(),
        }
    }

    /// The text of record `r`, if this shard holds it (a scan: for tools, not hot paths).
    pub fn doc_text(&self, r: DocRef) -> Option<Vec<u8>> {
        match self {
            Shard::Suffix(s) => (0..s.doc_count() as u32)
                .find(|&d| s.doc_ref(d) == r)
                .map(|d| s.doc_text(d)),
            Shard::Compressed(f) => {
                let docs = f.encoded_docs().ok()?;
                let (_, codes) = docs.into_iter().find(|(d, _)| *d == r)?;
                f.tokenizer().decode(&codes).ok()
            }
        }
    }

    /// The length in tokens of the longest prefix of `pattern` that occurs.
    pub fn longest_prefix_len(&self, pattern: &[u8]) -> usize {
        either!(self, i => i.longest_prefix_len(pattern))
    }

    /// Up to `limit` occurrences of `pattern`: record and token offset, sorted.
    pub fn occurrences(&self, pattern: &[u8], limit: usize) -> Vec<(DocRef, u64)> {
        either!(self, i => crate::Corpus::occurrences(&**i, pattern, limit))
    }

    /// How many times `pattern` occurs.
    pub fn count(&self, pattern: &[u8]) -> usize {
        either!(self, i => i.count(pattern))
    }

    /// The length in tokens of the longest suffix of `query` that occurs.
    pub fn longest_suffix(&self, query: &[u8]) -> usize {
        either!(self, i => i.longest_suffix(query))
    }

    /// Counts of the token following each occurrence of `pattern`, sorted by token.
    pub fn continuations(&self, pattern: &[u8]) -> Vec<(u32, u64)> {
        either!(self, i => i.continuations(pattern))
    }

    /// Builds the shard of `docs` in `mode`, continuing the content chain from `chain_start`.
    pub fn build(
        mode: IndexMode,
        tokenizer: Tokenizer,
        docs: &[EncodedDoc<'_>],
        chain_start: Hash,
        threads: usize,
    ) -> Result<Shard, IndexError> {
        Ok(match mode {
            IndexMode::SuffixArray => Index::build_encoded(tokenizer, docs, chain_start, threads)?.into(),
            IndexMode::Compressed => FmIndex::build_encoded(tokenizer, docs, chain_start, threads)?.into(),
        })
    }
}
