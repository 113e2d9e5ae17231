//! Datanet ingestion, pure and deterministic: turning a blob into records that keep their byte
//! range in the blob, fingerprinting records (BLAKE3 for exact duplicates, MinHash/LSH bands for
//! near-duplicates), and committing to them with a Merkle root. Every node computes the same
//! records from the same bytes, so the ledger can check a contribution's claims.

pub mod discover;
pub mod ingest;
pub mod local;
pub mod minhash;

pub use discover::{discover, DiscoverError, FormatOptions};
pub use ingest::{ingest, pdf_text, IngestError, Record};
pub use local::{local_records, LocalError};
pub use minhash::{fingerprint, NearDupIndex, RecordMeta, BANDS, MIN_SHARED_BANDS};

use sinew_types::{merkle, Hash};

/// Largest record size a format may ask for.
pub const MAX_RECORD_BYTES: u32 = 1 << 20;

/// The Merkle root over record hashes, in order: what a contribution commits to.
pub fn records_root(records: &[RecordMeta]) -> Hash {
    let leaves: Vec<Hash> = records.iter().map(|r| r.hash).collect();
    merkle::root(&leaves)
}

/// A blob ingested in one format: its size and fingerprinted records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ingested {
    /// Blob size in bytes.
    pub size: u64,
    /// Its records, in order.
    pub records: Vec<RecordMeta>,
}

/// Ingests and fingerprints a blob's bytes.
pub fn ingest_blob(bytes: &[u8], format: &sinew_types::datanet::Format, source: &str) -> Result<Ingested, IngestError> {
    let records = ingest(bytes, format, source)?;
    Ok(Ingested {
        size: bytes.len() as u64,
        records: fingerprint(&records),
    })
}
