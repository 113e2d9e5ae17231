//! Storage errors.

use sinew_types::Height;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database engine failed (I/O, lock held by another process, ...).
    #[error("database error: {0}")]
    Db(String),
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

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Db(e.to_string())
            }
        }
    )*};
}

from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
