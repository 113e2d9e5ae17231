//! Near-duplicate search over a datanet's LSH buckets, in time linear in the contribution and
//! state written per record that does not grow with the datanet.
//!
//! A bucket is one (band, band hash) of the MinHash signatures (`sinew_datanet::minhash`); it
//! keeps at most [`LSH_BUCKET_CAP`] records. Each new record looks up its 16 buckets (at most
//! `16 * LSH_BUCKET_CAP` comparisons, whatever the datanet holds), then joins those buckets that
//! have room, so later records of the same contribution are compared with it too. A full bucket
//! already holds records that close: one more adds no evidence, only cost. Case variants or
//! copies by the thousand therefore cost what any other records cost.
//!
//! Storage: buckets are grouped into state keys by band and a prefix of the band hash, and the
//! prefixes deepen by linear hashing as the datanet grows: whenever the datanet holds more than
//! [`GROUP_TARGET`] entries per group on average, the next group in order splits in two by one
//! more bit of the hash (in every band at once). Groups therefore hold about `GROUP_TARGET`
//! entries however many records the datanet has, a record reads and writes 16 of them, and a split
//! rewrites 32 groups once per `GROUP_TARGET` records added. A group holds at most [`GROUP_CAP`]
//! entries: a crafted run of hashes sharing a long prefix stops joining there (lookups still see
//! the group), so no group a record touches can grow past a constant.

use crate::ctx::Ctx;
use crate::error::StorageError;
use crate::keys::{LshLayout, StateKey};
use crate::reader::StateReader;
use sinew_datanet::{RecordMeta, BANDS, MIN_SHARED_BANDS};
use sinew_types::datanet::NearDuplicate;
use std::collections::BTreeMap;

/// Most records one LSH bucket keeps.
pub const LSH_BUCKET_CAP: usize = 4;

/// Entries per group, on average, past which the next group splits.
pub const GROUP_TARGET: u64 = 32;

/// Most entries one group holds; a bucket in a full group takes no more records.
pub const GROUP_CAP: usize = 256;

/// Deepest prefix a group may have (never reached in practice: 2^40 groups per band).
const MAX_DEPTH: u8 = 40;

/// A record in a bucket group: band hash, contribution, record index (sorted).
type Entry = (u64, u64, u32);

/// A group: band, prefix length in bits, prefix.
type GroupId = (u8, u8, u64);

fn prefix(hash: u64, depth: u8) -> u64 {
    if depth == 0 {
        0
    } else {
        hash >> (64 - u32::from(depth))
    }
}

impl LshLayout {
    /// The group of `band` that holds `hash`: the groups before `next` have split one bit deeper.
    fn address(&self, band: u8, hash: u64) -> GroupId {
        let p = prefix(hash, self.depth);
        if p < self.next {
            (band, self.depth + 1, prefix(hash, self.depth + 1))
        } else {
            (band, self.depth, p)
        }
    }

    /// Groups per band.
    fn groups(&self) -> u64 {
        (1u64 << self.depth) + self.next
    }

    fn wants_split(&self) -> bool {
        self.depth < MAX_DEPTH && self.entries > GROUP_TARGET * BANDS as u64 * self.groups()
    }
}

/// The layout and bucket groups a transaction reads and writes, loaded once each.
pub(crate) struct Buckets {
    datanet: u64,
    layout: Option<(LshLayout, bool)>,
    loaded: BTreeMap<GroupId, (Vec<Entry>, bool)>,
    /// Entries compared so far (bounded by `16 * LSH_BUCKET_CAP` per record).
    pub(crate) comparisons: u64,
}

impl Buckets {
    pub(super) fn new(datanet: u64) -> Buckets {
        Buckets {
            datanet,
            layout: None,
            loaded: BTreeMap::new(),
            comparisons: 0,
        }
    }

    fn layout<R: StateReader>(&mut self, ex: &Ctx<'_, R>) -> Result<LshLayout, StorageError> {
        if self.layout.is_none() {
            let l = ex.get(&StateKey::DatanetLshLayout(self.datanet))?.unwrap_or_default();
            self.layout = Some((l, false));
        }
        Ok(self.layout.expect("just loaded").0)
    }

    fn set_layout(&mut self, l: LshLayout) {
        self.layout = Some((l, true));
    }

    fn group<R: StateReader>(&mut self, ex: &Ctx<'_, R>, id: GroupId) -> Result<&mut (Vec<Entry>, bool), StorageError> {
        if !self.loaded.contains_key(&id) {
            let v: Vec<Entry> = ex
                .get(&StateKey::DatanetLsh(self.datanet, id.0, id.1, id.2))?
                .unwrap_or_default();
            self.loaded.insert(id, (v, false));
        }
        Ok(self.loaded.get_mut(&id).expect("just loaded"))
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
        let mut layout = self.layout(ex)?;
        let mut shared: BTreeMap<(u64, u32), u8> = BTreeMap::new();
        for (b, h) in record.bands.iter().enumerate() {
            let (entries, _) = self.group(ex, layout.address(b as u8, *h))?;
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
            let (entries, dirty) = self.group(ex, layout.address(b as u8, *h))?;
            let from = entries.partition_point(|e| e.0 < *h);
            let len = entries[from..].iter().take_while(|e| e.0 == *h).count();
            let me = (*h, seq, index);
            if len < LSH_BUCKET_CAP && entries.len() < GROUP_CAP && !entries[from..from + len].contains(&me) {
                // Entries of one bucket stay in (contribution, record) order: appended last.
                entries.insert(from + len, me);
                *dirty = true;
                layout.entries += 1;
            }
        }
        while layout.wants_split() {
            self.split(ex, &mut layout)?;
        }
        self.set_layout(layout);
        Ok(best)
    }

    /// Splits group `next` of every band one bit deeper and moves `next` on.
    fn split<R: StateReader>(&mut self, ex: &Ctx<'_, R>, layout: &mut LshLayout) -> Result<(), StorageError> {
        let (depth, p) = (layout.depth, layout.next);
        for band in 0..BANDS as u8 {
            let (entries, dirty) = self.group(ex, (band, depth, p))?;
            let all = std::mem::take(entries);
            *dirty = true;
            // Sorted by hash, so the entries whose next bit is set are a suffix.
            let cut = all.partition_point(|e| prefix(e.0, depth + 1) == 2 * p);
            let (low, high) = all.split_at(cut);
            self.loaded.insert((band, depth + 1, 2 * p), (low.to_vec(), true));
            self.loaded.insert((band, depth + 1, 2 * p + 1), (high.to_vec(), true));
        }
        layout.next += 1;
        if layout.next == 1u64 << depth {
            layout.depth += 1;
            layout.next = 0;
        }
        Ok(())
    }

    /// Removes contribution `seq`'s entries for `records` from their buckets (groups never merge
    /// back: they only hold fewer entries).
    pub(super) fn forget<R: StateReader>(
        &mut self,
        ex: &Ctx<'_, R>,
        seq: u64,
        records: &[RecordMeta],
    ) -> Result<(), StorageError> {
        let mut layout = self.layout(ex)?;
        for r in records {
            for (b, h) in r.bands.iter().enumerate() {
                let (entries, dirty) = self.group(ex, layout.address(b as u8, *h))?;
                let before = entries.len();
                entries.retain(|e| !(e.0 == *h && e.1 == seq));
                let removed = (before - entries.len()) as u64;
                if removed > 0 {
                    *dirty = true;
                    layout.entries -= removed;
                }
            }
        }
        self.set_layout(layout);
        Ok(())
    }

    /// Writes the groups and the layout that changed (an emptied group is deleted).
    pub(super) fn store<R: StateReader>(self, ex: &mut Ctx<'_, R>) {
        for ((band, depth, p), (entries, dirty)) in self.loaded {
            let key = StateKey::DatanetLsh(self.datanet, band, depth, p);
            match (dirty, entries.is_empty()) {
                (false, _) => {}
                (true, true) => ex.delete(&key),
                (true, false) => ex.put(&key, &entries),
            }
        }
        if let Some((layout, true)) = self.layout {
            ex.put(&StateKey::DatanetLshLayout(self.datanet), &layout);
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
        let mut buckets = Buckets::new(datanet);
        buckets.forget(self, seq, records)?;
        buckets.store(self);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blobs::NoBlobs;
    use crate::keys::ChainInfo;
    use crate::reader::MemState;
    use sinew_types::{Address, Params};

    fn state() -> MemState {
        let mut s = MemState::default();
        let chain = ChainInfo { chain_id: "t".into() };
        s.map.insert(StateKey::Chain.encode(), borsh::to_vec(&chain).unwrap());
        let params = Params::default_for(Address([0; 32]));
        s.map.insert(StateKey::Params.encode(), borsh::to_vec(&params).unwrap());
        s
    }

    fn record(seed: u64) -> RecordMeta {
        let mut z = seed;
        let mut next = || {
            // splitmix64: distinct, well spread band hashes.
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            x ^ (x >> 31)
        };
        RecordMeta {
            hash: Default::default(),
            start: 0,
            end: 0,
            bands: std::array::from_fn(|_| next()),
        }
    }

    /// Adds contribution `seq` of `records` and returns the bytes of state it wrote.
    fn contribute(s: &mut MemState, seq: u64, records: &[RecordMeta]) -> usize {
        let mut ex = Ctx::new(&*s, &NoBlobs, 1).unwrap();
        let mut b = Buckets::new(0);
        for (i, r) in records.iter().enumerate() {
            b.check_and_add(&ex, seq, i as u32, r).unwrap();
        }
        b.store(&mut ex);
        let bytes = ex.tx_writes().values().map(|v| v.as_ref().map_or(0, Vec::len)).sum();
        ex.commit_tx_writes();
        let writes = ex.into_writes();
        s.apply(&writes);
        bytes
    }

    fn groups(s: &MemState) -> Vec<(Vec<u8>, Vec<Entry>)> {
        let prefix = StateKey::DatanetLsh(0, 0, 0, 0).owner_prefix();
        s.map
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| (k.clone(), borsh::from_slice(v).unwrap()))
            .collect()
    }

    #[test]
    fn state_written_per_record_does_not_grow_with_the_datanet() {
        let mut s = state();
        let mut written = Vec::new();
        let mut seq = 0;
        for _ in 0..6 {
            // A big contribution grows the datanet; then one record is added alone.
            let big: Vec<RecordMeta> = (0..40_000).map(|i| record(seq << 32 | i)).collect();
            contribute(&mut s, seq, &big);
            seq += 1;
            written.push(contribute(&mut s, seq, &[record(seq << 32)]));
            seq += 1;
        }
        // 16 groups of at most about 2 * GROUP_TARGET entries of 20 bytes, and at times one split
        // (16 groups into 32), whether the datanet holds 40,000 records or 240,000. With a fixed
        // number of groups per band, the cost grows with the datanet instead.
        let bound = BANDS * 4 * GROUP_TARGET as usize * 20 + 1024;
        assert!(written.iter().all(|w| *w <= bound), "{written:?} > {bound}");
        let layout: LshLayout = crate::reader::read(&s, &StateKey::DatanetLshLayout(0))
            .unwrap()
            .unwrap();
        let all = groups(&s);
        let total: usize = all.iter().map(|(_, g)| g.len()).sum();
        assert_eq!(total as u64, layout.entries);
        assert_eq!(all.len() as u64, BANDS as u64 * layout.groups());
        assert!(all
            .iter()
            .all(|(_, g)| g.len() <= GROUP_CAP && g.windows(2).all(|w| w[0] < w[1])));
    }

    #[test]
    fn every_entry_stays_where_the_layout_finds_it() {
        let mut s = state();
        let records: Vec<RecordMeta> = (0..3_000).map(record).collect();
        for (seq, chunk) in records.chunks(700).enumerate() {
            contribute(&mut s, seq as u64, chunk);
        }
        // Every record, looked up again, is found in all 16 of its buckets (a near-duplicate of
        // itself), after all the splits.
        let ex = Ctx::new(&s, &NoBlobs, 1).unwrap();
        let mut b = Buckets::new(0);
        for (i, r) in records.iter().enumerate() {
            let f = b.check_and_add(&ex, 99, 0, r).unwrap().expect("found");
            assert_eq!(
                (f.other_contribution, f.other_record, f.shared_bands),
                ((i / 700) as u64, (i % 700) as u32, BANDS as u8)
            );
        }
        // Forgetting a contribution removes exactly its entries.
        let mut ex = Ctx::new(&s, &NoBlobs, 1).unwrap();
        ex.forget_buckets(0, 1, &records[700..1400]).unwrap();
        ex.commit_tx_writes();
        let writes = ex.into_writes();
        s.apply(&writes);
        let layout: LshLayout = crate::reader::read(&s, &StateKey::DatanetLshLayout(0))
            .unwrap()
            .unwrap();
        assert_eq!(layout.entries, (BANDS * (3_000 - 700)) as u64);
        assert!(groups(&s).iter().all(|(_, g)| g.iter().all(|e| e.1 != 1)));
    }

    #[test]
    fn a_crafted_prefix_fills_one_group_and_no_more() {
        let mut s = state();
        // Hashes that all share their top 32 bits: the group they fall in stops at its cap.
        let crafted: Vec<RecordMeta> = (0..2_000u64)
            .map(|i| RecordMeta {
                bands: std::array::from_fn(|b| 0xABCD_EF01_0000_0000 | (i << 4) | b as u64),
                ..record(i)
            })
            .collect();
        contribute(&mut s, 0, &crafted);
        assert!(groups(&s).iter().all(|(_, g)| g.len() <= GROUP_CAP));
        let w = contribute(
            &mut s,
            1,
            &[RecordMeta {
                bands: [0xABCD_EF01_FFFF_FFFF; BANDS],
                ..record(7)
            }],
        );
        assert!(w <= BANDS * GROUP_CAP * 20 + 1024, "{w}");
    }
}
