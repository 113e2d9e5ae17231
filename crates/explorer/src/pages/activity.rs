//! What an account did and earned, from its activity index: its history (every event that
//! concerns it, newest first, by cursor) and, for a contributor, what each contribution earned,
//! per answer and over time.

use crate::api::{Api, Failure};
use crate::chart::{self, Bar, HeightSlices};
use crate::fields;
use crate::fmt;
use maud::{html, Markup};
use sinew_types::api::answers::{ActivityPage, EventRecord};
use std::collections::BTreeMap;

/// History entries per page.
const HISTORY_PAGE: usize = 25;
/// Most rewards read (pages of 500).
const EARNINGS_PAGES: usize = 4;
/// Bars of the earnings chart.
const EARNING_BARS: u64 = 24;

/// A hex cursor from the URL, or none (anything else is dropped, never passed on).
pub(crate) fn before(q: &Option<String>) -> String {
    match q {
        Some(c) if c.len() <= 64 && c.bytes().all(|b| b.is_ascii_hexdigit()) => format!("&before={c}"),
        _ => String::new(),
    }
}

/// The account's history, one page.
pub async fn history(api: &Api, address: &str, cursor: &Option<String>) -> Result<Markup, Failure> {
    let page: ActivityPage = api
        .get(&format!(
            "/v1/accounts/{address}/activity?limit={HISTORY_PAGE}{}",
            before(cursor)
        ))
        .await?;
    Ok(html! {
        @if page.events.is_empty() { p.muted { "Nothing yet." } } @else {
            table.history {
                thead { tr { th { "Block" } th { "Transaction" } th { "What" } th { "Details" } } }
                tbody { @for e in &page.events {
                    @let v = serde_json::to_value(&e.event).unwrap_or_default();
                    tr {
                        td { (fmt::block(e.height)) }
                        td { @match e.tx_id { Some(t) => { (fmt::tx(&t.to_string())) }, None => { span.muted { "block event" } } } }
                        td { (fields::kind(&v)) }
                        td.details { (fields::render(&fields::without_kind(&v))) }
                    }
                } }
            }
        }
        @if let Some(n) = &page.next {
            p { a rel="next" href=(format!("/accounts/{address}?before={n}#history")) { "Older →" } }
        }
    })
}

/// What the account's contributions earned: per contribution, per answer, and over the blocks
/// (empty when it earned nothing).
pub async fn earnings(api: &Api, address: &str) -> Result<Markup, Failure> {
    let mut rewards: Vec<EventRecord> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut capped = false;
    for i in 0..EARNINGS_PAGES {
        let page: ActivityPage = api
            .get(&format!(
                "/v1/accounts/{address}/activity?rewards=true&limit=500{}",
                before(&cursor)
            ))
            .await?;
        rewards.extend(page.events);
        match page.next {
            Some(n) => {
                cursor = Some(n);
                capped = i + 1 == EARNINGS_PAGES;
            }
            None => break,
        }
    }
    if rewards.is_empty() {
        return Ok(html! {});
    }
    let value = |e: &EventRecord| serde_json::to_value(&e.event).unwrap_or_default();
    let mut per_contribution: BTreeMap<(u64, u64), (u128, u64)> = BTreeMap::new();
    for e in &rewards {
        let v = value(e);
        let key = (
            v["datanet"].as_u64().unwrap_or(0),
            v["contribution"].as_u64().unwrap_or(0),
        );
        let slot = per_contribution.entry(key).or_default();
        slot.0 += fmt::parse_amount(&v["amount"]).unwrap_or(0);
        slot.1 += 1;
    }
    let total: u128 = per_contribution.values().map(|(a, _)| a).sum();
    // Over time: the span of heights in equal slices.
    let points: Vec<(u64, u128)> = rewards
        .iter()
        .map(|e| (e.height, fmt::parse_amount(&value(e)["amount"]).unwrap_or(0)))
        .collect();
    let slices = HeightSlices::new(&points, EARNING_BARS);
    let (lo, hi) = (slices.lo, slices.hi);
    let bars: Vec<Bar> = slices
        .sums
        .iter()
        .enumerate()
        .map(|(i, (a, _))| {
            let (from, to) = slices.blocks(i);
            Bar {
                value: *a as f64,
                label: format!("{} earned in blocks {from} to {to}", fmt::tokens(*a)),
            }
        })
        .collect();
    Ok(html! {
        section #earnings aria-labelledby="earned" {
            h2 #earned { "Earned from contributions" }
            p { "In all: " strong { (fmt::tokens(total)) } " from " (rewards.len()) " rewards"
                @if capped { " (the latest " (rewards.len()) " only)" } "." }
            (chart::bars(&bars, &format!("earnings over blocks {lo} to {hi}")))
            table {
                thead { tr { th { "Contribution" } th.num { "Rewards" } th.num { "Earned" } } }
                tbody { @for ((d, c), (amount, n)) in &per_contribution { tr {
                    td { @if *c == u64::MAX { "datanet " (d) "'s owner share" } @else {
                        a href=(format!("/datanets/{d}?contribution={c}#records")) { "datanet " (d) " #" (c) } } }
                    td.num { (n) }
                    td.num { (fmt::tokens(*amount)) }
                } } }
            }
            h3 { "Per answer (latest)" }
            table {
                thead { tr { th { "Answer" } th { "Block" } th { "Contribution" } th.num { "Earned" } } }
                tbody { @for e in rewards.iter().take(20) {
                    @let v = value(e);
                    @let tx = e.tx_id.map(|t| t.to_string()).unwrap_or_default();
                    tr {
                        td { a.mono href=(format!("/answers/{tx}")) { (fmt::short(&tx)) } }
                        td { (fmt::block(e.height)) }
                        td { "datanet " (fmt::text(&v["datanet"])) " #" (fmt::text(&v["contribution"])) }
                        td.num { (fmt::amount(&v["amount"])) }
                    }
                } }
            }
        }
    })
}
