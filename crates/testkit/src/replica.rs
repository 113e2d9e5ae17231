//! A replica held in memory for consensus tests: a [`Chain`] on its own state tree, in-memory
//! blobs and a transaction pool, behind the fork-aware [`Replica`] seam a BFT engine drives.
//! It keeps every committed block so tests can compare validators block by block.

use crate::MemBlobs;
use sinew_consensus::{AppError, Replica, Verdict};
use sinew_state::{Chain, Genesis};
use sinew_types::{Address, Block, BlockHeader, ConsensusRound, Hash, SignedTransaction, TxId};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// A validator's ledger in memory.
pub struct MemReplica {
    inner: Mutex<Inner>,
}

struct Inner {
    chain: Chain,
    blobs: MemBlobs,
    /// Transactions waiting, by id; they leave when a committed block holds them.
    pool: BTreeMap<TxId, SignedTransaction>,
    committed: Vec<Block>,
}

impl MemReplica {
    /// A replica at the genesis block of `genesis`.
    pub fn new(genesis: &Genesis) -> MemReplica {
        let (mut chain, executed) = Chain::from_genesis(genesis, 64).expect("a valid genesis");
        let block = executed.block.clone();
        chain.commit(executed);
        MemReplica {
            inner: Mutex::new(Inner {
                chain,
                blobs: MemBlobs::default(),
                pool: BTreeMap::new(),
                committed: vec![block],
            }),
        }
    }

    /// The genesis block (what consensus starts from).
    pub fn genesis_block(&self) -> Block {
        self.lock().committed[0].clone()
    }

    /// Queues a transaction for this replica's proposals.
    pub fn submit(&self, tx: SignedTransaction) {
        let id = tx.clone().prepare().id;
        self.lock().pool.insert(id, tx);
    }

    /// Stores a blob this replica's state machine may read.
    pub fn put_blob(&self, bytes: &[u8]) {
        self.lock().blobs.put(bytes);
    }

    /// Every committed block, genesis first.
    pub fn committed_blocks(&self) -> Vec<Block> {
        self.lock().committed.clone()
    }

    /// Transactions still waiting.
    pub fn pool_len(&self) -> usize {
        self.lock().pool.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("not poisoned")
    }
}

impl Replica for MemReplica {
    fn committed(&self) -> BlockHeader {
        self.lock().chain.head().clone()
    }

    fn is_executed(&self, hash: &Hash) -> bool {
        let inner = self.lock();
        inner.chain.head().hash() == *hash || inner.chain.is_pending(hash)
    }

    fn build(
        &self,
        parent: &Hash,
        round: ConsensusRound,
        leader: Address,
        timestamp_ms: u64,
    ) -> Result<Block, AppError> {
        let mut inner = self.lock();
        let candidates: Vec<_> = inner.pool.values().map(|t| t.clone().prepare()).collect();
        let chain = &inner.chain;
        let (mut executed, _refused) = chain
            .propose_on(parent, chain.tree(), &inner.blobs, &candidates, timestamp_ms, leader)
            .map_err(|e| AppError::new("building a block", e))?;
        executed.block.header.round = Some(round);
        let block = executed.block.clone();
        inner.chain.add_pending(executed);
        Ok(block)
    }

    fn execute(&self, block: &Block) -> Result<Verdict, AppError> {
        execute_on(&mut self.lock(), block)
    }

    fn finalize(&self, block: &Block) -> Result<(), AppError> {
        let mut inner = self.lock();
        let hash = block.header.hash();
        if !inner.chain.is_pending(&hash) {
            match execute_on(&mut inner, block)? {
                Verdict::Valid => {}
                other => return Err(AppError::new("finalizing a block", format!("{other:?}"))),
            }
        }
        let done = inner
            .chain
            .finalize(&hash)
            .map_err(|e| AppError::new("finalizing a block", e))?;
        for (block, effects) in done {
            for id in &effects.tx_ids {
                inner.pool.remove(id);
            }
            inner.committed.push(block);
        }
        Ok(())
    }
}

/// Re-executes `block` on its parent and keeps it pending when valid.
fn execute_on(inner: &mut Inner, block: &Block) -> Result<Verdict, AppError> {
    let chain = &inner.chain;
    match chain.validate(chain.tree(), &inner.blobs, block.clone(), |_| false) {
        Ok(executed) => {
            inner.chain.add_pending(executed);
            Ok(Verdict::Valid)
        }
        Err(e) => e.verdict().map_err(|e| AppError::new("executing a block", e)),
    }
}
