//! The Sinew node: admits transactions into the mempool, orders them into blocks through an
//! [`sinew_consensus::Orderer`], commits blocks durably, and serves the HTTP API (JSON and
//! binary transaction submission, accounts with state proofs, blocks, receipts, an SSE event
//! stream, Prometheus metrics and an OpenAPI document).
//!
//! Business rules live in `sinew-state`; this crate moves bytes and keeps time.

mod admission;
pub mod api;
mod app;
pub mod clock;
pub mod config;
pub mod core;
mod error;
mod fanout;
pub mod gateway;
mod gateway_handle;
pub mod ledger;
pub mod mempool;
pub mod metrics;
mod outbox;
mod record_cache;
pub mod replay;
pub mod replica;
mod replica_blobs;
mod replica_gossip;
pub mod service;

pub use config::NodeConfig;
pub use core::{Node, NodeError};
pub use service::{start, RunningNode};
