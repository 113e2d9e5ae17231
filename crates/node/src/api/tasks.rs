//! Agent and task queries: agents by capability ordered by reputation score, tasks by status,
//! kind or claimant; and the attribution of a text against a model's datanets (what agents
//! computing or auditing `sinew/attribution` results need).

use super::datanets::get;
use super::{page, ApiError};
use crate::core::Node;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use sinew_state::inference::{answer_receipt, model_corpus};
use sinew_state::tasks::capability_hash;
use sinew_state::{Agent, Model, Reputation, StateKey, Task};
use sinew_types::api::answers::{
    AgentPage, AgentView, AttributionReceipt, ContributionShare, ModelAttribution, SpanPlace, TaskPage, TaskView,
};
pub use sinew_types::api::queries::{AgentFilter, TaskFilter};
pub use sinew_types::api::requests::ModelAttributeRequest;
use sinew_types::task::TaskStatus;
use sinew_types::{Address, Hash};
use std::sync::Arc;

fn agent_view(node: &Node, a: Agent) -> Result<AgentView, ApiError> {
    let reputation: Reputation = get(node, &StateKey::Reputation(a.address))?.unwrap_or_default();
    let score = reputation.score(a.stake);
    Ok(AgentView {
        agent: a,
        reputation,
        score,
    })
}

/// GET /v1/agents?capability=X&after=&limit=: agents (active ones with that capability), a page
/// at a time, best score first within the page.
pub async fn list_agents(
    State(node): State<Arc<Node>>,
    Query(f): Query<AgentFilter>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = page::limit(f.limit);
    let after = page::cursor(f.after.as_deref())?;
    let (mut views, next) = page::blocking(&node, move |n| {
        let (agents, next): (Vec<Agent>, Option<String>) = match &f.capability {
            Some(c) => {
                // The capability index is one key per agent: page through its keys.
                let prefix = StateKey::AgentsByCapability(capability_hash(c), Address::default()).owner_prefix();
                let (keys, next) = page::scan_keys(n, &prefix, after, limit)?;
                let mut v = Vec::new();
                for k in keys {
                    if let StateKey::AgentsByCapability(_, a) = k {
                        if let Some(ag) = get::<Agent>(n, &StateKey::Agent(a))? {
                            v.push(ag);
                        }
                    }
                }
                (v, next)
            }
            None => page::scan::<Agent>(
                n,
                &StateKey::Agent(Address::default()).kind_prefix(),
                after,
                limit,
                |_| true,
            )?,
        };
        let views = agents
            .into_iter()
            .map(|a| agent_view(n, a))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((views, next))
    })
    .await?;
    views.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| a.agent.address.cmp(&b.agent.address))
    });
    Ok(Json(AgentPage { agents: views, next }))
}

fn address(s: &str) -> Result<Address, ApiError> {
    s.parse()
        .map_err(|e: sinew_types::hash::BadHex32| ApiError::BadRequest("bad_address", e.to_string()))
}

/// GET /v1/agents/{address}: an agent, its reputation and score.
pub async fn show_agent(State(node): State<Arc<Node>>, Path(a): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let a = address(&a)?;
    let ag: Agent = get(&node, &StateKey::Agent(a))?.ok_or_else(|| ApiError::NotFound(format!("no agent {a}")))?;
    Ok(Json(agent_view(&node, ag)?))
}

/// GET /v1/tasks?status=open&kind=K&claimant=A&after=&limit=N: tasks by id, a page at a time (a
/// filtered page may hold fewer than `limit`: follow `next`).
pub async fn list_tasks(
    State(node): State<Arc<Node>>,
    Query(f): Query<TaskFilter>,
) -> Result<impl IntoResponse, ApiError> {
    let status: Option<TaskStatus> = f
        .status
        .as_deref()
        .map(|s| {
            serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
                ApiError::BadRequest(
                    "bad_status",
                    format!("unknown status {s:?}: open, claimed, submitted, completed or closed"),
                )
            })
        })
        .transpose()?;
    let claimant = f.claimant.as_deref().map(address).transpose()?;
    let after = page::cursor(f.after.as_deref())?;
    let limit = page::limit(f.limit);
    let kind = f.kind;
    let (tasks, next) = page::blocking(&node, move |n| {
        page::scan::<Task>(n, &StateKey::Task(Hash::default()).kind_prefix(), after, limit, |t| {
            status.is_none_or(|s| t.status == s)
                && kind.as_ref().is_none_or(|k| &t.kind == k)
                && claimant.is_none_or(|c| t.claimant == Some(c))
        })
    })
    .await?;
    Ok(Json(TaskPage { tasks, next }))
}

/// GET /v1/tasks/{id}.
pub async fn show_task(State(node): State<Arc<Node>>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let id: Hash = id
        .parse()
        .map_err(|e: sinew_types::hash::BadHex32| ApiError::BadRequest("bad_task_id", e.to_string()))?;
    let t: Task = get(&node, &StateKey::Task(id))?.ok_or_else(|| ApiError::NotFound(format!("no task {id}")))?;
    Ok(Json(TaskView { task: t }))
}

/// Each span's byte range in `text`: the decoded length of the tokens before it and through it.
fn byte_ranges(receipt: &sinew_attribution::Receipt, text: &str) -> Vec<(u64, u64)> {
    let t = receipt.tokenizer;
    let w = t.width();
    let codes = t.encode_lossy(text.as_bytes());
    let bytes_before = |tokens: u64| {
        let end = (tokens as usize).saturating_mul(w).min(codes.len());
        t.decode(&codes[..end]).map_or(0, |b| b.len() as u64)
    };
    receipt
        .spans
        .iter()
        .map(|s| (bytes_before(s.answer_offset), bytes_before(s.answer_offset + s.len)))
        .collect()
}

/// POST /v1/registry/models/{id}/attribute: the receipt of a text against the model's datanets,
/// with the ledger's parameters, and its digest (what a settlement or a `sinew/attribution` task
/// result carries).
pub async fn model_attribute(
    State(node): State<Arc<Node>>,
    Path(id): Path<u64>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let req: ModelAttributeRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest("bad_json", format!("malformed JSON: {e}")))?;
    let params = node.params();
    if req.text.len() > params.max_answer_bytes as usize {
        return Err(ApiError::TooLarge(format!(
            "text exceeds {} bytes",
            params.max_answer_bytes
        )));
    }
    let m: Model = get(&node, &StateKey::Model(id))?.ok_or_else(|| ApiError::NotFound(format!("no model {id}")))?;
    let permit = page::heavy(&node)?;
    let datanets: Vec<u64> = m.info.datanets.iter().map(|d| d.0).collect();
    let (receipt, ranges) = page::blocking(&node, move |n| {
        let _permit = permit;
        let snapshot = n
            .ledger
            .store
            .snapshot()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let corpus =
            model_corpus(&snapshot, &n.ledger.blobs, &m.info).map_err(|e| ApiError::Internal(e.to_string()))?;
        let receipt = answer_receipt(&corpus, &req.text, &params);
        let ranges = byte_ranges(&receipt, &req.text);
        Ok((receipt, ranges))
    })
    .await?;
    // Parts of the model's corpus are its datanets, in lineage order.
    let untag = |tagged: u64| {
        let (part, contribution) = sinew_attribution::corpus::Union::split_tag(tagged);
        (datanets.get(part).copied().unwrap_or(u64::MAX), contribution)
    };
    let places = ranges
        .into_iter()
        .zip(&receipt.spans)
        .map(|((start, end), s)| {
            let (datanet, contribution) = untag(s.contribution);
            SpanPlace {
                start,
                end,
                datanet,
                contribution,
            }
        })
        .collect();
    let shares = receipt
        .weights
        .iter()
        .map(|(tagged, ppm)| {
            let (datanet, contribution) = untag(*tagged);
            ContributionShare {
                datanet,
                contribution,
                ppm: *ppm,
            }
        })
        .collect();
    Ok(Json(ModelAttribution {
        digest: receipt.digest(),
        receipt: AttributionReceipt::from(&receipt),
        places,
        shares,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sinew_attribution::receipt::ReceiptSpan;
    use sinew_attribution::{Receipt, Tokenizer};

    #[test]
    fn spans_in_tokens_become_byte_ranges_whatever_the_tokenizer() {
        let text = "The Danube flows through ten countries, déjà vu.";
        for t in [Tokenizer::Bytes, Tokenizer::Gpt2, Tokenizer::Cl100k] {
            let codes = t.encode_lossy(text.as_bytes());
            let tokens = (codes.len() / t.width()) as u64;
            let span = |answer_offset, len| ReceiptSpan {
                answer_offset,
                len,
                contribution: 0,
                record: 0,
                record_offset: 0,
            };
            let receipt = Receipt {
                answer_hash: Hash::default(),
                index: Hash::default(),
                tokenizer: t,
                min_len: 1,
                max_count: 1,
                spans: vec![span(0, 2), span(1, tokens - 1), span(tokens, 0)],
                weights: vec![],
            };
            let ranges = byte_ranges(&receipt, text);
            let decoded = |from: u64, to: u64| {
                let w = t.width();
                String::from_utf8(t.decode(&codes[from as usize * w..to as usize * w]).unwrap()).unwrap()
            };
            assert_eq!(
                &text[ranges[0].0 as usize..ranges[0].1 as usize],
                decoded(0, 2),
                "{t:?}"
            );
            assert_eq!(
                &text[ranges[1].0 as usize..ranges[1].1 as usize],
                decoded(1, tokens),
                "{t:?}"
            );
            assert_eq!(ranges[1].1 as usize, text.len(), "{t:?}");
            assert_eq!(ranges[2], (text.len() as u64, text.len() as u64), "{t:?}");
        }
    }
}
