//! One transaction: where it stands, what it asked for (every payload kind decoded), and what
//! it did (its receipt's events, or why it failed).

use super::hex_id;
use crate::api::{Api, Failure};
use crate::fields;
use crate::fmt;
use crate::layout::{page, Page};
use axum::extract::{Path, State};
use maud::html;
use sinew_types::api::answers::BlockTxsView;
use sinew_types::wire::{SubmitOutcome, SubmitReply};
use sinew_types::TxStatus;

/// `GET /txs/{id}`.
pub async fn show(State(api): State<Api>, Path(id): Path<String>) -> Page {
    let id = hex_id("transaction id", &id)?;
    let reply: SubmitReply = api.get(&format!("/v1/txs/{id}")).await?;
    let (height, index, receipt) = match reply.outcome {
        SubmitOutcome::Committed { height, index, receipt } => (height, index, receipt),
        SubmitOutcome::Pending => {
            return Ok(page(
                "Transaction",
                html! { p { "Transaction " span.mono { (id) } " is waiting for a block." } },
            ))
        }
        SubmitOutcome::Dropped { code, reason } => {
            return Ok(page(
                "Transaction",
                html! { p.error { "Transaction " span.mono { (id) } " was dropped without a trace: " (reason) " (" code { (code) } ")." } },
            ))
        }
        SubmitOutcome::Refused { error } => return Err(Failure::not_found(error.message)),
    };
    let block: BlockTxsView = api
        .get(&format!("/v1/blocks/{height}/txs?from={index}&limit=1"))
        .await?;
    let tx = &block
        .txs
        .first()
        .ok_or_else(|| Failure::not_found(format!("block {height} has no transaction at {index}")))?
        .tx;
    let payload = serde_json::to_value(&tx.tx.payload).unwrap_or_default();
    let is_answer = payload["type"] == "settle_inference";
    let body = html! {
        dl.fields {
            dt { "Id" } dd.mono { (id) }
            dt { "Outcome" } dd { @match &receipt.status {
                TxStatus::Success => span.ok { "success" },
                TxStatus::Failed { code, message } => span.bad { "failed: " (code.to_string()) " — " (message) },
            } }
            dt { "Block" } dd { (fmt::block(height)) ", position " (index) }
            dt { "Signer" } dd { (fmt::account(&tx.tx.signer.to_string())) }
            dt { "Nonce" } dd { (tx.tx.nonce) }
            dt { "Fee paid" } dd { (fmt::tokens(receipt.fee)) " (at most " (fmt::tokens(tx.tx.max_fee)) ")" }
            dt { "Kind" } dd { (fields::kind(&payload)) }
        }
        @if is_answer { p { a.button href=(format!("/answers/{id}")) { "See this answer with its attribution and payout →" } } }
        h2 { "What it asked" }
        (fields::render(&fields::without_kind(&payload)))
        h2 { "What it did" }
        @if receipt.events.is_empty() { p.muted { "No events." } } @else {
            ol.items {
                @for e in &receipt.events {
                    @let v = serde_json::to_value(e).unwrap_or_default();
                    li { strong { (fields::kind(&v)) } (fields::render(&fields::without_kind(&v))) }
                }
            }
        }
        p.muted { "Signature " span.mono { (hex::encode(tx.signature.0)) } }
    };
    Ok(page("Transaction", body))
}
