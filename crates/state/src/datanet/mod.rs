//! Datanets in the state machine: creation, contributions with bonds and duplicate checks,
//! reviews per curation policy, immutable versions, info updates.
//!
//! A contribution names a blob and a format; the state machine gets the blob's records through
//! [`BlobSource`] (the node ingests each blob once and caches the result), checks the claimed
//! count and Merkle root, refuses exact duplicates of records already in the datanet, and flags
//! near-duplicates (MinHash/LSH, see `sinew_datanet::minhash`) or refuses them by policy.

mod near_dup;

pub use near_dup::LSH_BUCKET_CAP;

use crate::accounts::bond_escrow;
use crate::blobs::BlobSourceError;
use crate::ctx::{fail, Ctx, Failure, Outcome};
use crate::error::{StorageError, TxRejection};
use crate::keys::StateKey;
use crate::reader::StateReader;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use sinew_datanet::BANDS;
use sinew_types::amount::{self, Amount};
use sinew_types::datanet::{
    BlobId, ContributionStatus, CurationPolicy, DatanetInfo, DatanetRules, Format, NearDuplicate,
};
use sinew_types::payload::{
    Contribute, CreateDatanet, DatanetTx, ExpireContribution, PublishVersion, Review, UpdateDatanetInfo,
};
use sinew_types::{merkle, Address, Event, Hash, Height};
use std::collections::BTreeMap;

/// A datanet.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Datanet {
    /// Its id.
    pub id: u64,
    /// Who owns and curates it (for owner-curated datanets).
    pub owner: Address,
    /// Name, description, license, tags.
    pub info: DatanetInfo,
    /// Curation, bonds, fees, duplicate policy.
    pub rules: DatanetRules,
    /// Whether it takes contributions.
    pub open: bool,
    /// Contributions so far (the next one's number).
    pub contributions: u64,
    /// Approved contributions so far.
    pub approved: u64,
    /// Records in approved contributions.
    pub approved_records: u64,
    /// Bytes in approved contributions.
    pub approved_bytes: u64,
    /// Published versions so far.
    pub versions: u64,
    /// Approved contributions covered by the last version.
    pub published_contributions: u64,
    /// Bytes covered by the last version.
    pub published_bytes: u64,
    /// Height of creation.
    pub created_at: Height,
}

/// A contribution to a datanet.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Contribution {
    /// The datanet.
    pub datanet: u64,
    /// Its number in the datanet.
    pub seq: u64,
    /// Who contributed.
    pub contributor: Address,
    /// The blob.
    pub blob: BlobId,
    /// Its size.
    pub size: u64,
    /// How it is cut into records.
    pub format: Format,
    /// Records in it.
    pub record_count: u32,
    /// Merkle root of the record hashes.
    pub records_root: Hash,
    /// Free-form description.
    pub metadata: String,
    /// Bond locked.
    #[serde(with = "amount::as_string")]
    pub bond: Amount,
    /// Review state.
    pub status: ContributionStatus,
    /// Review votes (staked-reviewer datanets): reviewer, approve?, stake weight.
    pub votes: Vec<(Address, bool, Amount)>,
    /// Records flagged as near-duplicates (at most [`MAX_FLAGS`] listed).
    pub near_duplicates: Vec<NearDuplicate>,
    /// How many records were flagged in all.
    pub near_duplicate_count: u32,
    /// Height of contribution.
    pub height: Height,
}

/// A published, immutable version of a datanet.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct DatanetVersion {
    /// The datanet.
    pub datanet: u64,
    /// Version number, from 1.
    pub version: u64,
    /// Merkle root over the approved contributions' leaves, in approval order.
    pub root: Hash,
    /// Approved contributions covered.
    pub contributions: u64,
    /// Records covered.
    pub records: u64,
    /// Bytes covered.
    pub bytes: u64,
    /// Publish fee paid.
    #[serde(with = "amount::as_string")]
    pub fee: Amount,
    /// Height of publication.
    pub height: Height,
}

/// Flags listed per contribution (the count is always exact).
pub const MAX_FLAGS: usize = 64;
/// Largest version a datanet may publish, in bytes plus records: one suffix array of 32-bit
/// positions must hold its text (each record adds a separator), or no node could attribute
/// answers to it. (Sharded indexes will lift this.)
pub const MAX_VERSION_BYTES: u64 = (1 << 31) - (1 << 24);

/// Most review votes one contribution takes.
pub const MAX_VOTES: usize = 100;
const MAX_TEXT: usize = 1024;
const MAX_DESCRIPTION: usize = 4096;

/// The leaf of a contribution in a version's Merkle tree.
pub fn contribution_leaf(c: &Contribution) -> Hash {
    let mut buf = Vec::with_capacity(8 + 8 + 32);
    buf.extend_from_slice(&c.datanet.to_le_bytes());
    buf.extend_from_slice(&c.seq.to_le_bytes());
    buf.extend_from_slice(&c.records_root.0);
    Hash::tagged(b"sinew/contribution", &buf)
}

fn check_tags(tags: &[String]) -> Result<(), TxRejection> {
    if tags.len() > 16 || tags.iter().any(|t| t.is_empty() || t.len() > 32) {
        return invalid("at most 16 tags of 1 to 32 bytes");
    }
    Ok(())
}

/// A stateless refusal of a datanet payload.
fn invalid(message: impl Into<String>) -> Result<(), TxRejection> {
    Err(TxRejection::InvalidDatanet(message.into()))
}

/// Checks of `CreateDatanet` that need no state: name, description, SPDX license, tags, rules.
pub(crate) fn check_create_datanet(info: &DatanetInfo, rules: &DatanetRules) -> Result<(), TxRejection> {
    if info.name.trim().is_empty() || info.name.len() > 64 {
        return invalid("name must be 1 to 64 bytes");
    }
    if info.description.len() > MAX_DESCRIPTION {
        return invalid("description must be at most 4 KiB");
    }
    if let Err(e) = spdx::Expression::parse(&info.license) {
        return invalid(format!("license {:?} is not an SPDX expression: {e}", info.license));
    }
    check_tags(&info.tags)?;
    if rules.reject_slash_bps > 10_000 {
        return invalid("reject_slash_bps must be at most 10000");
    }
    if let CurationPolicy::StakedReviewers { quorum, .. } = rules.curation {
        if quorum == 0 || quorum > 100 {
            return invalid("quorum must be within 1..=100");
        }
    }
    let cap = sinew_types::params::bounds::MAX_FEE_PARAM;
    if rules.contribution_bond > cap || rules.publish_fee_per_byte > cap {
        return invalid(format!("bond and fee must be at most {cap}"));
    }
    Ok(())
}

/// Checks of `Contribute` that need no state: a non-empty blob, short metadata, a format whose
/// cutting every node can bound.
pub(crate) fn check_contribute(
    size: u64,
    record_count: u32,
    metadata: &str,
    format: &Format,
) -> Result<(), TxRejection> {
    if size == 0 || record_count == 0 {
        return invalid("a contribution needs at least one byte and one record");
    }
    if metadata.len() > MAX_TEXT {
        return invalid("metadata must be at most 1 KiB");
    }
    match format {
        // A PDF extractor has no bound on time or memory a validator could agree on (a
        // decompression bomb would stop the chain): contributors extract the text themselves
        // (`sinew datanet contribute` does) and contribute it as text.
        Format::Pdf { .. } => {
            invalid("PDFs are contributed as their extracted text (format text); the CLI extracts it")
        }
        Format::Text { max_record_bytes } | Format::Markdown { max_record_bytes }
            if !(64..=sinew_datanet::MAX_RECORD_BYTES).contains(max_record_bytes) =>
        {
            invalid("max_record_bytes must be within 64..=1048576")
        }
        Format::Jsonl { field } if field.is_empty() || field.len() > 64 => invalid("field must be 1 to 64 bytes"),
        Format::Csv { columns } if columns.is_empty() || columns.len() > 16 => invalid("choose 1 to 16 columns"),
        Format::Text { .. } | Format::Markdown { .. } | Format::Jsonl { .. } | Format::Csv { .. } => Ok(()),
    }
}

/// Checks of `Review` that need no state: a bounded reason, and one for every rejection.
pub(crate) fn check_review(approve: bool, reason: &str) -> Result<(), TxRejection> {
    if reason.len() > MAX_TEXT {
        return invalid("reason must be at most 1 KiB");
    }
    if !approve && reason.trim().is_empty() {
        return invalid("a rejection needs a reason");
    }
    Ok(())
}

/// Checks of `UpdateDatanetInfo` that need no state.
pub(crate) fn check_update_datanet_info(
    description: &Option<String>,
    tags: &Option<Vec<String>>,
) -> Result<(), TxRejection> {
    if description.as_ref().is_some_and(|d| d.len() > MAX_DESCRIPTION) {
        return invalid("description must be at most 4 KiB");
    }
    tags.as_deref().map_or(Ok(()), check_tags)
}

/// Checks of a datanet payload that need no state.
pub(crate) fn check(tx: &DatanetTx) -> Result<(), TxRejection> {
    match tx {
        DatanetTx::CreateDatanet(t) => check_create_datanet(&t.info, &t.rules),
        DatanetTx::Contribute(t) => check_contribute(t.size, t.record_count, &t.metadata, &t.format),
        DatanetTx::Review(t) => check_review(t.approve, &t.reason),
        DatanetTx::UpdateDatanetInfo(t) => check_update_datanet_info(&t.description, &t.tags),
        // Every rule of these needs state.
        DatanetTx::PublishVersion(_) | DatanetTx::ExpireContribution(_) => Ok(()),
    }
}

impl<R: StateReader> Ctx<'_, R> {
    /// Runs a datanet payload whose fee is paid.
    pub(crate) fn run_datanet(&mut self, signer: &Address, tx: &DatanetTx, events: &mut Vec<Event>) -> Outcome {
        match tx {
            DatanetTx::CreateDatanet(t) => self.create_datanet(signer, t, events),
            DatanetTx::Contribute(t) => self.contribute(signer, t, events),
            DatanetTx::Review(t) => self.review(signer, t, events),
            DatanetTx::PublishVersion(t) => self.publish(signer, t, events),
            DatanetTx::UpdateDatanetInfo(t) => self.update_datanet_info(signer, t),
            DatanetTx::ExpireContribution(t) => self.expire(t, events),
        }
    }
}

impl<R: StateReader> Ctx<'_, R> {
    fn datanet(&self, id: u64) -> Result<Option<Datanet>, StorageError> {
        self.get(&StateKey::Datanet(id))
    }
    /// `CreateDatanet`.
    pub(crate) fn create_datanet(&mut self, signer: &Address, tx: &CreateDatanet, events: &mut Vec<Event>) -> Outcome {
        let info = &tx.info;
        let rules = &tx.rules;
        let id: u64 = self.get(&StateKey::NextDatanetId)?.unwrap_or(0);
        self.put(&StateKey::NextDatanetId, &(id + 1));
        let d = Datanet {
            id,
            owner: *signer,
            info: info.clone(),
            rules: rules.clone(),
            open: true,
            contributions: 0,
            approved: 0,
            approved_records: 0,
            approved_bytes: 0,
            versions: 0,
            published_contributions: 0,
            published_bytes: 0,
            created_at: self.height,
        };
        self.put(&StateKey::Datanet(id), &d);
        events.push(Event::DatanetCreated {
            datanet: id,
            owner: *signer,
        });
        Ok(Ok(()))
    }

    /// `UpdateDatanetInfo`.
    pub(crate) fn update_datanet_info(&mut self, signer: &Address, tx: &UpdateDatanetInfo) -> Outcome {
        let datanet = &tx.datanet;
        let description = &tx.description;
        let tags = &tx.tags;
        let open = &tx.open;
        let Some(mut d) = self.datanet(*datanet)? else {
            return fail("unknown_datanet", format!("no datanet {datanet}"));
        };
        if d.owner != *signer {
            return fail(
                "not_owner",
                format!("only the owner {} may change datanet {datanet}", d.owner),
            );
        }
        if let Some(desc) = description {
            d.info.description = desc.clone();
        }
        if let Some(t) = tags {
            d.info.tags = t.clone();
        }
        if let Some(o) = open {
            d.open = *o;
        }
        self.put(&StateKey::Datanet(*datanet), &d);
        Ok(Ok(()))
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn contribute(
        &mut self,
        signer: &Address,
        tx: &Contribute,
        events: &mut Vec<Event>,
    ) -> Result<Result<(), Failure>, StorageError> {
        let id = tx.datanet;
        let blob = &tx.blob;
        let size = tx.size;
        let format = &tx.format;
        let record_count = tx.record_count;
        let records_root = &tx.records_root;
        let metadata = &tx.metadata;
        let Some(mut d) = self.datanet(id)? else {
            return fail("unknown_datanet", format!("no datanet {id}"));
        };
        if !d.open {
            return fail("datanet_closed", format!("datanet {id} is closed to contributions"));
        }
        if size > self.params().max_blob_bytes {
            return fail(
                "too_large",
                format!(
                    "blob of {size} bytes exceeds the limit of {}",
                    self.params().max_blob_bytes
                ),
            );
        }
        let ingested = match self.blobs.records(blob, format) {
            Ok(r) => r,
            Err(e) => return e.outcome("bad_blob"),
        };
        if ingested.size != size {
            return fail(
                "blob_mismatch",
                format!("blob {blob} has {} bytes, not {size}", ingested.size),
            );
        }
        let records = &ingested.records;
        if records.len() != record_count as usize {
            return fail(
                "blob_mismatch",
                format!("blob {blob} gives {} records, not {record_count}", records.len()),
            );
        }
        let root = sinew_datanet::records_root(records);
        if root != *records_root {
            return fail("blob_mismatch", format!("records root is {root}, not {records_root}"));
        }
        let seq = d.contributions;
        // Exact duplicates: within the contribution, and against the datanet.
        let mut seen = BTreeMap::new();
        for (i, r) in records.iter().enumerate() {
            if let Some(j) = seen.insert(r.hash, i) {
                return fail(
                    "duplicate_record",
                    format!("records {j} and {i} of this contribution are identical"),
                );
            }
            if let Some((c, k)) = self.get::<(u64, u32)>(&StateKey::DatanetRecord(id, r.hash))? {
                return fail(
                    "duplicate_record",
                    format!("record {i} duplicates record {k} of contribution {c}"),
                );
            }
        }
        // Near duplicates through the LSH buckets: earlier contributions and earlier records of
        // this one, at a bounded cost per record.
        let mut buckets = near_dup::Buckets::new(id);
        let mut flags: Vec<NearDuplicate> = Vec::new();
        for (i, r) in records.iter().enumerate() {
            let Some(f) = buckets.check_and_add(self, seq, i as u32, r)? else {
                continue;
            };
            if d.rules.refuse_near_duplicates {
                return fail(
                    "near_duplicate",
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
        if let Err(f) = self.move_tokens(signer, &crate::accounts::bond_escrow(), bond)? {
            return Ok(Err(Failure {
                code: "cannot_pay_bond",
                message: format!("bond of {bond}: {}", f.message),
            }));
        }
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
        Ok(Ok(()))
    }

    pub(crate) fn review(
        &mut self,
        signer: &Address,
        tx: &Review,
        events: &mut Vec<Event>,
    ) -> Result<Result<(), Failure>, StorageError> {
        let id = tx.datanet;
        let seq = tx.contribution;
        let approve = tx.approve;
        let reason = &tx.reason;
        let Some(d) = self.datanet(id)? else {
            return fail("unknown_datanet", format!("no datanet {id}"));
        };
        let Some(mut c) = self.get::<Contribution>(&StateKey::Contribution(id, seq))? else {
            return fail(
                "unknown_contribution",
                format!("datanet {id} has no contribution {seq}"),
            );
        };
        if d.rules.curation == CurationPolicy::Open {
            return fail(
                "open_datanet",
                format!("datanet {id} is open: contributions need no review"),
            );
        }
        if c.status != ContributionStatus::Pending {
            return fail(
                "already_decided",
                format!("contribution {seq} of datanet {id} was already {:?}", c.status),
            );
        }
        match d.rules.curation {
            CurationPolicy::Open => unreachable!("open datanets are answered above"),
            CurationPolicy::OwnerCurated => {
                if d.owner != *signer {
                    return fail(
                        "not_reviewer",
                        format!("only the owner {} reviews datanet {id}", d.owner),
                    );
                }
                events.push(Event::Reviewed {
                    datanet: id,
                    contribution: seq,
                    reviewer: *signer,
                    approve,
                });
                self.decide(id, seq, approve, reason.to_string(), events)
            }
            CurationPolicy::StakedReviewers { quorum, min_stake } => {
                let staked = self.account(signer)?.map(|a| a.staked).unwrap_or(0);
                if staked < min_stake || staked == 0 {
                    return fail(
                        "not_reviewer",
                        format!("reviewers of datanet {id} need {min_stake} staked; you have {staked}"),
                    );
                }
                if c.contributor == *signer {
                    return fail("conflict", "a contributor does not review its own contribution");
                }
                if c.votes.iter().any(|(r, _, _)| r == signer) {
                    return fail(
                        "already_voted",
                        format!("you already reviewed contribution {seq} of datanet {id}"),
                    );
                }
                if c.votes.len() >= MAX_VOTES {
                    return fail(
                        "votes_full",
                        format!("contribution {seq} has {MAX_VOTES} votes already"),
                    );
                }
                c.votes.push((*signer, approve, staked));
                events.push(Event::Reviewed {
                    datanet: id,
                    contribution: seq,
                    reviewer: *signer,
                    approve,
                });
                // Stake decides, not heads: sybil accounts add no weight.
                let weight = |side: bool| -> Amount { c.votes.iter().filter(|v| v.1 == side).map(|v| v.2).sum() };
                let threshold = min_stake.max(1).saturating_mul(Amount::from(quorum));
                let (ayes, nays) = (weight(true), weight(false));
                self.put(&StateKey::Contribution(id, seq), &c);
                if ayes >= threshold && ayes > nays {
                    self.decide(id, seq, true, String::new(), events)
                } else if nays >= threshold && nays > ayes {
                    self.decide(id, seq, false, reason.to_string(), events)
                } else {
                    Ok(Ok(()))
                }
            }
        }
    }

    /// `ExpireContribution`: a contribution left unreviewed for `pending_expiry_blocks` is
    /// closed by anyone, its bond returned in full and its records freed, so a pending
    /// contribution cannot hold record hashes (and their first-come credit) for ever.
    pub(crate) fn expire(&mut self, tx: &ExpireContribution, events: &mut Vec<Event>) -> Outcome {
        let id = tx.datanet;
        let seq = tx.contribution;
        let Some(c) = self.get::<Contribution>(&StateKey::Contribution(id, seq))? else {
            return fail(
                "unknown_contribution",
                format!("datanet {id} has no contribution {seq}"),
            );
        };
        if c.status != ContributionStatus::Pending {
            return fail(
                "already_decided",
                format!("contribution {seq} of datanet {id} is decided"),
            );
        }
        let due = c.height.saturating_add(self.params().pending_expiry_blocks);
        if self.height < due {
            return fail(
                "too_early",
                format!("contribution {seq} may be reviewed until height {due}"),
            );
        }
        self.settle_contribution(id, seq, false, 0, "expired unreviewed".into(), events)
    }

    /// Approves or rejects a pending contribution: moves its bond (a rejection slashes the
    /// datanet's share of it to the treasury, never to the reviewer, who would otherwise profit
    /// from rejecting), updates the datanet.
    fn decide(
        &mut self,
        id: u64,
        seq: u64,
        approve: bool,
        reason: String,
        events: &mut Vec<Event>,
    ) -> Result<Result<(), Failure>, StorageError> {
        let slash_bps = self
            .datanet(id)?
            .ok_or_else(|| StorageError(format!("datanet {id} vanished")))?
            .rules
            .reject_slash_bps;
        self.settle_contribution(id, seq, approve, if approve { 0 } else { slash_bps }, reason, events)
    }

    /// Approves or rejects a contribution, slashing `slash_bps` of its bond to the treasury.
    fn settle_contribution(
        &mut self,
        id: u64,
        seq: u64,
        approve: bool,
        slash_bps: u16,
        reason: String,
        events: &mut Vec<Event>,
    ) -> Outcome {
        let mut d = self
            .datanet(id)?
            .ok_or_else(|| StorageError(format!("datanet {id} vanished")))?;
        let mut c: Contribution = self
            .get(&StateKey::Contribution(id, seq))?
            .ok_or_else(|| StorageError(format!("contribution {id}/{seq} vanished")))?;
        let escrow = bond_escrow();
        let slashed = c.bond * Amount::from(slash_bps) / 10_000;
        let returned = c.bond - slashed;
        if let Err(f) = self.move_tokens(&escrow, &c.contributor, returned)? {
            return Err(StorageError(format!("bond escrow short: {}", f.message)));
        }
        if let Err(f) = self.move_tokens(&escrow, &crate::accounts::treasury(), slashed)? {
            return Err(StorageError(format!("bond escrow short: {}", f.message)));
        }
        if approve {
            c.status = ContributionStatus::Approved;
            // One key per approval, and the Merkle frontier a version's root is read from: an
            // approval costs the same however many came before.
            self.put(&StateKey::DatanetApproved(id, d.approved), &seq);
            let mut frontier: merkle::Frontier = self.get(&StateKey::DatanetFrontier(id))?.unwrap_or_default();
            frontier.push(&contribution_leaf(&c));
            self.put(&StateKey::DatanetFrontier(id), &frontier);
            d.approved += 1;
            d.approved_records += c.record_count as u64;
            d.approved_bytes += c.size;
        } else {
            c.status = ContributionStatus::Rejected { reason };
            // Its records no longer block others: drop them from the duplicate indexes.
            if let Err(f) = self.forget_records(id, seq, &c)? {
                return Ok(Err(f));
            }
        }
        events.push(Event::ContributionDecided {
            datanet: id,
            contribution: seq,
            contributor: c.contributor,
            approved: approve,
            bond_returned: returned,
            bond_slashed: slashed,
        });
        self.put(&StateKey::Contribution(id, seq), &c);
        self.put(&StateKey::Datanet(id), &d);
        Ok(Ok(()))
    }

    fn forget_records(&mut self, id: u64, seq: u64, c: &Contribution) -> Outcome {
        let ingested = match self.blobs.records(&c.blob, &c.format) {
            Ok(r) => r,
            // Its records were read when it was contributed: if this node cannot read them now,
            // the transaction waits (it is never failed, and never stops the chain).
            Err(BlobSourceError::Storage(e)) => return Err(StorageError(e)),
            Err(e) => {
                return fail(
                    crate::ctx::UNAVAILABLE,
                    format!("records of contribution {id}/{seq}: {e}"),
                )
            }
        };
        for r in ingested.records.iter() {
            // Only the hashes this contribution holds (a later copy may have been refused, never
            // re-pointed, so every hash of it is its own).
            if self
                .get::<(u64, u32)>(&StateKey::DatanetRecord(id, r.hash))?
                .is_some_and(|(c, _)| c == seq)
            {
                self.delete(&StateKey::DatanetRecord(id, r.hash));
            }
        }
        self.forget_buckets(id, seq, &ingested.records)?;
        Ok(Ok(()))
    }

    pub(crate) fn publish(
        &mut self,
        signer: &Address,
        tx: &PublishVersion,
        events: &mut Vec<Event>,
    ) -> Result<Result<(), Failure>, StorageError> {
        let id = tx.datanet;
        let Some(mut d) = self.datanet(id)? else {
            return fail("unknown_datanet", format!("no datanet {id}"));
        };
        if d.owner != *signer {
            return fail(
                "not_owner",
                format!("only the owner {} publishes datanet {id}", d.owner),
            );
        }
        if d.approved == d.published_contributions {
            return fail(
                "nothing_approved",
                format!("no contribution was approved since version {}", d.versions),
            );
        }
        if d.approved_bytes.saturating_add(d.approved_records) > MAX_VERSION_BYTES {
            return fail(
                "too_large_to_index",
                format!(
                    "a version of {} bytes in {} records would exceed the {MAX_VERSION_BYTES} an index holds",
                    d.approved_bytes, d.approved_records
                ),
            );
        }
        let new_bytes = d.approved_bytes - d.published_bytes;
        let fee = d.rules.publish_fee_per_byte.saturating_mul(new_bytes as u128);
        if let Err(f) = self.move_tokens(signer, &crate::accounts::treasury(), fee)? {
            return Ok(Err(Failure {
                code: "cannot_pay_publish_fee",
                message: format!("publish fee of {fee}: {}", f.message),
            }));
        }
        let root = self
            .get::<merkle::Frontier>(&StateKey::DatanetFrontier(id))?
            .ok_or_else(|| StorageError(format!("datanet {id} has approvals but no frontier")))?
            .root();
        d.versions += 1;
        d.published_contributions = d.approved;
        d.published_bytes = d.approved_bytes;
        let v = DatanetVersion {
            datanet: id,
            version: d.versions,
            root,
            contributions: d.approved,
            records: d.approved_records,
            bytes: d.approved_bytes,
            fee,
            height: self.height,
        };
        self.put(&StateKey::DatanetVersion(id, d.versions), &v);
        self.put(&StateKey::Datanet(id), &d);
        events.push(Event::VersionPublished {
            datanet: id,
            version: d.versions,
            root,
        });
        Ok(Ok(()))
    }
}
