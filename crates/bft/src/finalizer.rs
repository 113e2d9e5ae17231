//! Finalized blocks, in height order, from marshal into the ledger: each is committed (and made
//! durable) before marshal hears it was processed, so a crash never loses a block marshal
//! considers delivered. Redeliveries after a restart (at or below the committed height) are
//! acknowledged without effect. A final block naming blobs this validator lacks waits for them
//! to be fetched; blobs it names that the ledger never reads are fetched afterwards, in the
//! background, and kept for readers.

use crate::app::judge;
use crate::blobs::{missing_blobs, BlobExchange};
use crate::block::BftBlock;
use crate::exec::blocking;
use commonware_actor::Feedback;
use commonware_consensus::marshal::Update;
use commonware_consensus::Reporter;
use commonware_runtime::{Clock, Spawner};
use commonware_utils::Acknowledgement;
use futures::channel::mpsc;
use futures::StreamExt;
use sinew_consensus::{BlobHost, Keep, Replica, Verdict};
use std::sync::Arc;

/// What marshal reports to: hands updates to [`run`] on its own task (reporting never blocks).
#[derive(Clone)]
pub struct Finalizer {
    updates: mpsc::UnboundedSender<Update<BftBlock>>,
}

impl Reporter for Finalizer {
    type Activity = Update<BftBlock>;

    fn report(&mut self, activity: Update<BftBlock>) -> Feedback {
        match self.updates.unbounded_send(activity) {
            Ok(()) => Feedback::Ok,
            Err(_) => Feedback::Closed,
        }
    }
}

/// A finalizer and the stream [`run`] consumes.
pub fn channel() -> (Finalizer, mpsc::UnboundedReceiver<Update<BftBlock>>) {
    let (updates, rx) = mpsc::unbounded();
    (Finalizer { updates }, rx)
}

/// Commits each finalized block marshal delivers, then acknowledges it. Stops (without
/// acknowledging, which stops marshal) if the ledger cannot commit.
pub async fn run<E: Spawner + Clock, R: Replica + BlobHost>(
    runtime: E,
    replica: Arc<R>,
    blobs: BlobExchange<R>,
    mut updates: mpsc::UnboundedReceiver<Update<BftBlock>>,
) {
    while let Some(update) = updates.next().await {
        let Update::Block(block, ack) = update else {
            continue;
        };
        let height = block.inner().block().header.height;
        if height > replica.committed().height {
            // Final means a quorum executed it: if this validator cannot yet (a blob it lacks),
            // it fetches what is missing and waits; if it finds the block invalid, its state
            // has diverged from the quorum's and it must stop rather than go on alone.
            match judge(&runtime, &replica, &blobs, &block, Keep::Final).await {
                Some(Ok(Verdict::Valid)) => {}
                Some(Ok(other)) => {
                    tracing::error!("finalized block {height} does not execute here ({other:?}); stopping");
                    return;
                }
                Some(Err(e)) => {
                    tracing::error!("cannot execute finalized block {height}: {e}");
                    return;
                }
                None => return,
            }
            let r = replica.clone();
            let b = block.clone();
            let started = std::time::Instant::now();
            match blocking(&runtime, move || r.finalize(b.inner().block())).await {
                Some(Ok(())) => {
                    tracing::debug!(height, ms = started.elapsed().as_millis() as u64, "committed");
                }
                Some(Err(e)) => {
                    tracing::error!("cannot commit finalized block {height}: {e}");
                    return;
                }
                None => return,
            }
            let missing = missing_blobs(&*replica, block.inner().block(), false);
            if !missing.is_empty() {
                // Not awaited: fetched in the background, kept for good when they arrive.
                drop(blobs.fetch(&missing, Keep::Final, runtime.current()));
            }
        }
        ack.acknowledge();
    }
}
