//! The corpus a model answers from (the indexes of the datanet versions in its lineage) and the
//! attribution receipt of an answer against it: one function for the ledger, the gateway and
//! verifiers alike.

use crate::blobs::{BlobSource, BlobSourceError, IndexKey, VersionContents};
use crate::error::StorageError;
use crate::keys::StateKey;
use crate::reader::read;
use crate::reader::StateReader;
use crate::{Contribution, DatanetVersion};
use sinew_attribution::{Receipt, Tokenizer, Union};
use sinew_types::datanet::{BlobId, Format};
use sinew_types::inference::ModelInfo;
use sinew_types::{Hash, Params};

/// The approved contributions a published version covers, in order: (number, blob, format).
pub fn version_contributions(
    state: &dyn StateReader,
    datanet: u64,
    version: u64,
) -> Result<Vec<(u64, BlobId, Format)>, BlobSourceError> {
    let storage = |e: StorageError| BlobSourceError::Storage(e.message);
    let v: DatanetVersion = read(state, &StateKey::DatanetVersion(datanet, version))
        .map_err(storage)?
        .ok_or_else(|| BlobSourceError::Ingest(format!("datanet {datanet} has no version {version}")))?;
    (0..v.contributions)
        .map(|i| {
            let seq: u64 = read(state, &StateKey::DatanetApproved(datanet, i))
                .map_err(storage)?
                .ok_or_else(|| {
                    BlobSourceError::Storage(format!("approved contribution #{i} of datanet {datanet} missing"))
                })?;
            let c: Contribution = read(state, &StateKey::Contribution(datanet, seq))
                .map_err(storage)?
                .ok_or_else(|| BlobSourceError::Storage(format!("approved contribution {seq} missing")))?;
            Ok((c.seq, c.blob, c.format))
        })
        .collect()
}

/// What a published version's index is made of: its contributions, and where every version up
/// to it ended.
pub fn version_contents(
    state: &dyn StateReader,
    datanet: u64,
    version: u64,
) -> Result<VersionContents, BlobSourceError> {
    let contributions = version_contributions(state, datanet, version)?;
    let versions = (1..=version)
        .map(|n| {
            let v: DatanetVersion = read(state, &StateKey::DatanetVersion(datanet, n))
                .map_err(|e| BlobSourceError::Storage(e.message))?
                .ok_or_else(|| BlobSourceError::Storage(format!("datanet {datanet} version {n} missing")))?;
            Ok((v.contributions, v.root))
        })
        .collect::<Result<_, BlobSourceError>>()?;
    Ok(VersionContents {
        contributions,
        versions,
    })
}

/// The Merkle root of a published version (what identifies its content).
pub fn version_root(state: &dyn StateReader, datanet: u64, version: u64) -> Result<Hash, BlobSourceError> {
    let v: DatanetVersion = read(state, &StateKey::DatanetVersion(datanet, version))
        .map_err(|e| BlobSourceError::Storage(e.message))?
        .ok_or_else(|| BlobSourceError::Ingest(format!("datanet {datanet} has no version {version}")))?;
    Ok(v.root)
}

/// The corpus a model's answers are attributed against.
pub struct ModelCorpus {
    /// The union of its datanet versions' indexes, queried as one corpus.
    pub union: Union,
    /// Its id: the version index's id, or the union's id over several (receipts commit to it).
    pub id: Hash,
}

/// The corpus a model's answers are attributed against: the union of its datanet versions'
/// indexes, with its id.
pub fn model_corpus(
    state: &dyn StateReader,
    blobs: &dyn BlobSource,
    info: &ModelInfo,
) -> Result<ModelCorpus, BlobSourceError> {
    let tokenizer: Tokenizer = info
        .tokenizer
        .parse()
        .map_err(|e: sinew_attribution::TokenizerError| BlobSourceError::Ingest(e.to_string()))?;
    let mut parts = Vec::with_capacity(info.datanets.len());
    let mut ids = Vec::with_capacity(info.datanets.len());
    for &(datanet, version) in &info.datanets {
        let contents = || version_contents(state, datanet, version);
        let (index, id) = blobs.version_index(
            IndexKey {
                datanet,
                version,
                root: version_root(state, datanet, version)?,
                tokenizer,
            },
            &contents,
        )?;
        parts.push(index);
        ids.push(id);
    }
    let id = if ids.len() == 1 { ids[0] } else { Union::id(&ids) };
    let union = Union::new(parts).map_err(|e| BlobSourceError::Ingest(e.to_string()))?;
    Ok(ModelCorpus { union, id })
}

/// The attribution receipt of `answer` for a model, with the ledger's parameters: what the
/// provider's gateway computes and `apply` recomputes.
pub fn answer_receipt(corpus: &ModelCorpus, answer: &str, params: &Params) -> Receipt {
    let p = sinew_attribution::Params {
        min_len: params.attribution_min_len as usize,
        max_count: params.attribution_max_count as usize,
    };
    sinew_attribution::receipt(&corpus.union, corpus.id, answer.as_bytes(), &p)
}
