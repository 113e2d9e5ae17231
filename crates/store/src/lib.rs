//! Durable storage for a Sinew node, on redb: flat state, the block log, receipts and the
//! transaction index. A block and its state changes commit in one fsync'd redb transaction
//! (group commit), so after a crash the store holds exactly the blocks that were acknowledged.

mod error;
mod tables;

pub use error::StoreError;

use redb::{Database, Durability, ReadOnlyTable, ReadableTable, ReadableTableMetadata};
use sinew_state::{BlockEffects, Genesis, StateReader, StorageError};
use sinew_types::{Block, BlockHeader, Event, Hash, Height, Receipt, TxId};
use std::path::Path;
use tables::*;

/// Receipts of a block, with the block's own events.
#[derive(Clone, Debug, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct BlockReceipts {
    /// One per transaction, in order.
    pub receipts: Vec<Receipt>,
    /// Events of the block itself.
    pub block_events: Vec<Event>,
}

/// Where a transaction was included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLocation {
    /// Block height.
    pub height: Height,
    /// Position within the block.
    pub index: u32,
}

/// The node's database.
pub struct Store {
    db: Database,
}

impl Store {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = Database::builder().set_cache_size(256 << 20).create(path)?;
        let w = db.begin_write()?;
        {
            w.open_table(STATE)?;
            w.open_table(BLOCKS)?;
            w.open_table(RECEIPTS)?;
            w.open_table(BLOCK_BY_HASH)?;
            w.open_table(TX_INDEX)?;
            w.open_table(META)?;
        }
        w.commit()?;
        Ok(Store { db })
    }

    /// Records genesis and its block (height 0). Fails if the store already holds a chain.
    pub fn init_genesis(
        &self,
        genesis: &Genesis,
        block: &Block,
        effects: &BlockEffects,
    ) -> Result<(), StoreError> {
        if self.head()?.is_some() {
            return Err(StoreError::AlreadyInitialised);
        }
        let json = serde_json::to_vec(genesis).expect("genesis serialises");
        self.commit_inner(block, effects, Some(json))
    }

    /// Makes a block and its effects durable in one transaction, fsync'd before returning.
    pub fn commit_block(&self, block: &Block, effects: &BlockEffects) -> Result<(), StoreError> {
        self.commit_inner(block, effects, None)
    }

    fn commit_inner(
        &self,
        block: &Block,
        effects: &BlockEffects,
        genesis: Option<Vec<u8>>,
    ) -> Result<(), StoreError> {
        let h = block.header.height;
        let mut w = self.db.begin_write()?;
        w.set_durability(Durability::Immediate);
        {
            let mut meta = w.open_table(META)?;
            if let Some(g) = genesis {
                meta.insert(GENESIS_KEY, g.as_slice())?;
            } else {
                let head = meta
                    .get(HEAD_KEY)?
                    .map(|v| u64::from_le_bytes(v.value().try_into().unwrap_or_default()));
                if head.map(|x| x + 1) != Some(h) {
                    return Err(StoreError::NotNext { head, got: h });
                }
            }
            meta.insert(HEAD_KEY, h.to_le_bytes().as_slice())?;
            let mut state = w.open_table(STATE)?;
            for (k, v) in &effects.writes {
                match v {
                    Some(v) => state.insert(k.as_slice(), v.as_slice())?,
                    None => state.remove(k.as_slice())?,
                };
            }
            w.open_table(BLOCKS)?
                .insert(h, borsh::to_vec(block).unwrap().as_slice())?;
            let receipts = BlockReceipts {
                receipts: effects.receipts.clone(),
                block_events: effects.block_events.clone(),
            };
            w.open_table(RECEIPTS)?
                .insert(h, borsh::to_vec(&receipts).unwrap().as_slice())?;
            w.open_table(BLOCK_BY_HASH)?
                .insert(&block.header.hash().0, h)?;
            let mut idx = w.open_table(TX_INDEX)?;
            for (i, id) in effects.tx_ids.iter().enumerate() {
                idx.insert(&id.0, (h, i as u32))?;
            }
        }
        w.commit()?;
        Ok(())
    }

    /// The genesis document, if the store is initialised.
    pub fn genesis(&self) -> Result<Option<Genesis>, StoreError> {
        let r = self.db.begin_read()?;
        let meta = r.open_table(META)?;
        let Some(v) = meta.get(GENESIS_KEY)? else {
            return Ok(None);
        };
        Ok(Some(serde_json::from_slice(v.value()).map_err(|e| {
            StoreError::Corrupt(format!("genesis: {e}"))
        })?))
    }

    /// Height of the last committed block.
    pub fn head_height(&self) -> Result<Option<Height>, StoreError> {
        let r = self.db.begin_read()?;
        let meta = r.open_table(META)?;
        let v = meta.get(HEAD_KEY)?;
        Ok(v.map(|v| u64::from_le_bytes(v.value().try_into().unwrap_or_default())))
    }

    /// Header of the last committed block.
    pub fn head(&self) -> Result<Option<BlockHeader>, StoreError> {
        match self.head_height()? {
            Some(h) => Ok(self.block(h)?.map(|b| b.header)),
            None => Ok(None),
        }
    }

    /// The block at `height`.
    pub fn block(&self, height: Height) -> Result<Option<Block>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(BLOCKS)?;
        let Some(v) = t.get(height)? else {
            return Ok(None);
        };
        Ok(Some(decode(v.value(), "block")?))
    }

    /// The height of the block with header hash `hash`.
    pub fn height_of(&self, hash: &Hash) -> Result<Option<Height>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(BLOCK_BY_HASH)?;
        Ok(t.get(&hash.0)?.map(|v| v.value()))
    }

    /// Receipts of the block at `height`.
    pub fn receipts(&self, height: Height) -> Result<Option<BlockReceipts>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(RECEIPTS)?;
        let Some(v) = t.get(height)? else {
            return Ok(None);
        };
        Ok(Some(decode(v.value(), "receipts")?))
    }

    /// Where transaction `id` was included, if it was.
    pub fn tx_location(&self, id: &TxId) -> Result<Option<TxLocation>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(TX_INDEX)?;
        Ok(t.get(&id.0)?.map(|v| {
            let (height, index) = v.value();
            TxLocation { height, index }
        }))
    }

    /// A consistent read view of committed state, for executing the next block.
    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let r = self.db.begin_read()?;
        Ok(Snapshot {
            table: r.open_table(STATE)?,
        })
    }

    /// Every state entry, in key order (to rebuild the state tree on start).
    pub fn state_entries(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(STATE)?;
        let mut out = Vec::with_capacity(t.len()? as usize);
        for e in t.iter()? {
            let (k, v) = e?;
            out.push((k.value().to_vec(), v.value().to_vec()));
        }
        Ok(out)
    }
}

fn decode<T: borsh::BorshDeserialize>(bytes: &[u8], what: &str) -> Result<T, StoreError> {
    borsh::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// A read-only view of state as of the last commit when it was taken.
pub struct Snapshot {
    table: ReadOnlyTable<&'static [u8], &'static [u8]>,
}

impl StateReader for Snapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.table
            .get(key)
            .map(|v| v.map(|v| v.value().to_vec()))
            .map_err(|e| StorageError(e.to_string()))
    }
}
