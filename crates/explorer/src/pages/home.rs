//! The home page: head and finality, throughput over the last minutes, latest blocks and
//! latest paid answers.

use crate::api::{Api, Failure};
use crate::fmt;
use crate::layout::{page, Page};
use axum::extract::State;
use maud::{html, Markup};
use serde_json::Value;
use sinew_types::api::answers::{BlockPage, BlockSummary, ChainView, ConsensusStatus, ValidatorSet};

/// The chart covers this much time, in buckets of [`BUCKET_MS`].
const WINDOW_MS: u64 = 5 * 60 * 1000;
const BUCKET_MS: u64 = 10 * 1000;
/// Most headers read for the chart (pages of 100).
const CHART_PAGES: usize = 5;
/// Most blocks whose receipts are read looking for paid answers, and the largest such block.
const ANSWER_SCAN_BLOCKS: usize = 8;
const ANSWER_SCAN_MAX_TXS: u32 = 2_000;

/// `GET /`.
pub async fn show(State(api): State<Api>) -> Page {
    let chain: ChainView = api.get("/v1/chain").await?;
    let consensus: ConsensusStatus = api.get("/v1/consensus").await?;
    let validators: ValidatorSet = api.get("/v1/validators").await?;
    let headers = recent_headers(&api).await?;
    let answers = latest_answers(&api, &headers).await?;
    let now = fmt::now_ms();
    let head = &chain.head;
    let body = html! {
        section.cards aria-label="Chain" {
            div.card { h2 { "Head" } p.big #head-height { (fmt::block(head.height)) }
                p.muted { (fmt::hash(&head.hash().to_string())) " · " span #head-age { (fmt::ago(head.timestamp_ms, now)) } } }
            div.card { h2 { "Finality" } p.big { (fmt::count(consensus.finalized_height)) }
                p.muted { (consensus.engine) @if consensus.engine != "sequencer" { " · view " (consensus.view) } } }
            div.card { h2 { "Validators" } p.big { (validators.validators.len().max(1)) }
                p.muted { @if validators.validators.is_empty() { "one sequencer" } @else { "BFT (simplex)" } } }
            div.card { h2 { "Chain" } p.big.small { (chain.chain_id) } p.muted { "pending: " span #pending { "–" } } }
        }
        section aria-labelledby="tps" {
            h2 #tps { "Transactions per second, last 5 minutes" }
            (chart(&headers, now))
        }
        div.two {
            section aria-labelledby="latest-blocks" {
                h2 #latest-blocks { "Latest blocks" }
                (block_table(headers.iter().take(10), now))
                p { a href="/blocks" { "All blocks →" } }
            }
            section aria-labelledby="latest-answers" {
                h2 #latest-answers { "Latest paid answers" }
                @if answers.is_empty() {
                    p.muted { "No paid answer in the latest blocks." }
                } @else {
                    table {
                        thead { tr { th { "Answer" } th { "Model" } th { "Payer" } th.num { "Fee" } } }
                        tbody {
                            @for (tx, e) in &answers {
                                tr {
                                    td { a.mono href=(format!("/answers/{tx}")) { (fmt::short(tx)) } }
                                    td { a href=(format!("/models/{}", e["model"])) { "model " (e["model"]) } }
                                    td { (fmt::account(&fmt::text(&e["payer"]))) }
                                    td.num { (fmt::amount(&e["fee"])) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(crate::layout::HOME_TITLE, body))
}

/// The newest headers covering the chart's window (at most [`CHART_PAGES`] pages).
async fn recent_headers(api: &Api) -> Result<Vec<BlockSummary>, Failure> {
    let mut out: Vec<BlockSummary> = Vec::new();
    let mut before = None;
    for _ in 0..CHART_PAGES {
        let path = match before {
            Some(b) => format!("/v1/blocks?limit=100&before={b}"),
            None => "/v1/blocks?limit=100".to_string(),
        };
        let page: BlockPage = api.get(&path).await?;
        out.extend(page.blocks);
        let newest = out.first().map_or(0, |b| b.header.timestamp_ms);
        let oldest = out.last().map_or(0, |b| b.header.timestamp_ms);
        match page.next {
            Some(n) if newest.saturating_sub(oldest) < WINDOW_MS => before = Some(n),
            _ => break,
        }
    }
    Ok(out)
}

/// Settlement events (with their transaction ids) in the newest blocks that hold transactions.
async fn latest_answers(api: &Api, headers: &[BlockSummary]) -> Result<Vec<(String, Value)>, Failure> {
    let mut out = Vec::new();
    let candidates = headers
        .iter()
        .filter(|b| b.header.tx_count > 0 && b.header.tx_count <= ANSWER_SCAN_MAX_TXS)
        .take(ANSWER_SCAN_BLOCKS);
    for b in candidates {
        let r: Value = api.get(&format!("/v1/blocks/{}/receipts", b.header.height)).await?;
        for receipt in r["receipts"].as_array().into_iter().flatten() {
            for e in receipt["events"].as_array().into_iter().flatten() {
                if e["kind"] == "inference_settled" && out.len() < 10 {
                    out.push((fmt::text(&receipt["tx_id"]), e.clone()));
                }
            }
        }
    }
    Ok(out)
}

/// Blocks as a table: height, hash, age, transactions, proposer.
pub fn block_table<'a>(blocks: impl Iterator<Item = &'a BlockSummary>, now: u64) -> Markup {
    html! {
        table {
            thead { tr { th { "Height" } th { "Hash" } th { "Age" } th.num { "Txs" } th { "Proposer" } } }
            tbody {
                @for b in blocks {
                    tr {
                        td { (fmt::block(b.header.height)) }
                        td { (fmt::hash(&b.hash.to_string())) }
                        td { (fmt::ago(b.header.timestamp_ms, now)) }
                        td.num { (fmt::count(u64::from(b.header.tx_count))) }
                        td { (fmt::account(&b.header.proposer.to_string())) }
                    }
                }
            }
        }
    }
}

/// Transactions per second in 10-second buckets over the window, as an SVG bar chart (with its
/// figures in text for screen readers).
fn chart(headers: &[BlockSummary], now: u64) -> Markup {
    let buckets = (WINDOW_MS / BUCKET_MS) as usize;
    let mut txs = vec![0u64; buckets];
    for b in headers {
        let age = now.saturating_sub(b.header.timestamp_ms);
        if age < WINDOW_MS {
            txs[buckets - 1 - (age / BUCKET_MS) as usize] += u64::from(b.header.tx_count);
        }
    }
    let per_s: Vec<f64> = txs.iter().map(|t| *t as f64 / (BUCKET_MS / 1000) as f64).collect();
    let peak = per_s.iter().cloned().fold(0.0, f64::max);
    let total: u64 = txs.iter().sum();
    let (w, h) = (600.0, 120.0);
    let bar = w / buckets as f64;
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {w} {h}")) role="img" aria-label=(format!("peak {peak:.1} transactions per second")) {
                @for (i, v) in per_s.iter().enumerate() {
                    @let bh = if peak > 0.0 { v / peak * (h - 4.0) } else { 0.0 };
                    rect x=(format!("{:.1}", i as f64 * bar + 1.0)) y=(format!("{:.1}", h - bh)) width=(format!("{:.1}", bar - 2.0)) height=(format!("{bh:.1}")) {
                        title { (format!("{v:.1} tx/s, {}s to {}s ago", (buckets - i) * 10, (buckets - 1 - i) * 10)) }
                    }
                }
            }
            figcaption.muted { (fmt::count(total)) " transactions in the last 5 minutes, peak " (format!("{peak:.1}")) " per second" }
        }
    }
}
