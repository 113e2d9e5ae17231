//! Datanet types shared by transactions, state and ingestion.

use crate::amount::{self, Amount};
use crate::Hash;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// A datanet's id: a sequence number assigned at creation.
pub type DatanetId = u64;

/// A blob's id: BLAKE3 of its bytes.
pub type BlobId = Hash;

/// How a blob is cut into records. Part of a contribution, so every node ingests it the same way.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Format {
    /// Plain text: one record per paragraph (blank-line separated), long ones split at whitespace.
    Text {
        /// Largest record, in bytes.
        max_record_bytes: u32,
    },
    /// Markdown: a record per paragraph, headings start a new record, long ones split.
    Markdown {
        /// Largest record, in bytes.
        max_record_bytes: u32,
    },
    /// JSON lines: one record per line, the text taken from a string field.
    Jsonl {
        /// The field holding the text (Hugging Face datasets use `text`).
        field: String,
    },
    /// CSV with a header row: one record per row, the chosen columns joined by newlines.
    Csv {
        /// Column names to take, in order.
        columns: Vec<String>,
    },
    /// PDF: the text is extracted, then cut like plain text. Record ranges are byte offsets in
    /// the extracted text (a PDF's own bytes have no reading order).
    Pdf {
        /// Largest record, in bytes.
        max_record_bytes: u32,
    },
}

impl Format {
    /// The format for a file name's extension, with defaults; `None` if unsupported.
    pub fn for_extension(ext: &str) -> Option<Format> {
        match ext.to_ascii_lowercase().as_str() {
            "txt" | "text" => Some(Format::Text { max_record_bytes: 4096 }),
            "md" | "markdown" => Some(Format::Markdown { max_record_bytes: 4096 }),
            "jsonl" | "ndjson" => Some(Format::Jsonl { field: "text".into() }),
            "csv" => Some(Format::Csv {
                columns: vec!["text".into()],
            }),
            _ => None,
        }
    }
}

/// Who decides which contributions enter a datanet.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CurationPolicy {
    /// Every valid contribution is approved at once.
    Open,
    /// The owner approves or rejects each contribution.
    OwnerCurated,
    /// Accounts with at least `min_stake` bonded vote, each weighing its stake; a side decides
    /// once its stake reaches `quorum * min_stake` (splitting stake into more accounts adds no
    /// weight).
    StakedReviewers {
        /// Stake needed to decide, in multiples of `min_stake`.
        quorum: u32,
        /// Stake a reviewer must have bonded.
        #[schemars(with = "String")]
        #[serde(with = "amount::as_string")]
        min_stake: Amount,
    },
}

/// Economic and duplicate rules of a datanet.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct DatanetRules {
    /// Who curates.
    pub curation: CurationPolicy,
    /// Bond locked by each contribution until it is reviewed.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub contribution_bond: Amount,
    /// Share of the bond slashed (to the owner) when a contribution is rejected, in basis points.
    pub reject_slash_bps: u16,
    /// Fee per byte of newly approved data, paid by the owner to the treasury on publish.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub publish_fee_per_byte: Amount,
    /// Refuse contributions with near-duplicates of existing records (else: flag them).
    pub refuse_near_duplicates: bool,
}

/// A contribution's review state.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ContributionStatus {
    /// Waiting for review.
    Pending,
    /// Approved: part of the next published version.
    Approved,
    /// Rejected, with the reason.
    Rejected {
        /// Why.
        reason: String,
    },
}

/// A record flagged as a near-duplicate of an existing one.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct NearDuplicate {
    /// Record index within this contribution.
    pub record: u32,
    /// The contribution holding the similar record.
    pub other_contribution: u64,
    /// The similar record's index there.
    pub other_record: u32,
    /// LSH bands the two share (of 16); more means more similar.
    pub shared_bands: u8,
}

/// Who the datanet belongs to and what it is.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct DatanetInfo {
    /// Short name.
    pub name: String,
    /// What the data is.
    pub description: String,
    /// SPDX license expression.
    pub license: String,
    /// Search tags.
    pub tags: Vec<String>,
}
