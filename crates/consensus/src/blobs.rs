//! Blobs as validators pass them to each other. A transaction names a blob by its BLAKE3 id;
//! the blob itself travels outside blocks, fetched from whichever validator holds it and checked
//! piece by piece against that id (see [`sinew_types::blob_tree`]). The engine does the fetching
//! and checking; a [`BlobHost`] only stores and reads bytes.

use crate::AppError;
use sinew_types::Hash;

/// Why a validator fetches a blob, which says how long it keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Keep {
    /// A transaction a peer gossiped names it: kept like an upload nobody named yet, and refused
    /// when such uploads already fill this validator's quota (the transaction then stays with
    /// the validator it was submitted to).
    Speculative,
    /// A block this validator must judge names it: kept like an upload nobody named yet, never
    /// refused (voting needs it).
    Pending,
    /// A final block names it: kept for good.
    Final,
}

/// Where a validator keeps blobs: it serves the ones it holds and receives the ones it lacks.
pub trait BlobHost: Send + Sync + 'static {
    /// The size of a blob held here, or `None`.
    fn blob_size(&self, id: &Hash) -> Option<u64>;

    /// `len` bytes from `offset` of a blob held here.
    fn read_blob(&self, id: &Hash, offset: u64, len: u64) -> Result<Vec<u8>, AppError>;

    /// The largest blob this validator accepts from a peer (the ledger's blob size limit).
    fn max_blob_bytes(&self) -> u64;

    /// Starts receiving blob `id` of at most `max_size` bytes, for the reason `keep` says.
    fn stage_blob(&self, id: &Hash, max_size: u64, keep: Keep) -> Result<Box<dyn StagedBlob>, AppError>;
}

/// A blob being received. Dropped before [`StagedBlob::commit`], it leaves nothing.
pub trait StagedBlob: Send + Sync {
    /// Writes checked bytes at `offset`.
    fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<(), AppError>;

    /// Every byte is written and the blob has `size` bytes: checks the whole against the id and
    /// makes the blob held (for good if `pin`).
    fn commit(self: Box<Self>, size: u64, pin: bool) -> Result<(), AppError>;
}
