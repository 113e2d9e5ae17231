//! The node behind the fork-aware seam a BFT engine drives ([`Replica`]): blocks are built from
//! this node's mempool and re-executed on any executed parent through the ledger's chain, kept
//! pending until final, then committed exactly as the sequencer commits them (durable first,
//! then served, then clients told).

use crate::core::Node;
use parking_lot::RwLockUpgradableReadGuard;
use sinew_consensus::{AppError, Replica, Verdict};
use sinew_state::TxRejection;
use sinew_types::{Address, Block, BlockHeader, ConsensusRound, Hash, TxId};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

/// A node as one validator's replica.
pub struct NodeReplica {
    node: Arc<Node>,
}

impl NodeReplica {
    /// The replica over `node`; from now on what the node admits from its clients is kept for
    /// its peers.
    pub fn new(node: Arc<Node>) -> NodeReplica {
        node.outbox.enable();
        NodeReplica { node }
    }

    /// The node this replica drives.
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// Re-executes `block` on its parent; keeps it pending when valid.
    fn execute_block(&self, block: &Block) -> Result<Verdict, AppError> {
        let ledger = &self.node.ledger;
        // Signatures checked when the transactions were admitted (gossip delivers most of a
        // block before it) are not checked again: on four validators that is most of the work.
        let verified: HashSet<TxId> = {
            let pool = self.node.admission.pool.lock();
            block
                .txs
                .iter()
                .map(|t| t.clone().prepare())
                .filter(|p| pool.holds_verified(p))
                .map(|p| p.id)
                .collect()
        };
        let chain = ledger.chain.upgradable_read();
        if chain.is_pending(&block.header.hash()) {
            return Ok(Verdict::Valid);
        }
        match chain.validate(chain.tree(), &ledger.blobs, block.clone(), |tx| {
            verified.contains(&tx.id)
        }) {
            Ok(executed) => {
                RwLockUpgradableReadGuard::upgrade(chain).add_pending(executed);
                Ok(Verdict::Valid)
            }
            Err(e) => e.verdict().map_err(|e| AppError::new("executing a block", e)),
        }
    }
}

impl Replica for NodeReplica {
    fn committed(&self) -> BlockHeader {
        self.node.ledger.chain.read().head().clone()
    }

    fn is_executed(&self, hash: &Hash) -> bool {
        let chain = self.node.ledger.chain.read();
        chain.head().hash() == *hash || chain.is_pending(hash)
    }

    fn build(
        &self,
        parent: &Hash,
        round: ConsensusRound,
        leader: Address,
        timestamp_ms: u64,
    ) -> Result<Block, AppError> {
        let node = &self.node;
        let max = node.params().max_block_txs as usize;
        let candidates = node.admission.pool.lock().candidates(max);
        let chain = node.ledger.chain.upgradable_read();
        let (mut executed, refused) = chain
            .propose_on(
                parent,
                chain.tree(),
                &node.ledger.blobs,
                candidates.iter().map(|c| &**c),
                timestamp_ms,
                leader,
            )
            .map_err(|e| AppError::new("building a block", e))?;
        let on_head = chain.head().hash() == *parent;
        executed.block.header.round = Some(round);
        let block = executed.block.clone();
        RwLockUpgradableReadGuard::upgrade(chain).add_pending(executed);
        // Refusals on the committed state are final (a pending branch may refuse what another
        // branch accepts): those leave the pool, as the sequencer drops them.
        if on_head {
            // Not those a final block just included (in flight until durable): a build that
            // raced the commit refuses them as used nonces, and their clients must hear
            // "committed", not "dropped".
            let dropped: Vec<_> = refused
                .into_iter()
                .filter(|(_, r)| !matches!(r, TxRejection::NonceGap { .. } | TxRejection::Unavailable(_)))
                .filter(|(id, _)| !node.admission.is_inflight(id))
                .collect();
            if !dropped.is_empty() {
                node.begin_inflight(&[], &dropped);
                node.record_drops(&dropped);
            }
        }
        Ok(block)
    }

    fn execute(&self, block: &Block) -> Result<Verdict, AppError> {
        self.execute_block(block)
    }

    fn finalize(&self, block: &Block) -> Result<(), AppError> {
        let started = Instant::now();
        match self.execute_block(block)? {
            Verdict::Valid => {}
            other => {
                return Err(AppError::new(
                    "finalizing a block",
                    format!(
                        "consensus finalized block {} but it does not execute here: {other:?}",
                        block.header.height
                    ),
                ))
            }
        }
        let node = &self.node;
        let done = {
            let mut chain = node.ledger.chain.write();
            let done = chain
                .finalize(&block.header.hash())
                .map_err(|e| AppError::new("finalizing a block", e))?;
            // In flight before the chain lock is released: a leader building on the new head
            // must see these as included, not as refusable replays of a used nonce.
            for (_, effects) in &done {
                node.begin_inflight(&effects.tx_ids, &[]);
            }
            done
        };
        for (block, effects) in done {
            node.ledger
                .store
                .commit_block(&block, &effects)
                .map_err(|e| AppError::new("committing a finalized block", e))?;
            node.after_commit(&block, &effects, vec![], started);
        }
        Ok(())
    }
}
