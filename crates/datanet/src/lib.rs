//! Datanet ingestion, pure and deterministic: turning a blob into records that keep their byte
//! range in the blob, fingerprinting records (BLAKE3 for exact duplicates, MinHash/LSH bands for
//! near-duplicates), and committing to them with a Merkle root. Every node computes the same
//! records from the same bytes, so the ledger can check a contribution's claims.

pub mod ingest;
pub mod minhash;

pub use ingest::{ingest, IngestError, Record};
pub use minhash::{fingerprint, NearDupIndex, RecordMeta, BANDS, MIN_SHARED_BANDS};

use sinew_types::{merkle, Hash};

/// Largest record size a format may ask for.
pub const MAX_RECORD_BYTES: u32 = 1 << 20;

/// The Merkle root over record hashes, in order: what a contribution commits to.
pub fn records_root(records: &[RecordMeta]) -> Hash {
    let leaves: Vec<Hash> = records.iter().map(|r| r.hash).collect();
    merkle::root(&leaves)
}
