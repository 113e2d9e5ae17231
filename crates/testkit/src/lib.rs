//! Sinew's test kit (dev-only; never a dependency of a production crate).
//!
//! - [`genesis`]: the dev genesis tests start from, and supply sums.
//! - [`blobs`]: blobs in memory, cut and indexed by the node's own functions.
//! - [`net`]: a one-replica chain for rule-by-rule tests, with fixtures (a datanet, a published
//!   version, a provider serving a model) and [`net::Net::expect_failure`].
//! - [`invariants`]: the whole-ledger invariant checked after every block.
//! - [`world`] and [`ops`]: a ledger of several replicas driven by an operation generator that
//!   covers every payload kind, honest or hostile.
//! - [`replica`]: a validator's ledger in memory behind the fork-aware seam consensus drives.
//! - [`harness`]: the entry points of the fuzz targets and property tests.
//! - [`sim`]: the seeded simulation with a durable replica that crashes and reopens.
#![warn(missing_docs)]

pub mod blobs;
pub mod genesis;
pub mod harness;
pub mod invariants;
pub mod kinds;
pub mod net;
pub mod ops;
pub mod replica;
pub mod rng;
pub mod sim;
pub mod world;

pub use blobs::MemBlobs;
pub use genesis::{supply, test_genesis, total_held};
pub use invariants::check_ledger;
pub use kinds::OpKind;
pub use net::Net;
pub use replica::MemReplica;
pub use sim::{simulate, SimConfig, SimFailure, SimReport};
pub use world::{Violation, World};
