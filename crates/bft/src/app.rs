//! Our ledger as the application marshal drives: the leader builds a block on the parent
//! consensus chose, every validator re-executes what it receives. Both go through the
//! fork-aware [`Replica`] seam, so a parent that is certified but not final is fine. Execution
//! runs on a blocking-friendly task, never inline on the async executor.

use crate::blobs::{missing_blobs, BlobExchange};
use crate::block::{BftBlock, BftContext};
use crate::exec::blocking;
use crate::keys;
use commonware_consensus::marshal::ancestry::Ancestry;
use commonware_consensus::simplex::scheme::ed25519::Scheme;
use commonware_consensus::Application;
use commonware_cryptography::Digested;
use commonware_runtime::{Clock, Spawner};
use futures::StreamExt;
use sinew_consensus::{BlobHost, Keep, Replica, Verdict};
use sinew_types::ConsensusRound;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a validator waits before re-checking a block it could not judge yet for a reason
/// other than a missing blob (a disk that is full for now): it abstains meanwhile, it never votes
/// against the block for it.
const NOT_READY_RETRY: Duration = Duration::from_millis(100);

/// How often a validator waiting for blobs says it still wants them (and re-checks the block).
const BLOB_WAIT: Duration = Duration::from_secs(1);

/// How far ahead of this validator's clock a block's timestamp may be before it waits.
const MAX_CLOCK_AHEAD_MS: u64 = 5_000;

/// The application marshal wraps: a handle on this validator's replica.
pub struct BftApp<R> {
    replica: Arc<R>,
    blobs: BlobExchange<R>,
    min_interval: Duration,
}

impl<R> Clone for BftApp<R> {
    fn clone(&self) -> Self {
        BftApp {
            replica: self.replica.clone(),
            blobs: self.blobs.clone(),
            min_interval: self.min_interval,
        }
    }
}

impl<R: Replica + BlobHost> BftApp<R> {
    /// The application over `replica`, fetching the blobs blocks need through `blobs`; a leader
    /// builds no sooner than `min_interval` after its parent's timestamp (an idle chain does not
    /// fill the disk with empty blocks, and a busy one batches).
    pub fn new(replica: Arc<R>, blobs: BlobExchange<R>, min_interval: Duration) -> BftApp<R> {
        BftApp {
            replica,
            blobs,
            min_interval,
        }
    }
}

impl<E, R> Application<E> for BftApp<R>
where
    E: Clock + Spawner,
    R: Replica + BlobHost,
{
    type SigningScheme = Scheme;
    type Context = BftContext;
    type Block = BftBlock;
    type Input = ();

    fn propose(
        &mut self,
        (runtime, context): (E, BftContext),
        ancestry: impl Ancestry<BftBlock>,
        _input: (),
    ) -> impl Future<Output = Option<Digested<BftBlock>>> + Send {
        let replica = self.replica.clone();
        let blobs = self.blobs.clone();
        let min_interval = self.min_interval;
        async move {
            let parent = ancestry.peek()?.clone();
            let earliest = parent.inner().block().header.timestamp_ms + min_interval.as_millis() as u64;
            let now = unix_ms(runtime.current());
            if earliest > now {
                // Never longer than the interval: a parent stamped in the future (a hostile
                // leader's clock) must not stop honest leaders from proposing.
                let wait = Duration::from_millis(earliest - now).min(min_interval);
                runtime.sleep(wait).await;
            }
            if !catch_up(&runtime, &replica, &blobs, ancestry).await {
                return None;
            }
            let parent_header = &parent.inner().block().header;
            let timestamp_ms = unix_ms(runtime.current()).max(parent_header.timestamp_ms);
            let round = ConsensusRound {
                epoch: context.round.epoch().get(),
                view: context.round.view().get(),
                parent_view: context.parent.0.get(),
            };
            let leader = keys::address(&context.leader);
            let parent_hash = parent.inner().hash();
            let started = std::time::Instant::now();
            let built = blocking(&runtime, move || {
                replica.build(&parent_hash, round, leader, timestamp_ms)
            })
            .await?;
            match built {
                Ok(block) => {
                    tracing::debug!(
                        height = block.header.height,
                        view = round.view,
                        txs = block.txs.len(),
                        ms = started.elapsed().as_millis() as u64,
                        "built"
                    );
                    Some(BftBlock::new(block).digested())
                }
                Err(e) => {
                    tracing::error!("cannot build a block: {e}");
                    None
                }
            }
        }
    }

    fn verify(
        &mut self,
        (runtime, _context): (E, BftContext),
        ancestry: impl Ancestry<BftBlock>,
    ) -> impl Future<Output = bool> + Send {
        let replica = self.replica.clone();
        let blobs = self.blobs.clone();
        async move { catch_up(&runtime, &replica, &blobs, ancestry).await }
    }
}

/// Executes, oldest first, the blocks of `ancestry` (a block, then its parent, and so on) that
/// this replica has not executed yet. False when one of them is invalid: it breaks a rule, its
/// timestamp goes back in time, or the branch does not descend from the committed head (it
/// conflicts with a final block).
async fn catch_up<E, R>(
    runtime: &E,
    replica: &Arc<R>,
    blobs: &BlobExchange<R>,
    ancestry: impl Ancestry<BftBlock>,
) -> bool
where
    E: Clock + Spawner,
    R: Replica + BlobHost,
{
    let Some((mut parent_ms, todo)) = unexecuted(replica, ancestry).await else {
        return false;
    };
    for block in todo.into_iter().rev() {
        let timestamp_ms = block.inner().block().header.timestamp_ms;
        if timestamp_ms < parent_ms {
            tracing::warn!("block {} is stamped before its parent", block.inner().hash());
            return false;
        }
        // A block from the future waits until it is no longer too far ahead of our clock: a
        // verdict delayed, never a verdict against it (our clock may be the late one).
        let now = unix_ms(runtime.current());
        if timestamp_ms > now + MAX_CLOCK_AHEAD_MS {
            runtime
                .sleep(Duration::from_millis(timestamp_ms - MAX_CLOCK_AHEAD_MS - now))
                .await;
        }
        if !execute_until_judged(runtime, replica, blobs, &block).await {
            return false;
        }
        parent_ms = timestamp_ms;
    }
    true
}

/// The blocks of `ancestry` down to (not including) the first one executed here, newest first,
/// with that executed block's timestamp; `None` when the branch leaves the committed chain.
async fn unexecuted<R: Replica>(
    replica: &Arc<R>,
    mut ancestry: impl Ancestry<BftBlock>,
) -> Option<(u64, Vec<Digested<BftBlock>>)> {
    let committed = replica.committed();
    let mut todo = Vec::new();
    loop {
        let block = ancestry.next().await?;
        let header = &block.inner().block().header;
        if replica.is_executed(&block.inner().hash()) {
            return Some((header.timestamp_ms, todo));
        }
        if header.height <= committed.height {
            return None;
        }
        todo.push(block);
    }
}

/// Re-executes `block` until there is a verdict: true when valid. A block naming blobs this
/// validator lacks waits for them to be fetched from peers (asking again every [`BLOB_WAIT`]),
/// until consensus stops asking (the view ends).
async fn execute_until_judged<E, R>(
    runtime: &E,
    replica: &Arc<R>,
    blobs: &BlobExchange<R>,
    block: &Digested<BftBlock>,
) -> bool
where
    E: Clock + Spawner,
    R: Replica + BlobHost,
{
    match judge(runtime, replica, blobs, block, Keep::Pending).await {
        Some(Ok(Verdict::Valid)) => true,
        Some(Ok(Verdict::Invalid(why))) => {
            tracing::warn!("block {} is invalid: {why}", block.inner().hash());
            false
        }
        Some(Err(e)) => {
            tracing::error!("cannot execute block {}: {e}", block.inner().hash());
            false
        }
        Some(Ok(Verdict::NotReady(_))) | None => false,
    }
}

/// Re-executes `block` until it is valid or invalid (never `NotReady`): while it names blobs
/// this validator lacks, they are fetched from peers (for the reason `keep` says) and the block
/// is executed again only once they are all here. `None` if the runtime stopped.
pub(crate) async fn judge<E, R>(
    runtime: &E,
    replica: &Arc<R>,
    blobs: &BlobExchange<R>,
    block: &Digested<BftBlock>,
    keep: Keep,
) -> Option<Result<Verdict, sinew_consensus::AppError>>
where
    E: Clock + Spawner,
    R: Replica + BlobHost,
{
    loop {
        let r = replica.clone();
        let b = block.clone();
        let started = std::time::Instant::now();
        let executed = blocking(runtime, move || r.execute(b.inner().block())).await?;
        tracing::debug!(
            height = block.inner().block().header.height,
            txs = block.inner().block().txs.len(),
            ms = started.elapsed().as_millis() as u64,
            "executed"
        );
        match executed {
            Ok(Verdict::NotReady(why)) => {
                tracing::debug!("block {} not ready: {why}", block.inner().hash());
                let mut missing = missing_blobs(&**replica, block.inner().block(), true);
                if missing.is_empty() {
                    runtime.sleep(NOT_READY_RETRY).await;
                }
                while !missing.is_empty() {
                    let fetched = blobs.fetch(&missing, keep, runtime.current());
                    futures::future::select(Box::pin(fetched), Box::pin(runtime.sleep(BLOB_WAIT))).await;
                    missing = missing_blobs(&**replica, block.inner().block(), true);
                }
            }
            judged => return Some(judged),
        }
    }
}

/// Milliseconds since the Unix epoch on the runtime's clock (simulated in tests).
fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}
