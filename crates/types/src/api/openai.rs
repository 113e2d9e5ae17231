//! The OpenAI-compatible answers, with Sinew's `sinew` field: the attribution of the answer and
//! what it paid to whom.

use super::answers::ReceiptSpan;
use crate::amount::{self, Amount};
use crate::inference::{Pricing, Split};
use crate::{Hash, TxId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `GET /v1/models`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ModelList {
    /// Always `list`.
    pub object: String,
    /// The models this gateway serves.
    pub data: Vec<ModelCard>,
}

/// A served model, as OpenAI lists models.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ModelCard {
    /// The model's name (what requests name).
    pub id: String,
    /// Always `model`.
    pub object: String,
    /// The height it was registered at.
    pub created: u64,
    /// Its owner's address.
    pub owned_by: String,
    /// What the ledger knows of it.
    pub sinew: ModelCardSinew,
}

/// The ledger's facts about a served model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ModelCardSinew {
    /// Its id on the ledger.
    pub model_id: u64,
    /// The base model.
    pub base_model: String,
    /// The adapter, if any.
    pub adapter: Option<String>,
    /// The datanet versions it was built from (datanet, version).
    pub datanets: Vec<(u64, u64)>,
    /// Its tokenizer.
    pub tokenizer: String,
    /// Its prices.
    pub pricing: Pricing,
    /// How its fees are split.
    pub split: Split,
}

/// Token counts, as OpenAI reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Usage {
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Answer tokens.
    pub completion_tokens: u64,
    /// Both.
    pub total_tokens: u64,
}

/// A chat message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChatMessage {
    /// `assistant` in answers.
    pub role: String,
    /// The text.
    pub content: String,
}

/// One choice of a chat completion (there is always exactly one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChatChoice {
    /// 0.
    pub index: u32,
    /// The answer.
    pub message: ChatMessage,
    /// Always null.
    pub logprobs: Option<serde_json::Value>,
    /// `stop` or `length`.
    pub finish_reason: String,
}

/// `POST /v1/chat/completions` (without `stream`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChatCompletion {
    /// `chatcmpl-` and the request id's start.
    pub id: String,
    /// `chat.completion`.
    pub object: String,
    /// Unix seconds.
    pub created: u64,
    /// The model's name.
    pub model: String,
    /// The answer.
    pub choices: Vec<ChatChoice>,
    /// Token counts.
    pub usage: Usage,
    /// Attribution and payment.
    pub sinew: SinewAnswer,
}

/// One choice of a text completion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CompletionChoice {
    /// 0.
    pub index: u32,
    /// The answer.
    pub text: String,
    /// Always null.
    pub logprobs: Option<serde_json::Value>,
    /// `stop` or `length`.
    pub finish_reason: String,
}

/// `POST /v1/completions` (without `stream`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Completion {
    /// `cmpl-` and the request id's start.
    pub id: String,
    /// `text_completion`.
    pub object: String,
    /// Unix seconds.
    pub created: u64,
    /// The model's name.
    pub model: String,
    /// The answer.
    pub choices: Vec<CompletionChoice>,
    /// Token counts.
    pub usage: Usage,
    /// Attribution and payment.
    pub sinew: SinewAnswer,
}

/// A span of the answer found in a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AttributedSpan {
    /// The span's text.
    pub text: String,
    /// The datanet of the record (absent if unknown).
    pub datanet: Option<u64>,
    /// Where it is.
    #[serde(flatten)]
    pub at: ReceiptSpan,
}

/// A contribution's share of an answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContributionWeight {
    /// The datanet.
    pub datanet: u64,
    /// The contribution.
    pub contribution: u64,
    /// Who contributed it.
    pub contributor: String,
    /// Parts per million of the contributors' share.
    pub ppm: u32,
}

/// Where the time of a request went, in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Timings {
    /// The model answering.
    pub answer: u64,
    /// Attribution.
    pub attribution: u64,
    /// Settlement on the ledger.
    pub settlement: u64,
}

/// The `sinew` field of an answer: its attribution and what it paid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SinewAnswer {
    /// The model's id.
    pub model_id: u64,
    /// The request id the settlement carries.
    pub request_id: Hash,
    /// The settlement transaction.
    pub settlement_tx: TxId,
    /// The fee charged.
    #[serde(with = "amount::as_string")]
    #[schemars(with = "String")]
    pub fee: Amount,
    /// The most the request could have cost (what was held).
    #[serde(with = "amount::as_string")]
    #[schemars(with = "String")]
    pub held: Amount,
    /// The attribution receipt's digest.
    pub receipt_id: Hash,
    /// The index attributed against.
    pub index: Hash,
    /// Its tokenizer.
    pub tokenizer: String,
    /// Shortest span kept.
    pub min_len: u64,
    /// Most occurrences of a kept span.
    pub max_count: u64,
    /// The spans.
    pub spans: Vec<AttributedSpan>,
    /// The contributions' shares.
    pub weights: Vec<ContributionWeight>,
    /// Where the time went.
    pub timings_us: Timings,
}
