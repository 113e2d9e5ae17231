//! One MCP session: the ledger it acts on with the key given at start, its spend budget, and
//! the per-provider API keys it registered for paid answers. Tools live in `read_tools.rs` (no
//! tokens move) and `pay_tools.rs` (each says what it pays or locks, and refuses above the
//! session's limits); resources (datanet, model and task cards) in `resources.rs`.

use crate::budget::{Budget, Limits, OverLimit};
use crate::ledger::{Ledger, LedgerError};
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ProtocolVersion, ServerCapabilities, ServerConfig};
use rmcp::ErrorData as McpError;
use sinew_types::{Address, Hash};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// What the server was started with; every session is made from it.
#[derive(Clone)]
pub struct Settings {
    /// The node and the signing key.
    pub ledger: Arc<Ledger>,
    /// Each session's limits.
    pub session: Limits,
    /// All sessions' budget together (HTTP serves many sessions).
    pub server: Arc<Budget>,
    /// API keys registered for paid answers, by provider, shared by all sessions (each is
    /// voucher-only and capped at the server's limits).
    pub api_keys: Arc<Mutex<BTreeMap<Address, String>>>,
}

impl Settings {
    /// Settings for a server acting with `ledger` under `session` limits per session and
    /// `server` limits over all sessions.
    pub fn new(ledger: Ledger, session: Limits, server: Limits) -> Settings {
        Settings {
            ledger: Arc::new(ledger),
            session,
            server: Budget::new(server, "server", None),
            api_keys: Arc::new(Mutex::new(BTreeMap::new())),
        }
    }
}

/// One session of the MCP server.
#[derive(Clone)]
pub struct SinewMcp {
    pub(crate) ledger: Arc<Ledger>,
    pub(crate) budget: Arc<Budget>,
    pub(crate) server_limits: Limits,
    /// API keys registered for paid answers, by provider (shared with every session).
    pub(crate) api_keys: Arc<Mutex<BTreeMap<Address, String>>>,
}

impl SinewMcp {
    /// A new session with its own budget inside the server's.
    pub fn new(s: &Settings) -> SinewMcp {
        SinewMcp {
            ledger: s.ledger.clone(),
            budget: Budget::new(s.session, "session", Some(s.server.clone())),
            server_limits: s.server.limits(),
            api_keys: s.api_keys.clone(),
        }
    }

    /// The session's own address.
    pub fn address(&self) -> Address {
        self.ledger.key.address()
    }
}

/// The server's self-description: what it offers and how spending works.
pub fn info() -> ServerConfig {
    ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_resources().build())
        .with_protocol_version(ProtocolVersion::V_2025_11_25)
        .with_server_info(Implementation::new("sinew", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "Sinew is an open ledger for AI: datanets (versioned datasets), models with their lineage, \
             paid answers attributed to the data that shaped them, and tasks agents take for rewards. \
             Tools act with this server's key. Tools that move tokens say so and refuse calls above \
             the session's spend limits (get_account shows what is left). Amounts are in tokens \
             (\"1.5\"); ids of tasks and addresses are 64 hex characters. Resources: \
             sinew://datanets/{id}, sinew://models/{id}, sinew://tasks/{id}.",
        )
}

/// A tool's answer: pretty JSON as text.
pub fn ok(value: serde_json::Value) -> Result<CallToolResult, McpError> {
    let text = serde_json::to_string_pretty(&value).expect("JSON values serialise");
    Ok(CallToolResult::success(vec![ContentBlock::text(text)]))
}

/// A ledger refusal or failure, shown to the model as a tool error it can act on (with the
/// ledger's code), or an MCP error when the node cannot be reached.
pub fn ledger_error(e: LedgerError) -> Result<CallToolResult, McpError> {
    use sinew_sdk::SdkError;
    let (code, message) = match &e {
        LedgerError::Sdk(SdkError::Failed { code, message, .. }) => (code.code().to_string(), message.clone()),
        LedgerError::Sdk(SdkError::Refused { code, message, .. }) => (code.clone(), message.clone()),
        LedgerError::Sdk(SdkError::Dropped { code, reason, .. }) => (code.clone(), reason.clone()),
        LedgerError::Sdk(SdkError::Api { code, message, .. }) => (code.clone(), message.clone()),
        LedgerError::Sdk(SdkError::Pending { tx }) => (
            "pending".into(),
            format!("transaction {tx} is still pending: it may commit; check before retrying"),
        ),
        LedgerError::Sdk(SdkError::Decode(m)) => ("bad_answer".into(), m.clone()),
        LedgerError::Sdk(SdkError::Transport(_)) | LedgerError::Cancelled => {
            return Err(McpError::internal_error(
                format!("the node cannot be reached: {e}"),
                None,
            ))
        }
    };
    let text = serde_json::json!({ "error": code, "message": message }).to_string();
    Ok(CallToolResult::error(vec![ContentBlock::text(text)]))
}

/// A spend above the limits, as an MCP error (nothing was sent).
pub fn over_limit(e: OverLimit) -> McpError {
    McpError::invalid_request(
        e.to_string(),
        Some(serde_json::json!({ "limit": e.which, "needed": e.amount.to_string(), "left": e.left.to_string() })),
    )
}

/// A malformed argument, as an MCP error.
pub fn bad_arg(message: impl Into<String>) -> McpError {
    McpError::invalid_params(message.into(), None)
}

/// A task id argument.
pub fn task_id(s: &str) -> Result<Hash, McpError> {
    s.parse()
        .map_err(|_| bad_arg(format!("task must be 64 hex characters, got {s:?}")))
}

/// A token amount argument, in base units.
pub fn tokens(what: &str, s: &str) -> Result<u128, McpError> {
    sinew_types::amount::parse_tokens(s).map_err(|e| bad_arg(format!("{what}: {e}")))
}

/// Base units as tokens for people, exactly.
pub fn show(a: u128) -> String {
    sinew_sdk::format_amount(a)
}
