//! The home page: head and finality, throughput over the last minutes, latest blocks and
//! latest paid answers.

use crate::api::{Api, Failure};
use crate::chart::{self, Bar};
use crate::fmt;
use crate::layout::{page, Page};
use axum::extract::State;
use maud::{html, Markup};
use sinew_types::api::answers::{
    ActivityPage, BlockPage, BlockSummary, ChainView, ConsensusStatus, EventRecord, ValidatorSet,
};

/// The chart covers this much time, in buckets of [`BUCKET_MS`].
const WINDOW_MS: u64 = 5 * 60 * 1000;
const BUCKET_MS: u64 = 10 * 1000;
/// Most headers read for the chart (pages of 100).
const CHART_PAGES: usize = 5;
/// Most paid answers read for the chart.
const ANSWERS_READ: usize = 500;

/// `GET /`.
pub async fn show(State(api): State<Api>) -> Page {
    let chain: ChainView = api.get("/v1/chain").await?;
    let consensus: ConsensusStatus = api.get("/v1/consensus").await?;
    let validators: ValidatorSet = api.get("/v1/validators").await?;
    let headers = recent_headers(&api).await?;
    let answers = latest_answers(&api).await?;
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
        section aria-labelledby="rates" {
            h2 #rates { "The last 5 minutes" }
            (charts(&headers, &answers, now))
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
                    p.muted { "No paid answer yet." }
                }
                table {
                        thead { tr { th { "Answer" } th { "Model" } th { "Payer" } th.num { "Fee" } } }
                        tbody #latest-answers-body {
                            @for a in answers.iter().take(10) {
                                @let e = serde_json::to_value(&a.event).unwrap_or_default();
                                @let tx = a.tx_id.map(|t| t.to_string()).unwrap_or_default();
                                tr {
                                    td { a.mono href=(format!("/answers/{tx}")) { (fmt::short(&tx)) } }
                                    td { a href=(format!("/models/{}", e["model"])) { "model " (e["model"]) } }
                                    td { (fmt::account(&fmt::text(&e["payer"]))) }
                                    td.num { (fmt::amount(&e["fee"])) }
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

/// The newest paid answers (at most [`ANSWERS_READ`], for the chart; the table shows ten).
async fn latest_answers(api: &Api) -> Result<Vec<EventRecord>, Failure> {
    let page: ActivityPage = api.get(&format!("/v1/answers?limit={ANSWERS_READ}")).await?;
    Ok(page.events)
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

/// Per-second rates in 10-second buckets over the window: of transactions (from the headers)
/// and of paid answers (from their heights' timestamps), as two bar charts.
fn charts(headers: &[BlockSummary], answers: &[EventRecord], now: u64) -> Markup {
    let buckets = (WINDOW_MS / BUCKET_MS) as usize;
    let bucket = |ts: u64| {
        let age = now.saturating_sub(ts);
        (age < WINDOW_MS).then(|| buckets - 1 - (age / BUCKET_MS) as usize)
    };
    let mut txs = vec![0u64; buckets];
    let mut paid = vec![0u64; buckets];
    let time_of: std::collections::BTreeMap<u64, u64> = headers
        .iter()
        .map(|b| (b.header.height, b.header.timestamp_ms))
        .collect();
    for b in headers {
        if let Some(i) = bucket(b.header.timestamp_ms) {
            txs[i] += u64::from(b.header.tx_count);
        }
    }
    for a in answers {
        if let Some(i) = time_of.get(&a.height).and_then(|t| bucket(*t)) {
            paid[i] += 1;
        }
    }
    let secs = (BUCKET_MS / 1000) as f64;
    let to_bars = |counts: &[u64], what: &str| -> Vec<Bar> {
        counts
            .iter()
            .enumerate()
            .map(|(i, c)| Bar {
                value: *c as f64 / secs,
                label: format!(
                    "{:.1} {what}/s, {}s to {}s ago",
                    *c as f64 / secs,
                    (buckets - i) * 10,
                    (buckets - 1 - i) * 10
                ),
            })
            .collect()
    };
    let peak = |counts: &[u64]| counts.iter().max().copied().unwrap_or(0) as f64 / secs;
    let (tx_total, paid_total): (u64, u64) = (txs.iter().sum(), paid.iter().sum());
    // Figures read from a bounded number of entries: "at least" when those did not reach back
    // over the whole window.
    let reaches_back = |oldest: Option<u64>| oldest.is_some_and(|ts| now.saturating_sub(ts) >= WINDOW_MS);
    let all_txs = headers.last().is_some_and(|b| b.header.height == 0)
        || reaches_back(headers.last().map(|b| b.header.timestamp_ms));
    let all_paid =
        answers.len() < ANSWERS_READ || reaches_back(answers.last().and_then(|a| time_of.get(&a.height).copied()));
    let at_least = |complete: bool| if complete { "" } else { "at least " };
    html! {
        div.two {
            div {
                h3 { "Transactions per second" }
                (chart::bars(&to_bars(&txs, "tx"), &format!("{}{} transactions in the last 5 minutes, peak {:.1} per second", at_least(all_txs), fmt::count(tx_total), peak(&txs))))
            }
            div {
                h3 { "Paid answers per second" }
                (chart::bars(&to_bars(&paid, "answers"), &format!("{}{} paid answers in the last 5 minutes, peak {:.1} per second", at_least(all_paid), fmt::count(paid_total), peak(&paid))))
            }
        }
    }
}
