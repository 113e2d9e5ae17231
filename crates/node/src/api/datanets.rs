//! Datanet queries: datanets, versions, contributions (by contributor), records with provenance.

use super::ApiError;
use crate::core::Node;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use sinew_attribution::Tokenizer;
use sinew_state::{Contribution, Datanet, DatanetVersion, StateKey};
use sinew_types::Address;
use std::sync::Arc;

pub(super) fn list<T: borsh::BorshDeserialize>(node: &Node, prefix: &[u8]) -> Result<Vec<T>, ApiError> {
    node.store
        .state_prefix(prefix)
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .into_iter()
        .map(|(_, v)| borsh::from_slice(&v).map_err(|e| ApiError::Internal(format!("corrupt state: {e}"))))
        .collect()
}

/// One value of durable state.
pub(super) fn get<T: borsh::BorshDeserialize>(node: &Node, key: &StateKey) -> Result<Option<T>, ApiError> {
    let snapshot = node.store.snapshot().map_err(|e| ApiError::Internal(e.to_string()))?;
    sinew_state::executor::read(&snapshot, key).map_err(|e| ApiError::Internal(e.to_string()))
}

fn get_datanet(node: &Node, id: u64) -> Result<Datanet, ApiError> {
    get(node, &StateKey::Datanet(id))?.ok_or_else(|| ApiError::NotFound(format!("no datanet {id}")))
}

fn contributions(node: &Node, id: u64) -> Result<Vec<Contribution>, ApiError> {
    let mut v: Vec<Contribution> = list(node, &StateKey::Contribution(id, 0).encode()[..9])?;
    v.sort_by_key(|c| c.seq);
    Ok(v)
}

/// GET /v1/datanets.
pub async fn list_datanets(State(node): State<Arc<Node>>) -> Result<impl IntoResponse, ApiError> {
    let mut v: Vec<Datanet> = list(&node, &StateKey::Datanet(0).encode()[..1])?;
    v.sort_by_key(|d| d.id);
    Ok(Json(json!({ "datanets": v })))
}

/// GET /v1/datanets/{id}: the datanet and its versions.
pub async fn show(State(node): State<Arc<Node>>, Path(id): Path<u64>) -> Result<impl IntoResponse, ApiError> {
    let d = get_datanet(&node, id)?;
    let mut versions: Vec<DatanetVersion> = list(&node, &StateKey::DatanetVersion(id, 0).encode()[..9])?;
    versions.sort_by_key(|v| v.version);
    Ok(Json(json!({ "datanet": d, "versions": versions })))
}

/// GET /v1/datanets/{id}/versions/{n}.
pub async fn version(
    State(node): State<Arc<Node>>,
    Path((id, n)): Path<(u64, u64)>,
) -> Result<impl IntoResponse, ApiError> {
    let v: DatanetVersion = get(&node, &StateKey::DatanetVersion(id, n))?
        .ok_or_else(|| ApiError::NotFound(format!("datanet {id} has no version {n}")))?;
    Ok(Json(v))
}

/// Filters of the contributions list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContributionFilter {
    contributor: Option<String>,
}

/// GET /v1/datanets/{id}/contributions?contributor=ADDRESS.
pub async fn list_contributions(
    State(node): State<Arc<Node>>,
    Path(id): Path<u64>,
    Query(f): Query<ContributionFilter>,
) -> Result<impl IntoResponse, ApiError> {
    get_datanet(&node, id)?;
    let who: Option<Address> = f
        .contributor
        .map(|a| {
            a.parse()
                .map_err(|e: sinew_types::hash::BadHex32| ApiError::BadRequest("bad_address", e.to_string()))
        })
        .transpose()?;
    let v: Vec<Contribution> = contributions(&node, id)?
        .into_iter()
        .filter(|c| who.is_none_or(|w| c.contributor == w))
        .collect();
    Ok(Json(json!({ "contributions": v })))
}

/// Paging of the records list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordPage {
    contribution: Option<u64>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

/// GET /v1/datanets/{id}/records: records with their provenance (contribution, blob, byte range).
pub async fn records(
    State(node): State<Arc<Node>>,
    Path(id): Path<u64>,
    Query(p): Query<RecordPage>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = p.limit.unwrap_or(50).min(1000);
    let n = node.clone();
    let out = tokio::task::spawn_blocking(move || -> Result<Vec<serde_json::Value>, ApiError> {
        get_datanet(&n, id)?;
        let mut out = Vec::new();
        let mut skip = p.offset;
        for c in contributions(&n, id)? {
            if p.contribution.is_some_and(|want| want != c.seq) {
                continue;
            }
            if skip >= c.record_count as usize {
                skip -= c.record_count as usize;
                continue;
            }
            let bytes = n
                .blobs
                .store
                .read(&c.blob)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            let recs = sinew_datanet::ingest(&bytes, &c.format, &c.blob.to_string())
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            for (i, r) in recs.into_iter().enumerate().skip(skip) {
                if out.len() >= limit {
                    return Ok(out);
                }
                out.push(json!({
                    "contribution": c.seq, "index": i, "contributor": c.contributor, "status": c.status,
                    "blob": c.blob, "start": r.start, "end": r.end,
                    "hash": sinew_types::Hash::of(r.text.as_bytes()), "text": r.text,
                }));
            }
            skip = 0;
        }
        Ok(out)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(json!({ "records": out })))
}

/// The contributor filter of `/v1/contributions`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByContributor {
    contributor: String,
}

/// GET /v1/contributions?contributor=ADDRESS: every contribution of one account, all datanets.
pub async fn by_contributor(
    State(node): State<Arc<Node>>,
    Query(f): Query<ByContributor>,
) -> Result<impl IntoResponse, ApiError> {
    let who: Address = f
        .contributor
        .parse()
        .map_err(|e: sinew_types::hash::BadHex32| ApiError::BadRequest("bad_address", e.to_string()))?;
    let mut v: Vec<Contribution> = list(&node, &StateKey::Contribution(0, 0).encode()[..1])?;
    v.retain(|c| c.contributor == who);
    v.sort_by_key(|c| (c.datanet, c.seq));
    Ok(Json(json!({ "contributions": v })))
}

/// Query of the index endpoint.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexQuery {
    #[serde(default)]
    tokenizer: Option<String>,
}

fn parse_tokenizer(t: Option<&str>) -> Result<Tokenizer, ApiError> {
    t.map_or(Ok(Tokenizer::Bytes), |t| {
        t.parse()
            .map_err(|e: sinew_attribution::TokenizerError| ApiError::BadRequest("bad_tokenizer", e.to_string()))
    })
}

/// GET /v1/datanets/{id}/versions/{n}/index?tokenizer=bytes|gpt2|cl100k: the version's
/// suffix-array index (built on first use): its id and size.
pub async fn version_index(
    State(node): State<Arc<Node>>,
    Path((id, n)): Path<(u64, u64)>,
    Query(q): Query<IndexQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let tokenizer = parse_tokenizer(q.tokenizer.as_deref())?;
    let node2 = node.clone();
    let (idx, hash) = tokio::task::spawn_blocking(move || node2.version_index(id, n, tokenizer))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(
        json!({ "datanet": id, "version": n, "index": hash, "tokenizer": tokenizer, "tokens": idx.len(), "documents": idx.doc_count(), "bytes": idx.as_bytes().len() }),
    ))
}

/// Body of an attribution request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeRequest {
    text: String,
    #[serde(default)]
    min_len: Option<usize>,
    #[serde(default)]
    max_count: Option<usize>,
    #[serde(default)]
    tokenizer: Option<String>,
}

/// POST /v1/datanets/{id}/versions/{n}/attribute: attributes a text to the version's records:
/// the receipt (spans, contributions, weights) anyone can verify against the records.
pub async fn attribute(
    State(node): State<Arc<Node>>,
    Path((id, n)): Path<(u64, u64)>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let req: AttributeRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest("bad_json", format!("malformed JSON: {e}")))?;
    if req.text.len() > 64 * 1024 {
        return Err(ApiError::TooLarge("text exceeds 64 KiB".into()));
    }
    // Defaults are the ledger's attribution parameters (what settlement uses).
    let ledger = node.params();
    let params = sinew_attribution::Params {
        min_len: req.min_len.unwrap_or(ledger.attribution_min_len as usize).max(1),
        max_count: req.max_count.unwrap_or(ledger.attribution_max_count as usize).max(1),
    };
    let tokenizer = parse_tokenizer(req.tokenizer.as_deref())?;
    let node2 = node.clone();
    let receipt = tokio::task::spawn_blocking(move || -> Result<sinew_attribution::Receipt, ApiError> {
        let (idx, hash) = node2.version_index(id, n, tokenizer)?;
        Ok(sinew_attribution::receipt(&*idx, hash, req.text.as_bytes(), &params))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(receipt))
}
