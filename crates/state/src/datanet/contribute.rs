//! A contribution: the blob's records recomputed and checked against the claim, exact duplicates
//! refused, near-duplicates flagged or refused by policy, the bond locked.

use super::near_dup::Buckets;
use crate::ctx::Outcome;
use crate::ctx::{fail, Ctx};
use crate::keys::StateKey;
use crate::reader::StateReader;
use sinew_datanet::{Ingested, RecordMeta, BANDS};
use sinew_types::datanet::{ContributionStatus, CurationPolicy, NearDuplicate};
use sinew_types::event::DatanetEvent;
use sinew_types::failure::DatanetFailure;
use sinew_types::payload::Contribute;
use sinew_types::records::{Contribution, Datanet, MAX_FLAGS};
use sinew_types::{Address, Event};
use std::collections::BTreeMap;
use std::sync::Arc;

impl<R: StateReader> Ctx<'_, R> {
    pub(super) fn contribute(&mut self, signer: &Address, tx: &Contribute, events: &mut Vec<Event>) -> Outcome {
        let id = tx.datanet;
        let mut d = self.open_datanet(id)?;
        let ingested = self.verified_records(tx)?;
        let records = &ingested.records;
        let seq = d.contributions;
        self.refuse_exact_duplicates(id, records)?;
        let (buckets, flags) = self.near_duplicates(&d, seq, records)?;
        // All checks passed: lock the bond, record everything.
        let bond = d.rules.contribution_bond;
        self.move_tokens(signer, &crate::accounts::bond_escrow(), bond)
            .map_err(|h| h.recode(DatanetFailure::CannotPayBond, &format!("bond of {bond}")))?;
        for (i, r) in records.iter().enumerate() {
            self.put(&StateKey::DatanetRecord(id, r.hash), &(seq, i as u32));
        }
        buckets.store(self);
        let near_duplicate_count = flags.len() as u32;
        let c = Contribution {
            datanet: id,
            seq,
            contributor: *signer,
            blob: tx.blob,
            size: tx.size,
            format: tx.format.clone(),
            record_count: tx.record_count,
            records_root: tx.records_root,
            metadata: tx.metadata.clone(),
            bond,
            status: ContributionStatus::Pending,
            votes: vec![],
            near_duplicates: flags.into_iter().take(MAX_FLAGS).collect(),
            near_duplicate_count,
            height: self.height,
        };
        d.contributions += 1;
        events.push(Event::Datanet(DatanetEvent::Contributed {
            datanet: id,
            contribution: seq,
            contributor: *signer,
            records: tx.record_count,
            near_duplicates: near_duplicate_count,
        }));
        self.put(&StateKey::Contribution(id, seq), &c);
        self.put(&StateKey::Datanet(id), &d);
        if d.rules.curation == CurationPolicy::Open {
            return self.decide(id, seq, true, String::new(), events);
        }
        Ok(())
    }

    /// The datanet, if it exists and takes contributions.
    fn open_datanet(&self, id: u64) -> Outcome<Datanet> {
        let Some(d) = self.datanet(id)? else {
            return fail(DatanetFailure::UnknownDatanet, format!("no datanet {id}"));
        };
        if !d.open {
            return fail(
                DatanetFailure::DatanetClosed,
                format!("datanet {id} is closed to contributions"),
            );
        }
        Ok(d)
    }

    /// The blob's records, recomputed here and checked against what the contributor claims (size,
    /// record count, Merkle root).
    fn verified_records(&self, tx: &Contribute) -> Outcome<Arc<Ingested>> {
        let (blob, size, record_count) = (&tx.blob, tx.size, tx.record_count);
        let limit = self.params().max_blob_bytes;
        if size > limit {
            return fail(
                DatanetFailure::TooLarge,
                format!("blob of {size} bytes exceeds the limit of {limit}"),
            );
        }
        let ingested = match self.blobs.records(blob, &tx.format) {
            Ok(r) => r,
            Err(e) => return e.halt(DatanetFailure::BadBlob),
        };
        if ingested.size != size {
            return fail(
                DatanetFailure::BlobMismatch,
                format!("blob {blob} has {} bytes, not {size}", ingested.size),
            );
        }
        if ingested.records.len() != record_count as usize {
            return fail(
                DatanetFailure::BlobMismatch,
                format!(
                    "blob {blob} gives {} records, not {record_count}",
                    ingested.records.len()
                ),
            );
        }
        let root = sinew_datanet::records_root(&ingested.records);
        if root != tx.records_root {
            return fail(
                DatanetFailure::BlobMismatch,
                format!("records root is {root}, not {}", tx.records_root),
            );
        }
        Ok(ingested)
    }

    /// Refuses a record repeated within the contribution or already in the datanet.
    fn refuse_exact_duplicates(&self, id: u64, records: &[RecordMeta]) -> Outcome {
        let mut seen = BTreeMap::new();
        for (i, r) in records.iter().enumerate() {
            if let Some(j) = seen.insert(r.hash, i) {
                return fail(
                    DatanetFailure::DuplicateRecord,
                    format!("records {j} and {i} of this contribution are identical"),
                );
            }
            if let Some((c, k)) = self.get::<(u64, u32)>(&StateKey::DatanetRecord(id, r.hash))? {
                return fail(
                    DatanetFailure::DuplicateRecord,
                    format!("record {i} duplicates record {k} of contribution {c}"),
                );
            }
        }
        Ok(())
    }

    /// Near duplicates through the LSH buckets (earlier contributions and earlier records of this
    /// one, at a bounded cost per record): flagged, or refused when the datanet refuses them. The
    /// buckets with this contribution added, to store once it is accepted.
    fn near_duplicates(&self, d: &Datanet, seq: u64, records: &[RecordMeta]) -> Outcome<(Buckets, Vec<NearDuplicate>)> {
        let mut buckets = Buckets::new(d.id);
        let mut flags: Vec<NearDuplicate> = Vec::new();
        for (i, r) in records.iter().enumerate() {
            let Some(f) = buckets.check_and_add(self, seq, i as u32, r)? else {
                continue;
            };
            if d.rules.refuse_near_duplicates {
                return fail(
                    DatanetFailure::NearDuplicate,
                    format!(
                        "record {} is a near-duplicate of record {} of contribution {} ({} of {BANDS} bands) and this datanet refuses them",
                        f.record, f.other_record, f.other_contribution, f.shared_bands
                    ),
                );
            }
            flags.push(f);
        }
        Ok((buckets, flags))
    }
}
