//! What happened, newest first: an account's activity (every event concerning it, or only its
//! rewards), a task's history, and the paid answers (of one model or all), read from the indexes each block's commit writes.

use super::{page, ApiError};
use crate::core::Node;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use sinew_store::IndexedEvent;
use sinew_types::api::answers::{ActivityPage, EventRecord};
use sinew_types::api::queries::{ActivityQuery, AnswerQuery};
use sinew_types::Address;
use std::sync::Arc;

/// Entries per page when the request names no limit, and at most.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

/// GET /v1/accounts/{address}/activity?rewards=&before=&limit=.
pub async fn account(
    State(node): State<Arc<Node>>,
    Path(address): Path<String>,
    Query(q): Query<ActivityQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let addr: Address = address
        .parse()
        .map_err(|e: sinew_types::hash::BadHex32| ApiError::BadRequest("bad_address", e.to_string()))?;
    let before = page::cursor(q.before.as_deref())?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let rewards_only = q.rewards.unwrap_or(false);
    let found = page::blocking(&node, move |n| {
        let found = if rewards_only {
            n.ledger.rewards(&addr, before.as_deref(), limit)
        } else {
            n.ledger.account_activity(&addr, before.as_deref(), limit)
        };
        found.map_err(cursor_error)
    })
    .await?;
    Ok(Json(to_page(found, limit)))
}

/// GET /v1/answers?model=&before=&limit=.
pub async fn answers(
    State(node): State<Arc<Node>>,
    Query(q): Query<AnswerQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let before = page::cursor(q.before.as_deref())?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let found = page::blocking(&node, move |n| {
        n.ledger
            .answers(q.model, before.as_deref(), limit)
            .map_err(cursor_error)
    })
    .await?;
    Ok(Json(to_page(found, limit)))
}

/// GET /v1/tasks/{id}/history?before=&limit=.
pub async fn task(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    Query(q): Query<ActivityQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let task: sinew_types::Hash = id
        .parse()
        .map_err(|e: sinew_types::hash::BadHex32| ApiError::BadRequest("bad_task_id", e.to_string()))?;
    let before = page::cursor(q.before.as_deref())?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let found = page::blocking(&node, move |n| {
        n.ledger
            .task_history(&task, before.as_deref(), limit)
            .map_err(cursor_error)
    })
    .await?;
    Ok(Json(to_page(found, limit)))
}

/// A cursor of the wrong shape is the caller's mistake; anything else is the node's.
fn cursor_error(e: crate::core::NodeError) -> ApiError {
    let text = e.to_string();
    if text.contains("not a cursor this node gave") {
        ApiError::BadRequest("bad_cursor", "the cursor is not one this node gave".into())
    } else {
        ApiError::Internal(text)
    }
}

fn to_page(found: Vec<IndexedEvent>, limit: usize) -> ActivityPage {
    let next = (found.len() == limit)
        .then(|| found.last().map(|e| hex::encode(&e.cursor)))
        .flatten();
    ActivityPage {
        events: found
            .into_iter()
            .map(|e| EventRecord {
                height: e.height,
                tx_id: e.tx_id,
                event: e.event,
            })
            .collect(),
        next,
    }
}
