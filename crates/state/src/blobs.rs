//! Where the state machine reads what is not in state: a blob's records, a task spec's bytes, the
//! index of a published datanet version. A pure function of content (every node gets the same
//! answer); the node implements it over its blob store, tests over memory.

use sinew_datanet::Ingested;
use sinew_types::datanet::{BlobId, Format};
use sinew_types::Hash;
use std::sync::Arc;

/// Where the state machine gets a blob's records: a pure function of the blob's bytes and the
/// format, so every node gets the same answer.
///
/// The contract on errors: [`BlobSourceError::Ingest`] is a fact about the blob that every node
/// shares (the transaction fails, with a message of ours); [`BlobSourceError::NotFound`] and
/// [`BlobSourceError::Unavailable`] are this node's state (it lacks the blob, or cannot read it
/// right now: a full disk, too many open files): the transaction is left out of the block and
/// tried again later, never failed;
/// [`BlobSourceError::Storage`] is damage (a blob that no longer matches its id): execution
/// stops, loudly.
pub trait BlobSource {
    /// The blob's size and its records cut by `format`, fingerprinted.
    fn records(&self, blob: &BlobId, format: &Format) -> Result<Arc<Ingested>, BlobSourceError>;

    /// A blob's bytes (task specs the ledger recomputes).
    fn blob(&self, id: &BlobId) -> Result<Arc<Vec<u8>>, BlobSourceError> {
        Err(BlobSourceError::NotFound(*id))
    }

    /// The suffix-array index of a published datanet version (a pure function of its
    /// contributions' records, so every node builds the same bytes) and its id. `contributions`
    /// lists the version's approved contributions in order (number, blob, format); it is called
    /// only when the index is not at hand yet.
    fn version_index(
        &self,
        key: IndexKey,
        contributions: &dyn Fn() -> Result<Vec<(u64, BlobId, Format)>, BlobSourceError>,
    ) -> Result<(Arc<sinew_attribution::Index>, Hash), BlobSourceError> {
        let _ = contributions;
        Err(BlobSourceError::Storage(format!(
            "no index of datanet {} version {} on this node",
            key.datanet, key.version
        )))
    }
}

/// Which index: a datanet version (named, and identified by its content) and a tokenizer. The
/// root is part of the key because two unfinalized forks may publish different contents under the
/// same version number: a cache keyed by name alone would serve one fork the other's index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndexKey {
    /// The datanet.
    pub datanet: u64,
    /// The published version.
    pub version: u64,
    /// The version's Merkle root over its approved contributions (its content).
    pub root: Hash,
    /// The tokenizer.
    pub tokenizer: sinew_attribution::Tokenizer,
}

/// Why a blob's records are not available.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobSourceError {
    /// The node has no such blob (upload it first).
    #[error("blob {0} has not been uploaded")]
    NotFound(BlobId),
    /// The blob does not parse in that format (a message of ours, the same on every node).
    #[error("{0}")]
    Ingest(String),
    /// This node cannot read it right now (full disk, too many open files): try again later.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// The blob store is damaged.
    #[error("blob store: {0}")]
    Storage(String),
}

/// Reads a blob's bytes by id.
pub type ReadBlob<'a> = dyn Fn(&BlobId) -> Result<Arc<Vec<u8>>, BlobSourceError> + 'a;

/// The attribution index of a datanet version: the records of its approved contributions, in
/// order, each tagged with its contribution number and record position, indexed with
/// `tokenizer`. A consensus function (settlements are recomputed against it), so it is written
/// once: the node's blob store and the tests' in-memory blobs both build through it.
/// `read_blob` gives a blob's bytes; errors keep the [`BlobSource`] contract (a version whose
/// records cannot be indexed is [`BlobSourceError::Ingest`], the same on every node).
pub fn build_version_index(
    tokenizer: sinew_attribution::Tokenizer,
    contributions: &[(u64, BlobId, Format)],
    read_blob: &ReadBlob,
) -> Result<sinew_attribution::Index, BlobSourceError> {
    let mut texts: Vec<(sinew_attribution::DocRef, String)> = Vec::new();
    for (seq, blob, format) in contributions {
        let bytes = read_blob(blob)?;
        let records = sinew_datanet::ingest(&bytes, format, &format!("blob {blob}"))
            .map_err(|e| BlobSourceError::Ingest(e.stable()))?;
        texts.extend(records.into_iter().enumerate().map(|(i, r)| {
            let at = sinew_attribution::DocRef {
                contribution: *seq,
                record: i as u32,
            };
            (at, r.text)
        }));
    }
    let docs: Vec<(sinew_attribution::DocRef, &[u8])> = texts.iter().map(|(r, t)| (*r, t.as_bytes())).collect();
    sinew_attribution::Index::build_with(tokenizer, &docs).map_err(|e| match e {
        sinew_attribution::IndexError::Io(e) => BlobSourceError::Unavailable(e.to_string()),
        other => BlobSourceError::Ingest(format!("the version cannot be indexed: {other}")),
    })
}

/// A blob source with no blobs (state-machine tests, replay without blobs).
pub struct NoBlobs;

impl BlobSource for NoBlobs {
    fn records(&self, blob: &BlobId, _: &Format) -> Result<Arc<Ingested>, BlobSourceError> {
        Err(BlobSourceError::NotFound(*blob))
    }
}
