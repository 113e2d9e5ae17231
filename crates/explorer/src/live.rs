//! Live updates for every open explorer page over one subscription: a relay reads the node's
//! event stream (paid answers) through the in-process API and re-broadcasts it to the browsers
//! connected to `/live`. However many tabs are open, the node's own event stream, whose
//! subscribers are few and counted, serves one reader; browser connections are counted apart
//! and refused past [`MAX_VIEWERS`] (the page then polls instead). Events are not replayed:
//! each time the relay subscribes it tells its viewers to re-read the latest answers once.

use crate::api::Api;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tower::ServiceExt;

/// Most browsers following `/live` at once.
pub const MAX_VIEWERS: usize = 512;
/// Event kinds relayed.
const KINDS: &str = "inference_settled";
/// Events kept for a slow browser before it skips ahead.
const BACKLOG: usize = 64;

/// The relay: one reader of the node's event stream, many browser viewers.
pub struct Live {
    events: broadcast::Sender<(String, String)>,
    viewers: Arc<AtomicUsize>,
    running: AtomicBool,
}

impl Live {
    /// A relay that starts reading when its first viewer comes.
    pub fn new() -> Live {
        Live {
            events: broadcast::channel(BACKLOG).0,
            viewers: Arc::new(AtomicUsize::new(0)),
            running: AtomicBool::new(false),
        }
    }
}

/// A viewer counted until its stream is dropped.
struct Viewer(Arc<AtomicUsize>);

impl Drop for Viewer {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// `GET /live`: server-sent events of paid answers as they settle.
pub async fn follow(State((api, live)): State<(Api, Arc<Live>)>) -> Response {
    if live.viewers.fetch_add(1, Ordering::AcqRel) >= MAX_VIEWERS {
        live.viewers.fetch_sub(1, Ordering::AcqRel);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "as many viewers follow this node live as it allows",
        )
            .into_response();
    }
    let viewer = Viewer(live.viewers.clone());
    if !live.running.swap(true, Ordering::AcqRel) {
        tokio::spawn(relay(api, live.clone()));
    }
    let stream = BroadcastStream::new(live.events.subscribe()).filter_map(move |item| {
        let _counted = &viewer;
        futures::future::ready(
            item.ok()
                .map(|(kind, data)| Ok::<_, std::convert::Infallible>(Event::default().event(kind).data(data))),
        )
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

/// Reads the node's event stream while anyone watches, reconnecting after a pause when it ends
/// or the node refuses (its subscribers are full); stops when the last viewer leaves.
async fn relay(api: Api, live: Arc<Live>) {
    loop {
        while live.viewers.load(Ordering::Acquire) > 0 {
            if let Err(e) = read_once(&api, &live).await {
                tracing::debug!("explorer live relay: {e}");
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        live.running.store(false, Ordering::Release);
        // A viewer that came between the check and the flag finds the relay still running.
        if live.viewers.load(Ordering::Acquire) == 0 || live.running.swap(true, Ordering::AcqRel) {
            return;
        }
    }
}

/// One subscription to `/v1/events`, parsed frame by frame and broadcast, until it ends or the
/// last viewer leaves.
async fn read_once(api: &Api, live: &Live) -> Result<(), String> {
    let request = Request::get(format!("/v1/events?kind={KINDS}"))
        .body(Body::empty())
        .map_err(|e| e.to_string())?;
    let response = api.router().oneshot(request).await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("the event stream answered {}", response.status()));
    }
    // Subscribed: anything that settled while no subscription stood is in the answers index, so
    // viewers re-read it once.
    let _ = live.events.send(("resync".into(), "{}".into()));
    let mut body = response.into_body().into_data_stream();
    let mut buffer = String::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            if let Some(event) = parse(&frame) {
                let _ = live.events.send(event);
            }
        }
        if live.viewers.load(Ordering::Acquire) == 0 {
            return Ok(());
        }
    }
    Ok(())
}

/// An SSE frame's event name and data (none for comments and keep-alives).
fn parse(frame: &str) -> Option<(String, String)> {
    let mut kind = None;
    let mut data = Vec::new();
    for line in frame.lines() {
        if let Some(k) = line.strip_prefix("event:") {
            kind = Some(k.trim().to_string());
        } else if let Some(d) = line.strip_prefix("data:") {
            data.push(d.trim_start());
        }
    }
    Some((kind?, data.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn frames_parse_into_kind_and_data() {
        assert_eq!(
            parse("event: inference_settled\ndata: {\"a\":1}\n\n"),
            Some(("inference_settled".into(), "{\"a\":1}".into()))
        );
        assert_eq!(parse(":\n\n"), None, "a keep-alive");
    }
}
