//! Models: the list, and one model with its lineage drawn (datanet versions, base model,
//! adapter), its prices and fee split, its provider and the provider's stakers, and what it has
//! answered and earned.

use super::datanets::{cursor, next_link, After};
use super::number;
use crate::api::Api;
use crate::chart::{self, Bar, HeightSlices};
use crate::fields;
use crate::fmt;
use crate::layout::{page, Page};
use axum::extract::{Path, Query, State};
use maud::{html, Markup};
use serde_json::Value;
use sinew_types::api::answers::ActivityPage;

/// `GET /models?after=`.
pub async fn list(State(api): State<Api>, Query(q): Query<After>) -> Page {
    let p: Value = api
        .get(&format!("/v1/registry/models?limit=50{}", cursor(&q.after)))
        .await?;
    let body = html! {
        table {
            thead { tr { th { "Model" } th { "Base" } th { "Owner" } th { "Provider" } th.num { "Answers" } th.num { "Fees" } } }
            tbody { @for m in p["models"].as_array().into_iter().flatten() { tr {
                td { a href=(format!("/models/{}", m["id"])) { (fmt::text(&m["info"]["name"])) } }
                td { (fmt::text(&m["info"]["base_model"])) }
                td { (fmt::account(&fmt::text(&m["owner"]))) }
                td { (fmt::account(&fmt::text(&m["provider"]))) }
                td.num { (fmt::text(&m["answers"])) }
                td.num { (fmt::amount(&m["fees"])) }
            } } }
        }
        (next_link("/models", &p["next"]))
    };
    Ok(page("Models", body))
}

/// `GET /models/{id}`.
pub async fn show(State(api): State<Api>, Path(id): Path<String>) -> Page {
    let id = number("model", &id)?;
    let view: Value = api.get(&format!("/v1/registry/models/{id}")).await?;
    let providers: Value = api.get("/v1/registry/providers?limit=100").await?;
    let answers: ActivityPage = api.get(&format!("/v1/answers?model={id}&limit=500")).await?;
    let m = &view["model"];
    let provider = providers["providers"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["provider"]["address"] == m["provider"]);
    let name = fmt::text(&m["info"]["name"]);
    let body = html! {
        h2 { "Lineage" }
        (lineage(&view))
        section.cards aria-label="Usage" {
            div.card { h2 { "Answers served" } p.big { (fmt::text(&m["answers"])) } }
            div.card { h2 { "Fees earned" } p.big { (fmt::amount(&m["fees"])) } }
            div.card { h2 { "Status" } p.big.small { (fmt::text(&m["status"])) } p.muted { @if m["served"] == true { "served" } @else { "not served" } } }
        }
        (answered(&answers))
        h2 { "Prices and split" }
        dl.fields {
            dt { "Input, per 1,000 tokens" } dd { (fmt::amount(&m["pricing"]["input_per_1k"])) }
            dt { "Output, per 1,000 tokens" } dd { (fmt::amount(&m["pricing"]["output_per_1k"])) }
            dt { "Owner" } dd { (bps(&m["split"]["owner_bps"])) " to " (fmt::account(&fmt::text(&m["owner"]))) }
            dt { "Provider and stakers" } dd { (bps(&m["split"]["provider_bps"])) " to " (fmt::account(&fmt::text(&m["provider"]))) }
            dt { "Contributors" } dd { (bps(&m["split"]["contributors_bps"])) ", by attribution" }
            dt { "Tokenizer" } dd { (fmt::text(&m["info"]["tokenizer"])) }
            dt { "Registered at" } dd { (fields::field("height", &m["created_at"])) }
        }
        h2 { "Provider" }
        @if let Some(p) = provider {
            dl.fields {
                dt { "Name" } dd { (fmt::text(&p["provider"]["name"])) }
                dt { "Endpoint" } dd { (fmt::text(&p["provider"]["endpoint"])) }
            }
            h3 { "Stakers" }
            @match p["stakers"].as_array() {
                Some(s) if !s.is_empty() => { table { thead { tr { th { "Staker" } th.num { "Stake" } } }
                    tbody { @for d in s { tr { td { (fmt::account(&fmt::text(&d["staker"]))) } td.num { (fmt::amount(&d["amount"])) } } } } } }
                _ => { p.muted { "None." } }
            }
        } @else { p.muted { "Not among the first registered providers." } }
    };
    Ok(page(&format!("Model {name}"), body))
}

/// Bars of the answers chart.
const ANSWER_BARS: u64 = 24;

/// The model's latest answers: fees over the blocks they were settled in, and a table.
fn answered(page: &ActivityPage) -> Markup {
    let events: Vec<(u64, Option<String>, Value)> = page
        .events
        .iter()
        .map(|e| {
            (
                e.height,
                e.tx_id.map(|t| t.to_string()),
                serde_json::to_value(&e.event).unwrap_or_default(),
            )
        })
        .collect();
    if events.is_empty() {
        return html! { p.muted { "No paid answer yet." } };
    }
    let points: Vec<(u64, u128)> = events
        .iter()
        .map(|(h, _, v)| (*h, fmt::parse_amount(&v["fee"]).unwrap_or(0)))
        .collect();
    let slices = HeightSlices::new(&points, ANSWER_BARS);
    let (lo, hi) = (slices.lo, slices.hi);
    let bars: Vec<Bar> = slices
        .sums
        .iter()
        .enumerate()
        .map(|(i, (fee, n))| {
            let (from, to) = slices.blocks(i);
            Bar {
                value: *fee as f64,
                label: format!("{n} answers, {} in fees, blocks {from} to {to}", fmt::tokens(*fee)),
            }
        })
        .collect();
    html! {
        h2 { "Answers over time" }
        (chart::bars(&bars, &format!("fees of the latest {} answers, blocks {lo} to {hi}", events.len())))
        table {
            thead { tr { th { "Answer" } th { "Block" } th { "Payer" } th.num { "Fee" } } }
            tbody { @for (h, tx, v) in events.iter().take(10) { tr {
                td { @if let Some(tx) = tx { a.mono href=(format!("/answers/{tx}")) { (fmt::short(tx)) } } }
                td { (fmt::block(*h)) }
                td { (fmt::account(&fmt::text(&v["payer"]))) }
                td.num { (fmt::amount(&v["fee"])) }
            } } }
        }
    }
}

/// Basis points as a percentage.
fn bps(v: &Value) -> String {
    let b = v.as_u64().unwrap_or(0);
    format!("{}.{:02}%", b / 100, b % 100)
}

/// Datanet versions, base model and adapter flowing into the model.
fn lineage(view: &Value) -> Markup {
    let m = &view["model"];
    html! {
        div.lineage role="img" aria-label="Lineage: datanet versions and base model flow into this model" {
            div.col {
                @for l in view["lineage"].as_array().into_iter().flatten() {
                    a.node href=(format!("/datanets/{}", l["datanet"])) {
                        "datanet " (fmt::text(&l["datanet"])) " v" (fmt::text(&l["version"]))
                        @if let Some(root) = l["details"]["root"].as_str() { br; small.mono { (fmt::short(root)) } }
                    }
                }
                div.node { "base: " (fmt::text(&m["info"]["base_model"])) }
            }
            div.arrow aria-hidden="true" { "→" }
            @if !m["info"]["adapter"].is_null() {
                div.node { "adapter: " (fmt::text(&m["info"]["adapter"])) }
                div.arrow aria-hidden="true" { "→" }
            }
            div.node.target { (fmt::text(&m["info"]["name"])) }
        }
    }
}
