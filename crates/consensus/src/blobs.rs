//! Blobs as validators pass them to each other. A transaction names a blob by its BLAKE3 id;
//! the blob itself travels outside blocks, fetched from whichever validator holds it and checked
//! piece by piece against that id (see [`sinew_types::blob_tree`]). The engine does the fetching
//! and checking; a [`BlobHost`] only stores and reads bytes.

use crate::AppError;
use sinew_types::Hash;

/// Where a validator keeps blobs: it serves the ones it holds and receives the ones it lacks.
pub trait BlobHost: Send + Sync + 'static {
    /// The size of a blob held here, or `None`.
    fn blob_size(&self, id: &Hash) -> Option<u64>;

    /// `len` bytes from `offset` of a blob held here.
    fn read_blob(&self, id: &Hash, offset: u64, len: u64) -> Result<Vec<u8>, AppError>;

    /// The largest blob this validator accepts from a peer (the ledger's blob size limit).
    fn max_blob_bytes(&self) -> u64;

    /// Starts receiving blob `id` of `size` bytes; `pin` keeps it for good (a final
    /// transaction names it), otherwise it is kept like an upload nobody named yet.
    fn stage_blob(&self, id: &Hash, size: u64, pin: bool) -> Result<Box<dyn StagedBlob>, AppError>;
}

/// A blob being received. Dropped before [`StagedBlob::commit`], it leaves nothing.
pub trait StagedBlob: Send {
    /// Writes checked bytes at `offset`.
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> Result<(), AppError>;

    /// Every byte is written: checks the whole against the id and makes the blob held.
    fn commit(self: Box<Self>) -> Result<(), AppError>;
}
