//! Why the node could not do what was asked.

use sinew_store::StoreError;

/// Why the node could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The data directory and the configuration disagree, or files are damaged.
    #[error("{0}")]
    Setup(String),
    /// A query named a height whose state is not kept.
    #[error("{0}")]
    NotAvailable(String),
}
