//! Sinew on commonware. Everything commonware-specific lives in this crate, pinned to
//! `=2026.10.0`: the rest of the workspace never names a commonware type.
//!
//! - [`block`]: our block as commonware's block (digest = our header hash, context = the
//!   consensus round our header names).
//! - [`keys`]: validator keys on both sides.
//! - [`app`]: the ledger as marshal's application (build on a parent, re-execute a block),
//!   through the fork-aware [`sinew_consensus::Replica`] seam.
//! - [`blobs`]: blobs between validators, fetched piece by piece and checked against their id.
//! - [`gossip`]: admitted transactions sent to every other validator, theirs admitted here.
//! - [`hello`]: validators compare their genesis and peers before consensus starts; the odd
//!   one out refuses to start, naming the difference.
//! - [`monitor`]: where consensus stands (view, leader, blocked peers, proven faults) and the
//!   finalization certificate of a height; [`certificate`] checks one as a light client does.
//! - [`finalizer`]: finalized blocks into the ledger, acknowledged only once committed.
//! - [`engine`]: one validator's stack (simplex, marshal, broadcast, backfill).
//! - [`network`]: a validator on a real network (commonware's tokio runtime on its own thread,
//!   authenticated p2p between the fixed validator set).

pub mod app;
pub mod blobs;
pub mod block;
pub mod certificate;
pub mod engine;
mod exec;
pub mod finalizer;
pub mod gossip;
pub mod hello;
pub mod keys;
pub mod monitor;
pub mod network;

pub use block::{BftBlock, BftContext, BlockCfg};
pub use engine::{start, Channels, ValidatorConfig};
