//! Finalized blocks, in height order, from marshal into the ledger: each is committed (and made
//! durable) before marshal hears it was processed, so a crash never loses a block marshal
//! considers delivered. Redeliveries after a restart (at or below the committed height) are
//! acknowledged without effect.

use crate::app::blocking;
use crate::block::BftBlock;
use commonware_actor::Feedback;
use commonware_consensus::marshal::Update;
use commonware_consensus::Reporter;
use commonware_runtime::Spawner;
use commonware_utils::Acknowledgement;
use futures::channel::mpsc;
use futures::StreamExt;
use sinew_consensus::Replica;
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
pub async fn run<E: Spawner, R: Replica>(
    runtime: E,
    replica: Arc<R>,
    mut updates: mpsc::UnboundedReceiver<Update<BftBlock>>,
) {
    while let Some(update) = updates.next().await {
        let Update::Block(block, ack) = update else {
            continue;
        };
        let height = block.inner().block().header.height;
        if height > replica.committed().height {
            let r = replica.clone();
            let b = block.clone();
            match blocking(&runtime, move || r.finalize(b.inner().block())).await {
                Some(Ok(())) => {}
                Some(Err(e)) => {
                    tracing::error!("cannot commit finalized block {height}: {e}");
                    return;
                }
                None => return,
            }
        }
        ack.acknowledge();
    }
}
