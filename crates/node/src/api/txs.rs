//! Transaction submission and status.

use super::{ApiError, MAX_BATCH_TXS};
use crate::core::Node;
use crate::mempool::AdmitError;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use sinew_types::wire::{BatchResult, ErrorBody, SubmitOutcome, SubmitReply};
use sinew_types::{Hash, SignedTransaction};
use std::sync::Arc;
use std::time::Duration;

/// Query options of a submission.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SubmitOptions {
    /// `commit`: answer only when the transaction is durable in a block (or dropped).
    #[serde(default)]
    wait: Option<String>,
}

impl SubmitOptions {
    fn wait_commit(&self) -> Result<bool, ApiError> {
        match self.wait.as_deref() {
            None | Some("none") => Ok(false),
            Some("commit") => Ok(true),
            Some(other) => Err(ApiError::BadRequest(
                "bad_query",
                format!("wait={other:?}: expected \"commit\" or \"none\""),
            )),
        }
    }
}

const WAIT_LIMIT: Duration = Duration::from_secs(60);

const BINARY: &str = "application/octet-stream";

fn is_binary(headers: &HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(BINARY))
}

fn wants_binary(headers: &HeaderMap) -> bool {
    headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(BINARY))
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest("bad_json", format!("malformed JSON: {e}")))
}

async fn run(node: Arc<Node>, txs: Vec<SignedTransaction>, wait: bool) -> Result<Vec<SubmitReply>, ApiError> {
    let n = node.clone();
    let admitted = tokio::task::spawn_blocking(move || n.submit(txs, wait))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    // One deadline for the whole batch; whatever is not final by then is reported pending.
    let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
    let mut out = Vec::with_capacity(admitted.len());
    for (tx_id, r) in admitted {
        let outcome = match r {
            Err(e) => SubmitOutcome::Refused { error: admit_error(&e) },
            Ok(None) => SubmitOutcome::Pending,
            Ok(Some(mut rx)) => match rx.try_recv() {
                Ok(outcome) => outcome,
                Err(_) => match tokio::time::timeout_at(deadline, rx).await {
                    Ok(Ok(outcome)) => outcome,
                    _ => SubmitOutcome::Pending,
                },
            },
        };
        out.push(SubmitReply { tx_id, outcome });
    }
    Ok(out)
}

fn admit_error(e: &AdmitError) -> ErrorBody {
    ErrorBody {
        code: e.code().to_string(),
        message: e.to_string(),
    }
}

/// POST /v1/txs: one transaction, JSON or binary.
pub async fn submit_one(
    State(node): State<Arc<Node>>,
    Query(q): Query<SubmitOptions>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let wait = q.wait_commit()?;
    let tx = if is_binary(&headers) {
        SignedTransaction::decode(&body).map_err(|e| ApiError::BadRequest("bad_encoding", e.to_string()))?
    } else {
        parse_json(&body)?
    };
    let mut res = run(node, vec![tx], wait).await?;
    let r = res.pop().expect("one in, one out");
    let status = match r.outcome {
        SubmitOutcome::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        SubmitOutcome::Pending => StatusCode::ACCEPTED,
        _ => StatusCode::OK,
    };
    Ok((status, Json(r)))
}

/// POST /v1/txs/batch: many transactions, a JSON array or borsh `Vec<SignedTransaction>`.
pub async fn submit_batch(
    State(node): State<Arc<Node>>,
    Query(q): Query<SubmitOptions>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let wait = q.wait_commit()?;
    let txs: Vec<SignedTransaction> = if is_binary(&headers) {
        decode_batch(&body)?
    } else {
        parse_json(&body)?
    };
    if txs.len() > MAX_BATCH_TXS {
        return Err(ApiError::TooLarge(format!(
            "batch of {} transactions exceeds the limit of {MAX_BATCH_TXS}",
            txs.len()
        )));
    }
    let results = run(node, txs, wait).await?;
    let refused = results
        .iter()
        .filter(|r| matches!(r.outcome, SubmitOutcome::Refused { .. }))
        .count() as u32;
    let answer = BatchResult {
        accepted: results.len() as u32 - refused,
        refused,
        results,
    };
    if wants_binary(&headers) {
        let bytes = sinew_types::encoding::encode(&answer);
        return Ok(([(axum::http::header::CONTENT_TYPE, BINARY)], bytes).into_response());
    }
    Ok(Json(answer).into_response())
}

/// Decodes a borsh batch, checking the declared count before allocating.
pub(super) fn decode_batch(body: &[u8]) -> Result<Vec<SignedTransaction>, ApiError> {
    if body.len() >= 4 {
        let n = u32::from_le_bytes(body[..4].try_into().unwrap()) as usize;
        if n > MAX_BATCH_TXS {
            return Err(ApiError::TooLarge(format!(
                "batch of {n} transactions exceeds the limit of {MAX_BATCH_TXS}"
            )));
        }
    }
    sinew_types::encoding::decode(body, super::MAX_BODY_BYTES)
        .map_err(|e| ApiError::BadRequest("bad_encoding", e.to_string()))
}

/// GET /v1/txs/{id}: pending, committed with its receipt, dropped, or 404.
pub async fn status(State(node): State<Arc<Node>>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let id: Hash = id
        .parse()
        .map_err(|e: sinew_types::hash::BadHex32| ApiError::BadRequest("bad_tx_id", e.to_string()))?;
    let outcome = node
        .tx_state(&id)?
        .ok_or_else(|| ApiError::NotFound(format!("transaction {id} is unknown to this node")))?;
    Ok(Json(SubmitReply { tx_id: id, outcome }))
}
