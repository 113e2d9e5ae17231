//! API errors: a status code and a JSON body `{"error": {"code", "message"}}`.

use crate::core::NodeError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use sinew_types::api::answers::ErrorAnswer;
use sinew_types::wire::ErrorBody;

/// An error answered to an API client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (bad JSON, bad hex, bad encoding...).
    #[error("{1}")]
    BadRequest(&'static str, String),
    /// Nothing exists under that name.
    #[error("{0}")]
    NotFound(String),
    /// The request is well-formed but too large.
    #[error("{0}")]
    TooLarge(String),
    /// The node is doing as much of this costly work as it allows at once: retry shortly.
    #[error("{0}")]
    Busy(String),
    /// The node holds as much of this as it keeps (uploads no transaction names).
    #[error("{0}")]
    Full(String),
    /// The node failed.
    #[error("{0}")]
    Internal(String),
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        match e {
            NodeError::NotAvailable(m) => ApiError::NotFound(m),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            ApiError::BadRequest(code, _) => (StatusCode::BAD_REQUEST, *code),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            ApiError::Full(_) => (StatusCode::INSUFFICIENT_STORAGE, "quota_exceeded"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        (
            status,
            Json(ErrorAnswer {
                error: ErrorBody {
                    code: code.into(),
                    message: self.to_string(),
                },
            }),
        )
            .into_response()
    }
}
