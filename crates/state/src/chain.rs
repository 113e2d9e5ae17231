//! A chain: the state tree and the head header, with the two ways a block comes to be:
//! proposed from waiting transactions, or received and validated by re-execution. Either may
//! build on the committed head or on an executed block not yet final (a fork-aware overlay:
//! consensus certifies blocks before it finalizes them, and a block's parent may be final only
//! through a descendant). Finalizing a block commits its branch and drops its competitors.

use crate::blobs::BlobSource;
use crate::error::{BlockError, StorageError, TxRejection};
use crate::executor::{BlockEffects, BlockExecutor};
use crate::genesis::{Genesis, GenesisError};
use crate::reader::{Layered, StateReader};
use crate::tree::{PendingTree, StateProof, StateTree, TreeError};
use sinew_types::block::signatures_root;
use sinew_types::signing::verify_many;
use sinew_types::tx::PreparedTx;
use sinew_types::{merkle, Address, Block, BlockHeader, Hash, Height, Params, TxId};
use std::collections::BTreeMap;

/// A block that executed cleanly and is ready to persist and then [`Chain::commit`].
pub struct ExecutedBlock {
    /// The block, header filled in.
    pub block: Block,
    /// What it changed and its receipts.
    pub effects: BlockEffects,
    tree: PendingTree,
}

/// The node's view of the chain: the committed head and state tree, and the executed blocks
/// not yet final.
pub struct Chain {
    tree: StateTree,
    head: BlockHeader,
    /// Executed, unfinalized blocks by header hash; each extends the head or another of them.
    pending: BTreeMap<Hash, ExecutedBlock>,
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
                pending: BTreeMap::new(),
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
        Ok(Chain {
            tree,
            head,
            pending: BTreeMap::new(),
        })
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
        branch: &[&ExecutedBlock],
        header: BlockHeader,
        txs: Vec<sinew_types::SignedTransaction>,
        effects: BlockEffects,
    ) -> Result<ExecutedBlock, BlockError> {
        let ancestors: Vec<&PendingTree> = branch.iter().map(|b| &b.tree).collect();
        let tree = self
            .tree
            .compute_on(&ancestors, header.height, &effects.writes)
            .map_err(|e| StorageError::new(e.to_string()))?;
        let mut header = header;
        header.state_root = tree.root();
        Ok(ExecutedBlock {
            block: Block { header, txs },
            effects,
            tree,
        })
    }

    /// Builds the next block on the head from `candidates`, whose signatures the caller
    /// verified, in order. Candidates that may not be included are returned with the reason;
    /// they leave no trace. `reader` is the committed state.
    pub fn propose<'a, R: StateReader>(
        &self,
        reader: &R,
        blobs: &dyn BlobSource,
        candidates: impl IntoIterator<Item = &'a PreparedTx>,
        timestamp_ms: u64,
        proposer: Address,
    ) -> Result<(ExecutedBlock, Vec<(TxId, TxRejection)>), BlockError> {
        self.propose_on(&self.parent_hash(), reader, blobs, candidates, timestamp_ms, proposer)
    }

    /// [`Chain::propose`] on `parent`: the head or a pending block.
    pub fn propose_on<'a, R: StateReader>(
        &self,
        parent: &Hash,
        reader: &R,
        blobs: &dyn BlobSource,
        candidates: impl IntoIterator<Item = &'a PreparedTx>,
        timestamp_ms: u64,
        proposer: Address,
    ) -> Result<(ExecutedBlock, Vec<(TxId, TxRejection)>), BlockError> {
        let branch = self.branch(parent)?;
        let height = self.height_after(&branch);
        let state = Layered::new(reader, branch.iter().map(|b| &b.effects.writes).collect());
        let mut ex = BlockExecutor::begin(&state, blobs, height)?;
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
            parent: *parent,
            timestamp_ms,
            proposer,
            tx_count: txs.len() as u32,
            tx_root: merkle::root(&effects.tx_ids),
            sig_root: signatures_root(&txs),
            receipts_root: receipts_root(&effects),
            state_root: Hash::ZERO,
            round: None,
        };
        Ok((self.seal(&branch, header, txs, effects)?, rejected))
    }

    /// Re-executes a received block on its parent (the head or a pending block) and checks every
    /// header field. `already_verified` names transactions whose signatures were checked before
    /// (by the mempool: the same transaction with the same signature bytes, so the verdict cannot
    /// depend on what one node happened to hold); the rest are batch-verified here. `reader` is
    /// the committed state.
    pub fn validate<R: StateReader>(
        &self,
        reader: &R,
        blobs: &dyn BlobSource,
        block: Block,
        already_verified: impl Fn(&PreparedTx) -> bool,
    ) -> Result<ExecutedBlock, BlockError> {
        let h = &block.header;
        let branch = match self.branch(&h.parent) {
            Ok(b) => b,
            Err(_) if h.height <= self.next_height() => {
                return Err(BlockError::NotNext {
                    expected_height: self.next_height(),
                    expected_parent: self.parent_hash(),
                    got: h.height,
                })
            }
            Err(e) => return Err(e),
        };
        let expected_height = self.height_after(&branch);
        if h.height != expected_height {
            return Err(BlockError::NotNext {
                expected_height,
                expected_parent: h.parent,
                got: h.height,
            });
        }
        let prepared: Vec<PreparedTx> = block.txs.iter().cloned().map(|t| t.prepare()).collect();
        let state = Layered::new(reader, branch.iter().map(|b| &b.effects.writes).collect());
        let mut ex = BlockExecutor::begin(&state, blobs, h.height)?;
        if h.chain_id != ex.chain_id() {
            return Err(BlockError::WrongChain {
                expected: ex.chain_id().to_string(),
                got: h.chain_id.clone(),
            });
        }
        // Cheap refusals before the costly one: an oversized block is refused before a single
        // signature of it is checked.
        check_size(&prepared, ex.params())?;
        verify_signatures(&prepared, already_verified)?;
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
            "sig_root",
            h.sig_root.to_string(),
            signatures_root(&block.txs).to_string(),
        )?;
        check(
            "receipts_root",
            h.receipts_root.to_string(),
            receipts_root(&effects).to_string(),
        )?;
        let claimed_root = h.state_root;
        let header = block.header.clone();
        let executed = self.seal(&branch, header, block.txs, effects)?;
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

    /// The blocks from the head (exclusive) to `tip` (inclusive), oldest first: empty when `tip`
    /// is the head.
    fn branch(&self, tip: &Hash) -> Result<Vec<&ExecutedBlock>, BlockError> {
        let head = self.parent_hash();
        let mut out = Vec::new();
        let mut at = *tip;
        while at != head {
            let b = self.pending.get(&at).ok_or(BlockError::UnknownParent(at))?;
            out.push(b);
            at = b.block.header.parent;
        }
        out.reverse();
        Ok(out)
    }

    /// The height of a block on top of `branch`.
    fn height_after(&self, branch: &[&ExecutedBlock]) -> Height {
        branch.last().map_or(self.next_height(), |b| b.block.header.height + 1)
    }

    /// The state a block on `parent` (the head or a pending block) reads: `committed` with the
    /// pending branch's changes on top.
    pub fn state_on<'a, R: StateReader + ?Sized>(
        &'a self,
        committed: &'a R,
        parent: &Hash,
    ) -> Result<Layered<'a, R>, BlockError> {
        let branch = self.branch(parent)?;
        Ok(Layered::new(
            committed,
            branch.iter().map(|b| &b.effects.writes).collect(),
        ))
    }

    /// Keeps an executed block (certified, not yet final) so that blocks can build on it.
    /// Returns its hash.
    pub fn add_pending(&mut self, executed: ExecutedBlock) -> Hash {
        let hash = executed.block.header.hash();
        self.pending.insert(hash, executed);
        hash
    }

    /// Whether `hash` names an executed block not yet final.
    pub fn is_pending(&self, hash: &Hash) -> bool {
        self.pending.contains_key(hash)
    }

    /// Executed blocks not yet final.
    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// Finalizes pending block `tip`: commits its branch from the head, oldest first, and drops
    /// every pending block that does not descend from it. Returns the committed blocks, in
    /// order, to persist. Finalizing the head itself commits nothing.
    pub fn finalize(&mut self, tip: &Hash) -> Result<Vec<(Block, BlockEffects)>, BlockError> {
        let hashes: Vec<Hash> = self.branch(tip)?.iter().map(|b| b.block.header.hash()).collect();
        let mut out = Vec::with_capacity(hashes.len());
        for h in hashes {
            let executed = self.pending.remove(&h).expect("on the branch just walked");
            out.push(self.commit(executed));
        }
        self.drop_competitors();
        Ok(out)
    }

    /// Drops pending blocks that no longer descend from the head.
    fn drop_competitors(&mut self) {
        let mut keep: std::collections::BTreeSet<Hash> = std::collections::BTreeSet::new();
        keep.insert(self.parent_hash());
        // Parents come before children by height: visit in height order.
        let mut by_height: Vec<(Height, Hash, Hash)> = self
            .pending
            .iter()
            .map(|(h, b)| (b.block.header.height, *h, b.block.header.parent))
            .collect();
        by_height.sort();
        for (_, h, parent) in by_height {
            if keep.contains(&parent) {
                keep.insert(h);
            }
        }
        self.pending.retain(|h, _| keep.contains(h));
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
fn verify_signatures(
    prepared: &[PreparedTx],
    already_verified: impl Fn(&PreparedTx) -> bool,
) -> Result<(), BlockError> {
    let to_check: Vec<usize> = (0..prepared.len())
        .filter(|&i| !already_verified(&prepared[i]))
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
