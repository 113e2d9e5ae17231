//! The ledger's records as it stores them, one file per module: what the state machine reads and
//! writes, what the API answers, what clients deserialize. Pure data and the pure functions of
//! it (a reputation score, a record's hash), shared by the state machine and every client.

mod account;
mod consensus;
mod datanet;
mod inference;
mod tasks;

pub use account::{Account, Unbonding};
pub use consensus::Validator;
pub use datanet::{
    contribution_leaf, Contribution, Datanet, DatanetVersion, Vote, MAX_FLAGS, MAX_VERSION_BYTES, MAX_VOTES,
};
pub use inference::{api_key_hash, model_name_hash, ApiKey, Delegation, Hold, Model, Prepaid, Provider, Settled};
pub use tasks::{capability_hash, Agent, Attestation, Funder, Reputation, Task};
