//! Resources a model can read by URI: datanet cards (`sinew://datanets/{id}`: what it holds,
//! license, curation, versions, the models built on it), model cards (`sinew://models/{id}`:
//! lineage, prices, split, provider) and task specifications (`sinew://tasks/{id}`).

use crate::ledger::{call, Ledger};
use crate::read_tools::task_card;
use crate::server::show;
use rmcp::model::{
    ListResourceTemplatesResult, ListResourcesResult, ReadResourceResult, Resource, ResourceContents, ResourceTemplate,
};
use rmcp::ErrorData as McpError;
use serde_json::{json, Value};
use sinew_sdk::{Page, SdkError};
use std::sync::Arc;

/// The resource templates.
pub fn templates() -> ListResourceTemplatesResult {
    ListResourceTemplatesResult::with_all_items(vec![
        ResourceTemplate::new("sinew://datanets/{id}", "datanet card")
            .with_description(
                "A datanet: description, license, curation, versions, record counts, the models built on it",
            )
            .with_mime_type("application/json"),
        ResourceTemplate::new("sinew://models/{id}", "model card")
            .with_description("A model: lineage (datanet versions, base model), prices, fee split, provider")
            .with_mime_type("application/json"),
        ResourceTemplate::new("sinew://tasks/{id}", "task specification")
            .with_description("A task: what is asked, reward, bond, deadline, status")
            .with_mime_type("application/json"),
    ])
}

/// The first datanets and models, as resources.
pub async fn list(ledger: &Arc<Ledger>) -> Result<ListResourcesResult, McpError> {
    let got = call(ledger, |l| {
        let d = l.json("/v1/datanets?limit=100")?;
        let m = l.client.models(&Page {
            after: None,
            limit: Some(100),
        })?;
        Ok((d, m))
    })
    .await
    .map_err(|e| McpError::internal_error(e.to_string(), None))?;
    let (d, m) = got;
    let mut out: Vec<Resource> = d["datanets"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|d| {
            Resource::new(
                format!("sinew://datanets/{}", d["id"]),
                format!("datanet {}", d["info"]["name"].as_str().unwrap_or("")),
            )
            .with_description(d["info"]["description"].as_str().unwrap_or("").to_string())
            .with_mime_type("application/json")
        })
        .collect();
    out.extend(m.models.iter().map(|m| {
        Resource::new(format!("sinew://models/{}", m.id), format!("model {}", m.info.name))
            .with_description(format!("{} on datanets {:?}", m.info.base_model, m.info.datanets))
            .with_mime_type("application/json")
    }));
    Ok(ListResourcesResult::with_all_items(out))
}

fn datanet_card(l: &Ledger, id: u64) -> Result<Value, SdkError> {
    let d = l.json(&format!("/v1/datanets/{id}"))?;
    let models = l.json(&format!("/v1/datanets/{id}/models?limit=50"))?;
    Ok(json!({ "datanet": d["datanet"], "versions": d["versions"], "models": models["models"] }))
}

fn model_card(l: &Ledger, id: u64) -> Result<Value, SdkError> {
    let v = l.client.model(id)?;
    let m = &v.model;
    Ok(json!({
        "id": m.id, "name": m.info.name, "base_model": m.info.base_model, "adapter": m.info.adapter,
        "tokenizer": m.info.tokenizer, "lineage": v.lineage, "owner": m.owner, "provider": m.provider,
        "input_per_1k_tokens": show(m.pricing.input_per_1k), "output_per_1k_tokens": show(m.pricing.output_per_1k),
        "split_bps": m.split, "takes_requests": m.takes_requests(), "answers": m.answers, "fees_earned": show(m.fees),
    }))
}

/// Reads a resource by URI.
pub async fn read(ledger: &Arc<Ledger>, uri: &str) -> Result<ReadResourceResult, McpError> {
    let not_found = || McpError::resource_not_found(format!("no resource {uri:?} (see the resource templates)"), None);
    let rest = uri.strip_prefix("sinew://").ok_or_else(not_found)?;
    let (kind, id) = rest.split_once('/').ok_or_else(not_found)?;
    let got = match kind {
        "datanets" => {
            let id: u64 = id.parse().map_err(|_| not_found())?;
            call(ledger, move |l| datanet_card(l, id)).await
        }
        "models" => {
            let id: u64 = id.parse().map_err(|_| not_found())?;
            call(ledger, move |l| model_card(l, id)).await
        }
        "tasks" => {
            let id: sinew_types::Hash = id.parse().map_err(|_| not_found())?;
            call(ledger, move |l| task_card(l, &id)).await
        }
        _ => return Err(not_found()),
    };
    match got {
        Ok(v) => Ok(ReadResourceResult::new(vec![ResourceContents::text(
            serde_json::to_string_pretty(&v).expect("JSON values serialise"),
            uri,
        )
        .with_mime_type("application/json")])),
        Err(crate::ledger::LedgerError::Sdk(SdkError::Api { status: 404, .. })) => Err(not_found()),
        Err(e) => Err(McpError::internal_error(e.to_string(), None)),
    }
}
