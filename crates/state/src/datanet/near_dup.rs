//! Near-duplicate search over a datanet's LSH buckets, in time linear in the contribution.
//!
//! A bucket is one (band, band hash) of the MinHash signatures (`sinew_datanet::minhash`); it
//! keeps at most [`LSH_BUCKET_CAP`] records. Each new record looks up its 16 buckets (at most
//! `16 * LSH_BUCKET_CAP` comparisons, whatever the datanet holds), then joins those buckets that
//! have room, so later records of the same contribution are compared with it too. A full bucket
//! already holds records that close: one more adds no evidence, only cost. Case variants or
//! copies by the thousand therefore cost what any other records cost.

use crate::error::StorageError;
use crate::executor::BlockExecutor;
use crate::keys::StateKey;
use crate::reader::StateReader;
use sinew_datanet::{RecordMeta, MIN_SHARED_BANDS};
use sinew_types::datanet::NearDuplicate;
use std::collections::BTreeMap;

/// Most records one LSH bucket keeps.
pub const LSH_BUCKET_CAP: usize = 4;

/// A record in a bucket: contribution and record index.
type Entry = (u64, u32);

/// The buckets a contribution reads and writes, loaded once each.
pub(crate) struct Buckets {
    datanet: u64,
    loaded: BTreeMap<(u8, u64), (Vec<Entry>, bool)>,
    /// Entries compared so far (bounded by `16 * LSH_BUCKET_CAP` per record).
    pub(crate) comparisons: u64,
}

impl Buckets {
    pub(crate) fn new(datanet: u64) -> Buckets {
        Buckets {
            datanet,
            loaded: BTreeMap::new(),
            comparisons: 0,
        }
    }

    fn bucket<R: StateReader>(
        &mut self,
        ex: &BlockExecutor<'_, R>,
        band: u8,
        hash: u64,
    ) -> Result<&mut (Vec<Entry>, bool), StorageError> {
        if !self.loaded.contains_key(&(band, hash)) {
            let v: Vec<Entry> = ex
                .get(&StateKey::DatanetLsh(self.datanet, band, hash))?
                .unwrap_or_default();
            self.loaded.insert((band, hash), (v, false));
        }
        Ok(self.loaded.get_mut(&(band, hash)).expect("just loaded"))
    }

    /// The most similar earlier record of record `index` of contribution `seq` (if it shares at
    /// least `MIN_SHARED_BANDS` bands with one), then adds the record to its buckets.
    pub(crate) fn check_and_add<R: StateReader>(
        &mut self,
        ex: &BlockExecutor<'_, R>,
        seq: u64,
        index: u32,
        record: &RecordMeta,
    ) -> Result<Option<NearDuplicate>, StorageError> {
        let mut shared: BTreeMap<Entry, u8> = BTreeMap::new();
        for (b, h) in record.bands.iter().enumerate() {
            let (entries, _) = self.bucket(ex, b as u8, *h)?;
            let n = entries.len() as u64;
            for e in entries.iter() {
                *shared.entry(*e).or_default() += 1;
            }
            self.comparisons += n;
        }
        let best = shared
            .into_iter()
            .filter(|(_, n)| *n >= MIN_SHARED_BANDS)
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|((c, k), n)| NearDuplicate {
                record: index,
                other_contribution: c,
                other_record: k,
                shared_bands: n,
            });
        for (b, h) in record.bands.iter().enumerate() {
            let (entries, dirty) = self.bucket(ex, b as u8, *h)?;
            if entries.len() < LSH_BUCKET_CAP && !entries.contains(&(seq, index)) {
                entries.push((seq, index));
                *dirty = true;
            }
        }
        Ok(best)
    }

    /// Writes the buckets that changed.
    pub(crate) fn store<R: StateReader>(self, ex: &mut BlockExecutor<'_, R>) {
        for ((band, hash), (entries, dirty)) in self.loaded {
            if dirty {
                ex.put(&StateKey::DatanetLsh(self.datanet, band, hash), &entries);
            }
        }
    }
}

impl<R: StateReader> BlockExecutor<'_, R> {
    /// Removes contribution `seq`'s records from the buckets of `records`.
    pub(crate) fn forget_buckets(
        &mut self,
        datanet: u64,
        seq: u64,
        records: &[RecordMeta],
    ) -> Result<(), StorageError> {
        let mut keys: BTreeMap<(u8, u64), ()> = BTreeMap::new();
        for r in records {
            for (b, h) in r.bands.iter().enumerate() {
                keys.insert((b as u8, *h), ());
            }
        }
        for (band, hash) in keys.into_keys() {
            let key = StateKey::DatanetLsh(datanet, band, hash);
            let mut v: Vec<Entry> = self.get(&key)?.unwrap_or_default();
            let before = v.len();
            v.retain(|e| e.0 != seq);
            if v.len() != before {
                if v.is_empty() {
                    self.delete(&key);
                } else {
                    self.put(&key, &v);
                }
            }
        }
        Ok(())
    }
}
