//! Datanet queries: datanets, versions, contributions (by contributor), records with provenance.

use super::page;
use super::ApiError;
use crate::core::Node;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use sinew_attribution::Tokenizer;
use sinew_state::{Contribution, Datanet, DatanetVersion, StateKey};
use sinew_types::api::answers::{
    AttributionReceipt, ContributionPage, DatanetPage, DatanetView, IndexView, RecordView, RecordsView,
};
pub use sinew_types::api::queries::{ContributionFilter, IndexQuery, Page, RecordPage};
pub use sinew_types::api::requests::AttributeRequest;
use sinew_types::Address;
use std::sync::Arc;

/// One value of durable state.
pub(super) fn get<T: borsh::BorshDeserialize>(node: &Node, key: &StateKey) -> Result<Option<T>, ApiError> {
    let snapshot = node
        .ledger
        .store
        .snapshot()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    sinew_state::read(&snapshot, key).map_err(|e| ApiError::Internal(e.to_string()))
}

fn get_datanet(node: &Node, id: u64) -> Result<Datanet, ApiError> {
    get(node, &StateKey::Datanet(id))?.ok_or_else(|| ApiError::NotFound(format!("no datanet {id}")))
}

/// GET /v1/datanets?after=&limit=: datanets by id, a page at a time.
pub async fn list_datanets(
    State(node): State<Arc<Node>>,
    Query(p): Query<Page>,
) -> Result<impl IntoResponse, ApiError> {
    let after = page::cursor(p.after.as_deref())?;
    let (v, next) = page::blocking(&node, move |n| {
        page::scan::<Datanet>(
            n,
            &StateKey::Datanet(0).kind_prefix(),
            after,
            page::limit(p.limit),
            |_| true,
        )
    })
    .await?;
    Ok(Json(DatanetPage { datanets: v, next }))
}

/// GET /v1/datanets/{id}: the datanet and its latest versions (at most a page).
pub async fn show(State(node): State<Arc<Node>>, Path(id): Path<u64>) -> Result<impl IntoResponse, ApiError> {
    let (d, versions) = page::blocking(&node, move |n| {
        let d = get_datanet(n, id)?;
        let first = d.versions.saturating_sub(page::MAX_LIMIT as u64) + 1;
        let mut versions = Vec::new();
        for v in first..=d.versions {
            if let Some(x) = get::<DatanetVersion>(n, &StateKey::DatanetVersion(id, v))? {
                versions.push(x);
            }
        }
        Ok((d, versions))
    })
    .await?;
    Ok(Json(DatanetView { datanet: d, versions }))
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

fn parse_address(a: &str) -> Result<Address, ApiError> {
    a.parse()
        .map_err(|e: sinew_types::hash::BadHex32| ApiError::BadRequest("bad_address", e.to_string()))
}

/// GET /v1/datanets/{id}/contributions?contributor=ADDRESS&after=&limit=: in order, a page at a
/// time.
pub async fn list_contributions(
    State(node): State<Arc<Node>>,
    Path(id): Path<u64>,
    Query(f): Query<ContributionFilter>,
) -> Result<impl IntoResponse, ApiError> {
    let who = f.contributor.as_deref().map(parse_address).transpose()?;
    let after = page::cursor(f.after.as_deref())?;
    let (v, next) = page::blocking(&node, move |n| {
        get_datanet(n, id)?;
        page::scan::<Contribution>(
            n,
            &StateKey::Contribution(id, 0).owner_prefix(),
            after,
            page::limit(f.limit),
            |c| who.is_none_or(|w| c.contributor == w),
        )
    })
    .await?;
    Ok(Json(ContributionPage { contributions: v, next }))
}

/// Contributions read per records request (skipping by their record counts is cheap, but not
/// free).
const RECORD_SCAN_BUDGET: u64 = 10_000;
/// Bytes of record text one records answer carries at most (a page ends early rather than grow).
const RECORD_PAGE_BYTES: usize = 4 << 20;

/// GET /v1/datanets/{id}/records: records with their provenance (contribution, blob, byte range).
/// A costly request: it reads and cuts blobs.
pub async fn records(
    State(node): State<Arc<Node>>,
    Path(id): Path<u64>,
    Query(p): Query<RecordPage>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = p.limit.unwrap_or(50).clamp(1, page::MAX_LIMIT);
    let permit = page::heavy(&node)?;
    let out = page::blocking(&node, move |n| -> Result<Vec<RecordView>, ApiError> {
        let _permit = permit;
        let d = get_datanet(n, id)?;
        let mut out = Vec::new();
        let mut bytes = 0usize;
        let mut skip = p.offset;
        let seqs: Box<dyn Iterator<Item = Result<u64, ApiError>>> = match (p.version, p.contribution) {
            (Some(_), Some(_)) => {
                return Err(ApiError::BadRequest(
                    "bad_query",
                    "give contribution or version, not both".into(),
                ))
            }
            (Some(v), None) => {
                let ver: DatanetVersion = get(n, &StateKey::DatanetVersion(id, v))?
                    .ok_or_else(|| ApiError::NotFound(format!("datanet {id} has no version {v}")))?;
                Box::new((0..ver.contributions.min(RECORD_SCAN_BUDGET)).map(move |i| {
                    get::<u64>(n, &StateKey::DatanetApproved(id, i))?.ok_or_else(|| {
                        ApiError::Internal(format!("approved contribution #{i} of datanet {id} missing"))
                    })
                }))
            }
            (None, Some(c)) => Box::new((c..c.saturating_add(1).min(d.contributions)).map(Ok)),
            (None, None) => Box::new((0..d.contributions.min(RECORD_SCAN_BUDGET)).map(Ok)),
        };
        for seq in seqs {
            let seq = seq?;
            let Some(c) = get::<Contribution>(n, &StateKey::Contribution(id, seq))? else {
                continue;
            };
            if skip >= c.record_count as usize {
                skip -= c.record_count as usize;
                continue;
            }
            let recs = n
                .records
                .get(&n.ledger.blobs, &c.blob, &c.format)
                .map_err(ApiError::Internal)?;
            for (i, r) in recs.iter().enumerate().skip(skip) {
                if out.len() >= limit || (bytes + r.text.len() > RECORD_PAGE_BYTES && !out.is_empty()) {
                    return Ok(out);
                }
                bytes += r.text.len();
                out.push(RecordView {
                    contribution: c.seq,
                    index: i as u64,
                    contributor: c.contributor,
                    status: c.status.clone(),
                    blob: c.blob,
                    start: r.start,
                    end: r.end,
                    hash: sinew_types::Hash::of(r.text.as_bytes()),
                    text: r.text.clone(),
                });
            }
            skip = 0;
        }
        Ok(out)
    })
    .await?;
    Ok(Json(RecordsView { records: out }))
}

/// The contributor filter of `/v1/contributions`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByContributor {
    contributor: String,
    after: Option<String>,
    limit: Option<usize>,
}

/// GET /v1/contributions?contributor=ADDRESS&after=&limit=: one account's contributions, all
/// datanets, a page at a time (a page may hold fewer than `limit`: follow `next`).
pub async fn by_contributor(
    State(node): State<Arc<Node>>,
    Query(f): Query<ByContributor>,
) -> Result<impl IntoResponse, ApiError> {
    let who = parse_address(&f.contributor)?;
    let after = page::cursor(f.after.as_deref())?;
    let (v, next) = page::blocking(&node, move |n| {
        page::scan::<Contribution>(
            n,
            &StateKey::Contribution(0, 0).kind_prefix(),
            after,
            page::limit(f.limit),
            |c| c.contributor == who,
        )
    })
    .await?;
    Ok(Json(ContributionPage { contributions: v, next }))
}

fn parse_tokenizer(t: Option<&str>) -> Result<Tokenizer, ApiError> {
    t.map_or(Ok(Tokenizer::Bytes), |t| {
        t.parse()
            .map_err(|e: sinew_attribution::TokenizerError| ApiError::BadRequest("bad_tokenizer", e.to_string()))
    })
}

/// Whether the node builds this index on request: the byte-level index of any published version
/// (one per version, paid for by the publish fee), or an index some model of the ledger uses.
fn index_allowed(node: &Node, id: u64, n: u64, tokenizer: Tokenizer) -> Result<(), ApiError> {
    if tokenizer == Tokenizer::Bytes {
        return Ok(());
    }
    let prefix = StateKey::ModelsByDatanet(id, 0).owner_prefix();
    let (keys, _) = page::scan_keys(node, &prefix, None, page::SCAN_BUDGET)?;
    for k in keys {
        let StateKey::ModelsByDatanet(_, m) = k else { continue };
        if let Some(m) = get::<sinew_state::Model>(node, &StateKey::Model(m))? {
            if m.info.datanets.contains(&(id, n)) && m.info.tokenizer == tokenizer.name() {
                return Ok(());
            }
        }
    }
    Err(ApiError::NotFound(format!(
        "no model uses datanet {id} version {n} with the {tokenizer} tokenizer; this node builds the bytes index of any version and the indexes its models use"
    )))
}

/// GET /v1/datanets/{id}/versions/{n}/index?tokenizer=bytes|gpt2|cl100k: the version's
/// suffix-array index (built on first use, from the version before it when that one is built):
/// its id, size and shards. A costly request.
pub async fn version_index(
    State(node): State<Arc<Node>>,
    Path((id, n)): Path<(u64, u64)>,
    Query(q): Query<IndexQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let tokenizer = parse_tokenizer(q.tokenizer.as_deref())?;
    let permit = page::heavy(&node)?;
    let (idx, hash) = page::blocking(&node, move |node| {
        let _permit = permit;
        index_allowed(node, id, n, tokenizer)?;
        Ok(node.ledger.version_index(id, n, tokenizer)?)
    })
    .await?;
    Ok(Json(IndexView {
        datanet: id,
        version: n,
        index: hash,
        tokenizer: tokenizer.name().into(),
        tokens: idx.len() as u64,
        documents: idx.doc_count() as u64,
        bytes: idx.file_bytes() as u64,
        shards: idx.shards().len() as u64,
    }))
}

/// POST /v1/datanets/{id}/versions/{n}/attribute: attributes a text to the version's records:
/// the receipt (spans, contributions, weights) anyone can verify against the records. The text
/// is at most the ledger's answer size and the span parameters stay within the ledger's: the
/// work of one request is bounded. A costly request.
pub async fn attribute(
    State(node): State<Arc<Node>>,
    Path((id, n)): Path<(u64, u64)>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let req: AttributeRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest("bad_json", format!("malformed JSON: {e}")))?;
    let ledger = node.params();
    if req.text.len() > ledger.max_answer_bytes as usize {
        return Err(ApiError::TooLarge(format!(
            "text exceeds the ledger's answer size of {} bytes",
            ledger.max_answer_bytes
        )));
    }
    // Defaults are the ledger's attribution parameters (what settlement uses); a caller may ask
    // for longer or rarer spans, never for more occurrences than the ledger materialises.
    let params = sinew_attribution::Params {
        min_len: req
            .min_len
            .unwrap_or(ledger.attribution_min_len as usize)
            .clamp(1, sinew_types::params::bounds::MAX_ATTRIBUTION_MIN_LEN as usize),
        max_count: req
            .max_count
            .unwrap_or(ledger.attribution_max_count as usize)
            .clamp(1, ledger.attribution_max_count as usize),
    };
    let tokenizer = parse_tokenizer(req.tokenizer.as_deref())?;
    let permit = page::heavy(&node)?;
    let receipt = page::blocking(&node, move |node| {
        let _permit = permit;
        index_allowed(node, id, n, tokenizer)?;
        let (idx, hash) = node.ledger.version_index(id, n, tokenizer)?;
        Ok(sinew_attribution::receipt(&*idx, hash, req.text.as_bytes(), &params))
    })
    .await?;
    Ok(Json(AttributionReceipt::from(&receipt)))
}
