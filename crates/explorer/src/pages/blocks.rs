//! Blocks: the list (newest first, by cursor) and one block with its transactions decoded,
//! their receipts and the block's own events.

use super::{block_id, home::block_table};
use crate::api::Api;
use crate::fields;
use crate::fmt;
use crate::layout::{page, Page};
use axum::extract::{Path, Query, State};
use maud::html;
use serde::Deserialize;
use sinew_types::api::answers::{BlockPage, BlockTxsView};

/// Transactions shown per page of a block.
const TXS_PER_PAGE: usize = 100;

/// `?before=` of the block list.
#[derive(Deserialize)]
pub struct Before {
    before: Option<u64>,
}

/// `GET /blocks?before=H`.
pub async fn list(State(api): State<Api>, Query(q): Query<Before>) -> Page {
    let path = match q.before {
        Some(b) => format!("/v1/blocks?limit=50&before={b}"),
        None => "/v1/blocks?limit=50".into(),
    };
    let p: BlockPage = api.get(&path).await?;
    let body = html! {
        (block_table(p.blocks.iter(), fmt::now_ms()))
        @if let Some(n) = p.next { p { a rel="next" href=(format!("/blocks?before={n}")) { "Older blocks →" } } }
    };
    Ok(page("Blocks", body))
}

/// `?from=` within a block's transactions.
#[derive(Deserialize)]
pub struct From {
    from: Option<usize>,
}

/// `GET /blocks/{height or hash}?from=N`.
pub async fn show(State(api): State<Api>, Path(id): Path<String>, Query(q): Query<From>) -> Page {
    let id = block_id(&id)?;
    let from = q.from.unwrap_or(0).min(u32::MAX as usize);
    let b: BlockTxsView = api
        .get(&format!("/v1/blocks/{id}/txs?from={from}&limit={TXS_PER_PAGE}"))
        .await?;
    let h = b.header.height;
    let total = b.header.tx_count as usize;
    let from = from.min(total);
    let to = from + b.txs.len();
    let header = &b.header;
    let body = html! {
        nav.pager aria-label="Neighbouring blocks" {
            @if h > 0 { a rel="prev" href=(format!("/blocks/{}", h - 1)) { "← #" (h - 1) } }
            a rel="next" href=(format!("/blocks/{}", h + 1)) { "#" (h + 1) " →" }
        }
        dl.fields {
            dt { "Hash" } dd.mono { (b.hash.to_string()) }
            dt { "Parent" } dd { a.mono href=(format!("/blocks/{}", header.parent)) { (header.parent.to_string()) } }
            dt { "Time" } dd { (header.timestamp_ms) " ms since 1970 (" (fmt::ago(header.timestamp_ms, fmt::now_ms())) ")" }
            dt { "Proposer" } dd { (fmt::account(&header.proposer.to_string())) }
            dt { "Transactions" } dd { (header.tx_count) }
            dt { "State root" } dd.mono { (header.state_root.to_string()) }
            dt { "Transactions root" } dd.mono { (header.tx_root.to_string()) }
            dt { "Signatures root" } dd.mono { (header.sig_root.to_string()) }
            dt { "Receipts root" } dd.mono { (header.receipts_root.to_string()) }
            @if let Some(round) = &header.round {
                dt { "Consensus" } dd { "epoch " (round.epoch) ", view " (round.view) ", parent view " (round.parent_view) }
            }
        }
        h2 { "Transactions" }
        @if total == 0 { p.muted { "None." } } @else {
            table {
                thead { tr { th.num { "#" } th { "Id" } th { "Signer" } th { "Kind" } th { "Outcome" } th.num { "Fee" } } }
                tbody {
                    @for (i, t) in b.txs.iter().enumerate() {
                        @let payload = serde_json::to_value(&t.tx.tx.payload).unwrap_or_default();
                        tr {
                            td.num { (from + i) }
                            td { (fmt::tx(&t.id.to_string())) }
                            td { (fmt::account(&t.tx.tx.signer.to_string())) }
                            td { (fields::kind(&payload)) }
                            td { @match &t.receipt.status {
                                sinew_types::TxStatus::Success => span.ok { "success" },
                                sinew_types::TxStatus::Failed { code, message } => span.bad title=(message) { "failed: " (code.to_string()) },
                            } }
                            td.num { (fmt::tokens(t.receipt.fee)) }
                        }
                    }
                }
            }
            @if from > 0 || to < total {
                nav.pager aria-label="Transactions" {
                    @if from > 0 { a href=(format!("/blocks/{h}?from={}", from.saturating_sub(TXS_PER_PAGE))) { "← previous" } }
                    span.muted { (from) "–" (to) " of " (total) }
                    @if to < total { a href=(format!("/blocks/{h}?from={to}")) { "next →" } }
                }
            }
        }
        @if !b.block_events.is_empty() {
            h2 { "Block events" }
            ol.items {
                @for e in &b.block_events {
                    @let v = serde_json::to_value(e).unwrap_or_default();
                    li { strong { (fields::kind(&v)) } (fields::render(&fields::without_kind(&v))) }
                }
            }
        }
        p.muted { "Raw: " a href=(format!("/v1/blocks/{h}")) { "block JSON" } " · " a href=(format!("/v1/blocks/{h}/receipts")) { "receipts JSON" } }
    };
    Ok(page(&format!("Block {}", fmt::count(h)), body))
}
