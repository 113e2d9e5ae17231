//! An account: balance, stake, unbonding, prepaid and claimable rewards, its contributions and
//! its agent, with the Merkle proof of the account against the block's state root (checked in
//! the browser: the balance, nonce and stake shown are in the state under the root the node
//! reports for that block; prepaid, rewards and history are read from the API as they are).

use super::activity;
use super::hex_id;
use crate::api::{Api, Failure};
use crate::fields;
use crate::fmt;
use crate::layout::{page, Page};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use maud::html;
use serde_json::Value;
use sinew_types::wire::AccountView;

/// `GET /accounts/{address}`.
pub async fn show(State(api): State<Api>, Path(address): Path<String>, Query(q): Query<Before>) -> Page {
    let address = hex_id("address", &address)?;
    let history = activity::history(&api, &address, &q.before).await?;
    let earnings = activity::earnings(&api, &address).await?;
    let view: AccountView = api.get(&format!("/v1/accounts/{address}")).await?;
    let inference: Value = api.get(&format!("/v1/accounts/{address}/inference")).await?;
    let contributions: Value = api
        .get(&format!("/v1/contributions?contributor={address}&limit=20"))
        .await?;
    let agent: Option<Value> = optional(api.get(&format!("/v1/agents/{address}")).await)?;
    let a = &view.account;
    let proof = &view.proof;
    let body = html! {
        @if !view.exists { p.muted { "This account does not exist yet: it has never received tokens." } }
        section.cards aria-label="Balances" {
            div.card { h2 { "Balance" } p.big { (fmt::tokens(a.balance)) } p.muted { "nonce " (a.nonce) } }
            div.card { h2 { "Staked" } p.big { (fmt::tokens(a.staked)) }
                p.muted { (fmt::tokens(a.unbonding.iter().map(|u| u.amount).sum::<u128>())) " unbonding" } }
            div.card { h2 { "Prepaid for inference" } p.big { (fmt::amount(&inference["prepaid_available"])) }
                p.muted { "held " (fmt::amount(&inference["prepaid"]["held"])) } }
            div.card { h2 { "Claimable rewards" } p.big { (fmt::amount(&inference["rewards"])) } }
        }
        @if !a.unbonding.is_empty() {
            h2 { "Unbonding" }
            table { thead { tr { th.num { "Amount" } th { "Released at" } } }
                tbody { @for u in &a.unbonding { tr { td.num { (fmt::tokens(u.amount)) } td { (fmt::block(u.release_height)) } } } } }
        }
        section #proof data-address=(address) data-balance=(a.balance) data-nonce=(a.nonce) data-staked=(a.staked) data-root=(proof.state_root.to_string()) data-key=(proof.key) data-value=(proof.value.clone().unwrap_or_default()) data-proof=(proof.proof) data-height=(proof.height) {
            h2 { "Proof" }
            p {
                "This account as of block " (fmt::block(proof.height)) ", against its state root "
                span.mono title=(proof.state_root.to_string()) { (fmt::short(&proof.state_root.to_string())) } ". "
                span #proof-status role="status" { "Checking it in the browser needs JavaScript; offline, use " code { "sinew verify-proof" } "." }
            }
            details { summary { "Proof bytes" } p.mono.wrap { (proof.proof) } }
        }
        h2 { "Contributions" }
        @match contributions["contributions"].as_array() {
            Some(list) if !list.is_empty() => {
                table {
                    thead { tr { th { "Datanet" } th.num { "Seq" } th { "Status" } th.num { "Records" } th.num { "Bond" } th { "Height" } } }
                    tbody { @for c in list { tr {
                        td { (fields::field("datanet", &c["datanet"])) }
                        td.num { (fmt::text(&c["seq"])) }
                        td { (fmt::text(&c["status"])) }
                        td.num { (fmt::text(&c["record_count"])) }
                        td.num { (fmt::amount(&c["bond"])) }
                        td { (fields::field("height", &c["height"])) }
                    } } }
                }
            }
            _ => { p.muted { "None." } }
        }
        (earnings)
        h2 #history { "History" }
        (history)
        @if let Some(agent) = &agent {
            h2 { "As an agent" }
            (fields::render(agent))
        }
    };
    Ok(page(&format!("Account {}", fmt::short(&address)), body))
}

/// `?before=` of the history.
#[derive(serde::Deserialize)]
pub struct Before {
    before: Option<String>,
}

/// `None` for a 404, the value otherwise.
pub(crate) fn optional(r: Result<Value, Failure>) -> Result<Option<Value>, Failure> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(f) if f.status == StatusCode::NOT_FOUND => Ok(None),
        Err(f) => Err(f),
    }
}
