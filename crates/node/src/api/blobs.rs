//! Blob upload (streamed to disk while hashing) and download (verified before serving).

use super::ApiError;
use crate::core::Node;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use futures::StreamExt;
use sinew_store::BlobError;
use sinew_types::api::answers::BlobStored;
use sinew_types::Hash;
use std::sync::Arc;

fn blob_error(e: BlobError) -> ApiError {
    match e {
        BlobError::TooLarge { .. } => ApiError::TooLarge(e.to_string()),
        BlobError::NotFound(_) => ApiError::NotFound(e.to_string()),
        BlobError::Empty => ApiError::BadRequest("empty_blob", e.to_string()),
        BlobError::QuotaExceeded { .. } => ApiError::Full(e.to_string()),
        BlobError::Corrupt(_) | BlobError::Io(_) => ApiError::Internal(e.to_string()),
    }
}

/// PUT /v1/blobs: the body, streamed to disk; answers the blob id and size.
pub async fn upload(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    body: Body,
) -> Result<impl IntoResponse, ApiError> {
    let limit = node.params().max_blob_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::TooLarge(format!(
            "blob exceeds the size limit of {limit} bytes"
        )));
    }
    // Chunks go to a blocking writer through a small channel: bounded memory, no whole-file buffer.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, ()>>(8);
    let n = node.clone();
    let (quota, ttl) = (
        node.config.api.max_unpinned_blob_bytes,
        std::time::Duration::from_secs(node.config.api.unpinned_blob_ttl_secs),
    );
    let writer = tokio::task::spawn_blocking(move || {
        let mut w = n.ledger.blobs.store.writer(limit)?;
        while let Some(chunk) = rx.blocking_recv() {
            match chunk {
                Ok(c) => w.write(&c)?,
                Err(()) => return Err(BlobError::Io(std::io::Error::other("upload interrupted"))),
            }
        }
        let (id, size) = w.finish()?;
        // Uploads nobody has named in a transaction share a quota and expire.
        n.ledger.blobs.store.enforce_quota(&id, quota, ttl)?;
        Ok((id, size))
    });
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let item = chunk.map_err(|_| ());
        let failed = item.is_err();
        if tx.send(item).await.is_err() || failed {
            break;
        }
    }
    drop(tx);
    let (id, size) = writer
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(blob_error)?;
    Ok((StatusCode::CREATED, Json(BlobStored { blob: id, size })))
}

/// GET /v1/blobs/{id}: the bytes, after checking they still hash to the id (a costly request:
/// answered 503 while the node serves as many as it allows).
pub async fn download(State(node): State<Arc<Node>>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let id: Hash = id
        .parse()
        .map_err(|e: sinew_types::hash::BadHex32| ApiError::BadRequest("bad_blob_id", e.to_string()))?;
    // Re-hashing a blob of up to `max_blob_bytes` is costly work: one of the few heavy permits.
    let permit = super::page::heavy(&node)?;
    let n = node.clone();
    let (file, len) = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        n.ledger.blobs.store.open_verified(&id)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(blob_error)?;
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, len.to_string()),
        ],
        Body::from_stream(stream),
    ))
}
