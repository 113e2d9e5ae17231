//! The tools' arguments: each a struct whose JSON schema (schemars, through rmcp) is what a
//! model sees, with a description on every field. Unknown fields are refused, so a misspelt
//! argument is an error rather than a silently ignored one.

use rmcp::schemars::{self, JsonSchema};
use serde::Deserialize;

/// Find datanets.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindDatanets {
    /// Words to look for in a datanet's name, description or tags (case-insensitive); omit to list all.
    #[serde(default)]
    pub text: Option<String>,
    /// At most this many (default 20, at most 100).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Read a datanet's records.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadRecords {
    /// The datanet's id.
    pub datanet: u64,
    /// Only the records of this published version, in its index's order.
    #[serde(default)]
    pub version: Option<u64>,
    /// Only this contribution's records (not with `version`).
    #[serde(default)]
    pub contribution: Option<u64>,
    /// Records to skip.
    #[serde(default)]
    pub offset: Option<u64>,
    /// At most this many (default 10, at most 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Attribute a text to a datanet version.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeText {
    /// The datanet's id.
    pub datanet: u64,
    /// The published version (1 is the first).
    pub version: u64,
    /// The text to attribute.
    pub text: String,
    /// Shortest span kept, in bytes (default: the ledger's, 32).
    #[serde(default)]
    pub min_len: Option<u32>,
}

/// Find models.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindModels {
    /// Words to look for in a model's name or base model (case-insensitive); omit to list all.
    #[serde(default)]
    pub text: Option<String>,
}

/// Ask a model.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AskModel {
    /// The model's name (from find_models).
    pub model: String,
    /// The question or prompt.
    pub prompt: String,
    /// Longest answer, in tokens (default 128, at most 1024).
    #[serde(default)]
    pub max_tokens: Option<u32>,
}

/// List tasks.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTasks {
    /// Only tasks in this status: open, claimed, submitted, completed, failed, cancelled, closed.
    #[serde(default)]
    pub status: Option<String>,
    /// Only tasks of this kind.
    #[serde(default)]
    pub kind: Option<String>,
    /// At most this many (default 20, at most 100).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One task.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskRef {
    /// The task id (64 hex characters).
    pub task: String,
}

/// Post a task.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostTask {
    /// The kind of task (agents filter on it), e.g. "summarize".
    pub kind: String,
    /// What is asked, in words: stored as the task's specification.
    pub spec: String,
    /// The reward, in tokens (e.g. "2" or "0.5"), escrowed now and paid to the agent whose result is accepted.
    pub reward: String,
    /// The bond the claiming agent must lock, in tokens (default "0.1").
    #[serde(default)]
    pub bond: Option<String>,
    /// Blocks until the task's deadline (default 500).
    #[serde(default)]
    pub deadline_blocks: Option<u64>,
    /// Blocks an agent has, once it claims, to submit (default 100).
    #[serde(default)]
    pub claim_window_blocks: Option<u64>,
    /// Blocks the poster has to review a submitted result; silence accepts (default 20).
    #[serde(default)]
    pub review_window_blocks: Option<u64>,
}

/// Submit a result.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitResult {
    /// The task id (64 hex characters).
    pub task: String,
    /// The result, as text.
    pub result: String,
}

/// Review a result.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewResult {
    /// The task id (64 hex characters).
    pub task: String,
    /// Accept (pay the agent) or reject.
    pub accept: bool,
}

/// Register as an agent.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterAgent {
    /// Display name (1 to 64 bytes).
    pub name: String,
    /// Task kinds this agent takes (1 to 16).
    pub capabilities: Vec<String>,
    /// Stake to lock, in tokens (at least the ledger's minimum).
    pub stake: String,
}

/// Read an account.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetAccount {
    /// The address (64 hex characters); omit for this session's own account.
    #[serde(default)]
    pub address: Option<String>,
}
