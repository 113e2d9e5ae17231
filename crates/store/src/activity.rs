//! Indexes of what happened, written in each block's commit batch (so they are exactly as
//! durable as the block): every event by each account it concerns (an account's history), the
//! rewards each account accrued (a contributor's earnings over time), each task's events, and
//! every paid answer, all of them and per model. Lists
//! read newest first from a cursor, touching only the entries they return.

use crate::{Store, StoreError};
use fjall::Readable;
use sinew_types::event::InferenceEvent;
use sinew_types::{Address, Event, Height, TxId};
use std::ops::Bound;

/// Where an indexed event sits: block height, position of its transaction (`u32::MAX` for the
/// block's own events), and its rank among that transaction's events.
const POS_LEN: usize = 8 + 4 + 4;
/// Position of the block's own events.
const BLOCK_EVENT: u32 = u32::MAX;
/// Key families in the answers keyspace.
const ALL_ANSWERS: u8 = b'a';
const MODEL_ANSWERS: u8 = b'm';
/// Rewards by the account they accrued to (a contributor's earnings, apart from its other
/// activity, so no amount of other events can bury them).
const REWARDS: u8 = b'r';
/// Task events by task (a task's history: posted, claimed, submitted, challenged, settled).
const TASKS: u8 = b't';

/// An indexed event: its height, its transaction (none for a block's own event), the event,
/// and the cursor that continues a list after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexedEvent {
    /// Block height.
    pub height: Height,
    /// The transaction that caused it.
    pub tx_id: Option<TxId>,
    /// What happened.
    pub event: Event,
    /// Pass it back to read older entries.
    pub cursor: Vec<u8>,
}

fn position(height: Height, pos: u32, rank: u32) -> [u8; POS_LEN] {
    let mut k = [0u8; POS_LEN];
    k[..8].copy_from_slice(&height.to_be_bytes());
    k[8..12].copy_from_slice(&pos.to_be_bytes());
    k[12..].copy_from_slice(&rank.to_be_bytes());
    k
}

/// The entries to write for one block: (keyspace is answers?, key, value).
pub(crate) fn entries(
    height: Height,
    receipts: &[sinew_types::Receipt],
    block_events: &[Event],
) -> Vec<(bool, Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    let from_txs = receipts.iter().enumerate().flat_map(|(i, r)| {
        r.events
            .iter()
            .enumerate()
            .map(move |(j, e)| (i as u32, j as u32, Some(r.tx_id), e))
    });
    let from_block = block_events
        .iter()
        .enumerate()
        .map(|(j, e)| (BLOCK_EVENT, j as u32, None, e));
    for (pos, rank, tx, event) in from_txs.chain(from_block) {
        let at = position(height, pos, rank);
        let value = borsh::to_vec(&(tx, event)).expect("encodes");
        let mut accounts = event.accounts();
        accounts.sort();
        accounts.dedup();
        for a in accounts {
            out.push((false, [a.0.as_slice(), &at].concat(), value.clone()));
        }
        if let Some(task) = event.task() {
            out.push((true, [&[TASKS][..], &task.0, &at].concat(), value.clone()));
        }
        if let Event::Inference(InferenceEvent::RewardAccrued { account, .. }) = event {
            out.push((true, [&[REWARDS][..], &account.0, &at].concat(), value.clone()));
        }
        if let Event::Inference(InferenceEvent::InferenceSettled { model, .. }) = event {
            out.push((true, [&[ALL_ANSWERS][..], &at].concat(), value.clone()));
            out.push((
                true,
                [&[MODEL_ANSWERS][..], &model.to_be_bytes(), &at].concat(),
                value.clone(),
            ));
        }
    }
    out
}

impl Store {
    /// Events concerning `account`, newest first: at most `limit`, older than `before` (a
    /// cursor from a previous page).
    pub fn account_activity(
        &self,
        account: &Address,
        before: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<IndexedEvent>, StoreError> {
        newest(&self.db, &self.activity, &account.0, before, limit)
    }

    /// Rewards accrued to `account` (its `RewardAccrued` events), newest first.
    pub fn rewards(
        &self,
        account: &Address,
        before: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<IndexedEvent>, StoreError> {
        let prefix = [&[REWARDS][..], &account.0].concat();
        newest(&self.db, &self.answers, &prefix, before, limit)
    }

    /// The events of task `task`, newest first.
    pub fn task_history(
        &self,
        task: &sinew_types::Hash,
        before: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<IndexedEvent>, StoreError> {
        let prefix = [&[TASKS][..], &task.0].concat();
        newest(&self.db, &self.answers, &prefix, before, limit)
    }

    /// Paid answers (their `InferenceSettled` events), newest first, of one model or all.
    pub fn answers(
        &self,
        model: Option<u64>,
        before: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<IndexedEvent>, StoreError> {
        let prefix = match model {
            Some(m) => [&[MODEL_ANSWERS][..], &m.to_be_bytes()].concat(),
            None => vec![ALL_ANSWERS],
        };
        newest(&self.db, &self.answers, &prefix, before, limit)
    }
}

fn newest(
    db: &fjall::Database,
    ks: &fjall::Keyspace,
    prefix: &[u8],
    before: Option<&[u8]>,
    limit: usize,
) -> Result<Vec<IndexedEvent>, StoreError> {
    let upper = match before {
        Some(c) if c.len() == POS_LEN => Bound::Excluded([prefix, c].concat()),
        Some(_) => return Err(StoreError::Corrupt("not a cursor this node gave".into())),
        None => match prefix_end(prefix) {
            Some(end) => Bound::Excluded(end),
            None => Bound::Unbounded,
        },
    };
    let mut out = Vec::new();
    for g in db.snapshot().range(ks, (Bound::Included(prefix.to_vec()), upper)).rev() {
        if out.len() >= limit {
            break;
        }
        let (k, v) = g.into_inner()?;
        let at = &k[prefix.len()..];
        let (tx_id, event): (Option<TxId>, Event) =
            borsh::from_slice(&v).map_err(|e| StoreError::Corrupt(format!("activity index: {e}")))?;
        out.push(IndexedEvent {
            height: u64::from_be_bytes(at[..8].try_into().expect("8 bytes")),
            tx_id,
            event,
            cursor: at.to_vec(),
        });
    }
    Ok(out)
}

/// The smallest key above every key starting with `prefix` (none if `prefix` is all 0xff).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Meta key saying the header and activity indexes cover every block (stores created before
/// they existed are indexed once, when opened).
pub(crate) const INDEXED_KEY: &[u8] = b"indexed-v2";

impl Store {
    /// Writes the header and activity indexes of every committed block, if a store from before
    /// they existed lacks them: once, in batches, idempotently (a crash midway starts over).
    pub(crate) fn backfill_indexes(&self) -> Result<(), StoreError> {
        if self.meta.get(INDEXED_KEY)?.is_some() {
            return Ok(());
        }
        let Some(head) = self.head_height()? else {
            return Ok(());
        };
        tracing::info!(
            blocks = head + 1,
            "indexing the blocks of a store from before the activity indexes"
        );
        let mut h = 0;
        while h <= head {
            let mut b = self.db.batch();
            for height in h..=head.min(h + 999) {
                let hk = height.to_be_bytes();
                let Some(block) = self.blocks.get(hk)? else { continue };
                let header = <sinew_types::BlockHeader as borsh::BorshDeserialize>::deserialize(&mut block.as_ref())
                    .map_err(|e| StoreError::Corrupt(format!("block header: {e}")))?;
                b.insert(&self.headers, hk.to_vec(), borsh::to_vec(&header).expect("encodes"));
                if let Some(r) = self.receipts(height)? {
                    for (answer, k, v) in entries(height, &r.receipts, &r.block_events) {
                        b.insert(if answer { &self.answers } else { &self.activity }, k, v);
                    }
                }
            }
            b.commit()?;
            h += 1000;
        }
        let mut b = self.db.batch().durability(Some(fjall::PersistMode::SyncData));
        b.insert(&self.meta, INDEXED_KEY, b"1".to_vec());
        b.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sinew_state::Chain;
    use sinew_types::payload::Transfer;
    use sinew_types::Transaction;

    #[test]
    fn a_store_from_before_the_indexes_is_indexed_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let (g, keys) = sinew_testkit::test_genesis(2, 1_000_000);
        let expected = {
            let store = Store::open(&path).unwrap();
            let (mut chain, gb) = Chain::from_genesis(&g, 4).unwrap();
            store.init_genesis(&g, &gb.block, &gb.effects).unwrap();
            chain.commit(gb);
            for n in 0..3u64 {
                let t = keys[0]
                    .sign(Transaction {
                        chain_id: g.chain_id.clone(),
                        signer: keys[0].address(),
                        nonce: n,
                        max_fee: 1_000_000,
                        payload: Transfer {
                            to: keys[1].address(),
                            amount: 1,
                        }
                        .into(),
                    })
                    .prepare();
                let snap = store.snapshot().unwrap();
                let (ex, _) = chain
                    .propose(&snap, &sinew_state::NoBlobs, [&t], 0, Address::default())
                    .unwrap();
                store.commit_block(&ex.block, &ex.effects).unwrap();
                chain.commit(ex);
            }
            let expected = store.account_activity(&keys[1].address(), None, 100).unwrap();
            assert_eq!(expected.len(), 3);
            // Make it a store from before the indexes: no headers, no activity, no marker.
            for ks in [&store.headers, &store.activity, &store.answers] {
                let keys: Vec<_> = store
                    .db
                    .snapshot()
                    .iter(ks)
                    .map(|g| g.into_inner().unwrap().0.to_vec())
                    .collect();
                for k in keys {
                    ks.remove(k).unwrap();
                }
            }
            store.meta.remove(INDEXED_KEY).unwrap();
            assert!(store
                .account_activity(&keys[1].address(), None, 100)
                .unwrap()
                .is_empty());
            expected
        };
        let store = Store::open(&path).unwrap();
        assert_eq!(store.account_activity(&keys[1].address(), None, 100).unwrap(), expected);
        assert_eq!(
            store.header(3).unwrap().unwrap(),
            store.block(3).unwrap().unwrap().header
        );
        assert!(store.meta.get(INDEXED_KEY).unwrap().is_some());
    }
}
