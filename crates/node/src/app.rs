//! The node as an [`Application`] for an orderer, with a pipelined commit: while block N is
//! being made durable (fsync) on the committer thread, the sequencer already executes block N+1
//! on top of N's in-memory state. Clients are answered only once their block is durable.

use crate::core::Node;
use sinew_consensus::{AppError, Application};
use sinew_state::{BlockEffects, ExecutedBlock, TxRejection};
use sinew_types::{Block, TxId};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

/// A block built by this node, with the candidates it refused.
pub struct Proposal {
    executed: ExecutedBlock,
    dropped: Vec<(TxId, TxRejection)>,
    started: Instant,
}

/// A block applied in memory, on its way to disk.
struct ToPersist {
    block: Block,
    effects: BlockEffects,
    dropped: Vec<(TxId, TxRejection)>,
    started: Instant,
    executed_at: std::time::Duration,
}

/// Adapts a shared [`Node`] to the orderer.
pub struct NodeApp {
    node: Arc<Node>,
    to_committer: Option<SyncSender<ToPersist>>,
    failure: Arc<Mutex<Option<String>>>,
    /// Blocks handed to the committer and not yet durable.
    in_flight: Arc<AtomicUsize>,
}

impl NodeApp {
    /// Wraps `node` and starts its committer thread (which ends when the app is dropped).
    pub fn start(node: Arc<Node>) -> std::io::Result<(NodeApp, JoinHandle<()>)> {
        // Rendezvous: the sequencer hands over block N only when block N-1 is durable, so at
        // most one block is executed but not yet on disk.
        let (tx, rx) = sync_channel::<ToPersist>(0);
        let failure: Arc<Mutex<Option<String>>> = Arc::default();
        let in_flight = Arc::new(AtomicUsize::new(0));
        let (n, f, fl) = (node.clone(), failure.clone(), in_flight.clone());
        let handle = std::thread::Builder::new().name("committer".into()).spawn(move || {
            for job in rx {
                let t = Instant::now();
                if let Err(e) = n.ledger.store.commit_block(&job.block, &job.effects) {
                    tracing::error!("commit of block {} failed: {e}", job.block.header.height);
                    *f.lock().expect("not poisoned") = Some(format!("commit failed: {e}"));
                    return;
                }
                let store = t.elapsed();
                n.after_commit(&job.block, &job.effects, job.dropped, job.started);
                fl.fetch_sub(1, Ordering::AcqRel);
                tracing::debug!(
                    height = job.block.header.height,
                    txs = job.block.txs.len(),
                    execute_ms = job.executed_at.as_secs_f64() * 1e3,
                    store_ms = store.as_secs_f64() * 1e3,
                    total_ms = job.started.elapsed().as_secs_f64() * 1e3,
                    "block committed"
                );
            }
        })?;
        Ok((
            NodeApp {
                node,
                to_committer: Some(tx),
                failure,
                in_flight,
            },
            handle,
        ))
    }

    fn check_failure(&self) -> Result<(), AppError> {
        match self.failure.lock().expect("not poisoned").as_ref() {
            Some(e) => Err(AppError::new("committing a block", e.clone())),
            None => Ok(()),
        }
    }
}

impl Drop for NodeApp {
    fn drop(&mut self) {
        // Closing the channel lets the committer finish the block it holds and stop.
        self.to_committer.take();
    }
}

impl Application for NodeApp {
    type Proposal = Proposal;

    fn wait_for_work(&self, min_pending: usize, deadline: Instant) -> usize {
        let mut pool = self.node.admission.pool.lock();
        while pool.len() < min_pending {
            if self.node.admission.pool_cv.wait_until(&mut pool, deadline).timed_out() {
                break;
            }
        }
        pool.len()
    }

    fn propose(&mut self) -> Result<Option<Proposal>, AppError> {
        self.check_failure()?;
        let node = &self.node;
        let started = Instant::now();
        let max = node.params().max_block_txs as usize;
        let candidates = node.admission.pool.lock().candidates(max);
        if candidates.is_empty() {
            return Ok(None);
        }
        let chain = node.ledger.chain.read();
        let timestamp = node.clock.now_ms().max(chain.head().timestamp_ms);
        let (executed, rejected) = chain
            .propose(
                chain.tree(),
                &node.ledger.blobs,
                candidates.iter().map(|c| &**c),
                timestamp,
                sinew_types::Address::module("sequencer"),
            )
            .map_err(|e| AppError::new("proposing a block", e))?;
        drop(chain);
        // A gap may close when the missing nonce arrives: keep those; drop every other refusal,
        // the signer's later transactions behind a dropped one (they could never be included),
        // and whatever waited too long.
        // Transactions this node could not execute for now (a blob it cannot read this moment)
        // wait too: they are not at fault.
        let mut dropped: Vec<_> = rejected
            .into_iter()
            .filter(|(_, r)| !matches!(r, TxRejection::NonceGap { .. } | TxRejection::Unavailable(_)))
            .collect();
        {
            let mut pool = node.admission.pool.lock();
            let roots: Vec<TxId> = dropped
                .iter()
                .filter(|(_, r)| !matches!(r, TxRejection::NonceTooLow { .. }))
                .map(|(id, _)| *id)
                .collect();
            let orphans = pool.successors(&roots);
            dropped.extend(
                orphans
                    .into_iter()
                    .map(|(id, nonce)| (id, TxRejection::PredecessorDropped { nonce })),
            );
            let included: std::collections::HashSet<TxId> = executed.effects.tx_ids.iter().copied().collect();
            let known: std::collections::HashSet<TxId> = dropped.iter().map(|d| d.0).collect();
            let expired = pool.expired(Instant::now());
            dropped.extend(
                expired
                    .into_iter()
                    .filter(|id| !included.contains(id) && !known.contains(id))
                    .map(|id| (id, TxRejection::Expired)),
            );
        }
        if executed.block.txs.is_empty() {
            node.begin_inflight(&[], &dropped);
            node.record_drops(&dropped);
            return Ok(None);
        }
        Ok(Some(Proposal {
            executed,
            dropped,
            started,
        }))
    }

    fn idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
    }

    fn verify(&mut self, proposal: &Proposal) -> Result<(), AppError> {
        let chain = self.node.ledger.chain.read();
        chain
            .validate(
                chain.tree(),
                &self.node.ledger.blobs,
                proposal.executed.block.clone(),
                |_| false,
            )
            .map(|_| ())
            .map_err(|e| AppError::new("verifying a block", e))
    }

    fn finalize(&mut self, proposal: Proposal) -> Result<(), AppError> {
        self.check_failure()?;
        let Proposal {
            executed,
            dropped,
            started,
        } = proposal;
        let executed_at = started.elapsed();
        let (block, effects) = self.node.ledger.chain.write().commit(executed);
        self.node.begin_inflight(&effects.tx_ids, &dropped);
        let job = ToPersist {
            block,
            effects,
            dropped,
            started,
            executed_at,
        };
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.to_committer
            .as_ref()
            .expect("open until drop")
            .send(job)
            .map_err(|_| {
                let why = self.failure.lock().expect("not poisoned").clone();
                AppError::new(
                    "committing a block",
                    why.unwrap_or_else(|| "the committer stopped".into()),
                )
            })
    }
}
