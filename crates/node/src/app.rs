//! The node as an [`Application`] for an orderer.

use crate::core::Node;
use sinew_consensus::{AppError, Application};
use sinew_state::{ExecutedBlock, TxRejection};
use sinew_types::TxId;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A block built by this node, with the candidates it refused.
pub struct Proposal {
    executed: ExecutedBlock,
    dropped: Vec<(TxId, TxRejection)>,
    started: Instant,
}

/// Adapts a shared [`Node`] to the orderer.
pub struct NodeApp(pub Arc<Node>);

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Application for NodeApp {
    type Proposal = Proposal;

    fn wait_for_work(&self, min_pending: usize, deadline: Instant) -> usize {
        let mut pool = self.0.pool.lock();
        while pool.len() < min_pending {
            if self.0.pool_cv.wait_until(&mut pool, deadline).timed_out() {
                break;
            }
        }
        pool.len()
    }

    fn propose(&mut self) -> Result<Option<Proposal>, AppError> {
        let node = &self.0;
        let started = Instant::now();
        let max = node.params().max_block_txs as usize;
        let candidates = node.pool.lock().candidates(max);
        if candidates.is_empty() {
            return Ok(None);
        }
        let snapshot = node.store.snapshot().map_err(|e| AppError(e.to_string()))?;
        let chain = node.chain.read();
        let timestamp = now_ms().max(chain.head().timestamp_ms);
        let (executed, rejected) = chain
            .propose(
                &snapshot,
                candidates.iter().map(|c| &**c),
                timestamp,
                node.proposer,
            )
            .map_err(|e| AppError(e.to_string()))?;
        drop(chain);
        // A gap may close when the missing nonce arrives: keep those; drop every other refusal.
        let dropped: Vec<_> = rejected
            .into_iter()
            .filter(|(_, r)| !matches!(r, TxRejection::NonceGap { .. }))
            .collect();
        if executed.block.txs.is_empty() {
            node.pool.lock().remove(dropped.iter().map(|(id, _)| *id));
            node.record_drops(&dropped);
            return Ok(None);
        }
        Ok(Some(Proposal {
            executed,
            dropped,
            started,
        }))
    }

    fn verify(&mut self, proposal: &Proposal) -> Result<(), AppError> {
        let node = &self.0;
        let snapshot = node.store.snapshot().map_err(|e| AppError(e.to_string()))?;
        node.chain
            .read()
            .validate(&snapshot, proposal.executed.block.clone(), |_| false)
            .map(|_| ())
            .map_err(|e| AppError(e.to_string()))
    }

    fn finalize(&mut self, proposal: Proposal) -> Result<(), AppError> {
        let node = &self.0;
        let Proposal {
            executed,
            dropped,
            started,
        } = proposal;
        node.store
            .commit_block(&executed.block, &executed.effects)
            .map_err(|e| AppError(format!("commit failed: {e}")))?;
        let (block, effects) = node.chain.write().commit(executed);
        node.after_commit(&block, &effects, dropped, started);
        Ok(())
    }
}
