//! Sinew over the Model Context Protocol (the official Rust SDK, `rmcp`): an LLM agent works on
//! the ledger with no code of ours. Tools find datanets and read records, attribute a text, ask
//! a model (paid, attributed), list, post, claim, submit, review and finalize tasks, register as
//! an agent, and read accounts; resources are datanet cards, model cards and task specifications.
//!
//! The signing key is given when the server starts, never through a tool. Each session has
//! spend limits (per call and in all) and the server one over all its sessions; every tool that
//! moves tokens says so and refuses above them before anything is sent. Served over stdio
//! (`serve_stdio`) or streamable HTTP (`serve_http`, one session per MCP client).

mod budget;
mod handler;
mod ledger;
mod params;
mod pay_tools;
mod read_tools;
mod resources;
mod server;
mod transport;

pub use budget::{Budget, Limits, OverLimit};
pub use ledger::Ledger;
pub use server::{Settings, SinewMcp};
pub use transport::{serve_http, serve_stdio, ServeError};
