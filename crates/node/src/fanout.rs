//! Fan-out of what each durable block decided: waiters of its transactions are answered, its
//! events go to subscribers, the head moves. Dropped transactions are remembered for a while so
//! their status stays answerable.

use parking_lot::Mutex;
use sinew_state::{BlockEffects, TxRejection};
pub use sinew_types::api::answers::EventRecord;
use sinew_types::wire::SubmitOutcome;
use sinew_types::{Height, TxId};
use std::collections::VecDeque;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use tokio::sync::{broadcast, oneshot, watch};

/// Hash maps keyed by transaction ids: foldhash, randomly seeded per process.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Recently dropped transactions, so their status stays answerable for a while.
#[derive(Default)]
struct RecentDrops {
    map: HashMap<TxId, (String, String)>,
    order: VecDeque<TxId>,
}

const RECENT_DROPS: usize = 100_000;

/// Waiters, recent drops, the event stream and the head.
pub(crate) struct FanOut {
    waiters: Mutex<HashMap<TxId, Vec<oneshot::Sender<SubmitOutcome>>>>,
    drops: Mutex<RecentDrops>,
    events: broadcast::Sender<Arc<EventRecord>>,
    head: watch::Sender<Height>,
    /// Event stream subscribers (the API bounds them).
    pub(crate) subscribers: Arc<AtomicUsize>,
}

impl FanOut {
    /// Fan-out from a head at `height`.
    pub(crate) fn new(height: Height) -> FanOut {
        FanOut {
            waiters: Mutex::default(),
            drops: Mutex::default(),
            events: broadcast::channel(1 << 16).0,
            head: watch::channel(height).0,
            subscribers: Arc::default(),
        }
    }

    /// A receiver told when transaction `id` is committed or dropped.
    pub(crate) fn watch(&self, id: TxId) -> oneshot::Receiver<SubmitOutcome> {
        let (tx, rx) = oneshot::channel();
        self.waiters.lock().entry(id).or_default().push(tx);
        rx
    }

    /// Forgets the waiters of a transaction that was not admitted after all.
    pub(crate) fn unwatch(&self, id: &TxId) {
        self.waiters.lock().remove(id);
    }

    /// Why transaction `id` was dropped, if it was, recently.
    pub(crate) fn dropped(&self, id: &TxId) -> Option<SubmitOutcome> {
        self.drops
            .lock()
            .map
            .get(id)
            .map(|(code, reason)| SubmitOutcome::Dropped {
                code: code.clone(),
                reason: reason.clone(),
            })
    }

    /// Answers the waiters of transactions dropped without inclusion and remembers why.
    pub(crate) fn record_drops(&self, dropped: &[(TxId, TxRejection)]) {
        if dropped.is_empty() {
            return;
        }
        // Remembered before anyone is told: a client told "dropped" that asks again at once
        // must hear "dropped", not "unknown".
        {
            let mut d = self.drops.lock();
            for (id, why) in dropped {
                d.map.insert(*id, (why.code().into(), why.to_string()));
                d.order.push_back(*id);
            }
            while d.order.len() > RECENT_DROPS {
                let old = d.order.pop_front().expect("non-empty");
                d.map.remove(&old);
            }
        }
        let mut waiters = self.waiters.lock();
        for (id, why) in dropped {
            for w in waiters.remove(id).unwrap_or_default() {
                let _ = w.send(SubmitOutcome::Dropped {
                    code: why.code().into(),
                    reason: why.to_string(),
                });
            }
        }
    }

    /// A block at `height` is durable: its transactions' waiters get their receipts, its events
    /// go out, and the head moves to it.
    pub(crate) fn committed(&self, height: Height, effects: &BlockEffects) {
        {
            let mut waiters = self.waiters.lock();
            if !waiters.is_empty() {
                for (i, (id, r)) in effects.tx_ids.iter().zip(&effects.receipts).enumerate() {
                    for w in waiters.remove(id).unwrap_or_default() {
                        let _ = w.send(SubmitOutcome::Committed {
                            height,
                            index: i as u32,
                            receipt: r.clone(),
                        });
                    }
                }
            }
        }
        self.publish(height, effects);
        self.head.send_replace(height);
    }

    /// Sends a block's events to subscribers, block events first.
    fn publish(&self, height: Height, effects: &BlockEffects) {
        if self.events.receiver_count() == 0 {
            return;
        }
        let block = effects.block_events.iter().map(|e| (None, e));
        let txs = effects
            .receipts
            .iter()
            .flat_map(|r| r.events.iter().map(move |e| (Some(r.tx_id), e)));
        for (tx_id, event) in block.chain(txs) {
            let _ = self.events.send(Arc::new(EventRecord {
                height,
                tx_id,
                event: event.clone(),
            }));
        }
    }

    /// A stream of events from the next committed block on.
    pub(crate) fn subscribe_events(&self) -> broadcast::Receiver<Arc<EventRecord>> {
        self.events.subscribe()
    }

    /// A watch on the committed head height.
    pub(crate) fn watch_head(&self) -> watch::Receiver<Height> {
        self.head.subscribe()
    }
}
