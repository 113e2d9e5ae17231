//! The committed ledger as this node holds it: the durable store, the in-memory chain (state
//! tree and recent history), the blobs the state machine reads, and the last durable header with
//! the parameters in force. Every read the API, admission and the gateway make goes through here.

use crate::config::NodeConfig;
use crate::error::NodeError;
use crate::mempool::AdmitError;
use parking_lot::RwLock;
use sinew_attribution::{Shards, Tokenizer};
use sinew_state::inference::{version_contents, version_root};
use sinew_state::{read, Account, BlobSource, BlobSourceError, Chain, Genesis, IndexKey, StateKey};
use sinew_state::{StateProof, StorageError, TxRejection};
use sinew_store::{BlobStore, IngestingBlobs, Store};
use sinew_types::wire::{ProvenValue, SubmitOutcome};
use sinew_types::{Address, Block, BlockHeader, Hash, Height, Params, TxId};
use std::sync::Arc;

/// The committed ledger: chain, store and blobs.
pub struct Ledger {
    pub(crate) store: Store,
    pub(crate) chain: RwLock<Chain>,
    genesis: Genesis,
    /// Uploaded blobs (datanet contributions), which the state machine reads through this.
    pub blobs: IngestingBlobs,
    /// The last durable header: what the API serves.
    durable: RwLock<BlockHeader>,
    params: RwLock<Params>,
}

impl Ledger {
    /// Opens the data directory: resumes the stored chain (checking its state against the last
    /// header) or starts a new one from `genesis`.
    pub(crate) fn open(config: &NodeConfig, genesis: Option<Genesis>) -> Result<Ledger, NodeError> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| NodeError::Setup(format!("cannot create {}: {e}", config.data_dir.display())))?;
        let store = Store::open(&config.data_dir.join("db"))?;
        let (chain, genesis) = open_chain(&store, genesis, config.proof_retain_blocks)?;
        let params: Params = read(&store.snapshot()?, &StateKey::Params)
            .map_err(|e| NodeError::Setup(e.to_string()))?
            .ok_or_else(|| NodeError::Setup("no params in state".into()))?;
        let blobs = BlobStore::open(&config.data_dir.join("blobs")).map_err(|e| NodeError::Setup(e.to_string()))?;
        Ok(Ledger {
            store,
            durable: RwLock::new(chain.head().clone()),
            chain: RwLock::new(chain),
            genesis,
            blobs: IngestingBlobs::with_indexes(
                blobs,
                config.data_dir.join("indexes"),
                config.index_memory_mb,
                config.index_mode,
            ),
            params: RwLock::new(params),
        })
    }

    /// The chain id.
    pub fn chain_id(&self) -> &str {
        &self.genesis.chain_id
    }

    /// The genesis document.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// Parameters in force for the next block.
    pub fn params(&self) -> Params {
        self.params.read().clone()
    }

    /// The last durable header.
    pub fn head(&self) -> BlockHeader {
        self.durable.read().clone()
    }

    /// A value of the latest executed state (which may be a block ahead of the durable one).
    pub fn latest<T: borsh::BorshDeserialize>(&self, key: &StateKey) -> Result<Option<T>, StorageError> {
        read(self.chain.read().tree(), key)
    }

    /// A block is durable: the API serves it from now on, with the parameters it left in force.
    pub(crate) fn mark_durable(&self, header: &BlockHeader) {
        *self.durable.write() = header.clone();
        if let Ok(Some(p)) = self.latest::<Params>(&StateKey::Params) {
            *self.params.write() = p;
        }
    }

    /// A committed transaction's outcome, if it is in a durable block.
    pub(crate) fn committed(&self, id: &TxId) -> Result<Option<SubmitOutcome>, NodeError> {
        let Some(loc) = self.store.tx_location(id)? else {
            return Ok(None);
        };
        let receipts = self
            .store
            .receipts(loc.height)?
            .ok_or_else(|| NodeError::Setup(format!("block {} has no receipts", loc.height)))?;
        let receipt = receipts
            .receipts
            .get(loc.index as usize)
            .cloned()
            .ok_or_else(|| NodeError::Setup("tx index points past the receipts".into()))?;
        Ok(Some(SubmitOutcome::Committed {
            height: loc.height,
            index: loc.index,
            receipt,
        }))
    }

    /// An account at `height` (default: head) with its proof against that height's state root.
    pub fn account(
        &self,
        address: &Address,
        height: Option<Height>,
    ) -> Result<(Option<Account>, ProvenValue), NodeError> {
        let pv = self.prove(&StateKey::Account(*address).encode(), height)?;
        let acct = match &pv.value {
            Some(v) => Some(
                borsh::from_slice(&hex::decode(v).expect("we encoded it"))
                    .map_err(|e| NodeError::Setup(format!("corrupt account: {e}")))?,
            ),
            None => None,
        };
        Ok((acct, pv))
    }

    /// Any state key's value at `height` (default: head) with its proof.
    pub fn prove(&self, key: &[u8], height: Option<Height>) -> Result<ProvenValue, NodeError> {
        let durable = self.durable.read().height;
        let h = height.unwrap_or(durable);
        if h > durable {
            return Err(NodeError::NotAvailable(format!("no block at height {h} yet")));
        }
        let (value, StateProof(proof)) = self
            .chain
            .read()
            .prove(key, h)
            .map_err(|e| NodeError::NotAvailable(e.to_string()))?;
        let header = self
            .store
            .block(h)?
            .ok_or_else(|| NodeError::NotAvailable(format!("no block at height {h}")))?
            .header;
        Ok(ProvenValue {
            height: h,
            state_root: header.state_root,
            key: hex::encode(key),
            value: value.map(hex::encode),
            proof: hex::encode(proof),
        })
    }

    /// The block at `height`.
    pub fn block(&self, height: Height) -> Result<Option<Block>, NodeError> {
        Ok(self.store.block(height)?)
    }

    /// Events concerning `account`, newest first, older than the cursor `before`.
    pub fn account_activity(
        &self,
        account: &sinew_types::Address,
        before: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<sinew_store::IndexedEvent>, NodeError> {
        Ok(self.store.account_activity(account, before, limit)?)
    }

    /// Rewards accrued to `account`, newest first, older than the cursor `before`.
    pub fn rewards(
        &self,
        account: &sinew_types::Address,
        before: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<sinew_store::IndexedEvent>, NodeError> {
        Ok(self.store.rewards(account, before, limit)?)
    }

    /// The events of a task, newest first, older than the cursor `before`.
    pub fn task_history(
        &self,
        task: &sinew_types::Hash,
        before: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<sinew_store::IndexedEvent>, NodeError> {
        Ok(self.store.task_history(task, before, limit)?)
    }

    /// Paid answers, newest first, of one model or all, older than the cursor `before`.
    pub fn answers(
        &self,
        model: Option<u64>,
        before: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<sinew_store::IndexedEvent>, NodeError> {
        Ok(self.store.answers(model, before, limit)?)
    }

    /// The header of the block at `height`.
    pub fn header(&self, height: Height) -> Result<Option<sinew_types::BlockHeader>, NodeError> {
        Ok(self.store.header(height)?)
    }

    /// The height of the block whose header hash is `hash`.
    pub fn height_of(&self, hash: &Hash) -> Result<Option<Height>, NodeError> {
        Ok(self.store.height_of(hash)?)
    }

    /// Receipts of the block at `height`.
    pub fn receipts(&self, height: Height) -> Result<Option<sinew_store::BlockReceipts>, NodeError> {
        Ok(self.store.receipts(height)?)
    }

    /// Runs a transaction's payload on a scratch block over the durable state: one that would
    /// only fail (and pay a fee for nothing) is refused with the failure's reason instead. No
    /// lock is held: block production goes on meanwhile.
    pub(crate) fn dry_run(&self, ptx: &sinew_types::tx::PreparedTx) -> Result<(), AdmitError> {
        let snapshot = self
            .store
            .snapshot()
            .map_err(|e| TxRejection::from(StorageError::caused_by("reading the durable snapshot", e)))?;
        let height = self.durable.read().height + 1;
        let mut ex = sinew_state::BlockExecutor::begin(&snapshot, &self.blobs, height).map_err(TxRejection::from)?;
        match ex.trial(ptx)? {
            None => Ok(()),
            Some((code, message)) => Err(AdmitError::WouldFail { code, message }),
        }
    }

    /// The index of a published version with `tokenizer`, built on first use (the same
    /// function the state machine uses to recompute settlements). Returns its shards and its
    /// id (the content's).
    pub fn version_index(
        &self,
        datanet: u64,
        version: u64,
        tokenizer: Tokenizer,
    ) -> Result<(Arc<Shards>, Hash), NodeError> {
        // The version's root and contents, read once from committed state (outside any
        // build).
        let (root, contents) = {
            let chain = self.chain.read();
            let read = || -> Result<_, BlobSourceError> {
                Ok((
                    version_root(chain.tree(), datanet, version)?,
                    version_contents(chain.tree(), datanet, version)?,
                ))
            };
            match read() {
                Ok(c) => c,
                Err(BlobSourceError::Ingest(m)) => return Err(NodeError::NotAvailable(m)),
                Err(e) => return Err(NodeError::Setup(e.to_string())),
            }
        };
        let key = IndexKey {
            datanet,
            version,
            root,
            tokenizer,
        };
        self.blobs
            .version_index(key, &|| Ok(contents.clone()))
            .map_err(|e| NodeError::Setup(e.to_string()))
    }
}

/// The stored chain, checked against `genesis` when one is given, or a new chain from it.
fn open_chain(store: &Store, genesis: Option<Genesis>, retain: u64) -> Result<(Chain, Genesis), NodeError> {
    match (store.head()?, store.genesis()?) {
        (Some(head), Some(stored)) => {
            if genesis.is_some_and(|g| g != stored) {
                return Err(NodeError::Setup(
                    "the data directory holds a chain with a different genesis".into(),
                ));
            }
            let chain =
                Chain::open(head, store.state_entries()?, retain).map_err(|e| NodeError::Setup(e.to_string()))?;
            Ok((chain, stored))
        }
        (None, _) => {
            let g = genesis.ok_or_else(|| NodeError::Setup("empty data directory and no genesis given".into()))?;
            let (mut chain, gb) = Chain::from_genesis(&g, retain).map_err(|e| NodeError::Setup(e.to_string()))?;
            store.init_genesis(&g, &gb.block, &gb.effects)?;
            chain.commit(gb);
            Ok((chain, g))
        }
        (Some(_), None) => Err(NodeError::Setup("database has blocks but no genesis: damaged".into())),
    }
}
