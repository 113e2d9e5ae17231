//! The Sinew state machine: a pure, deterministic function from (state, block) to
//! (receipts, new state, state root).
//!
//! No clocks, no floats, no randomness that can change a verdict, no iteration over hash maps in
//! anything hashed. State is read through [`StateReader`] (the node backs it with its fjall store, tests
//! with a `BTreeMap`), changes come out as a [`WriteSet`], and the state root is a Jellyfish Merkle tree
//! (the `jmt` crate) over every key, so any value can be proven against a block header.
//!
//! The state machine is a set of modules (staking, datanet, inference, tasks), each owning its
//! payloads, records and module accounts, working through one transaction context (`ctx`).
//! [`executor`] owns the transaction contract (fee, nonce, what a failure keeps); [`dispatch`]
//! routes each payload to its module with exhaustive matches.

pub mod account_proof;
pub mod accounts;
pub mod blobs;
pub mod chain;
mod ctx;
pub mod datanet;
pub mod dispatch;
pub mod error;
pub mod executor;
pub mod genesis;
pub mod inference;
pub mod keys;
pub mod reader;
pub mod staking;
pub mod tasks;
pub mod tree;

pub use account_proof::{verify_account_view, AccountProofError};
pub use accounts::{Account, Unbonding};
pub use blobs::{BlobSource, BlobSourceError, IndexKey, NoBlobs, VersionContents};
pub use chain::{Chain, ExecutedBlock};
pub use datanet::{Contribution, Datanet, DatanetVersion};
pub use dispatch::stateless_checks;
pub use error::{BlockError, StorageError, TxRejection};
pub use executor::{BlockEffects, BlockExecutor};
pub use genesis::{genesis_writes, Genesis, GenesisAccount, GenesisValidator};
pub use inference::{ApiKey, Hold, Model, Prepaid, Provider};
pub use keys::StateKey;
pub use reader::{read, Layered, MemState, StateReader, WriteSet};
pub use tasks::{Agent, Reputation, Task};
pub use tree::{verify_proof, StateProof, StateTree};
