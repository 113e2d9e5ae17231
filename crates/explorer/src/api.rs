//! The explorer reads the chain the way any client does: through the node's public HTTP API,
//! called in process (no socket, no second implementation of any query). What a page shows is
//! therefore exactly what the API answers, with the same bounds on what a request may cost.

use axum::body::{to_bytes, Body};
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tower::ServiceExt;

/// Largest API answer the explorer reads (a block of many transactions, a page of records).
const MAX_ANSWER_BYTES: usize = 64 << 20;

/// Why the API did not give a page what it asked for.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    /// The HTTP status to answer the browser with.
    pub status: StatusCode,
    /// The API's error code (`not_found`, `bad_address`, ...).
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
}

impl Failure {
    /// A request the explorer itself refuses (before asking the API).
    pub fn bad_request(message: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request".into(),
            message: message.into(),
        }
    }

    /// Nothing under that name.
    pub fn not_found(message: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::NOT_FOUND,
            code: "not_found".into(),
            message: message.into(),
        }
    }

    fn internal(message: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal".into(),
            message: message.into(),
        }
    }
}

/// The node's API router, called in process.
#[derive(Clone)]
pub struct Api {
    router: Router,
}

impl Api {
    /// Wraps the API router the node serves.
    pub fn new(router: Router) -> Api {
        Api { router }
    }

    /// The API router itself (for streams, which `get` cannot read whole).
    pub(crate) fn router(&self) -> Router {
        self.router.clone()
    }

    /// `GET path` (with its query string), decoded as `T`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        self.call(Method::GET, path, Body::empty()).await
    }

    /// `POST path` with a JSON body, decoded as `T`.
    pub async fn post<T: DeserializeOwned>(&self, path: &str, body: &Value) -> Result<T, Failure> {
        self.call(Method::POST, path, Body::from(body.to_string())).await
    }

    async fn call<T: DeserializeOwned>(&self, method: Method, path: &str, body: Body) -> Result<T, Failure> {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .map_err(|e| Failure::bad_request(format!("not a valid request path: {e}")))?;
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .map_err(|e| Failure::internal(e.to_string()))?;
        let status = response.status();
        let bytes = to_bytes(response.into_body(), MAX_ANSWER_BYTES)
            .await
            .map_err(|e| Failure::internal(format!("reading the API's answer: {e}")))?;
        if !status.is_success() {
            let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let text = |k: &str| v["error"][k].as_str().map(str::to_string);
            return Err(Failure {
                status,
                code: text("code").unwrap_or_else(|| status.as_str().into()),
                message: text("message").unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned()),
            });
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| Failure::internal(format!("the API answered {path} unexpectedly: {e}")))
    }
}
