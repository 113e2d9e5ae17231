//! A contribution: the blob's records recomputed and checked against the claim, exact duplicates
//! refused, near-duplicates flagged or refused by policy, the bond locked.

use super::records::{Contribution, MAX_FLAGS};
use crate::ctx::Outcome;
use crate::ctx::{fail, Ctx};
use crate::keys::StateKey;
use crate::reader::StateReader;
use sinew_datanet::BANDS;
use sinew_types::datanet::{ContributionStatus, CurationPolicy, NearDuplicate};
use sinew_types::failure::DatanetFailure;
use sinew_types::payload::Contribute;
use sinew_types::{Address, Event};
use std::collections::BTreeMap;

impl<R: StateReader> Ctx<'_, R> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn contribute(&mut self, signer: &Address, tx: &Contribute, events: &mut Vec<Event>) -> Outcome {
        let id = tx.datanet;
        let blob = &tx.blob;
        let size = tx.size;
        let format = &tx.format;
        let record_count = tx.record_count;
        let records_root = &tx.records_root;
        let metadata = &tx.metadata;
        let Some(mut d) = self.datanet(id)? else {
            return fail(DatanetFailure::UnknownDatanet, format!("no datanet {id}"));
        };
        if !d.open {
            return fail(
                DatanetFailure::DatanetClosed,
                format!("datanet {id} is closed to contributions"),
            );
        }
        if size > self.params().max_blob_bytes {
            return fail(
                DatanetFailure::TooLarge,
                format!(
                    "blob of {size} bytes exceeds the limit of {}",
                    self.params().max_blob_bytes
                ),
            );
        }
        let ingested = match self.blobs.records(blob, format) {
            Ok(r) => r,
            Err(e) => return e.halt(DatanetFailure::BadBlob),
        };
        if ingested.size != size {
            return fail(
                DatanetFailure::BlobMismatch,
                format!("blob {blob} has {} bytes, not {size}", ingested.size),
            );
        }
        let records = &ingested.records;
        if records.len() != record_count as usize {
            return fail(
                DatanetFailure::BlobMismatch,
                format!("blob {blob} gives {} records, not {record_count}", records.len()),
            );
        }
        let root = sinew_datanet::records_root(records);
        if root != *records_root {
            return fail(
                DatanetFailure::BlobMismatch,
                format!("records root is {root}, not {records_root}"),
            );
        }
        let seq = d.contributions;
        // Exact duplicates: within the contribution, and against the datanet.
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
        // Near duplicates through the LSH buckets: earlier contributions and earlier records of
        // this one, at a bounded cost per record.
        let mut buckets = super::near_dup::Buckets::new(id);
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
            blob: *blob,
            size,
            format: format.clone(),
            record_count,
            records_root: *records_root,
            metadata: metadata.to_string(),
            bond,
            status: ContributionStatus::Pending,
            votes: vec![],
            near_duplicates: flags.into_iter().take(MAX_FLAGS).collect(),
            near_duplicate_count,
            height: self.height,
        };
        d.contributions += 1;
        events.push(Event::Contributed {
            datanet: id,
            contribution: seq,
            contributor: *signer,
            records: record_count,
            near_duplicates: near_duplicate_count,
        });
        if d.rules.curation == CurationPolicy::Open {
            self.put(&StateKey::Contribution(id, seq), &c);
            self.put(&StateKey::Datanet(id), &d);
            return self.decide(id, seq, true, String::new(), events);
        }
        self.put(&StateKey::Contribution(id, seq), &c);
        self.put(&StateKey::Datanet(id), &d);
        Ok(())
    }
}
