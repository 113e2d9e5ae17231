//! Sinew on commonware. Everything commonware-specific lives in this crate, pinned to
//! `=2026.10.0`: the rest of the workspace never names a commonware type.
//!
//! - [`block`]: our block as commonware's block (digest = our header hash, context = the
//!   consensus round our header names).
//! - [`keys`]: validator keys on both sides.
//! - [`app`]: the ledger as marshal's application (build on a parent, re-execute a block),
//!   through the fork-aware [`sinew_consensus::Replica`] seam.
//! - [`finalizer`]: finalized blocks into the ledger, acknowledged only once committed.
//! - [`engine`]: one validator's stack (simplex, marshal, broadcast, backfill).
//! - [`network`]: a validator on a real network (commonware's tokio runtime on its own thread,
//!   authenticated p2p between the fixed validator set).

pub mod app;
pub mod block;
pub mod engine;
pub mod finalizer;
pub mod keys;
pub mod network;

pub use block::{BftBlock, BftContext, BlockCfg};
pub use engine::{start, Channels, ValidatorConfig};
