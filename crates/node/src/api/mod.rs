//! The HTTP API (axum). JSON for people, canonical binary (borsh) accepted for throughput.

mod activity;
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
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use sinew_types::api::{Method, Route};
use std::sync::Arc;

/// Largest request body (a batch of transactions).
pub const MAX_BODY_BYTES: usize = 64 << 20;
/// Most transactions in one batch request.
pub const MAX_BATCH_TXS: usize = 20_000;

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

/// Query strings go through serde's URL-encoded form parser, as axum's `Query` does, for every
/// query type a route takes.
fn serde_urlencoded_like(q: &str) -> bool {
    use axum::extract::Query;
    use sinew_types::api::queries::*;
    let uri: axum::http::Uri = format!("/x?{q}").parse().unwrap_or_default();
    macro_rules! parse {
        ($($t:ty),*) => { [$(Query::<$t>::try_from_uri(&uri).is_ok()),*] };
    }
    parse!(
        ActivityQuery,
        AgentFilter,
        AnswerQuery,
        AtHeight,
        BlockRange,
        datanets::ByContributor,
        ContributionFilter,
        EventFilter,
        IndexQuery,
        Page,
        RecordPage,
        txs::SubmitOptions,
        TaskFilter,
        TxRange
    )
    .iter()
    .any(|ok| *ok)
}

/// The handler of each route, on the method the route table gives it (exhaustive: a route added
/// to `sinew_types::api::Route` does not compile until it is served).
fn handler(route: Route, m: MethodFilter) -> MethodRouter<Arc<Node>> {
    match route {
        Route::Health => on(m, queries::health),
        Route::Metrics => on(m, queries::metrics),
        Route::OpenApi => on(m, queries::openapi),
        Route::Chain => on(m, queries::chain),
        Route::Params => on(m, queries::params),
        Route::SubmitTx => on(m, txs::submit_one),
        Route::SubmitBatch => on(m, txs::submit_batch),
        Route::TxStatus => on(m, txs::status),
        Route::Account => on(m, queries::account),
        Route::StateValue => on(m, queries::state_value),
        Route::LatestBlock => on(m, queries::latest_block),
        Route::Blocks => on(m, queries::blocks),
        Route::Block => on(m, queries::block),
        Route::BlockReceipts => on(m, queries::receipts),
        Route::BlockTxs => on(m, queries::block_txs),
        Route::Events => on(m, events::stream),
        Route::UploadBlob => on(m, blobs::upload),
        Route::DownloadBlob => on(m, blobs::download),
        Route::Datanets => on(m, datanets::list_datanets),
        Route::Datanet => on(m, datanets::show),
        Route::DatanetVersion => on(m, datanets::version),
        Route::DatanetContributions => on(m, datanets::list_contributions),
        Route::DatanetRecords => on(m, datanets::records),
        Route::Contributions => on(m, datanets::by_contributor),
        Route::VersionIndex => on(m, datanets::version_index),
        Route::AttributeToVersion => on(m, datanets::attribute),
        Route::DatanetModels => on(m, registry::datanet_models),
        Route::Models => on(m, registry::list_models),
        Route::Model => on(m, registry::show_model),
        Route::Providers => on(m, registry::list_providers),
        Route::AccountInference => on(m, registry::account_inference),
        Route::AccountActivity => on(m, activity::account),
        Route::Answers => on(m, activity::answers),
        Route::OpenAiModels => on(m, openai::models),
        Route::ChatCompletions => on(m, openai::chat),
        Route::Completions => on(m, openai::completions),
        Route::AttributeToModel => on(m, tasks::model_attribute),
        Route::Agents => on(m, tasks::list_agents),
        Route::Agent => on(m, tasks::show_agent),
        Route::Tasks => on(m, tasks::list_tasks),
        Route::Task => on(m, tasks::show_task),
        Route::TaskHistory => on(m, activity::task),
        Route::Validators => on(m, queries::validators),
        Route::Consensus => on(m, queries::consensus),
        Route::BlockFinalization => on(m, queries::finalization),
    }
}

/// Builds the router over a shared node: every route of `sinew_types::api::Route`.
pub fn router(node: Arc<Node>) -> Router {
    let mut router = Router::new();
    for route in Route::ALL {
        let (method, path) = route.endpoint();
        let filter = match method {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
            Method::Put => MethodFilter::PUT,
        };
        router = router.route(path, handler(route, filter));
    }
    router
        .fallback(|| async { ApiError::NotFound("no such route; see /openapi.json".into()) })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(node)
}
