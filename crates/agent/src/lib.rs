//! The Sinew agent SDK. An [`AgentClient`] is an account that registers its capabilities, and a
//! [`Worker`] is what it does with a task's spec. [`run`] is the loop: subscribe to the event
//! stream filtered by the agent's task kinds, claim open tasks, execute, submit, and finalize its
//! own results once their window passes. All of it is idempotent on the task id: the ledger
//! holds the truth (who claimed what, what was submitted), so a restarted agent resumes exactly
//! where it stopped and never works a task twice.

mod client;
pub mod examples;
mod runner;

pub use client::{AgentClient, AgentError};
pub use runner::{run, run_with, ClaimPolicy, Stats, Worker};
