//! The Sinew state machine: a pure, deterministic function from (state, block) to
//! (receipts, new state, state root).
//!
//! No clocks, no floats, no randomness that can change a verdict, no iteration over hash maps in
//! anything hashed. State is read through [`StateReader`] (the node backs it with redb, tests with
//! a `BTreeMap`), changes come out as a [`WriteSet`], and the state root is a Jellyfish Merkle tree
//! (the `jmt` crate) over every key, so any value can be proven against a block header.

pub mod account;
pub mod chain;
pub mod datanet;
pub mod error;
pub mod executor;
pub mod fuzz_harness;
pub mod genesis;
pub mod inference;
pub mod keys;
pub mod ledger_check;
pub mod ledger_fuzz;
pub mod reader;
pub mod tasks;
pub mod tree;

pub use account::{Account, Unbonding};
pub use chain::{Chain, ExecutedBlock};
pub use datanet::{BlobSource, BlobSourceError, Contribution, Datanet, DatanetVersion, IndexKey, NoBlobs};
pub use error::{BlockError, StorageError, TxRejection};
pub use executor::{BlockEffects, BlockExecutor};
pub use genesis::{Genesis, GenesisAccount};
pub use inference::{ApiKey, Hold, Model, Prepaid, Provider};
pub use keys::StateKey;
pub use reader::{MemState, StateReader, WriteSet};
pub use tasks::{Agent, Reputation, Task};
pub use tree::{verify_proof, StateProof, StateTree};
