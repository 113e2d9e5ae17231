//! Sinew on commonware. Everything commonware-specific lives in this crate, pinned to
//! `=2026.10.0`: the rest of the workspace never names a commonware type. So far it holds our
//! block as commonware's block (`block.rs`): the seam marshal (block dissemination, backfill,
//! in-order delivery of finalized blocks) and simplex (which orders the block's digest) build
//! on. The engine itself is the next step of #12.

pub mod block;

pub use block::{BftBlock, BlockCfg};
