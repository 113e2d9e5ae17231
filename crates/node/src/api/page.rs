//! What one request may cost the node: lists come in pages behind an opaque cursor, filtered
//! lists scan a bounded number of entries per request, scans and other reads that grow with what
//! they read run on blocking threads (point reads of one small value, a block or its receipts
//! stay on the async workers), and costly requests take one of a few permits or are answered 503
//! at once.

use super::ApiError;
use crate::core::Node;
use std::sync::Arc;

/// Items in a page when the request names no limit.
pub const DEFAULT_LIMIT: usize = 100;
/// Most items in a page.
pub const MAX_LIMIT: usize = 1_000;
/// Most entries a filtered list reads per request; the cursor resumes after them.
pub const SCAN_BUDGET: usize = 10_000;

/// The page size a request asked for, within bounds.
pub(super) fn limit(requested: Option<usize>) -> usize {
    requested.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
}

/// A cursor from a previous page.
pub(super) fn cursor(after: Option<&str>) -> Result<Option<Vec<u8>>, ApiError> {
    after
        .map(|a| {
            if a.len() > 512 {
                return Err(ApiError::BadRequest("bad_cursor", "cursor too long".into()));
            }
            hex::decode(a)
                .map_err(|_| ApiError::BadRequest("bad_cursor", "the cursor is not one this node gave".into()))
        })
        .transpose()
}

/// Values under `prefix` after the cursor that `keep` accepts: at most `limit` of them, reading
/// at most [`SCAN_BUDGET`] entries; with the cursor of the next page (none at the end).
pub(super) fn scan<T: borsh::BorshDeserialize>(
    node: &Node,
    prefix: &[u8],
    after: Option<Vec<u8>>,
    limit: usize,
    keep: impl Fn(&T) -> bool,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let mut cursor = after;
    let mut out = Vec::new();
    let mut scanned = 0;
    loop {
        let batch = node
            .ledger
            .store
            .state_page(prefix, cursor.as_deref(), 256)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        if batch.is_empty() {
            return Ok((out, None));
        }
        for (k, v) in batch {
            scanned += 1;
            let t: T = borsh::from_slice(&v).map_err(|e| ApiError::Internal(format!("corrupt state: {e}")))?;
            if keep(&t) {
                out.push(t);
            }
            if out.len() >= limit || scanned >= SCAN_BUDGET {
                return Ok((out, Some(hex::encode(k))));
            }
            cursor = Some(k);
        }
    }
}

/// Keys under `prefix` after the cursor (values ignored): at most `limit`, with the cursor of the
/// next page. For indexes kept as one key per item.
pub(super) fn scan_keys(
    node: &Node,
    prefix: &[u8],
    after: Option<Vec<u8>>,
    limit: usize,
) -> Result<(Vec<sinew_state::StateKey>, Option<String>), ApiError> {
    let entries = node
        .ledger
        .store
        .state_page(prefix, after.as_deref(), limit)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let next = (entries.len() == limit)
        .then(|| entries.last().map(|(k, _)| hex::encode(k)))
        .flatten();
    let keys = entries
        .iter()
        .map(|(k, _)| borsh::from_slice(k).map_err(|e| ApiError::Internal(format!("corrupt state key: {e}"))))
        .collect::<Result<_, _>>()?;
    Ok((keys, next))
}

/// Runs `f` on a blocking thread.
pub(super) async fn blocking<T: Send + 'static>(
    node: &Arc<Node>,
    f: impl FnOnce(&Node) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let n = node.clone();
    tokio::task::spawn_blocking(move || f(&n))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// A permit for a costly request (held until dropped, across threads), or 503 when as many run
/// as the node allows.
pub(super) fn heavy(node: &Node) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
    node.heavy.clone().try_acquire_owned().map_err(|_| {
        ApiError::Busy("the node is serving as many costly requests as it allows at once; retry shortly".into())
    })
}
