//! The playground: ask a model through the node's OpenAI-compatible endpoint with an API key,
//! watch the answer stream in, then see its attribution and, once final, its settlement. The
//! key stays in the browser and goes only to this node's `/v1/chat/completions`.

use crate::api::Api;
use crate::fmt;
use crate::layout::{page, Page};
use axum::extract::State;
use maud::html;
use serde_json::Value;

/// `GET /playground`.
pub async fn show(State(api): State<Api>) -> Page {
    let models: Value = api.get("/v1/models").await?;
    let names: Vec<String> = models["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| fmt::text(&m["id"]))
        .collect();
    let body = html! {
        noscript { p.error { "The playground streams answers with JavaScript; every other page reads without it." } }
        form #ask {
            div.row {
                label for="model" { "Model" }
                select #model name="model" {
                    @for n in &names { option value=(n) { (n) } }
                }
            }
            div.row {
                label for="key" { "API key" }
                input #key type="password" name="key" autocomplete="off" required placeholder="sk-…";
            }
            div.row {
                label for="prompt" { "Prompt" }
                textarea #prompt name="prompt" rows="3" required maxlength="4000" {}
            }
            div.row {
                label for="max" { "Most tokens" }
                input #max type="number" name="max" min="1" max="1024" value="64";
            }
            button type="submit" #go { "Ask" }
            @if names.is_empty() { p.muted { "No model is served by this node yet." } }
        }
        section #result aria-live="polite" hidden {
            h2 { "Answer" }
            p.answer #answer {}
            p #attribution.muted {}
            ul #weights {}
            p #settlement role="status" {}
        }
        p.muted { "The key is sent only to this node, with the request; the page keeps nothing." }
        script src="/assets/playground.js" defer {}
    };
    Ok(page("Playground", body))
}
