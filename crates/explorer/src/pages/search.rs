//! The search box: a block height, a transaction id, a block hash, an address, or a datanet or
//! model name, in that order of trial.

use crate::api::{Api, Failure};
use crate::fmt;
use crate::layout::Page;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use serde_json::Value;

/// `?q=`.
#[derive(Deserialize)]
pub struct Q {
    q: Option<String>,
}

/// Names compared per search (one page of each list).
const NAME_SCAN: usize = 500;

/// `GET /search?q=`: redirects to what `q` names.
pub async fn go(State(api): State<Api>, Query(q): Query<Q>) -> Page {
    let q = q.q.unwrap_or_default();
    let q = q.trim();
    if q.is_empty() {
        return Ok(Redirect::to("/").into_response());
    }
    if q.len() > 200 {
        return Err(Failure::bad_request("a search is at most 200 characters"));
    }
    if let Ok(h) = q.trim_start_matches('#').replace(',', "").parse::<u64>() {
        return Ok(Redirect::to(&format!("/blocks/{h}")).into_response());
    }
    if fmt::is_hex32(q) {
        let id = q.to_ascii_lowercase();
        let tx: Result<Value, Failure> = api.get(&format!("/v1/txs/{id}")).await;
        if tx.is_ok_and(|t| t["status"] == "committed" || t["status"] == "pending") {
            return Ok(Redirect::to(&format!("/txs/{id}")).into_response());
        }
        if api.get::<Value>(&format!("/v1/blocks/{id}")).await.is_ok() {
            return Ok(Redirect::to(&format!("/blocks/{id}")).into_response());
        }
        return Ok(Redirect::to(&format!("/accounts/{id}")).into_response());
    }
    let wanted = q.to_lowercase();
    let datanets: Value = api.get(&format!("/v1/datanets?limit={NAME_SCAN}")).await?;
    if let Some(d) = find_named(&datanets["datanets"], &wanted) {
        return Ok(Redirect::to(&format!("/datanets/{}", d["id"])).into_response());
    }
    let models: Value = api.get(&format!("/v1/registry/models?limit={NAME_SCAN}")).await?;
    if let Some(m) = find_named(&models["models"], &wanted) {
        return Ok(Redirect::to(&format!("/models/{}", m["id"])).into_response());
    }
    Err(Failure::not_found(format!(
        "nothing matches {:?}: try a block height, a 64-hex transaction id, block hash or address, or a datanet or model name",
        super::clip(q)
    )))
}

fn find_named<'a>(list: &'a Value, wanted: &str) -> Option<&'a Value> {
    let items = list.as_array()?;
    items
        .iter()
        .find(|x| fmt::text(&x["info"]["name"]).to_lowercase() == wanted)
        .or_else(|| {
            items
                .iter()
                .find(|x| fmt::text(&x["info"]["name"]).to_lowercase().contains(wanted))
        })
}
