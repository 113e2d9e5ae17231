//! Sinew's web explorer, served by every node at `/`: blocks, transactions, accounts, datanets,
//! models, paid answers with the spans they came from, agents and tasks. Pages are rendered on
//! the server (maud; readable with JavaScript off) from the node's own public API called in
//! process, so the explorer can show nothing the API would not; a little plain JavaScript adds
//! live updates and checks Merkle proofs in the browser. Assets are compiled into the binary.

mod api;
mod assets;
mod chart;
mod fields;
mod fmt;
mod layout;
mod live;
mod pages;

pub use api::{Api, Failure};

use axum::routing::get;
use axum::Router;

/// The explorer's pages, reading through `api` (the node's API router). Merge the result with
/// that router to serve both.
pub fn routes(api: Router) -> Router {
    Router::new()
        .route("/", get(pages::home::show))
        .route("/search", get(pages::search::go))
        .route("/blocks", get(pages::blocks::list))
        .route("/blocks/{id}", get(pages::blocks::show))
        .route("/txs/{id}", get(pages::txs::show))
        .route("/accounts/{address}", get(pages::accounts::show))
        .route("/datanets", get(pages::datanets::list))
        .route("/datanets/{id}", get(pages::datanets::show))
        .route("/models", get(pages::models::list))
        .route("/models/{id}", get(pages::models::show))
        .route("/answers/{tx}", get(pages::answers::show))
        .route("/playground", get(pages::playground::show))
        .route("/agents", get(pages::tasks::agents))
        .route("/tasks", get(pages::tasks::list))
        .route("/tasks/{id}", get(pages::tasks::show))
        .route("/assets/{file}", get(assets::serve))
        .with_state(Api::new(api.clone()))
        .merge(
            Router::new()
                .route("/live", get(live::follow))
                .with_state((Api::new(api), std::sync::Arc::new(live::Live::new()))),
        )
}
