//! The HTTP API (axum). JSON for people, canonical binary (borsh) accepted for throughput.

mod blobs;
mod datanets;
mod error;
mod events;
mod openai;
mod page;
mod queries;
mod registry;
mod tasks;
mod txs;

pub use error::ApiError;

use crate::core::Node;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

/// Largest request body (a batch of transactions).
pub const MAX_BODY_BYTES: usize = 64 << 20;
/// Most transactions in one batch request.
pub const MAX_BATCH_TXS: usize = 20_000;

/// The OpenAPI document served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// Every route, for the router and for the test that the OpenAPI document covers them all.
pub const ROUTES: &[&str] = &[
    "/health",
    "/metrics",
    "/openapi.json",
    "/v1/chain",
    "/v1/params",
    "/v1/txs",
    "/v1/txs/batch",
    "/v1/txs/{id}",
    "/v1/accounts/{address}",
    "/v1/state/{key}",
    "/v1/blocks/latest",
    "/v1/blocks/{id}",
    "/v1/blocks/{id}/receipts",
    "/v1/events",
    "/v1/blobs",
    "/v1/blobs/{id}",
    "/v1/datanets",
    "/v1/datanets/{id}",
    "/v1/datanets/{id}/versions/{n}",
    "/v1/datanets/{id}/contributions",
    "/v1/datanets/{id}/records",
    "/v1/contributions",
    "/v1/datanets/{id}/versions/{n}/index",
    "/v1/datanets/{id}/versions/{n}/attribute",
    "/v1/datanets/{id}/models",
    "/v1/registry/models",
    "/v1/registry/models/{id}",
    "/v1/registry/providers",
    "/v1/accounts/{address}/inference",
    "/v1/models",
    "/v1/chat/completions",
    "/v1/completions",
    "/v1/registry/models/{id}/attribute",
    "/v1/agents",
    "/v1/agents/{address}",
    "/v1/tasks",
    "/v1/tasks/{id}",
];

/// Feeds arbitrary bytes to every parser of an untrusted request body and header (transactions
/// in JSON and binary, batches, chat and text completions, vouchers, attribution requests,
/// cursors): none may panic, whatever the bytes. The `http_bodies` fuzz target runs it.
pub fn fuzz_request_bodies(data: &[u8]) {
    let _ = serde_json::from_slice::<sinew_types::SignedTransaction>(data);
    let _ = sinew_types::SignedTransaction::decode(data);
    let _ = txs::decode_batch(data);
    let _ = serde_json::from_slice::<Vec<sinew_types::SignedTransaction>>(data);
    openai::fuzz_body(data);
    let _ = serde_json::from_slice::<datanets::AttributeRequest>(data);
    let _ = serde_json::from_slice::<tasks::ModelAttributeRequest>(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = page::cursor(Some(text));
        let _ = serde_urlencoded_like(text);
    }
}

/// Query strings go through serde's URL-encoded form parser, as axum's `Query` does.
fn serde_urlencoded_like(q: &str) -> bool {
    axum::extract::Query::<tasks::TaskFilter>::try_from_uri(&format!("/x?{q}").parse().unwrap_or_default()).is_ok()
}

/// Builds the router over a shared node.
pub fn router(node: Arc<Node>) -> Router {
    Router::new()
        .route("/health", get(queries::health))
        .route("/metrics", get(queries::metrics))
        .route("/openapi.json", get(queries::openapi))
        .route("/v1/chain", get(queries::chain))
        .route("/v1/params", get(queries::params))
        .route("/v1/txs", post(txs::submit_one))
        .route("/v1/txs/batch", post(txs::submit_batch))
        .route("/v1/txs/{id}", get(txs::status))
        .route("/v1/accounts/{address}", get(queries::account))
        .route("/v1/state/{key}", get(queries::state_value))
        .route("/v1/blocks/latest", get(queries::latest_block))
        .route("/v1/blocks/{id}", get(queries::block))
        .route("/v1/blocks/{id}/receipts", get(queries::receipts))
        .route("/v1/events", get(events::stream))
        .route("/v1/blobs", axum::routing::put(blobs::upload))
        .route("/v1/blobs/{id}", get(blobs::download))
        .route("/v1/datanets", get(datanets::list_datanets))
        .route("/v1/datanets/{id}", get(datanets::show))
        .route("/v1/datanets/{id}/versions/{n}", get(datanets::version))
        .route("/v1/datanets/{id}/contributions", get(datanets::list_contributions))
        .route("/v1/datanets/{id}/records", get(datanets::records))
        .route("/v1/contributions", get(datanets::by_contributor))
        .route("/v1/datanets/{id}/versions/{n}/index", get(datanets::version_index))
        .route("/v1/datanets/{id}/versions/{n}/attribute", post(datanets::attribute))
        .route("/v1/datanets/{id}/models", get(registry::datanet_models))
        .route("/v1/registry/models", get(registry::list_models))
        .route("/v1/registry/models/{id}", get(registry::show_model))
        .route("/v1/registry/providers", get(registry::list_providers))
        .route("/v1/accounts/{address}/inference", get(registry::account_inference))
        .route("/v1/models", get(openai::models))
        .route("/v1/chat/completions", post(openai::chat))
        .route("/v1/completions", post(openai::completions))
        .route("/v1/registry/models/{id}/attribute", post(tasks::model_attribute))
        .route("/v1/agents", get(tasks::list_agents))
        .route("/v1/agents/{address}", get(tasks::show_agent))
        .route("/v1/tasks", get(tasks::list_tasks))
        .route("/v1/tasks/{id}", get(tasks::show_task))
        .fallback(|| async { ApiError::NotFound("no such route; see /openapi.json".into()) })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(node)
}
