//! Transaction gossip on its own p2p channel: what this validator's clients submitted (and it
//! admitted) goes, in batches, to every other validator; what peers send is admitted as a
//! client's would be. A transaction naming a blob this validator lacks waits for the blob to be
//! fetched, then is admitted. A peer sending an undecodable or wrongly signed transaction is
//! blocked: an honest validator checks before it sends.

use crate::blobs::{BlobExchange, STALE};
use crate::exec::blocking;
use commonware_cryptography::ed25519::PublicKey;
use commonware_p2p::{Blocker, Receiver, Recipients, Sender};
use commonware_runtime::{Clock, Spawner};
use sinew_consensus::{BlobHost, Incoming, Keep, TxGossip};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Most bytes of transactions in one gossip message.
pub const MAX_BATCH_BYTES: usize = 1 << 20;

/// How often the outbox is checked when it was empty.
const TICK: Duration = Duration::from_millis(5);

/// Most gossiped transactions waiting for a blob at once (beyond that, they stay with the
/// validator they were submitted to, which proposes them itself).
const MAX_WAITING_FOR_BLOBS: usize = 256;

/// An encoded batch, if it is one and within the size limit.
fn decode_batch(bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    if bytes.len() > MAX_BATCH_BYTES + 4_096 {
        return None;
    }
    borsh::from_slice(bytes).ok()
}

/// Starts sending this validator's admitted transactions to its peers and admitting theirs.
pub fn start<E, G, S, R, B>(
    context: &E,
    pool: Arc<G>,
    blobs: BlobExchange<G>,
    blocker: B,
    (mut sender, mut receiver): (S, R),
) where
    E: Clock + Spawner,
    G: TxGossip + BlobHost,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
    B: Blocker<PublicKey = PublicKey>,
{
    context.child("gossip_out").spawn({
        let pool = pool.clone();
        move |ctx| async move {
            loop {
                let batch = pool.outgoing(MAX_BATCH_BYTES);
                if batch.is_empty() {
                    ctx.sleep(TICK).await;
                    continue;
                }
                let bytes = borsh::to_vec(&batch).expect("encodes");
                sender.send(Recipients::All, bytes, false);
            }
        }
    });
    let waiting = Arc::new(AtomicUsize::new(0));
    context.child("gossip_in").spawn(move |ctx| async move {
        let mut blocker = blocker;
        while let Ok((peer, message)) = receiver.recv().await {
            let Some(batch) = decode_batch(message.as_ref()) else {
                tracing::warn!(%peer, "a peer sent a malformed transaction batch; blocking it");
                blocker.block(peer);
                continue;
            };
            let p = pool.clone();
            let input = batch.clone();
            let Some(results) = blocking(&ctx, move || p.incoming(&input)).await else {
                return;
            };
            for (tx, result) in batch.into_iter().zip(results) {
                match result {
                    Incoming::Admitted | Incoming::Refused(_) => {}
                    Incoming::Malformed(why) => {
                        tracing::warn!(%peer, "a peer sent a bad transaction ({why}); blocking it");
                        blocker.block(peer.clone());
                        break;
                    }
                    Incoming::NeedsBlobs(ids) => {
                        if waiting.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING_FOR_BLOBS {
                            waiting.fetch_sub(1, Ordering::AcqRel);
                            continue;
                        }
                        let fetched = blobs.fetch(&ids, Keep::Speculative, ctx.current());
                        let pool = pool.clone();
                        let waiting = waiting.clone();
                        ctx.child("gossip_blob_wait").spawn(move |ctx| async move {
                            let timeout = ctx.sleep(STALE);
                            if let futures::future::Either::Left(_) =
                                futures::future::select(Box::pin(fetched), Box::pin(timeout)).await
                            {
                                let _ = blocking(&ctx, move || pool.incoming(&[tx])).await;
                            }
                            waiting.fetch_sub(1, Ordering::AcqRel);
                        });
                    }
                }
            }
        }
    });
}
