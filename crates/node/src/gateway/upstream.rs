//! Calling an upstream OpenAI-compatible server (llama.cpp, vLLM, Ollama...): one chat
//! completion, with the registered adapter (or base model) as the model name.

use super::InferenceRequest;
use serde_json::{json, Value};

/// Why an upstream answer is unusable. The caller is charged nothing.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// It did not answer in time.
    #[error("the upstream did not answer in time: {0}")]
    Timeout(String),
    /// It could not be reached or answered with an error status.
    #[error("the upstream failed: {0}")]
    Failed(String),
    /// Its answer is not an OpenAI chat completion.
    #[error("the upstream's answer is malformed: {0}")]
    Malformed(String),
    /// Its answer does not add up (token counts, size).
    #[error("the upstream's answer is implausible: {0}")]
    Implausible(String),
}

/// What the upstream answered.
pub struct UpstreamReply {
    /// The answer text.
    pub text: String,
    /// The answer tokens it claims.
    pub completion_tokens: Option<u64>,
    /// Why it stopped.
    pub finish_reason: &'static str,
}

/// One chat completion from `base_url`.
pub fn chat(
    agent: &ureq::Agent,
    base_url: &str,
    model: &str,
    req: &InferenceRequest,
    max_tokens: u32,
) -> Result<UpstreamReply, UpstreamError> {
    let url = format!("{}/v1/chat/completions", base_url.trim_end_matches('/'));
    let messages: Vec<Value> = req
        .messages
        .iter()
        .map(|(role, content)| json!({ "role": role, "content": content }))
        .collect();
    let mut body = json!({ "model": model, "messages": messages, "max_tokens": max_tokens });
    if let Some(seed) = req.seed {
        body["seed"] = json!(seed);
    }
    let resp = agent.post(&url).send_json(body).map_err(|e| match e {
        ureq::Error::Status(code, r) => {
            UpstreamError::Failed(format!("status {code}: {}", r.into_string().unwrap_or_default()))
        }
        ureq::Error::Transport(t) if t.to_string().contains("timed out") => UpstreamError::Timeout(t.to_string()),
        ureq::Error::Transport(t) => UpstreamError::Failed(t.to_string()),
    })?;
    let v: Value = resp.into_json().map_err(|e| {
        if e.kind() == std::io::ErrorKind::TimedOut || e.kind() == std::io::ErrorKind::WouldBlock {
            UpstreamError::Timeout(e.to_string())
        } else {
            UpstreamError::Malformed(e.to_string())
        }
    })?;
    let choice = &v["choices"][0];
    let text = choice["message"]["content"]
        .as_str()
        .ok_or_else(|| UpstreamError::Malformed("no choices[0].message.content".into()))?
        .to_string();
    let finish_reason = match choice["finish_reason"].as_str() {
        Some("length") => "length",
        _ => "stop",
    };
    let completion_tokens = match &v["usage"]["completion_tokens"] {
        Value::Null => None,
        n => Some(
            n.as_u64()
                .ok_or_else(|| UpstreamError::Malformed("usage.completion_tokens is not a count".into()))?,
        ),
    };
    Ok(UpstreamReply {
        text,
        completion_tokens,
        finish_reason,
    })
}
