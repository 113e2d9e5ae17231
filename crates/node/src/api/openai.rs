//! The OpenAI-compatible endpoints: `/v1/models`, `/v1/chat/completions`, `/v1/completions`,
//! with streaming (server-sent events). Standard clients work unchanged; the answer's
//! attribution and settlement ride in an extra `sinew` field they ignore.

use crate::core::Node;
use crate::gateway::{Answer, GatewayError, InferenceRequest, UpstreamError};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use sinew_attribution::Tokenizer;
use sinew_types::api::answers::ReceiptSpan;
use sinew_types::api::openai::{
    AttributedSpan, ChatChoice, ChatCompletion, ChatMessage, Completion, CompletionChoice, ContributionWeight,
    ModelCard, ModelCardSinew, ModelList, SinewAnswer, Timings, Usage,
};
use sinew_types::inference::Voucher;
use std::convert::Infallible;
use std::sync::Arc;

/// An error in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.
pub struct OpenAiError(StatusCode, &'static str, &'static str, String);

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        let OpenAiError(status, kind, code, message) = self;
        (
            status,
            Json(json!({ "error": { "message": message, "type": kind, "param": null, "code": code } })),
        )
            .into_response()
    }
}

fn bad(message: impl Into<String>) -> OpenAiError {
    OpenAiError(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        "invalid_request",
        message.into(),
    )
}

impl From<GatewayError> for OpenAiError {
    fn from(e: GatewayError) -> Self {
        let m = e.to_string();
        match e {
            GatewayError::NotServing => OpenAiError(StatusCode::SERVICE_UNAVAILABLE, "server_error", "not_serving", m),
            GatewayError::Unauthorized(_) => {
                OpenAiError(StatusCode::UNAUTHORIZED, "invalid_request_error", "invalid_api_key", m)
            }
            GatewayError::ModelNotFound(_) => {
                OpenAiError(StatusCode::NOT_FOUND, "invalid_request_error", "model_not_found", m)
            }
            GatewayError::BadRequest(_) => bad(m),
            GatewayError::InsufficientFunds(_) => OpenAiError(
                StatusCode::PAYMENT_REQUIRED,
                "insufficient_quota",
                "insufficient_quota",
                m,
            ),
            GatewayError::Upstream(UpstreamError::Timeout(_)) => {
                OpenAiError(StatusCode::GATEWAY_TIMEOUT, "upstream_error", "upstream_timeout", m)
            }
            GatewayError::Upstream(_) => OpenAiError(StatusCode::BAD_GATEWAY, "upstream_error", "upstream_error", m),
            GatewayError::Forbidden(_) => OpenAiError(StatusCode::FORBIDDEN, "permission_error", "key_scope", m),
            GatewayError::Ledger { .. } => {
                OpenAiError(StatusCode::CONFLICT, "invalid_request_error", "ledger_refused", m)
            }
            GatewayError::Timeout(_) => {
                OpenAiError(StatusCode::SERVICE_UNAVAILABLE, "server_error", "ledger_timeout", m)
            }
            GatewayError::SettlementPending { .. } => {
                OpenAiError(StatusCode::GATEWAY_TIMEOUT, "server_error", "settlement_pending", m)
            }
            GatewayError::Unavailable(_) => OpenAiError(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                "provider_unavailable",
                m,
            ),
            GatewayError::Internal(_) => internal(m),
        }
    }
}

/// A failure of the node itself, in OpenAI's shape.
fn internal(e: impl std::fmt::Display) -> OpenAiError {
    OpenAiError(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "internal",
        e.to_string(),
    )
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get("authorization")?.to_str().ok()?;
    let key = v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer "))?.trim();
    (!key.is_empty()).then(|| key.to_string())
}

/// The payer's voucher, from the `sinew-voucher` header (hex of its canonical encoding).
fn voucher(headers: &HeaderMap) -> Result<Option<Voucher>, OpenAiError> {
    let Some(v) = headers.get("sinew-voucher") else {
        return Ok(None);
    };
    let bad_voucher = || bad("the sinew-voucher header must be the hex of a borsh-encoded voucher");
    let hex = v.to_str().map_err(|_| bad_voucher())?;
    if hex.len() > 1024 {
        return Err(bad_voucher());
    }
    let bytes = hex::decode(hex.trim()).map_err(|_| bad_voucher())?;
    borsh::from_slice(&bytes).map(Some).map_err(|_| bad_voucher())
}

/// GET /v1/models: the active models this gateway serves.
pub async fn models(State(node): State<Arc<Node>>) -> Result<Json<ModelList>, OpenAiError> {
    let models = tokio::task::spawn_blocking(move || node.served_models())
        .await
        .map_err(internal)??;
    let data = models
        .into_iter()
        .map(|m| ModelCard {
            id: m.info.name.clone(),
            object: "model".into(),
            created: m.created_at,
            owned_by: m.owner.to_string(),
            sinew: ModelCardSinew {
                model_id: m.id,
                base_model: m.info.base_model,
                adapter: m.info.adapter,
                datanets: m.info.datanets,
                tokenizer: m.info.tokenizer,
                pricing: m.pricing,
                split: m.split,
            },
        })
        .collect();
    Ok(Json(ModelList {
        object: "list".into(),
        data,
    }))
}

/// Common request fields, validated.
struct Parsed {
    req: InferenceRequest,
    stream: bool,
    include_usage: bool,
}

fn parse_common(v: &Value, headers: &HeaderMap, messages: Vec<(String, String)>) -> Result<Parsed, OpenAiError> {
    let model = v["model"]
        .as_str()
        .filter(|m| !m.is_empty())
        .ok_or_else(|| bad("`model` is required (a string)"))?
        .to_string();
    let num = |k: &str| -> Result<Option<f64>, OpenAiError> {
        match &v[k] {
            Value::Null => Ok(None),
            x => x
                .as_f64()
                .map(Some)
                .ok_or_else(|| bad(format!("`{k}` must be a number"))),
        }
    };
    if let Some(t) = num("temperature")? {
        if !(0.0..=2.0).contains(&t) {
            return Err(bad("`temperature` must be within 0..=2"));
        }
    }
    if let Some(p) = num("top_p")? {
        if !(p > 0.0 && p <= 1.0) {
            return Err(bad("`top_p` must be within (0, 1]"));
        }
    }
    if let Some(n) = num("n")? {
        if n != 1.0 {
            return Err(bad("only `n` = 1 is supported"));
        }
    }
    let max_tokens = match (&v["max_completion_tokens"], &v["max_tokens"]) {
        (Value::Null, Value::Null) => None,
        (Value::Null, x) | (x, _) => Some(
            x.as_u64()
                .filter(|n| *n >= 1 && *n <= u64::from(u32::MAX))
                .ok_or_else(|| bad("`max_tokens` must be a positive integer"))? as u32,
        ),
    };
    let seed = match &v["seed"] {
        Value::Null => None,
        x => Some(
            x.as_i64()
                .map(|s| s as u64)
                .ok_or_else(|| bad("`seed` must be an integer"))?,
        ),
    };
    let stream = match &v["stream"] {
        Value::Null => false,
        x => x.as_bool().ok_or_else(|| bad("`stream` must be a boolean"))?,
    };
    let include_usage = v["stream_options"]["include_usage"].as_bool().unwrap_or(false);
    Ok(Parsed {
        req: InferenceRequest {
            model,
            messages,
            max_tokens,
            seed,
            voucher: voucher(headers)?,
        },
        stream,
        include_usage,
    })
}

/// The body and header parsers of chat and text completions, on arbitrary bytes (fuzzing).
pub(super) fn fuzz_body(data: &[u8]) {
    let mut headers = HeaderMap::new();
    if let Ok(v) = axum::http::HeaderValue::from_bytes(data) {
        headers.insert("sinew-voucher", v.clone());
        headers.insert("authorization", v);
        let _ = voucher(&headers);
        let _ = bearer(&headers);
    }
    if let Ok(v) = parse_json(data) {
        if let Ok(messages) = chat_messages(&v) {
            let _ = parse_common(&v, &HeaderMap::new(), messages);
        }
        let _ = parse_common(&v, &HeaderMap::new(), vec![("user".into(), String::new())]);
    }
}

fn parse_json(body: &[u8]) -> Result<Value, OpenAiError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| bad(format!("malformed JSON: {e}")))?;
    if !v.is_object() {
        return Err(bad("the body must be a JSON object"));
    }
    Ok(v)
}

fn chat_messages(v: &Value) -> Result<Vec<(String, String)>, OpenAiError> {
    let msgs = v["messages"]
        .as_array()
        .filter(|m| !m.is_empty())
        .ok_or_else(|| bad("`messages` must be a non-empty array"))?;
    msgs.iter()
        .enumerate()
        .map(|(i, m)| {
            let role = m["role"]
                .as_str()
                .filter(|r| ["system", "developer", "user", "assistant", "tool"].contains(r))
                .ok_or_else(|| {
                    bad(format!(
                        "messages[{i}].role must be system, developer, user, assistant or tool"
                    ))
                })?;
            let content = match &m["content"] {
                Value::String(s) => s.clone(),
                Value::Array(parts) => parts
                    .iter()
                    .map(|p| p["text"].as_str().unwrap_or(""))
                    .collect::<Vec<_>>()
                    .join(""),
                Value::Null if role == "assistant" => String::new(),
                _ => return Err(bad(format!("messages[{i}].content must be a string"))),
            };
            Ok((role.to_string(), content))
        })
        .collect()
}

/// The `sinew` field: settlement and attribution of the answer.
fn sinew_field(a: &Answer) -> SinewAnswer {
    let t = a.receipt.tokenizer;
    let w = t.width();
    let codes = t.encode_lossy(a.text.as_bytes());
    let span_text = |off: u64, len: u64| {
        let (s, e) = (off as usize * w, (off + len) as usize * w);
        codes
            .get(s..e)
            .and_then(|c| Tokenizer::decode(t, c).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    };
    let who = |tagged: u64| a.contributors.iter().find(|c| c.tagged == tagged);
    let spans = a
        .receipt
        .spans
        .iter()
        .map(|s| {
            let c = who(s.contribution);
            AttributedSpan {
                text: span_text(s.answer_offset, s.len),
                datanet: c.map(|c| c.datanet),
                at: ReceiptSpan {
                    answer_offset: s.answer_offset,
                    len: s.len,
                    contribution: c.map_or(s.contribution, |c| c.contribution),
                    record: s.record,
                    record_offset: s.record_offset,
                },
            }
        })
        .collect();
    let weights = a
        .receipt
        .weights
        .iter()
        .zip(&a.contributors)
        .map(|((_, ppm), c)| ContributionWeight {
            datanet: c.datanet,
            contribution: c.contribution,
            contributor: c.contributor.to_string(),
            ppm: *ppm,
        })
        .collect();
    SinewAnswer {
        model_id: a.model_id,
        request_id: a.request_id,
        settlement_tx: a.settlement,
        fee: a.fee,
        held: a.held,
        receipt_id: a.receipt.digest(),
        index: a.receipt.index,
        tokenizer: t.name().into(),
        min_len: a.receipt.min_len,
        max_count: a.receipt.max_count,
        spans,
        weights,
        timings_us: Timings {
            answer: a.timings_us[0],
            attribution: a.timings_us[1],
            settlement: a.timings_us[2],
        },
    }
}

async fn run(node: Arc<Node>, key: Option<String>, req: InferenceRequest) -> Result<Answer, OpenAiError> {
    tokio::task::spawn_blocking(move || node.infer(key.as_deref(), &req))
        .await
        .map_err(internal)?
        .map_err(OpenAiError::from)
}

fn usage(a: &Answer) -> Usage {
    Usage {
        prompt_tokens: a.input_tokens,
        completion_tokens: a.output_tokens,
        total_tokens: a.input_tokens + a.output_tokens,
    }
}

/// Splits an answer into stream chunks of a few tokens' worth of text (on char boundaries).
fn chunks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in text.chars() {
        cur.push(ch);
        if cur.len() >= 16 && (ch == ' ' || ch == '\n') {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

type SseResponse = Sse<futures::stream::Iter<std::vec::IntoIter<Result<SseEvent, Infallible>>>>;

fn sse(events: Vec<Value>) -> SseResponse {
    let mut items: Vec<Result<SseEvent, Infallible>> = events
        .into_iter()
        .map(|e| Ok(SseEvent::default().data(e.to_string())))
        .collect();
    items.push(Ok(SseEvent::default().data("[DONE]")));
    Sse::new(futures::stream::iter(items))
}

/// POST /v1/chat/completions.
pub async fn chat(State(node): State<Arc<Node>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    match chat_inner(node, headers, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn chat_inner(node: Arc<Node>, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, OpenAiError> {
    let v = parse_json(&body)?;
    let p = parse_common(&v, &headers, chat_messages(&v)?)?;
    let model = p.req.model.clone();
    let created = node.clock.now_ms() / 1000;
    let a = run(node, bearer(&headers), p.req).await?;
    let id = format!("chatcmpl-{}", &a.request_id.to_string()[..24]);
    if !p.stream {
        return Ok(Json(ChatCompletion {
            id,
            object: "chat.completion".into(),
            created,
            model,
            choices: vec![ChatChoice {
                index: 0,
                message: ChatMessage {
                    role: "assistant".into(),
                    content: a.text.clone(),
                },
                logprobs: None,
                finish_reason: a.finish_reason.into(),
            }],
            usage: usage(&a),
            sinew: sinew_field(&a),
        })
        .into_response());
    }
    let chunk = |delta: Value, finish: Value| {
        json!({ "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish }] })
    };
    let mut events = vec![chunk(json!({ "role": "assistant", "content": "" }), Value::Null)];
    events.extend(
        chunks(&a.text)
            .into_iter()
            .map(|c| chunk(json!({ "content": c }), Value::Null)),
    );
    let mut last = chunk(json!({}), json!(a.finish_reason));
    last["sinew"] = json!(sinew_field(&a));
    events.push(last);
    if p.include_usage {
        events.push(
            json!({ "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                            "choices": [], "usage": usage(&a) }),
        );
    }
    Ok(sse(events).into_response())
}

/// POST /v1/completions.
pub async fn completions(State(node): State<Arc<Node>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    match completions_inner(node, headers, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn completions_inner(
    node: Arc<Node>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, OpenAiError> {
    let v = parse_json(&body)?;
    let prompt = match &v["prompt"] {
        Value::String(s) => s.clone(),
        Value::Array(a) if a.len() == 1 && a[0].is_string() => a[0].as_str().unwrap_or_default().to_string(),
        _ => return Err(bad("`prompt` must be a string (or an array of one string)")),
    };
    let p = parse_common(&v, &headers, vec![("user".into(), prompt)])?;
    let model = p.req.model.clone();
    let created = node.clock.now_ms() / 1000;
    let a = run(node, bearer(&headers), p.req).await?;
    let id = format!("cmpl-{}", &a.request_id.to_string()[..24]);
    if !p.stream {
        return Ok(Json(Completion {
            id,
            object: "text_completion".into(),
            created,
            model,
            choices: vec![CompletionChoice {
                index: 0,
                text: a.text.clone(),
                logprobs: None,
                finish_reason: a.finish_reason.into(),
            }],
            usage: usage(&a),
            sinew: sinew_field(&a),
        })
        .into_response());
    }
    let chunk = |text: &str, finish: Value| {
        json!({ "id": id, "object": "text_completion", "created": created, "model": model,
                "choices": [{ "index": 0, "text": text, "logprobs": null, "finish_reason": finish }] })
    };
    let mut events: Vec<Value> = chunks(&a.text).iter().map(|c| chunk(c, Value::Null)).collect();
    let mut last = chunk("", json!(a.finish_reason));
    last["sinew"] = json!(sinew_field(&a));
    if p.include_usage {
        last["usage"] = json!(usage(&a));
    }
    events.push(last);
    Ok(sse(events).into_response())
}
