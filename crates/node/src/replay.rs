//! Replaying a stored chain offline: every block re-executed from genesis (every signature
//! verified, every header and the final state compared with the store), so a data directory can
//! be audited without trusting the node that wrote it.

use sinew_state::{Chain, MemState};
use sinew_store::{BlobStore, IngestingBlobs, Store};
use sinew_types::Hash;
use std::path::Path;

/// What a replay checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayReport {
    /// Blocks re-executed (the head height).
    pub blocks: u64,
    /// Transactions in them.
    pub txs: u64,
    /// The head's state root, recomputed.
    pub state_root: Hash,
}

/// Why a replay failed: the store cannot be read, or it does not re-execute to what it holds.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The store or the blobs could not be opened or read.
    #[error("cannot read the data directory: {0}")]
    Store(String),
    /// The data directory holds no chain.
    #[error("the data directory holds no chain")]
    Empty,
    /// The stored chain does not re-execute to what is stored.
    #[error("{0}")]
    Mismatch(String),
}

/// Re-executes the chain stored in `data_dir` (the node stopped) and compares every header and
/// the final state with the store; datanet indexes are kept in `index_mode` (the node's).
pub fn replay(data_dir: &Path, index_mode: sinew_attribution::IndexMode) -> Result<ReplayReport, ReplayError> {
    let store_err = |e: &dyn std::fmt::Display| ReplayError::Store(e.to_string());
    let store = Store::open(&data_dir.join("db")).map_err(|e| store_err(&e))?;
    let blobs = IngestingBlobs::with_indexes(
        BlobStore::open(&data_dir.join("blobs")).map_err(|e| store_err(&e))?,
        data_dir.join("indexes"),
        sinew_store::DEFAULT_INDEX_MEMORY_MB,
        index_mode,
    );
    let genesis = store.genesis().map_err(|e| store_err(&e))?.ok_or(ReplayError::Empty)?;
    let head = store
        .head_height()
        .map_err(|e| store_err(&e))?
        .ok_or(ReplayError::Empty)?;
    let (mut chain, gb) = Chain::from_genesis(&genesis, 2).map_err(|e| ReplayError::Mismatch(e.to_string()))?;
    let stored_genesis = store.block(0).map_err(|e| store_err(&e))?.ok_or(ReplayError::Empty)?;
    if stored_genesis.header != gb.block.header {
        return Err(ReplayError::Mismatch(
            "the stored genesis block differs from the one the genesis document gives".into(),
        ));
    }
    let mut state = MemState::default();
    state.apply(&gb.effects.writes);
    chain.commit(gb);
    let mut txs = 0u64;
    for h in 1..=head {
        let block = store
            .block(h)
            .map_err(|e| store_err(&e))?
            .ok_or_else(|| ReplayError::Mismatch(format!("block {h} is missing")))?;
        txs += block.txs.len() as u64;
        let ex = chain
            .validate(&state, &blobs, block, |_| false)
            .map_err(|e| ReplayError::Mismatch(format!("block {h} does not re-execute to its header: {e}")))?;
        state.apply(&ex.effects.writes);
        chain.commit(ex);
    }
    let stored = store.state_entries().map_err(|e| store_err(&e))?;
    if stored.into_iter().ne(state.map) {
        return Err(ReplayError::Mismatch(
            "the stored state differs from the replayed state".into(),
        ));
    }
    Ok(ReplayReport {
        blocks: head,
        txs,
        state_root: chain.head().state_root,
    })
}
