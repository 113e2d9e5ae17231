//! Datanets, their contributions and published versions, as the ledger stores them.

use crate::amount::{self, Amount};
use crate::datanet::{BlobId, ContributionStatus, DatanetInfo, DatanetRules, Format, NearDuplicate};
use crate::{Address, Hash, Height};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// A datanet.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
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
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
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
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub bond: Amount,
    /// Review state.
    pub status: ContributionStatus,
    /// Review votes (staked-reviewer datanets).
    pub votes: Vec<Vote>,
    /// Records flagged as near-duplicates (at most [`MAX_FLAGS`] listed).
    pub near_duplicates: Vec<NearDuplicate>,
    /// How many records were flagged in all.
    pub near_duplicate_count: u32,
    /// Height of contribution.
    pub height: Height,
}

/// A published, immutable version of a datanet.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
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
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub fee: Amount,
    /// Height of publication.
    pub height: Height,
}

/// Flags listed per contribution (the count is always exact).
pub const MAX_FLAGS: usize = 64;

/// Largest version a datanet may publish, in bytes plus records (each record adds a separator):
/// 1 TiB. Not a memory bound: versions are indexed as shards of at most 1 GiB, a version built
/// from its predecessor indexes only its delta, and one built at once streams its records
/// through a spill file, holding one shard's documents at a time. It bounds what grows with a
/// version instead: the disk of every node that indexes it, and the shards (at most about a
/// thousand) every attribution against it visits.
pub const MAX_VERSION_BYTES: u64 = 1 << 40;

/// Most review votes one contribution takes.
pub const MAX_VOTES: usize = 100;

/// The leaf of a contribution in a version's Merkle tree.
pub fn contribution_leaf(c: &Contribution) -> Hash {
    let mut buf = Vec::with_capacity(8 + 8 + 32);
    buf.extend_from_slice(&c.datanet.to_le_bytes());
    buf.extend_from_slice(&c.seq.to_le_bytes());
    buf.extend_from_slice(&c.records_root.0);
    Hash::tagged(b"sinew/contribution", &buf)
}

/// A staked reviewer's vote on a contribution.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Vote {
    /// The reviewer.
    pub reviewer: Address,
    /// Approve or reject.
    pub approve: bool,
    /// Its stake when it voted: the vote's weight.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub stake: Amount,
}
