//! Durable storage for a Sinew node, on fjall (an LSM-tree): flat state, the block log,
//! receipts and the transaction index. A block and all its effects are one atomic write batch,
//! fsync'd before `commit_block` returns (group commit), so after a crash the store holds exactly
//! the blocks that were acknowledged.
//!
//! An LSM-tree rather than a B-tree because the hot keys (accounts, transaction ids) are hashes:
//! random inserts into a copy-on-write B-tree rewrite a page per key, and that cost grows with the
//! chain; an LSM appends them to its journal and sorts them in the background.

mod activity;
mod blob;
mod blob_download;
mod blob_source;
mod error;
mod version_indexes;
mod version_spill;

pub use activity::IndexedEvent;
pub use blob::{BlobError, BlobStore, BlobWriter};
pub use blob_download::BlobDownload;
pub use blob_source::IngestingBlobs;
pub use error::StoreError;
pub use version_indexes::{VersionIndexes, DEFAULT_INDEX_MEMORY_MB};

use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode, Readable};
use sinew_state::{BlockEffects, Genesis, StateReader, StorageError};
use sinew_types::{Block, BlockHeader, Event, Hash, Height, Receipt, TxId};
use std::path::Path;

/// Receipts of a block, with the block's own events.
#[derive(Clone, Debug, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct BlockReceipts {
    /// One per transaction, in order.
    pub receipts: Vec<Receipt>,
    /// Events of the block itself.
    pub block_events: Vec<Event>,
}

/// One state key and its value.
pub type StateEntry = (Vec<u8>, Vec<u8>);

/// Where a transaction was included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLocation {
    /// Block height.
    pub height: Height,
    /// Position within the block.
    pub index: u32,
}

/// Meta key of the genesis document (JSON).
const GENESIS_KEY: &[u8] = b"genesis";
/// Meta key of the head height (u64 big endian).
const HEAD_KEY: &[u8] = b"head";

/// The node's database.
pub struct Store {
    db: Database,
    /// Flat state: state key bytes to value bytes.
    state: Keyspace,
    /// Blocks by height (u64 big endian) as borsh `Block`.
    blocks: Keyspace,
    /// Receipts by height as borsh `BlockReceipts`.
    receipts: Keyspace,
    /// Headers by height as borsh `BlockHeader` (lists of blocks read no transactions).
    headers: Keyspace,
    /// Block height by header hash.
    by_hash: Keyspace,
    /// Transaction location (height u64 BE, index u32 BE) by id.
    tx_index: Keyspace,
    /// Events by the accounts they concern (`activity.rs`).
    activity: Keyspace,
    /// Paid answers (all and per model), rewards per account, events per task (`activity.rs`).
    answers: Keyspace,
    /// Genesis document and head height.
    meta: Keyspace,
}

impl Store {
    /// Opens (or creates) the database in directory `path`, recovering from its journal.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = Database::builder(path).cache_size(128 << 20).open()?;
        let ks = |name: &str| db.keyspace(name, KeyspaceCreateOptions::default);
        let store = Store {
            state: ks("state")?,
            blocks: ks("blocks")?,
            receipts: ks("receipts")?,
            headers: ks("headers")?,
            by_hash: ks("block_by_hash")?,
            tx_index: ks("tx_index")?,
            activity: ks("activity")?,
            answers: ks("answers")?,
            meta: ks("meta")?,
            db,
        };
        store.backfill_indexes()?;
        Ok(store)
    }

    /// Records genesis and its block (height 0). Fails if the store already holds a chain.
    pub fn init_genesis(&self, genesis: &Genesis, block: &Block, effects: &BlockEffects) -> Result<(), StoreError> {
        if self.head_height()?.is_some() {
            return Err(StoreError::AlreadyInitialised);
        }
        let json = serde_json::to_vec(genesis).expect("genesis serialises");
        self.commit_inner(block, effects, Some(json))
    }

    /// Makes a block and its effects durable in one atomic batch, fsync'd before returning.
    pub fn commit_block(&self, block: &Block, effects: &BlockEffects) -> Result<(), StoreError> {
        let head = self.head_height()?;
        if head.map(|x| x + 1) != Some(block.header.height) {
            return Err(StoreError::NotNext {
                head,
                got: block.header.height,
            });
        }
        self.commit_inner(block, effects, None)
    }

    fn commit_inner(&self, block: &Block, effects: &BlockEffects, genesis: Option<Vec<u8>>) -> Result<(), StoreError> {
        let h = block.header.height;
        let hk = h.to_be_bytes();
        let mut b = self.db.batch().durability(Some(PersistMode::SyncData));
        if let Some(g) = genesis {
            b.insert(&self.meta, GENESIS_KEY, g);
            b.insert(&self.meta, activity::INDEXED_KEY, b"1".to_vec());
        }
        b.insert(&self.meta, HEAD_KEY, hk.to_vec());
        for (k, v) in &effects.writes {
            match v {
                Some(v) => b.insert(&self.state, k.as_slice(), v.as_slice()),
                None => b.remove(&self.state, k.as_slice()),
            }
        }
        b.insert(&self.blocks, hk.to_vec(), borsh::to_vec(block).expect("encodes"));
        b.insert(
            &self.headers,
            hk.to_vec(),
            borsh::to_vec(&block.header).expect("encodes"),
        );
        let receipts = BlockReceipts {
            receipts: effects.receipts.clone(),
            block_events: effects.block_events.clone(),
        };
        b.insert(&self.receipts, hk.to_vec(), borsh::to_vec(&receipts).expect("encodes"));
        b.insert(&self.by_hash, block.header.hash().0.to_vec(), hk.to_vec());
        for (i, id) in effects.tx_ids.iter().enumerate() {
            let mut loc = [0u8; 12];
            loc[..8].copy_from_slice(&hk);
            loc[8..].copy_from_slice(&(i as u32).to_be_bytes());
            b.insert(&self.tx_index, id.0.to_vec(), loc.to_vec());
        }
        for (answer, k, v) in activity::entries(h, &effects.receipts, &effects.block_events) {
            b.insert(if answer { &self.answers } else { &self.activity }, k, v);
        }
        b.commit()?;
        Ok(())
    }

    /// The genesis document, if the store is initialised.
    pub fn genesis(&self) -> Result<Option<Genesis>, StoreError> {
        let Some(v) = self.meta.get(GENESIS_KEY)? else {
            return Ok(None);
        };
        Ok(Some(
            serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt(format!("genesis: {e}")))?,
        ))
    }

    /// Height of the last committed block.
    pub fn head_height(&self) -> Result<Option<Height>, StoreError> {
        let Some(v) = self.meta.get(HEAD_KEY)? else {
            return Ok(None);
        };
        Ok(Some(u64::from_be_bytes(
            v.as_ref()
                .try_into()
                .map_err(|_| StoreError::Corrupt("head height".into()))?,
        )))
    }

    /// Header of the last committed block.
    pub fn head(&self) -> Result<Option<BlockHeader>, StoreError> {
        match self.head_height()? {
            Some(h) => Ok(Some(
                self.block(h)?
                    .ok_or_else(|| StoreError::Corrupt(format!("head block {h} missing")))?
                    .header,
            )),
            None => Ok(None),
        }
    }

    /// The block at `height`.
    pub fn block(&self, height: Height) -> Result<Option<Block>, StoreError> {
        let Some(v) = self.blocks.get(height.to_be_bytes())? else {
            return Ok(None);
        };
        Ok(Some(decode(&v, "block")?))
    }

    /// The header of the block at `height`, without reading its transactions (blocks committed
    /// before the header index existed are read whole).
    pub fn header(&self, height: Height) -> Result<Option<BlockHeader>, StoreError> {
        if let Some(v) = self.headers.get(height.to_be_bytes())? {
            return Ok(Some(decode(&v, "block header")?));
        }
        let Some(v) = self.blocks.get(height.to_be_bytes())? else {
            return Ok(None);
        };
        let header = <BlockHeader as borsh::BorshDeserialize>::deserialize(&mut v.as_ref())
            .map_err(|e| StoreError::Corrupt(format!("block header: {e}")))?;
        Ok(Some(header))
    }

    /// The height of the block with header hash `hash`.
    pub fn height_of(&self, hash: &Hash) -> Result<Option<Height>, StoreError> {
        let Some(v) = self.by_hash.get(hash.0)? else {
            return Ok(None);
        };
        Ok(Some(u64::from_be_bytes(
            v.as_ref()
                .try_into()
                .map_err(|_| StoreError::Corrupt("block hash index".into()))?,
        )))
    }

    /// Receipts of the block at `height`.
    pub fn receipts(&self, height: Height) -> Result<Option<BlockReceipts>, StoreError> {
        let Some(v) = self.receipts.get(height.to_be_bytes())? else {
            return Ok(None);
        };
        Ok(Some(decode(&v, "receipts")?))
    }

    /// Where transaction `id` was included, if it was.
    pub fn tx_location(&self, id: &TxId) -> Result<Option<TxLocation>, StoreError> {
        let Some(v) = self.tx_index.get(id.0)? else {
            return Ok(None);
        };
        if v.len() != 12 {
            return Err(StoreError::Corrupt("tx index entry".into()));
        }
        let height = u64::from_be_bytes(v[..8].try_into().expect("8 bytes"));
        let index = u32::from_be_bytes(v[8..].try_into().expect("4 bytes"));
        Ok(Some(TxLocation { height, index }))
    }

    /// A consistent read view of committed state, for executing the next block.
    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
        Ok(Snapshot {
            snap: self.db.snapshot(),
            state: self.state.clone(),
        })
    }

    /// Durable state entries whose key starts with `prefix`, in key order.
    pub fn state_prefix(&self, prefix: &[u8]) -> Result<Vec<StateEntry>, StoreError> {
        let mut out = Vec::new();
        for g in self.db.snapshot().prefix(&self.state, prefix) {
            let (k, v) = g.into_inner()?;
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    /// At most `limit` durable state entries whose key starts with `prefix` and comes after
    /// `after` (exclusive; from the start when `None`), in key order: a page of a list.
    pub fn state_page(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Result<Vec<StateEntry>, StoreError> {
        use std::ops::Bound;
        let start = match after {
            Some(a) if a >= prefix => Bound::Excluded(a.to_vec()),
            _ => Bound::Included(prefix.to_vec()),
        };
        let mut out = Vec::new();
        for g in self.db.snapshot().range(&self.state, (start, Bound::Unbounded)) {
            if out.len() >= limit {
                break;
            }
            let (k, v) = g.into_inner()?;
            if !k.starts_with(prefix) {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    /// Every state entry, in key order (to rebuild the state tree on start).
    pub fn state_entries(&self) -> Result<Vec<StateEntry>, StoreError> {
        let snap = self.db.snapshot();
        let mut out = Vec::new();
        for g in snap.iter(&self.state) {
            let (k, v) = g.into_inner()?;
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }
}

fn decode<T: borsh::BorshDeserialize>(bytes: &[u8], what: &str) -> Result<T, StoreError> {
    borsh::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// A read-only view of state as of the moment it was taken.
pub struct Snapshot {
    snap: fjall::Snapshot,
    state: Keyspace,
}

impl StateReader for Snapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.snap
            .get(&self.state, key)
            .map(|v| v.map(|v| v.to_vec()))
            .map_err(|e| StorageError::caused_by("reading state", e))
    }
}
