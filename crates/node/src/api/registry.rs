//! Ledger queries about inference: models and their lineage (both ways), providers, and an
//! account's prepaid balance and claimable rewards.

use super::datanets::{get, Page};
use super::{page, ApiError};
use crate::core::Node;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;
use sinew_state::{DatanetVersion, Model, Prepaid, Provider, StateKey};
use sinew_types::Address;
use std::sync::Arc;

/// GET /v1/registry/models?after=&limit=: registered models by id, a page at a time.
pub async fn list_models(State(node): State<Arc<Node>>, Query(p): Query<Page>) -> Result<impl IntoResponse, ApiError> {
    let after = page::cursor(p.after.as_deref())?;
    let (v, next) = page::blocking(&node, move |n| {
        page::scan::<Model>(
            n,
            &StateKey::Model(0).kind_prefix(),
            after,
            page::limit(p.limit),
            |_| true,
        )
    })
    .await?;
    Ok(Json(json!({ "models": v, "next": next })))
}

/// GET /v1/registry/models/{id}: a model and the datanet versions it was built from.
pub async fn show_model(State(node): State<Arc<Node>>, Path(id): Path<u64>) -> Result<impl IntoResponse, ApiError> {
    let m: Model = get(&node, &StateKey::Model(id))?.ok_or_else(|| ApiError::NotFound(format!("no model {id}")))?;
    let mut lineage = Vec::new();
    for &(d, v) in &m.info.datanets {
        let version: Option<DatanetVersion> = get(&node, &StateKey::DatanetVersion(d, v))?;
        lineage.push(json!({ "datanet": d, "version": v, "details": version }));
    }
    Ok(Json(json!({ "model": m, "lineage": lineage })))
}

/// GET /v1/datanets/{id}/models?after=&limit=: the models built from a datanet, a page at a time.
pub async fn datanet_models(
    State(node): State<Arc<Node>>,
    Path(id): Path<u64>,
    Query(p): Query<Page>,
) -> Result<impl IntoResponse, ApiError> {
    let after = page::cursor(p.after.as_deref())?;
    let (out, next) = page::blocking(&node, move |n| {
        let prefix = StateKey::ModelsByDatanet(id, 0).owner_prefix();
        let (keys, next) = page::scan_keys(n, &prefix, after, page::limit(p.limit))?;
        let mut out = Vec::new();
        for k in keys {
            if let StateKey::ModelsByDatanet(_, m) = k {
                if let Some(model) = get::<Model>(n, &StateKey::Model(m))? {
                    out.push(model);
                }
            }
        }
        Ok((out, next))
    })
    .await?;
    Ok(Json(json!({ "datanet": id, "models": out, "next": next })))
}

/// GET /v1/registry/providers?after=&limit=: registered providers, with their stakers, a page at
/// a time.
pub async fn list_providers(
    State(node): State<Arc<Node>>,
    Query(p): Query<Page>,
) -> Result<impl IntoResponse, ApiError> {
    let after = page::cursor(p.after.as_deref())?;
    let (out, next) = page::blocking(&node, move |n| {
        let (v, next) = page::scan::<Provider>(
            n,
            &StateKey::Provider(Address::default()).kind_prefix(),
            after,
            page::limit(p.limit),
            |_| true,
        )?;
        let mut out = Vec::with_capacity(v.len());
        for p in v {
            let stakers: Vec<(Address, u128)> = get(n, &StateKey::ProviderDelegators(p.address))?.unwrap_or_default();
            let stakers: Vec<_> = stakers
                .iter()
                .map(|(a, amount)| json!({ "staker": a, "amount": amount.to_string() }))
                .collect();
            let mut j = json!(p);
            j["stakers"] = json!(stakers);
            out.push(j);
        }
        Ok((out, next))
    })
    .await?;
    Ok(Json(json!({ "providers": out, "next": next })))
}

/// GET /v1/accounts/{address}/inference: prepaid balance and claimable rewards.
pub async fn account_inference(
    State(node): State<Arc<Node>>,
    Path(address): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let a: Address = address
        .parse()
        .map_err(|e: sinew_types::hash::BadHex32| ApiError::BadRequest("bad_address", e.to_string()))?;
    let prepaid: Prepaid = get(&node, &StateKey::Prepaid(a))?.unwrap_or_default();
    let rewards: u128 = get(&node, &StateKey::Rewards(a))?.unwrap_or(0);
    Ok(Json(json!({
        "account": a, "prepaid": prepaid, "prepaid_available": prepaid.available().to_string(),
        "rewards": rewards.to_string(),
    })))
}
