//! Core types of the Sinew ledger: identifiers, amounts, transactions, blocks, receipts and
//! events, with their canonical (borsh) encoding, BLAKE3 hashing and ed25519 signing.
//!
//! Everything here is pure: no I/O, no clocks, no randomness except key generation.

pub mod address;
pub mod amount;
pub mod api;
pub mod blob_tree;
pub mod block;
pub mod datanet;
pub mod encoding;
pub mod error;
pub mod event;
pub mod failure;
pub mod genesis;
pub mod hash;
pub mod inference;
pub mod merkle;
pub mod params;
pub mod payload;
pub mod receipt;
pub mod records;
mod schema;
pub mod signing;
pub mod task;
pub mod tx;
pub mod wire;

pub use address::Address;
pub use amount::Amount;
pub use block::{Block, BlockHeader, ConsensusRound};
pub use error::DecodeError;
pub use event::{DatanetEvent, Event, InferenceEvent, StakingEvent, TaskEvent};
pub use failure::FailureCode;
pub use hash::Hash;
pub use params::{Params, ParamsUpdate};
pub use payload::Payload;
pub use receipt::{Receipt, TxStatus};
pub use signing::{Keypair, SignatureBytes};
pub use tx::{SignedTransaction, Transaction, TxId};

/// Block height; genesis is height 0.
pub type Height = u64;
/// Per-account transaction counter; the next valid nonce equals the account's current nonce.
pub type Nonce = u64;
