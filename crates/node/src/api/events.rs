//! GET /v1/events: server-sent events of committed blocks, filterable by account and kind.

use super::ApiError;
use crate::core::Node;
use axum::extract::{Query, State};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::stream::{Stream, StreamExt};
pub use sinew_types::api::queries::EventFilter;
use sinew_types::Address;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

const KINDS: &[&str] = &[
    "fee_paid",
    "transfer",
    "staked",
    "unbonding_started",
    "unbonding_released",
    "params_changed",
    "datanet_created",
    "contributed",
    "reviewed",
    "contribution_decided",
    "version_published",
    "provider_registered",
    "model_registered",
    "model_updated",
    "api_key_changed",
    "prepaid",
    "prepaid_withdrawal_started",
    "inference_settled",
    "reward_accrued",
    "staker_rewarded",
    "rewards_claimed",
    "agent_changed",
    "task_posted",
    "task_updated",
    "task_completed",
    "slashed",
    "delegation",
    "inference_reserved",
    "hold_released",
    "model_served",
];

/// A subscription counted in the node's limit; released when the stream is dropped.
struct Subscriber(Arc<AtomicUsize>);

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Streams events as they are committed.
pub async fn stream(
    State(node): State<Arc<Node>>,
    Query(f): Query<EventFilter>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let account: Option<Address> = f
        .account
        .as_deref()
        .map(|a| {
            a.parse()
                .map_err(|e: sinew_types::hash::BadHex32| ApiError::BadRequest("bad_address", e.to_string()))
        })
        .transpose()?;
    let kinds: Option<Vec<String>> = f.kind.map(|k| k.split(',').map(|s| s.trim().to_string()).collect());
    if let Some(ks) = &kinds {
        if let Some(bad) = ks.iter().find(|k| !KINDS.contains(&k.as_str())) {
            return Err(ApiError::BadRequest(
                "bad_kind",
                format!("unknown event kind {bad:?}; known: {}", KINDS.join(", ")),
            ));
        }
    }
    let task_kinds: Option<Vec<String>> = f
        .task_kind
        .map(|k| k.split(',').map(|s| s.trim().to_string()).collect());
    // A bounded number of subscribers: each one costs the node a filter pass per event.
    let max = node.config.api.max_event_subscribers;
    if node.fanout.subscribers.fetch_add(1, Ordering::AcqRel) >= max {
        node.fanout.subscribers.fetch_sub(1, Ordering::AcqRel);
        return Err(ApiError::Busy(format!(
            "this node serves at most {max} event subscribers at once; retry later"
        )));
    }
    let guard = Subscriber(node.fanout.subscribers.clone());
    let rx = node.subscribe_events();
    let s = BroadcastStream::new(rx).filter_map(move |item| {
        let _held = &guard;
        let out = match item {
            Ok(rec) => {
                let keep = account.is_none_or(|a| rec.event.involves(&a))
                    && kinds.as_ref().is_none_or(|ks| ks.iter().any(|k| k == rec.event.kind()))
                    && task_kinds
                        .as_ref()
                        .is_none_or(|ks| rec.event.task_kind().is_some_and(|t| ks.iter().any(|k| k == t)));
                keep.then(|| {
                    SseEvent::default()
                        .event(rec.event.kind())
                        .json_data(&*rec)
                        .expect("event serialises")
                })
            }
            Err(BroadcastStreamRecvError::Lagged(n)) => {
                Some(SseEvent::default().event("lagged").data(format!("{{\"missed\":{n}}}")))
            }
        };
        futures::future::ready(out.map(Ok))
    });
    Ok(Sse::new(s).keep_alive(KeepAlive::default()))
}
