//! A replica held in memory for consensus tests: a [`Chain`] on its own state tree, in-memory
//! blobs and a transaction pool, behind the fork-aware [`Replica`] seam a BFT engine drives.
//! It keeps every committed block so tests can compare validators block by block.

use crate::MemBlobs;
use sinew_consensus::{AppError, BlobHost, Incoming, Keep, Replica, StagedBlob, TxGossip, Verdict};
use sinew_state::{Chain, Genesis};
use sinew_types::{Address, Block, BlockHeader, ConsensusRound, Hash, SignedTransaction, TxId};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A validator's ledger in memory.
pub struct MemReplica {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    chain: Chain,
    blobs: MemBlobs,
    /// Transactions waiting, by id; they leave when a committed block holds them.
    pool: BTreeMap<TxId, SignedTransaction>,
    /// Transactions submitted here, not yet sent to peers.
    outbox: Vec<SignedTransaction>,
    committed: Vec<Block>,
}

impl MemReplica {
    /// A replica at the genesis block of `genesis`.
    pub fn new(genesis: &Genesis) -> MemReplica {
        let (mut chain, executed) = Chain::from_genesis(genesis, 64).expect("a valid genesis");
        let block = executed.block.clone();
        chain.commit(executed);
        MemReplica {
            inner: Arc::new(Mutex::new(Inner {
                chain,
                blobs: MemBlobs::default(),
                pool: BTreeMap::new(),
                outbox: Vec::new(),
                committed: vec![block],
            })),
        }
    }

    /// The genesis block (what consensus starts from).
    pub fn genesis_block(&self) -> Block {
        self.lock().committed[0].clone()
    }

    /// Queues a transaction for this replica's proposals (as a client's: it is gossiped).
    pub fn submit(&self, tx: SignedTransaction) {
        let id = tx.clone().prepare().id;
        let mut inner = self.lock();
        inner.pool.insert(id, tx.clone());
        inner.outbox.push(tx);
    }

    /// Stores a blob this replica's state machine may read.
    pub fn put_blob(&self, bytes: &[u8]) {
        self.lock().blobs.put(bytes);
    }

    /// Whether this replica holds a blob.
    pub fn has_blob(&self, id: &Hash) -> bool {
        self.lock().blobs.blobs.contains_key(id)
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

/// The largest blob a test replica takes from a peer.
const MAX_BLOB_BYTES: u64 = 64 << 20;

impl BlobHost for MemReplica {
    fn blob_size(&self, id: &Hash) -> Option<u64> {
        self.lock().blobs.blobs.get(id).map(|b| b.len() as u64)
    }

    fn read_blob(&self, id: &Hash, offset: u64, len: u64) -> Result<Vec<u8>, AppError> {
        let inner = self.lock();
        let bytes = inner
            .blobs
            .blobs
            .get(id)
            .ok_or_else(|| AppError::new("reading a blob", format!("no blob {id}")))?;
        bytes
            .get(offset as usize..(offset + len) as usize)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| AppError::new("reading a blob", "range past the end"))
    }

    fn max_blob_bytes(&self) -> u64 {
        MAX_BLOB_BYTES
    }

    fn stage_blob(&self, id: &Hash, max_size: u64, _keep: Keep) -> Result<Box<dyn StagedBlob>, AppError> {
        Ok(Box::new(MemStaged {
            replica: self.inner.clone(),
            id: *id,
            bytes: Mutex::new(vec![0; max_size as usize]),
        }))
    }
}

impl TxGossip for MemReplica {
    fn outgoing(&self, max_bytes: usize) -> Vec<Vec<u8>> {
        let mut inner = self.lock();
        let mut out: Vec<Vec<u8>> = Vec::new();
        let mut bytes = 0;
        let mut taken = 0;
        for tx in &inner.outbox {
            let encoded = tx.encode();
            if !out.is_empty() && bytes + encoded.len() > max_bytes {
                break;
            }
            bytes += encoded.len();
            out.push(encoded);
            taken += 1;
        }
        inner.outbox.drain(..taken);
        out
    }

    fn incoming(&self, txs: &[Vec<u8>]) -> Vec<Incoming> {
        txs.iter()
            .map(|bytes| {
                let tx = match SignedTransaction::decode(bytes) {
                    Ok(tx) => tx,
                    Err(e) => return Incoming::Malformed(e.to_string()),
                };
                if let Err(e) = tx.verify_signature() {
                    return Incoming::Malformed(e.to_string());
                }
                let mut inner = self.lock();
                let missing: Vec<Hash> = tx
                    .tx
                    .payload
                    .blobs()
                    .into_iter()
                    .filter(|(id, required)| *required && !inner.blobs.blobs.contains_key(id))
                    .map(|(id, _)| id)
                    .collect();
                if !missing.is_empty() {
                    return Incoming::NeedsBlobs(missing);
                }
                let id = tx.clone().prepare().id;
                if inner.committed.iter().any(|b| b.txs.contains(&tx)) {
                    return Incoming::Refused("already committed".into());
                }
                inner.pool.insert(id, tx);
                Incoming::Admitted
            })
            .collect()
    }
}

/// A blob being received into a replica's memory.
struct MemStaged {
    replica: Arc<Mutex<Inner>>,
    id: Hash,
    bytes: Mutex<Vec<u8>>,
}

impl StagedBlob for MemStaged {
    fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<(), AppError> {
        let end = offset as usize + bytes.len();
        self.bytes
            .lock()
            .expect("not poisoned")
            .get_mut(offset as usize..end)
            .ok_or_else(|| AppError::new("receiving a blob", "write past the end"))?
            .copy_from_slice(bytes);
        Ok(())
    }

    fn commit(self: Box<Self>, size: u64, _pin: bool) -> Result<(), AppError> {
        let mut bytes = self.bytes.into_inner().expect("not poisoned");
        bytes.truncate(size as usize);
        if Hash::of(&bytes) != self.id {
            return Err(AppError::new(
                "receiving a blob",
                format!("blob {} does not match its id", self.id),
            ));
        }
        self.replica.lock().expect("not poisoned").blobs.put(&bytes);
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
