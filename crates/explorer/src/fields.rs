//! Any record, payload or event the API returns, rendered as a readable table of its fields:
//! every kind is readable without a template of its own, and a field whose name says what it
//! points at (an address, a model, a datanet, a task, a transaction) links to that page.

use crate::fmt;
use maud::{html, Markup};
use serde_json::Value;

/// Field names that hold an account address.
const ADDRESS_FIELDS: &[&str] = &[
    "signer",
    "to",
    "from",
    "owner",
    "contributor",
    "provider",
    "payer",
    "poster",
    "agent",
    "account",
    "address",
    "reviewer",
    "staker",
    "delegator",
    "claimant",
    "actor",
    "proposer",
    "validator",
    "funder",
    "challenger",
    "verifier",
    "worker",
    "leader",
];

/// Field names that hold an amount of base units.
const AMOUNT_FIELDS: &[&str] = &[
    "amount",
    "balance",
    "fee",
    "max_fee",
    "staked",
    "stake",
    "bond",
    "reward",
    "platform",
    "owner_share",
    "contributors",
    "forfeited",
    "held",
    "spent",
    "withdrawing",
    "earned",
    "fees",
    "rewards",
    "input_per_1k",
    "output_per_1k",
    "max_per_request",
    "limit",
    "deposit",
    "prepaid_available",
    "escrow",
    "slashed",
];

/// A table of `v`'s fields (an object), or the value itself.
pub fn render(v: &Value) -> Markup {
    match v {
        Value::Object(map) => html! {
            dl.fields {
                @for (k, x) in map {
                    dt { (k) }
                    dd { (field(k, x)) }
                }
            }
        },
        other => field("", other),
    }
}

/// One field's value, linked when its name says what it is.
pub fn field(name: &str, v: &Value) -> Markup {
    match v {
        Value::String(s) if fmt::is_hex32(s) && ADDRESS_FIELDS.contains(&name) => fmt::account(s),
        Value::String(s) if fmt::is_hex32(s) && (name == "tx_id" || name == "tx") => fmt::tx(s),
        Value::String(s) if fmt::is_hex32(s) && (name == "task" || name == "task_id") => {
            html! { a.mono href=(format!("/tasks/{s}")) title=(s) { (fmt::short(s)) } }
        }
        Value::String(s) if fmt::is_hex32(s) && name == "blob" => {
            html! { a.mono href=(format!("/v1/blobs/{s}")) title=(s) { (fmt::short(s)) } }
        }
        Value::String(s) if fmt::is_hex32(s) => fmt::hash(s),
        Value::String(_) | Value::Number(_) if AMOUNT_FIELDS.contains(&name) && fmt::parse_amount(v).is_some() => {
            fmt::amount(v)
        }
        Value::Number(n) if name == "model" => link("models", n),
        Value::Number(n) if name == "datanet" => link("datanets", n),
        Value::Number(n) if name == "height" || name == "created_at" || name == "registered_at" => {
            n.as_u64().map_or_else(|| html! { (n) }, fmt::block)
        }
        Value::String(s) => html! { span.str { (s) } },
        Value::Number(n) => html! { (n) },
        Value::Bool(b) => html! { (if *b { "yes" } else { "no" }) },
        Value::Null => html! { span.muted { "none" } },
        Value::Array(items) if items.is_empty() => html! { span.muted { "none" } },
        Value::Array(items) if items.iter().all(|x| !x.is_object() && !x.is_array()) => html! {
            @for (i, x) in items.iter().enumerate() {
                @if i > 0 { ", " }
                (field(name, x))
            }
        },
        Value::Array(items) => html! {
            ol.items {
                @for x in items { li { (field(name, x)) } }
            }
        },
        Value::Object(_) => render(v),
    }
}

fn link(kind: &str, n: &serde_json::Number) -> Markup {
    html! { a href=(format!("/{kind}/{n}")) { (kind.trim_end_matches('s')) " " (n) } }
}

/// A payload's or event's kind in words: `staking / transfer`, `inference_settled`.
pub fn kind(v: &Value) -> String {
    let parts: Vec<&str> = ["module", "type", "kind"]
        .iter()
        .filter_map(|k| v[*k].as_str())
        .collect();
    if parts.is_empty() {
        "unknown".into()
    } else {
        parts.join(" / ").replace('_', " ")
    }
}

/// `v` without the fields that name its kind (shown apart).
pub fn without_kind(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "module" | "type" | "kind"))
                .map(|(k, x)| (k.clone(), x.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_link_by_name_and_escape_text() {
        let a = "ab".repeat(32);
        let html = render(&json!({
            "to": a, "amount": "1500000000000000000", "model": 3, "note": "<script>alert(1)</script>"
        }))
        .into_string();
        assert!(html.contains(&format!("href=\"/accounts/{a}\"")), "{html}");
        assert!(html.contains("1.5"), "{html}");
        assert!(html.contains("href=\"/models/3\""), "{html}");
        assert!(!html.contains("<script>"), "escaped: {html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn kinds_read_as_words() {
        assert_eq!(
            kind(&json!({"module": "staking", "type": "transfer"})),
            "staking / transfer"
        );
        assert_eq!(kind(&json!({"kind": "inference_settled"})), "inference settled");
    }
}
