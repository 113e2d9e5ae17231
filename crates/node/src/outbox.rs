//! Transactions this node admitted from its own clients (API submissions, the gateway's
//! settlements), waiting for the validator to send them to its peers. Off, and empty, unless the
//! node is a validator.

use parking_lot::Mutex;
use sinew_types::SignedTransaction;
use std::collections::VecDeque;

/// Most transactions waiting to be sent; older ones are dropped beyond it (they stay in this
/// node's pool and are proposed when it leads).
const OUTBOX_LIMIT: usize = 65_536;

/// Transactions admitted from this node's clients, not yet sent to peers. Off (and empty)
/// unless the node is a validator.
#[derive(Default)]
pub(crate) struct Outbox {
    queue: Mutex<Option<VecDeque<SignedTransaction>>>,
}

impl Outbox {
    /// Starts keeping admitted transactions for peers.
    pub(crate) fn enable(&self) {
        let mut q = self.queue.lock();
        if q.is_none() {
            *q = Some(VecDeque::new());
        }
    }

    /// Whether the node gossips.
    pub(crate) fn enabled(&self) -> bool {
        self.queue.lock().is_some()
    }

    /// Keeps `txs` for peers (when enabled).
    pub(crate) fn push(&self, txs: impl IntoIterator<Item = SignedTransaction>) {
        if let Some(q) = self.queue.lock().as_mut() {
            q.extend(txs);
            while q.len() > OUTBOX_LIMIT {
                q.pop_front();
            }
        }
    }

    /// Encoded transactions, oldest first, at most `max_bytes` (at least one if any wait).
    pub(crate) fn take(&self, max_bytes: usize) -> Vec<Vec<u8>> {
        let mut guard = self.queue.lock();
        let Some(q) = guard.as_mut() else {
            return Vec::new();
        };
        let mut out: Vec<Vec<u8>> = Vec::new();
        let mut bytes = 0;
        while let Some(tx) = q.front() {
            let encoded = tx.encode();
            if !out.is_empty() && bytes + encoded.len() > max_bytes {
                break;
            }
            bytes += encoded.len();
            out.push(encoded);
            q.pop_front();
        }
        out
    }
}
