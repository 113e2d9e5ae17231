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

    /// The suffix-array index of a published datanet version, as shards (a pure function of
    /// its contributions' records and of where earlier versions ended, so every node ends with
    /// the same shards), and its id (the content's: [`sinew_attribution::content`]).
    /// `contents` is called only when the index is not at hand yet.
    fn version_index(
        &self,
        key: IndexKey,
        contents: &dyn Fn() -> Result<VersionContents, BlobSourceError>,
    ) -> Result<(Arc<sinew_attribution::Shards>, Hash), BlobSourceError> {
        let _ = contents;
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

/// What a version's index is made of: the approved contributions it covers, in order, and
/// where each version up to it ended (versions are append-only: version n covers the first
/// `versions[n - 1].0` approved contributions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionContents {
    /// (number, blob, format) of each contribution, in approval order.
    pub contributions: Vec<(u64, BlobId, Format)>,
    /// For each version from 1: how many approved contributions it covers, and its root.
    pub versions: Vec<(u64, Hash)>,
}

/// The most token-stream bytes one shard of a version's index holds: a version larger than this
/// is several shards, and merges stop at this size ([`sinew_attribution::layout`]). Building one
/// such shard holds about 6 bytes per stream byte.
pub const VERSION_SHARD_MAX_BYTES: u64 = 1 << 30;

/// The records of contribution `seq` (its blob read and parsed in its format), each tagged with
/// the contribution's number and the record's position: the documents it adds to a version.
pub fn contribution_records(
    seq: u64,
    blob: &BlobId,
    format: &Format,
    read_blob: &ReadBlob,
) -> Result<Vec<(sinew_attribution::DocRef, String)>, BlobSourceError> {
    let bytes = read_blob(blob)?;
    let records = sinew_datanet::ingest(&bytes, format, &format!("blob {blob}"))
        .map_err(|e| BlobSourceError::Ingest(e.stable()))?;
    Ok(records
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let at = sinew_attribution::DocRef {
                contribution: seq,
                record: i as u32,
            };
            (at, r.text)
        })
        .collect())
}

/// The records of `contributions` encoded with `tokenizer` (tagged with contribution number and
/// record position), in order, and how many documents there are after each contribution.
/// Contributions are read and encoded one after another, so the error is the first bad
/// contribution's, in order, however the records are batched (the streaming build in
/// `sinew-store` reports the same one).
pub fn contribution_documents(
    tokenizer: sinew_attribution::Tokenizer,
    contributions: &[(u64, BlobId, Format)],
    read_blob: &ReadBlob,
) -> Result<(Vec<sinew_attribution::EncodedDoc<'static>>, Vec<u64>), BlobSourceError> {
    let mut docs = Vec::new();
    let mut ends = Vec::with_capacity(contributions.len());
    for (seq, blob, format) in contributions {
        let records = contribution_records(*seq, blob, format, read_blob)?;
        let texts: Vec<(sinew_attribution::DocRef, &[u8])> = records.iter().map(|(r, t)| (*r, t.as_bytes())).collect();
        let encoded = sinew_attribution::encode_all(tokenizer, &texts).map_err(index_error)?;
        docs.extend(
            encoded
                .into_iter()
                .map(|(r, c)| (r, std::borrow::Cow::Owned(c.into_owned()))),
        );
        ends.push(docs.len() as u64);
    }
    Ok((docs, ends))
}

/// An index build error as the state machine must see it. Only facts about the records are
/// [`BlobSourceError::Ingest`] (every node reaches them alike, with a message that names no
/// position, since positions depend on how the version was built); everything about this node
/// (its files, its memory) is [`BlobSourceError::Unavailable`]: the node tries again.
pub fn index_error(e: sinew_attribution::IndexError) -> BlobSourceError {
    use sinew_attribution::IndexError as E;
    match e {
        E::TooLarge(_) => BlobSourceError::Ingest(
            "the version cannot be indexed: a record is larger than one index shard holds".into(),
        ),
        E::Separator(_) | E::Tokenize(..) => {
            BlobSourceError::Ingest("the version cannot be indexed: a record is not text its tokenizer reads".into())
        }
        E::Io(e) => BlobSourceError::Unavailable(e.to_string()),
        E::Build(m) | E::Invalid(m) => BlobSourceError::Unavailable(format!("index: {m}")),
    }
}

/// Checks that `contents` is a version history: contribution counts that never fall, the last
/// covering every contribution listed (anything else is a damaged state read).
pub fn check_contents(contents: &VersionContents) -> Result<(), BlobSourceError> {
    let counts: Vec<u64> = contents.versions.iter().map(|v| v.0).collect();
    let ordered = counts.windows(2).all(|w| w[0] <= w[1]);
    if !ordered || counts.last().copied().unwrap_or(0) != contents.contributions.len() as u64 {
        return Err(BlobSourceError::Storage(format!(
            "a version history of {} contributions ends at {:?}",
            contents.contributions.len(),
            counts.last()
        )));
    }
    Ok(())
}

/// Where each version of `contents` ends, in documents, given the document count after each
/// contribution.
pub fn version_doc_ends(contents: &VersionContents, contribution_ends: &[u64]) -> Vec<u64> {
    contents
        .versions
        .iter()
        .map(|(n, _)| match *n as usize {
            0 => 0,
            n => contribution_ends.get(n - 1).copied().unwrap_or(0),
        })
        .collect()
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
/// `tokenizer` and cut into the shards the version history decides
/// ([`sinew_attribution::layout::plan`]). A consensus function (settlements are recomputed
/// against it), written once: the tests' in-memory blobs build through it, and the node's
/// store reaches the same shards version by version. `read_blob` gives a blob's bytes; errors
/// keep the [`BlobSource`] contract (a version whose records cannot be indexed is
/// [`BlobSourceError::Ingest`], the same on every node).
pub fn build_version_index(
    tokenizer: sinew_attribution::Tokenizer,
    contents: &VersionContents,
    read_blob: &ReadBlob,
) -> Result<sinew_attribution::Shards, BlobSourceError> {
    check_contents(contents)?;
    let (encoded, ends) = contribution_documents(tokenizer, &contents.contributions, read_blob)?;
    let w = tokenizer.width() as u64;
    let sizes: Vec<u64> = encoded.iter().map(|(_, c)| c.len() as u64 + w).collect();
    let layout = sinew_attribution::layout::plan(&sizes, &version_doc_ends(contents, &ends), VERSION_SHARD_MAX_BYTES);
    sinew_attribution::Shards::build_layout(tokenizer, &encoded, &layout).map_err(index_error)
}

/// A blob source with no blobs (state-machine tests, replay without blobs).
pub struct NoBlobs;

impl BlobSource for NoBlobs {
    fn records(&self, blob: &BlobId, _: &Format) -> Result<Arc<Ingested>, BlobSourceError> {
        Err(BlobSourceError::NotFound(*blob))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sinew_attribution::IndexError;

    #[test]
    fn only_facts_about_the_records_fail_a_version_and_their_messages_name_no_position() {
        for e in [IndexError::TooLarge(7), IndexError::Separator(3)] {
            let BlobSourceError::Ingest(m) = index_error(e) else {
                panic!("a fact every node shares")
            };
            assert!(!m.chars().any(|c| c.is_ascii_digit()), "{m}");
        }
        for e in [
            IndexError::Build("OutOfMemory".into()),
            IndexError::Invalid("shard x: checksum mismatch".into()),
            IndexError::Io(std::io::Error::from_raw_os_error(28)),
        ] {
            assert!(
                matches!(index_error(e), BlobSourceError::Unavailable(_)),
                "this node's trouble"
            );
        }
        let history = |counts: &[u64], n: usize| VersionContents {
            contributions: (0..n as u64)
                .map(|i| (i, Hash::of(&[i as u8]), Format::Text { max_record_bytes: 64 }))
                .collect(),
            versions: counts.iter().map(|c| (*c, Hash::of(b"r"))).collect(),
        };
        assert!(check_contents(&history(&[1, 3], 3)).is_ok());
        assert!(check_contents(&history(&[2, 1], 2)).is_err(), "counts fall");
        assert!(check_contents(&history(&[1, 4], 3)).is_err(), "more than listed");
        assert!(check_contents(&history(&[1, 2], 3)).is_err(), "fewer than listed");
    }
}
