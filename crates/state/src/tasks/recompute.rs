//! The built-in task kinds whose result the ledger recomputes (an attribution, a seeded answer):
//! what a spec says and the digest a correct result has.

use crate::blobs::{BlobSource, BlobSourceError};
use crate::ctx::Halt;
use crate::ctx::{fail, Outcome};
use crate::error::StorageError;
use crate::inference::{answer_receipt, model_corpus, Model};
use crate::keys::StateKey;
use crate::reader::StateReader;
use sinew_types::failure::TaskFailure;
use sinew_types::task::{KIND_ATTRIBUTION, KIND_INFERENCE};
use sinew_types::{Hash, Params};

/// Why the ledger could not recompute a built-in task's result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecomputeError {
    /// The spec is not what the kind asks for (a message of ours, the same on every node).
    #[error("{0}")]
    BadSpec(String),
    /// This node cannot read the spec blob or an index right now.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// The state or blob store is damaged.
    #[error("{0}")]
    Storage(String),
}

impl RecomputeError {
    pub(super) fn outcome(self) -> Outcome {
        match self {
            RecomputeError::BadSpec(m) => fail(TaskFailure::BadSpec, m),
            RecomputeError::Unavailable(m) => Err(Halt::Unavailable(m)),
            RecomputeError::Storage(m) => Err(StorageError::new(m).into()),
        }
    }
}

impl From<BlobSourceError> for RecomputeError {
    fn from(e: BlobSourceError) -> Self {
        match e {
            BlobSourceError::Unavailable(m) => RecomputeError::Unavailable(m),
            e @ BlobSourceError::NotFound(_) => RecomputeError::Unavailable(e.to_string()),
            BlobSourceError::Storage(m) => RecomputeError::Storage(m),
            e @ BlobSourceError::Ingest(_) => RecomputeError::BadSpec(e.to_string()),
        }
    }
}

/// What a built-in kind's spec says, and the digest a correct result has.
pub fn recompute_result(
    state: &dyn StateReader,
    blobs: &dyn BlobSource,
    params: &Params,
    kind: &str,
    spec: &Hash,
) -> Result<Hash, RecomputeError> {
    let bad = |m: &str| RecomputeError::BadSpec(m.to_string());
    let bytes = blobs.blob(spec)?;
    // The parser's own wording never reaches a receipt: only ours.
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad("the spec is not JSON"))?;
    let model_id = v["model"].as_u64().ok_or_else(|| bad("spec has no model id"))?;
    let model: Model = crate::reader::read(state, &StateKey::Model(model_id))
        .map_err(|e| RecomputeError::Storage(e.message))?
        .ok_or_else(|| RecomputeError::BadSpec(format!("no model {model_id}")))?;
    let corpus = model_corpus(state, blobs, &model.info)?;
    match kind {
        KIND_ATTRIBUTION => {
            let answer = v["answer"].as_str().ok_or_else(|| bad("spec has no answer"))?;
            if answer.len() > params.max_answer_bytes as usize {
                return Err(bad("answer too large"));
            }
            Ok(answer_receipt(&corpus, answer, params).digest())
        }
        KIND_INFERENCE => {
            let prompt = v["prompt"].as_str().ok_or_else(|| bad("spec has no prompt"))?;
            let max_tokens = v["max_tokens"]
                .as_u64()
                .filter(|n| (1..=1024).contains(n))
                .ok_or_else(|| bad("max_tokens must be 1..=1024"))?;
            if prompt.len() > 32 * 1024 {
                return Err(bad("prompt too large"));
            }
            let sampling = match v["seed"].as_u64() {
                Some(s) => sinew_attribution::Sampling::Seeded(s),
                None => sinew_attribution::Sampling::Greedy,
            };
            let (answer, _, _) =
                sinew_attribution::generate_tokens(&corpus.union, prompt.as_bytes(), max_tokens as usize, sampling);
            Ok(Hash::of(&answer))
        }
        other => Err(RecomputeError::BadSpec(format!(
            "the ledger cannot recompute {other} tasks"
        ))),
    }
}
