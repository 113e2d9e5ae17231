//! The OpenAPI 3 document, generated: paths from [`Route::ALL`], schemas from the wire types
//! themselves (`schemars`), so neither can drift from what the node serves.

use super::routes::{Answer, Route};
use schemars::gen::{SchemaGenerator, SchemaSettings};
use serde_json::{json, Map, Value};

/// Registers each named schema with the generator and returns the names it knows.
macro_rules! schemas {
    ($gen:expr, $($name:literal => $t:ty),+ $(,)?) => {{
        let mut names = std::collections::BTreeMap::new();
        $( names.insert($name, $gen.subschema_for::<$t>()); )+
        names
    }};
}

/// The document served at `/openapi.json`.
pub fn document() -> Value {
    let mut gen = SchemaGenerator::new(SchemaSettings::openapi3());
    use super::answers::*;
    use super::openai::*;
    use super::requests::*;
    use crate::wire::{AccountView, BatchResult, ProvenValue, SubmitReply};
    let named = schemas!(gen,
        "Health" => Health, "ChainView" => ChainView, "Params" => crate::Params, "SubmitReply" => SubmitReply,
        "BatchResult" => BatchResult, "AccountView" => AccountView, "ProvenValue" => ProvenValue,
        "BlockView" => BlockView, "ReceiptsView" => ReceiptsView, "EventRecord" => EventRecord,
        "BlobStored" => BlobStored, "DatanetPage" => DatanetPage, "DatanetView" => DatanetView,
        "DatanetVersion" => crate::records::DatanetVersion, "ContributionPage" => ContributionPage,
        "RecordsView" => RecordsView, "IndexView" => IndexView, "AttributionReceipt" => AttributionReceipt,
        "DatanetModels" => DatanetModels, "ModelPage" => ModelPage, "ModelView" => ModelView,
        "ProviderPage" => ProviderPage, "InferenceAccount" => InferenceAccount, "ModelList" => ModelList,
        "ChatCompletion" => ChatCompletion, "Completion" => Completion, "ModelAttribution" => ModelAttribution,
        "AgentPage" => AgentPage, "AgentView" => AgentView, "TaskPage" => TaskPage, "TaskView" => TaskView, "ValidatorSet" => ValidatorSet,
        "ConsensusStatus" => ConsensusStatus, "BlockPage" => BlockPage, "ActivityPage" => ActivityPage, "BlockTxsView" => BlockTxsView, "FinalizationView" => FinalizationView,
        "SignedTransaction" => crate::SignedTransaction, "SignedTransactionList" => Vec<crate::SignedTransaction>,
        "AttributeRequest" => AttributeRequest, "ModelAttributeRequest" => ModelAttributeRequest,
        "ChatRequest" => ChatRequest, "CompletionRequest" => CompletionRequest, "ErrorAnswer" => ErrorAnswer,
        "OpenApiDocument" => serde_json::Value,
    );
    let schema = |name: &str| -> Value {
        let s = named.get(name).unwrap_or_else(|| panic!("no schema named {name}"));
        serde_json::to_value(s).expect("schemas serialise")
    };
    let mut paths = Map::new();
    for route in Route::ALL {
        let (method, path) = route.endpoint();
        let entry = paths.entry(path).or_insert_with(|| json!({}));
        entry[method.name()] = operation(route, &schema);
    }
    let mut components: Map<String, Value> = gen
        .take_definitions()
        .into_iter()
        .map(|(k, v)| (k, serde_json::to_value(v).expect("schemas serialise")))
        .collect();
    for (name, s) in &named {
        components
            .entry(name.to_string())
            .or_insert_with(|| serde_json::to_value(s).expect("serialises"));
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Sinew node API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "An open coordination ledger for AI: datanets, models, paid and attributed inference, agents and tasks. Generated from the route list and the wire types (sinew_types::api).",
        },
        "paths": paths,
        "components": { "schemas": components },
    })
}

/// One route's operation object.
fn operation(route: Route, schema: &dyn Fn(&str) -> Value) -> Value {
    let (_, path) = route.endpoint();
    let mut params: Vec<Value> = path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    params.extend(route.query().iter().map(|(name, what)| {
        json!({ "name": name, "in": "query", "required": false, "description": what, "schema": { "type": "string" } })
    }));
    let ok = match route.answer() {
        Answer::Json(name) => {
            json!({ "description": "OK", "content": { "application/json": { "schema": schema(name) } } })
        }
        Answer::Events(name) => {
            json!({ "description": "A stream of server-sent events, each data line the JSON of the schema",
                                        "content": { "text/event-stream": { "schema": schema(name) } } })
        }
        Answer::Text => json!({ "description": "OK", "content": { "text/plain": { "schema": { "type": "string" } } } }),
        Answer::Bytes => {
            json!({ "description": "OK", "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } })
        }
    };
    let mut op = json!({
        "summary": route.summary(),
        "operationId": format!("{route:?}"),
        "parameters": params,
        "responses": {
            "200": ok,
            "default": { "description": "An error", "content": { "application/json": { "schema": schema("ErrorAnswer") } } },
        },
    });
    if let Some(body) = route.body() {
        let content = if body == "bytes" {
            json!({ "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } })
        } else {
            json!({ "application/json": { "schema": schema(body) } })
        };
        op["requestBody"] = json!({ "required": true, "content": content });
    }
    op
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_with_its_schemas() {
        let doc = document();
        for r in Route::ALL {
            let (m, p) = r.endpoint();
            assert!(
                doc["paths"][p][m.name()]["summary"].is_string(),
                "{r:?} is not documented"
            );
        }
        // Every reference resolves.
        let text = doc.to_string();
        for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = &piece[..piece.find('"').expect("closed")];
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "dangling reference to {name}"
            );
        }
        assert!(
            doc["components"]["schemas"]["Payload"].is_object(),
            "transactions are described"
        );
    }
}
