//! The stylesheet and script, compiled into the binary (no build step, no Node.js).

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../assets/explorer.css");
const JS: &str = include_str!("../assets/explorer.js");
const PROOF_JS: &str = include_str!("../assets/proof.js");
const PLAYGROUND_JS: &str = include_str!("../assets/playground.js");

/// `GET /assets/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "explorer.css" => (CSS, "text/css; charset=utf-8"),
        "explorer.js" => (JS, "text/javascript; charset=utf-8"),
        "proof.js" => (PROOF_JS, "text/javascript; charset=utf-8"),
        "playground.js" => (PLAYGROUND_JS, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}
