//! The bodies the API accepts besides transactions: attribution requests, and the
//! OpenAI-compatible requests as the SDK sends them (the node reads those leniently, as OpenAI's
//! clients write them).

use super::openai::ChatMessage;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `POST /v1/datanets/{id}/versions/{n}/attribute`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeRequest {
    /// The text to attribute (at most the ledger's answer size).
    pub text: String,
    /// Shortest span kept (default: the ledger's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_len: Option<usize>,
    /// Most occurrences of a kept span (default and ceiling: the ledger's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_count: Option<usize>,
    /// The index's tokenizer: bytes (default), gpt2 or cl100k.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenizer: Option<String>,
}

/// `POST /v1/registry/models/{id}/attribute`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelAttributeRequest {
    /// The text to attribute, as a settlement of the model would.
    pub text: String,
}

/// `POST /v1/chat/completions` (the fields the gateway reads).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChatRequest {
    /// The model's name.
    pub model: String,
    /// The conversation; the built-in model continues the last message.
    pub messages: Vec<ChatMessage>,
    /// Most answer tokens (`max_completion_tokens` is read too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Sampling seed (none: greedy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Stream the answer as server-sent events.
    #[serde(default)]
    pub stream: bool,
}

/// `POST /v1/completions` (the fields the gateway reads).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CompletionRequest {
    /// The model's name.
    pub model: String,
    /// The text to continue.
    pub prompt: String,
    /// Most answer tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Sampling seed (none: greedy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Stream the answer as server-sent events.
    #[serde(default)]
    pub stream: bool,
}
