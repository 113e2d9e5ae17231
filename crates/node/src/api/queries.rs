//! Read-only queries: health, metrics, chain, params, accounts and state with proofs, blocks.

use super::ApiError;
use crate::core::Node;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use sinew_state::StateKey;
use sinew_types::api::answers::{
    BlockPage, BlockSummary, BlockTxsView, BlockView, ChainView, ConsensusStatus, Health, ReceiptsView, TxEntry,
    ValidatorSet,
};
pub use sinew_types::api::queries::{AtHeight, BlockRange, TxRange};
use sinew_types::records::Validator;
use sinew_types::wire::AccountView;
use sinew_types::{Address, Hash, Height};
use std::sync::Arc;

/// GET /health.
pub async fn health(State(node): State<Arc<Node>>) -> impl IntoResponse {
    let head = node.head();
    Json(Health {
        status: "ok".into(),
        chain_id: node.chain_id().into(),
        height: head.height,
        pending: node.pending(),
    })
}

/// GET /metrics (Prometheus text format).
pub async fn metrics(State(node): State<Arc<Node>>) -> impl IntoResponse {
    node.metrics
        .blob_ingestions
        .set(i64::try_from(node.ledger.blobs.ingestions()).unwrap_or(i64::MAX));
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        node.metrics.render(),
    )
}

/// GET /openapi.json: generated once from the route table and the wire types.
pub async fn openapi() -> impl IntoResponse {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let doc = DOC.get_or_init(|| sinew_types::api::openapi::document().to_string());
    ([(header::CONTENT_TYPE, "application/json")], doc.as_str())
}

/// GET /v1/chain: genesis and head.
pub async fn chain(State(node): State<Arc<Node>>) -> impl IntoResponse {
    Json(ChainView {
        chain_id: node.chain_id().into(),
        genesis: node.genesis().clone(),
        head: node.head(),
    })
}

/// GET /v1/validators: the validator set in committed state.
pub async fn validators(State(node): State<Arc<Node>>) -> Result<impl IntoResponse, ApiError> {
    let validators: Vec<Validator> = node
        .ledger
        .latest(&StateKey::Validators)
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .unwrap_or_default();
    Ok(Json(ValidatorSet { validators }))
}

/// GET /v1/consensus: where consensus stands (a sequencer reports itself as such).
pub async fn consensus(State(node): State<Arc<Node>>) -> impl IntoResponse {
    Json(match node.consensus() {
        Some(info) => info.status(),
        None => ConsensusStatus {
            engine: "sequencer".into(),
            validator: None,
            epoch: 0,
            view: 0,
            leader: None,
            finalized_view: 0,
            finalized_height: node.head().height,
            nullified_views: 0,
            peers: vec![],
            faults: vec![],
        },
    })
}

/// GET /v1/blocks/{height or hash}/finalization: the certificate that finalized the block.
pub async fn finalization(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let h = resolve(&node, &id)?;
    if h > node.head().height {
        return Err(ApiError::NotFound(format!("block {h} is not final on this node yet")));
    }
    let Some(info) = node.consensus().cloned() else {
        return Err(ApiError::NotFound(
            "a single-node sequencer signs no finalization certificates".into(),
        ));
    };
    if h == 0 {
        return Err(ApiError::NotFound(
            "the genesis block is final by definition: it has no certificate".into(),
        ));
    }
    // Consensus answers a few certificate queries at a time, each within a deadline: when it is
    // busy, stopped or slow the node says so (503, retry), it has not failed.
    let found = tokio::task::spawn_blocking(move || info.finalization(h))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Busy(e.to_string()))?;
    found.map(Json).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no certificate of its own for block {h}: it was finalized through a descendant's (ask for a later height)"
        ))
    })
}

/// GET /v1/params: parameters in force for the next block.
pub async fn params(State(node): State<Arc<Node>>) -> impl IntoResponse {
    Json(node.params())
}

/// GET /v1/accounts/{address}: the account and its proof against a state root.
pub async fn account(
    State(node): State<Arc<Node>>,
    Path(address): Path<String>,
    Query(q): Query<AtHeight>,
) -> Result<impl IntoResponse, ApiError> {
    let addr: Address = address
        .parse()
        .map_err(|e: sinew_types::hash::BadHex32| ApiError::BadRequest("bad_address", e.to_string()))?;
    let n = node.clone();
    let (acct, proof) = tokio::task::spawn_blocking(move || n.ledger.account(&addr, q.height))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(AccountView {
        address: addr,
        exists: acct.is_some(),
        account: acct.unwrap_or_default(),
        proof,
    }))
}

/// GET /v1/state/{key}: any state key (hex) with its proof.
pub async fn state_value(
    State(node): State<Arc<Node>>,
    Path(key): Path<String>,
    Query(q): Query<AtHeight>,
) -> Result<impl IntoResponse, ApiError> {
    let key = hex::decode(&key).map_err(|_| ApiError::BadRequest("bad_key", "state key must be hex".into()))?;
    let n = node.clone();
    let proof = tokio::task::spawn_blocking(move || n.ledger.prove(&key, q.height))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(proof))
}

fn resolve(node: &Node, id: &str) -> Result<Height, ApiError> {
    if let Ok(h) = id.parse::<Height>() {
        return Ok(h);
    }
    let hash: Hash = id.parse().map_err(|_| {
        ApiError::BadRequest(
            "bad_block_id",
            format!("{id:?} is neither a height nor a 64-hex block hash"),
        )
    })?;
    node.ledger
        .height_of(&hash)?
        .ok_or_else(|| ApiError::NotFound(format!("no block with hash {hash}")))
}

fn block_view(node: &Node, h: Height) -> Result<BlockView, ApiError> {
    let b = node
        .ledger
        .block(h)?
        .ok_or_else(|| ApiError::NotFound(format!("no block at height {h}")))?;
    Ok(BlockView {
        hash: b.header.hash(),
        tx_ids: b.txs.iter().map(|t| t.tx.id()).collect(),
        header: b.header,
        txs: b.txs,
    })
}

/// GET /v1/blocks/latest.
pub async fn latest_block(State(node): State<Arc<Node>>) -> Result<impl IntoResponse, ApiError> {
    let h = node.head().height;
    Ok(Json(block_view(&node, h)?))
}

/// GET /v1/blocks?before=&limit=: headers, newest first (default 20, at most 100 a page).
pub async fn blocks(State(node): State<Arc<Node>>, Query(q): Query<BlockRange>) -> Result<impl IntoResponse, ApiError> {
    let head = node.head().height;
    let top = q.before.map_or(head, |b| b.saturating_sub(1).min(head));
    if q.before == Some(0) {
        return Ok(Json(BlockPage {
            blocks: vec![],
            next: None,
        }));
    }
    let limit = q.limit.unwrap_or(20).clamp(1, 100) as u64;
    let bottom = top.saturating_sub(limit - 1);
    let n = node.clone();
    let blocks = tokio::task::spawn_blocking(move || {
        (bottom..=top)
            .rev()
            .map(|h| {
                let header = n
                    .ledger
                    .header(h)?
                    .ok_or_else(|| ApiError::Internal(format!("block {h} is missing from the store")))?;
                Ok(BlockSummary {
                    hash: header.hash(),
                    header,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(BlockPage {
        blocks,
        next: (bottom > 0).then_some(bottom),
    }))
}

/// GET /v1/blocks/{height or hash}.
pub async fn block(State(node): State<Arc<Node>>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let h = resolve(&node, &id)?;
    Ok(Json(block_view(&node, h)?))
}

/// GET /v1/blocks/{height or hash}/txs?from=&limit=: the header and a range of transactions
/// with their receipts (a page about one transaction need not carry its whole block).
pub async fn block_txs(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    Query(q): Query<TxRange>,
) -> Result<impl IntoResponse, ApiError> {
    let h = resolve(&node, &id)?;
    let from = q.from.unwrap_or(0) as usize;
    let limit = q.limit.unwrap_or(100).clamp(1, 1_000) as usize;
    let n = node.clone();
    let view = tokio::task::spawn_blocking(move || -> Result<BlockTxsView, ApiError> {
        let b = n
            .ledger
            .block(h)?
            .ok_or_else(|| ApiError::NotFound(format!("no block at height {h}")))?;
        let r = n
            .ledger
            .receipts(h)?
            .ok_or_else(|| ApiError::Internal(format!("block {h} has no receipts")))?;
        let to = (from + limit).min(b.txs.len());
        let txs = b
            .txs
            .into_iter()
            .zip(r.receipts)
            .skip(from)
            .take(to.saturating_sub(from))
            .map(|(tx, receipt)| TxEntry {
                id: tx.tx.id(),
                tx,
                receipt,
            })
            .collect();
        Ok(BlockTxsView {
            hash: b.header.hash(),
            header: b.header,
            from: from.min(u32::MAX as usize) as u32,
            txs,
            block_events: r.block_events,
        })
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(view))
}

/// GET /v1/blocks/{height or hash}/receipts.
pub async fn receipts(State(node): State<Arc<Node>>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let h = resolve(&node, &id)?;
    let r = node
        .ledger
        .receipts(h)?
        .ok_or_else(|| ApiError::NotFound(format!("no block at height {h}")))?;
    Ok(Json(ReceiptsView {
        height: h,
        receipts: r.receipts,
        block_events: r.block_events,
    }))
}
