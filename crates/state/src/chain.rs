//! A chain: the state tree and the head header, with the two ways a block comes to be:
//! proposed from waiting transactions, or received and validated by re-execution.

use crate::blobs::BlobSource;
use crate::error::{BlockError, StorageError, TxRejection};
use crate::executor::{BlockEffects, BlockExecutor};
use crate::genesis::{Genesis, GenesisError};
use crate::reader::StateReader;
use crate::tree::{PendingTree, StateProof, StateTree, TreeError};
use sinew_types::signing::verify_many;
use sinew_types::tx::PreparedTx;
use sinew_types::{merkle, Address, Block, BlockHeader, Hash, Height, Params, TxId};

/// A block that executed cleanly and is ready to persist and then [`Chain::commit`].
pub struct ExecutedBlock {
    /// The block, header filled in.
    pub block: Block,
    /// What it changed and its receipts.
    pub effects: BlockEffects,
    tree: PendingTree,
}

/// The node's view of the chain: the head and the state tree.
pub struct Chain {
    tree: StateTree,
    head: BlockHeader,
}

/// The receipts root: receipt hashes in order, then the block's own events (if any).
pub fn receipts_root(effects: &BlockEffects) -> Hash {
    let mut leaves: Vec<Hash> = effects.receipts.iter().map(|r| r.hash()).collect();
    if !effects.block_events.is_empty() {
        leaves.push(Hash::tagged(
            b"sinew/block-events",
            &borsh::to_vec(&effects.block_events).unwrap(),
        ));
    }
    merkle::root(&leaves)
}

impl Chain {
    /// A new chain from genesis: returns the chain and the genesis block to persist.
    pub fn from_genesis(genesis: &Genesis, retain: u64) -> Result<(Chain, ExecutedBlock), GenesisError> {
        let writes = crate::genesis::genesis_writes(genesis)?;
        let tree = StateTree::new(retain);
        let pending = tree.compute(0, &writes).map_err(|e| GenesisError(e.to_string()))?;
        let header = genesis.header(pending.root());
        let block = Block {
            header: header.clone(),
            txs: vec![],
        };
        let executed = ExecutedBlock {
            block,
            effects: BlockEffects {
                writes,
                ..Default::default()
            },
            tree: pending,
        };
        Ok((
            Chain {
                tree,
                head: BlockHeader {
                    height: u64::MAX,
                    ..header
                },
            },
            executed,
        ))
    }

    /// Reopens a chain from its persisted head and flat state; fails if they disagree.
    pub fn open(
        head: BlockHeader,
        entries: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>,
        retain: u64,
    ) -> Result<Chain, TreeError> {
        let tree = StateTree::rebuild(entries, head.height, retain)?;
        let root = tree.root(head.height)?;
        if root != head.state_root {
            return Err(TreeError::Internal(format!(
                "stored state has root {root} but block {} committed to {}: the state is corrupt",
                head.height, head.state_root
            )));
        }
        Ok(Chain { tree, head })
    }

    /// The last committed header.
    pub fn head(&self) -> &BlockHeader {
        &self.head
    }

    fn next_height(&self) -> Height {
        self.head.height.wrapping_add(1)
    }

    fn seal(
        &self,
        header: BlockHeader,
        txs: Vec<sinew_types::SignedTransaction>,
        effects: BlockEffects,
    ) -> Result<ExecutedBlock, BlockError> {
        let tree = self
            .tree
            .compute(header.height, &effects.writes)
            .map_err(|e| StorageError::new(e.to_string()))?;
        let mut header = header;
        header.state_root = tree.root();
        Ok(ExecutedBlock {
            block: Block { header, txs },
            effects,
            tree,
        })
    }

    /// Builds the next block from `candidates`, whose signatures the caller verified, in order.
    /// Candidates that may not be included are returned with the reason; they leave no trace.
    pub fn propose<'a, R: StateReader>(
        &self,
        reader: &R,
        blobs: &dyn BlobSource,
        candidates: impl IntoIterator<Item = &'a PreparedTx>,
        timestamp_ms: u64,
        proposer: Address,
    ) -> Result<(ExecutedBlock, Vec<(TxId, TxRejection)>), BlockError> {
        let height = self.next_height();
        let mut ex = BlockExecutor::begin(reader, blobs, height)?;
        let limit = ex.params().max_block_txs as usize;
        let byte_limit = ex.params().max_block_bytes as usize;
        let mut bytes = 0usize;
        let mut txs = Vec::new();
        let mut rejected = Vec::new();
        for ptx in candidates {
            if ex.tx_count() >= limit {
                break;
            }
            // A transaction that does not fit waits for the next block (it is not rejected).
            if bytes + ptx.encoded_len > byte_limit {
                continue;
            }
            match ex.execute(ptx) {
                Ok(()) => {
                    bytes += ptx.encoded_len;
                    txs.push(ptx.tx.clone())
                }
                Err(TxRejection::Storage(e)) => return Err(e.into()),
                Err(r) => rejected.push((ptx.id, r)),
            }
        }
        let chain_id = ex.chain_id().to_string();
        let effects = ex.finish();
        let header = BlockHeader {
            chain_id,
            height,
            parent: self.head.hash(),
            timestamp_ms,
            proposer,
            tx_count: txs.len() as u32,
            tx_root: merkle::root(&effects.tx_ids),
            receipts_root: receipts_root(&effects),
            state_root: Hash::ZERO,
        };
        Ok((self.seal(header, txs, effects)?, rejected))
    }

    /// Re-executes a received block and checks every header field. `already_verified` names
    /// transactions whose signatures were checked before (by the mempool); the rest are
    /// batch-verified here.
    pub fn validate<R: StateReader>(
        &self,
        reader: &R,
        blobs: &dyn BlobSource,
        block: Block,
        already_verified: impl Fn(&TxId) -> bool,
    ) -> Result<ExecutedBlock, BlockError> {
        let h = &block.header;
        if h.height != self.next_height() || h.parent != self.parent_hash() {
            return Err(BlockError::NotNext {
                expected_height: self.next_height(),
                expected_parent: self.parent_hash(),
                got: h.height,
            });
        }
        let prepared: Vec<PreparedTx> = block.txs.iter().cloned().map(|t| t.prepare()).collect();
        verify_signatures(&prepared, already_verified)?;
        let mut ex = BlockExecutor::begin(reader, blobs, h.height)?;
        if h.chain_id != ex.chain_id() {
            return Err(BlockError::WrongChain {
                expected: ex.chain_id().to_string(),
                got: h.chain_id.clone(),
            });
        }
        check_size(&prepared, ex.params())?;
        for (index, ptx) in prepared.iter().enumerate() {
            ex.execute(ptx)
                .map_err(|rejection| BlockError::InvalidTx { index, rejection })?;
        }
        let effects = ex.finish();
        let check = |field: &'static str, claimed: String, computed: String| {
            if claimed == computed {
                Ok(())
            } else {
                Err(BlockError::HeaderMismatch {
                    field,
                    claimed,
                    computed,
                })
            }
        };
        check("tx_count", h.tx_count.to_string(), prepared.len().to_string())?;
        check(
            "tx_root",
            h.tx_root.to_string(),
            merkle::root(&effects.tx_ids).to_string(),
        )?;
        check(
            "receipts_root",
            h.receipts_root.to_string(),
            receipts_root(&effects).to_string(),
        )?;
        let claimed_root = h.state_root;
        let header = block.header.clone();
        let executed = self.seal(header, block.txs, effects)?;
        check(
            "state_root",
            claimed_root.to_string(),
            executed.block.header.state_root.to_string(),
        )?;
        Ok(executed)
    }

    fn parent_hash(&self) -> Hash {
        if self.head.height == u64::MAX {
            Hash::ZERO
        } else {
            self.head.hash()
        }
    }

    /// Makes an executed block the new head. Persist it first: after this the node serves it.
    pub fn commit(&mut self, executed: ExecutedBlock) -> (Block, BlockEffects) {
        let ExecutedBlock { block, effects, tree } = executed;
        self.tree.apply(tree);
        self.head = block.header.clone();
        (block, effects)
    }

    /// A key's value at `height` with a proof against that height's state root.
    pub fn prove(&self, key: &[u8], height: Height) -> Result<(Option<Vec<u8>>, StateProof), TreeError> {
        self.tree.prove(key, height)
    }

    /// The state tree (for metrics and diagnostics).
    pub fn tree(&self) -> &StateTree {
        &self.tree
    }
}

/// Every signature in the block not verified before (at admission) is valid.
fn verify_signatures(prepared: &[PreparedTx], already_verified: impl Fn(&TxId) -> bool) -> Result<(), BlockError> {
    let to_check: Vec<usize> = (0..prepared.len())
        .filter(|&i| !already_verified(&prepared[i].id))
        .collect();
    let items: Vec<_> = to_check.iter().map(|&i| prepared[i].sig_item()).collect();
    for (pos, res) in verify_many(&items).into_iter().enumerate() {
        if let Err(e) = res {
            return Err(BlockError::InvalidTx {
                index: to_check[pos],
                rejection: e.into(),
            });
        }
    }
    Ok(())
}

/// The block holds no more transactions and bytes than the parameters allow.
fn check_size(prepared: &[PreparedTx], params: &Params) -> Result<(), BlockError> {
    if prepared.len() > params.max_block_txs as usize {
        return Err(BlockError::TooManyTxs {
            count: prepared.len(),
            limit: params.max_block_txs,
        });
    }
    let bytes: usize = prepared.iter().map(|p| p.encoded_len).sum();
    if bytes > params.max_block_bytes as usize {
        return Err(BlockError::TooLarge {
            bytes,
            limit: params.max_block_bytes,
        });
    }
    Ok(())
}
