//! Datanet payloads: creating datanets, contributing records, curating them, publishing versions.

use crate::datanet::{BlobId, DatanetId, DatanetInfo, DatanetRules, Format};
use crate::Hash;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Datanets: creating them, contributing records, curating, publishing versions.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DatanetTx {
    /// Create a datanet owned by the signer.
    CreateDatanet(CreateDatanet),
    /// Contribute an uploaded blob's records to a datanet; locks the datanet's bond.
    Contribute(Contribute),
    /// Approve or reject a pending contribution (owner, or a staked reviewer's vote).
    Review(Review),
    /// Publish an immutable version over every approved contribution so far (owner only).
    PublishVersion(PublishVersion),
    /// Change a datanet's description, tags, or whether it takes contributions (owner only).
    UpdateDatanetInfo(UpdateDatanetInfo),
    /// Close a contribution left unreviewed for `pending_expiry_blocks` (anyone): its bond is
    /// returned in full and its records no longer block the same records from others.
    ExpireContribution(ExpireContribution),
}

impl DatanetTx {
    /// A short stable name for logs, metrics and filters.
    pub fn kind(&self) -> &'static str {
        match self {
            DatanetTx::CreateDatanet(_) => "create_datanet",
            DatanetTx::Contribute(_) => "contribute",
            DatanetTx::Review(_) => "review",
            DatanetTx::PublishVersion(_) => "publish_version",
            DatanetTx::UpdateDatanetInfo(_) => "update_datanet_info",
            DatanetTx::ExpireContribution(_) => "expire_contribution",
        }
    }

    /// The most work executing this payload can cause beyond reading and writing a few values
    /// (see [`crate::Payload::work_units`]).
    pub fn work_units(&self) -> u64 {
        match self {
            DatanetTx::Contribute(a) => a.size.div_ceil(1024).saturating_add(u64::from(a.record_count)),
            // Re-reads the contribution's records to free them (a rejection may too).
            DatanetTx::ExpireContribution(_) => super::RECOMPUTE_WORK_UNITS,
            DatanetTx::Review(r) if !r.approve => super::RECOMPUTE_WORK_UNITS,
            DatanetTx::CreateDatanet(_)
            | DatanetTx::Review(_)
            | DatanetTx::PublishVersion(_)
            | DatanetTx::UpdateDatanetInfo(_) => 0,
        }
    }
}

super::into_payload!(Datanet, DatanetTx: CreateDatanet, Contribute, Review, PublishVersion, UpdateDatanetInfo, ExpireContribution);

/// Create a datanet owned by the signer.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct CreateDatanet {
    /// Name, description, license, tags.
    pub info: DatanetInfo,
    /// Curation, bonds, fees, duplicate policy.
    pub rules: DatanetRules,
}

/// Contribute an uploaded blob's records to a datanet; locks the datanet's bond.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Contribute {
    /// The datanet.
    pub datanet: DatanetId,
    /// The blob (uploaded to the node first).
    pub blob: BlobId,
    /// Its size in bytes.
    pub size: u64,
    /// How it is cut into records.
    pub format: Format,
    /// How many records that gives.
    pub record_count: u32,
    /// Merkle root of the records' hashes, in order.
    pub records_root: Hash,
    /// Free-form description (source, file name...), at most 1 KiB.
    pub metadata: String,
}

/// Approve or reject a pending contribution (owner, or a staked reviewer's vote).
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// The datanet.
    pub datanet: DatanetId,
    /// The contribution's number in the datanet.
    pub contribution: u64,
    /// Approve (true) or reject (false).
    pub approve: bool,
    /// Why (required to reject), at most 1 KiB.
    pub reason: String,
}

/// Publish an immutable version over every approved contribution so far (owner only).
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct PublishVersion {
    /// The datanet.
    pub datanet: DatanetId,
}

/// Change a datanet's description, tags, or whether it takes contributions (owner only).
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct UpdateDatanetInfo {
    /// The datanet.
    pub datanet: DatanetId,
    /// New description.
    pub description: Option<String>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// Open (true) or closed (false) to contributions.
    pub open: Option<bool>,
}

/// Close a contribution left unreviewed for `pending_expiry_blocks` (anyone): its bond is
/// returned in full and its records no longer block the same records from others.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ExpireContribution {
    /// The datanet.
    pub datanet: DatanetId,
    /// The contribution's number in the datanet.
    pub contribution: u64,
}
