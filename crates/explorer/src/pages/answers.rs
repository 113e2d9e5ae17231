//! A paid answer (a settlement): the answer with every attributed span highlighted and linked
//! to the record it matches, each contribution's weight, and the exact payout to the platform,
//! the model owner, the provider and each contributor. The attribution is recomputed by the node
//! on every view (a costly request, under the API's permits) and its digest compared with the
//! one the settlement carries: the page shows whether they match.

use super::hex_id;
use crate::api::{Api, Failure};
use crate::fmt;
use crate::layout::{page, Page};
use axum::extract::{Path, State};
use maud::{html, Markup};
use serde_json::{json, Value};
use sinew_types::api::answers::{BlockTxsView, ModelAttribution};
use sinew_types::wire::{SubmitOutcome, SubmitReply};
use std::collections::BTreeMap;

/// `GET /answers/{settlement tx id}`.
pub async fn show(State(api): State<Api>, Path(tx): Path<String>) -> Page {
    let tx = hex_id("transaction id", &tx)?;
    let reply: SubmitReply = api.get(&format!("/v1/txs/{tx}")).await?;
    let SubmitOutcome::Committed { height, index, receipt } = reply.outcome else {
        return Err(Failure::not_found(format!("transaction {tx} is not in a block")));
    };
    let block: BlockTxsView = api
        .get(&format!("/v1/blocks/{height}/txs?from={index}&limit=1"))
        .await?;
    let payload = block
        .txs
        .first()
        .map(|t| serde_json::to_value(&t.tx.tx.payload).unwrap_or_default())
        .unwrap_or_default();
    if payload["type"] != "settle_inference" {
        return Err(Failure::not_found(format!("transaction {tx} settles no answer")));
    }
    let answer = fmt::text(&payload["answer"]);
    let events: Vec<Value> = receipt
        .events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap_or_default())
        .collect();
    let settled = events
        .iter()
        .find(|e| e["kind"] == "inference_settled")
        .cloned()
        .ok_or_else(|| Failure::not_found(format!("settlement {tx} failed: nothing was paid")))?;
    let rewards: Vec<&Value> = events.iter().filter(|e| e["kind"] == "reward_accrued").collect();
    let stakers: Vec<&Value> = events.iter().filter(|e| e["kind"] == "staker_rewarded").collect();
    let to_stakers: u128 = stakers.iter().filter_map(|e| fmt::parse_amount(&e["amount"])).sum();
    let provider_own = fmt::parse_amount(&settled["provider"])
        .unwrap_or(0)
        .saturating_sub(to_stakers);
    let model = settled["model"].as_u64().unwrap_or_default();
    let model_view: Value = api.get(&format!("/v1/registry/models/{model}")).await?;
    let recomputed: Result<ModelAttribution, Failure> = api
        .post(
            &format!("/v1/registry/models/{model}/attribute"),
            &json!({ "text": answer }),
        )
        .await;
    let body = html! {
        dl.fields {
            dt { "Model" } dd { a href=(format!("/models/{model}")) { (fmt::text(&model_view["model"]["info"]["name"])) } }
            dt { "Paid by" } dd { (fmt::account(&fmt::text(&settled["payer"]))) }
            dt { "Request" } dd { (fmt::hash(&fmt::text(&settled["request_id"]))) }
            dt { "Settled in" } dd { (fmt::block(height)) ", transaction " (fmt::tx(&tx)) }
            dt { "Tokens" } dd { "prompt " (fmt::text(&settled["input_tokens"])) ", answer " (fmt::text(&settled["output_tokens"])) " (counted by the ledger)" }
            dt { "Price" } dd { (fmt::amount(&model_view["model"]["pricing"]["input_per_1k"])) " per 1,000 prompt tokens, "
                (fmt::amount(&model_view["model"]["pricing"]["output_per_1k"])) " per 1,000 answer tokens (as the model prices them now; the fee used the prices reserved with the request), plus the platform fee" }
            dt { "Receipt digest" } dd.mono { (fmt::text(&payload["receipt"])) }
        }
        h2 { "The answer" }
        @match &recomputed {
            Ok(r) => {
                (highlighted(&answer, r))
                @if r.digest.to_string() == fmt::text(&payload["receipt"]) {
                    p.ok #recheck role="status" { "✓ Recomputed by this node just now: the attribution matches the settlement's receipt." }
                } @else {
                    p.bad #recheck role="status" { "✗ Recomputed by this node just now: the digest " span.mono { (r.digest.to_string()) } " differs from the settlement's." }
                }
                p.muted { "The spans and weights shown are this recomputation, against the model's datanet versions and the attribution parameters in force now; the ledger recomputed the same when it settled the answer." }
                p { a.button rel="nofollow" href=(format!("/answers/{tx}")) { "Recompute again" } }
            }
            Err(e) => {
                pre.answer { (answer) }
                p.error role="alert" { "The attribution could not be recomputed now: " (e.message) }
            }
        }
        h2 { "The payout" }
        table {
            thead { tr { th { "To" } th { "Who" } th.num { "Amount" } } }
            tbody {
                tr { td { "Whole fee" } td { "paid by " (fmt::account(&fmt::text(&settled["payer"]))) } td.num { (fmt::amount(&settled["fee"])) } }
                tr { td { "Platform" } td { "treasury" } td.num { (fmt::amount(&settled["platform"])) } }
                tr { td { "Model owner" } td { (fmt::account(&fmt::text(&model_view["model"]["owner"]))) } td.num { (fmt::amount(&settled["owner"])) } }
                tr { td { "Provider" } td { (fmt::account(&fmt::text(&model_view["model"]["provider"]))) } td.num { (fmt::units_markup(provider_own)) } }
                @for st in &stakers {
                    tr { td { "Staker of the provider" } td { (fmt::account(&fmt::text(&st["staker"]))) } td.num { (fmt::amount(&st["amount"])) } }
                }
                tr { td { "Contributors" } td { "by attribution, below" } td.num { (fmt::amount(&settled["contributors"])) } }
            }
        }
        h2 { "Contributors" }
        @let weights: BTreeMap<(u64, u64), u32> = recomputed.as_ref().map(|r| r.shares.iter().map(|s| ((s.datanet, s.contribution), s.ppm)).collect()).unwrap_or_default();
        @if rewards.is_empty() { p.muted { "No reward events." } } @else {
            table {
                thead { tr { th { "Contributor" } th { "Contribution" } th.num { "Weight" } th.num { "Paid" } } }
                tbody { @for r in &rewards { tr {
                    td { (fmt::account(&fmt::text(&r["account"]))) }
                    td { @match r["contribution"].as_u64() {
                        Some(c) if c != u64::MAX => { a href=(format!("/datanets/{}?contribution={c}#records", r["datanet"])) { "datanet " (fmt::text(&r["datanet"])) " #" (c) } }
                        _ => { "no matching span: datanet " (fmt::text(&r["datanet"])) "'s owner" }
                    } }
                    td.num { @if let Some(w) = r["contribution"].as_u64().zip(r["datanet"].as_u64()).and_then(|(c, d)| weights.get(&(d, c))) { (ppm(*w)) } }
                    td.num { (fmt::amount(&r["amount"])) }
                } } }
            }
        }
    };
    Ok(page("Paid answer", body))
}

/// Parts per million as a percentage.
fn ppm(w: u32) -> String {
    format!("{}.{:04}%", w / 10_000, w % 10_000)
}

/// The answer with each attributed span marked and linked to its record (the API gives each
/// span's byte range, whatever the tokenizer).
fn highlighted(answer: &str, r: &ModelAttribution) -> Markup {
    let spans = &r.receipt.spans;
    let bytes = answer.as_bytes();
    // For each byte, the first span covering it.
    let mut owner: Vec<Option<usize>> = vec![None; bytes.len()];
    for (i, p) in r.places.iter().enumerate().take(spans.len()) {
        let start = (p.start as usize).min(bytes.len());
        let end = (p.end as usize).clamp(start, bytes.len());
        for o in &mut owner[start..end] {
            o.get_or_insert(i);
        }
    }
    // A character belongs wholly to the span of its first byte.
    for i in 1..bytes.len() {
        if !answer.is_char_boundary(i) {
            owner[i] = owner[i - 1];
        }
    }
    let mut segments: Vec<(Option<usize>, &str)> = Vec::new();
    let mut start = 0;
    for i in 1..=bytes.len() {
        if i == bytes.len() || owner[i] != owner[start] {
            segments.push((owner[start], &answer[start..i]));
            start = i;
        }
    }
    html! {
        p.answer {
            @for (span, text) in &segments {
                @match span {
                    Some(i) => {
                        @let s = &spans[*i];
                        @let (d, c) = (r.places[*i].datanet, r.places[*i].contribution);
                        a.span href=(format!("/datanets/{d}?contribution={c}#record-{c}-{}", s.record))
                            title=(format!("datanet {d}, contribution {c}, record {}, at token {}", s.record, s.record_offset)) {
                            mark { (text) }
                        }
                    }
                    None => { (text) }
                }
            }
        }
        p.muted { (spans.len()) " attributed spans (" (r.receipt.tokenizer) " tokens); each links to the record it matches." }
    }
}
