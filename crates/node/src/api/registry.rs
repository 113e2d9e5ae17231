//! Ledger queries about inference: models and their lineage (both ways), providers, and an
//! account's prepaid balance and claimable rewards.

use super::datanets::{get, Page};
use super::{page, ApiError};
use crate::core::Node;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use sinew_state::{DatanetVersion, Model, Prepaid, Provider, StateKey};
use sinew_types::api::answers::{
    DatanetModels, InferenceAccount, LineageEntry, ModelPage, ModelView, ProviderPage, ProviderView,
};
use sinew_types::records::Delegation;
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
    Ok(Json(ModelPage { models: v, next }))
}

/// GET /v1/registry/models/{id}: a model and the datanet versions it was built from.
pub async fn show_model(State(node): State<Arc<Node>>, Path(id): Path<u64>) -> Result<impl IntoResponse, ApiError> {
    let m: Model = get(&node, &StateKey::Model(id))?.ok_or_else(|| ApiError::NotFound(format!("no model {id}")))?;
    let mut lineage = Vec::new();
    for &(d, v) in &m.info.datanets {
        let details: Option<DatanetVersion> = get(&node, &StateKey::DatanetVersion(d, v))?;
        lineage.push(LineageEntry {
            datanet: d,
            version: v,
            details,
        });
    }
    Ok(Json(ModelView { model: m, lineage }))
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
    Ok(Json(DatanetModels {
        datanet: id,
        models: out,
        next,
    }))
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
            let stakers: Vec<Delegation> = get(n, &StateKey::ProviderDelegators(p.address))?.unwrap_or_default();
            out.push(ProviderView { provider: p, stakers });
        }
        Ok((out, next))
    })
    .await?;
    Ok(Json(ProviderPage { providers: out, next }))
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
    Ok(Json(InferenceAccount {
        account: a,
        prepaid_available: prepaid.available(),
        prepaid,
        rewards,
    }))
}
