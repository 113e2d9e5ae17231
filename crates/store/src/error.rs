//! Storage errors.

use sinew_types::Height;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The storage engine failed (I/O, lock held by another process, ...).
    #[error("database error: {0}")]
    Db(#[from] fjall::Error),
    /// Stored bytes do not decode: the files were damaged.
    #[error("corrupt database: {0}")]
    Corrupt(String),
    /// Genesis was already recorded.
    #[error("the data directory already holds a chain")]
    AlreadyInitialised,
    /// A block that does not follow the stored head.
    #[error("block {got} does not follow the stored head {head:?}")]
    NotNext {
        /// Stored head.
        head: Option<Height>,
        /// Offered block.
        got: Height,
    },
}
