//! Near-duplicate search over a datanet's LSH buckets, in time linear in the contribution.
//!
//! A bucket is one (band, band hash) of the MinHash signatures (`sinew_datanet::minhash`); it
//! keeps at most [`LSH_BUCKET_CAP`] records. Each new record looks up its 16 buckets (at most
//! `16 * LSH_BUCKET_CAP` comparisons, whatever the datanet holds), then joins those buckets that
//! have room, so later records of the same contribution are compared with it too. A full bucket
//! already holds records that close: one more adds no evidence, only cost. Case variants or
//! copies by the thousand therefore cost what any other records cost.
//!
//! Storage: buckets are grouped into state keys by band and the top [`GROUP_BITS`] bits of the
//! band hash (at most `16 << GROUP_BITS` keys per datanet, each a sorted list), so a large
//! contribution writes tens of thousands of keys, not one per bucket (the state tree holds every
//! key in memory).

use crate::ctx::Ctx;
use crate::error::StorageError;
use crate::keys::StateKey;
use crate::reader::StateReader;
use sinew_datanet::{RecordMeta, MIN_SHARED_BANDS};
use sinew_types::datanet::NearDuplicate;
use std::collections::BTreeMap;

/// Most records one LSH bucket keeps.
pub const LSH_BUCKET_CAP: usize = 4;

/// Bits of the band hash that choose a bucket group.
pub const GROUP_BITS: u32 = 12;

/// A record in a bucket group: band hash, contribution, record index (sorted).
type Entry = (u64, u64, u32);

fn group_of(hash: u64) -> u16 {
    (hash >> (64 - GROUP_BITS)) as u16
}

/// The bucket groups a contribution reads and writes, loaded once each.
pub(crate) struct Buckets {
    datanet: u64,
    loaded: BTreeMap<(u8, u16), (Vec<Entry>, bool)>,
    /// Entries compared so far (bounded by `16 * LSH_BUCKET_CAP` per record).
    pub(crate) comparisons: u64,
}

impl Buckets {
    pub(super) fn new(datanet: u64) -> Buckets {
        Buckets {
            datanet,
            loaded: BTreeMap::new(),
            comparisons: 0,
        }
    }

    fn group<R: StateReader>(
        &mut self,
        ex: &Ctx<'_, R>,
        band: u8,
        hash: u64,
    ) -> Result<&mut (Vec<Entry>, bool), StorageError> {
        let g = group_of(hash);
        if !self.loaded.contains_key(&(band, g)) {
            let v: Vec<Entry> = ex
                .get(&StateKey::DatanetLsh(self.datanet, band, g))?
                .unwrap_or_default();
            self.loaded.insert((band, g), (v, false));
        }
        Ok(self.loaded.get_mut(&(band, g)).expect("just loaded"))
    }

    /// The most similar earlier record of record `index` of contribution `seq` (if it shares at
    /// least `MIN_SHARED_BANDS` bands with one), then adds the record to its buckets.
    pub(super) fn check_and_add<R: StateReader>(
        &mut self,
        ex: &Ctx<'_, R>,
        seq: u64,
        index: u32,
        record: &RecordMeta,
    ) -> Result<Option<NearDuplicate>, StorageError> {
        let mut shared: BTreeMap<(u64, u32), u8> = BTreeMap::new();
        for (b, h) in record.bands.iter().enumerate() {
            let (entries, _) = self.group(ex, b as u8, *h)?;
            let from = entries.partition_point(|e| e.0 < *h);
            let bucket = entries[from..].iter().take_while(|e| e.0 == *h);
            let mut n = 0;
            for e in bucket {
                *shared.entry((e.1, e.2)).or_default() += 1;
                n += 1;
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
            let (entries, dirty) = self.group(ex, b as u8, *h)?;
            let from = entries.partition_point(|e| e.0 < *h);
            let len = entries[from..].iter().take_while(|e| e.0 == *h).count();
            let me = (*h, seq, index);
            if len < LSH_BUCKET_CAP && !entries[from..from + len].contains(&me) {
                // Entries of one bucket stay in (contribution, record) order: appended last.
                entries.insert(from + len, me);
                *dirty = true;
            }
        }
        Ok(best)
    }

    /// Writes the groups that changed.
    pub(super) fn store<R: StateReader>(self, ex: &mut Ctx<'_, R>) {
        for ((band, g), (entries, dirty)) in self.loaded {
            if dirty {
                ex.put(&StateKey::DatanetLsh(self.datanet, band, g), &entries);
            }
        }
    }
}

impl<R: StateReader> Ctx<'_, R> {
    /// Removes contribution `seq`'s records from the buckets of `records`.
    pub(super) fn forget_buckets(
        &mut self,
        datanet: u64,
        seq: u64,
        records: &[RecordMeta],
    ) -> Result<(), StorageError> {
        let mut groups: BTreeMap<(u8, u16), ()> = BTreeMap::new();
        for r in records {
            for (b, h) in r.bands.iter().enumerate() {
                groups.insert((b as u8, group_of(*h)), ());
            }
        }
        for (band, g) in groups.into_keys() {
            let key = StateKey::DatanetLsh(datanet, band, g);
            let mut v: Vec<Entry> = self.get(&key)?.unwrap_or_default();
            let before = v.len();
            v.retain(|e| e.1 != seq);
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
