//! Tools that move tokens: ask a model (pays the answer's fee), post a task (escrows its
//! reward), claim a task (locks its bond), register as an agent (locks a stake); and the task
//! steps that move none (submit, review, finalize). Each paying tool takes its amount from the
//! session's budget before anything is sent, refuses above the limits with an MCP error, and
//! gives back what the ledger did not take.
//!
//! Paid answers go through an API key this session registers for each provider, scoped to that
//! provider, capped per request and in total at the session's limits, and requiring a voucher
//! signed by the session's key for every request: the ledger itself then refuses any fee above
//! the voucher's maximum, so a hostile gateway cannot charge more than the budget allowed.

use crate::ledger::{call, posted_task, Ledger};
use crate::params::*;
use crate::server::{bad_arg, ledger_error, ok, over_limit, show, task_id, tokens, SinewMcp};
use rand::RngCore;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router, ErrorData as McpError};
use serde_json::json;
use sinew_sdk::SdkError;
use sinew_types::api::openai::ChatMessage;
use sinew_types::api::requests::ChatRequest;
use sinew_types::inference::{KeyScope, Voucher};
use sinew_types::payload::{
    ClaimTask, DepositPrepaid, FinalizeTask, PostTask as PostTaskTx, RegisterAgent as RegisterAgentTx, RegisterApiKey,
    ReviewResult as ReviewTx, SubmitResult as SubmitTx,
};
use sinew_types::task::Verification;
use sinew_types::{Address, Amount, Hash};

/// Blocks a voucher stays valid for.
const VOUCHER_BLOCKS: u64 = 100;
/// Longest answer a tool asks for.
const MAX_ANSWER_TOKENS: u32 = 1024;
/// Longest prompt a tool sends.
const MAX_PROMPT_BYTES: usize = 32 << 10;
/// Longest task specification or result a tool stores (what `get_task` shows in full).
const MAX_TEXT_BYTES: usize = 64 << 10;
/// Most blocks a task's deadline or windows may span from a tool.
const MAX_BLOCKS: u64 = 1_000_000;

fn random_hash() -> Hash {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    Hash(b)
}

/// The API key for `provider`, registered on first use (voucher-only, scoped to the provider,
/// capped at the server's limits) and shared by every session. The map stays locked while the
/// key is registered, so two asks never register two keys.
fn api_key_for(s: &SinewMcp, l: &Ledger, provider: Address) -> Result<String, SdkError> {
    let mut keys = s.api_keys.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(k) = keys.get(&provider) {
        return Ok(k.clone());
    }
    let key = format!("sk-sinew-mcp-{}", hex::encode(&random_hash().0[..16]));
    let limits = s.server_limits;
    l.send(RegisterApiKey {
        key_hash: sinew_types::records::api_key_hash(&key),
        scope: KeyScope {
            providers: vec![provider],
            models: vec![],
            max_fee_per_request: limits.per_call,
            spend_limit: limits.total,
            voucher_key: Some(l.key.address()),
        },
    })?;
    keys.insert(provider, key.clone());
    Ok(key)
}

/// The registered model named `name`, looking through at most `SCAN` models.
pub(crate) fn model_named(l: &Ledger, name: &str) -> Result<sinew_types::records::Model, SdkError> {
    let mut after = None;
    let mut scanned = 0;
    loop {
        let page = l.client.models(&sinew_sdk::Page {
            after,
            limit: Some(100),
        })?;
        scanned += page.models.len();
        if let Some(m) = page.models.into_iter().find(|m| m.info.name == name) {
            return Ok(m);
        }
        after = page.next;
        if after.is_none() || scanned >= crate::read_tools::SCAN {
            return Err(SdkError::Api {
                status: 404,
                code: "unknown_model".into(),
                message: format!("no model named {name:?} (find_models lists them)"),
            });
        }
    }
}

/// The most an answer can cost: the model's prices for a prompt of `prompt_bytes` (a token is
/// at least a byte; 256 more for the chat template) and `max_tokens` answer tokens, plus the
/// platform fee.
fn answer_bound(
    model: &sinew_types::records::Model,
    platform_fee: Amount,
    prompt_bytes: usize,
    max_tokens: u32,
) -> Amount {
    model
        .pricing
        .price(prompt_bytes as u64 + 256, u64::from(max_tokens))
        .and_then(|p| p.checked_add(platform_fee))
        .unwrap_or(Amount::MAX)
}

/// What the ledger's settlement of request `request_id` charged `payer`, read from the
/// settlement transaction's receipt (not from the gateway's word).
fn settled_fee(l: &Ledger, tx: &sinew_types::TxId, request_id: &Hash, payer: &Address) -> Option<Amount> {
    let reply = l.client.tx(tx).ok()?;
    let sinew_types::wire::SubmitOutcome::Committed { receipt, .. } = reply.outcome else {
        return None;
    };
    receipt.events.iter().find_map(|e| match e {
        sinew_types::Event::Inference(sinew_types::InferenceEvent::InferenceSettled {
            request_id: r,
            payer: p,
            fee,
            ..
        }) if r == request_id && p == payer => Some(*fee),
        _ => None,
    })
}

/// Sends a paying transaction with `amount` charged against the budget: kept if it committed,
/// given back if the ledger refused or failed it.
async fn pay(
    s: &SinewMcp,
    what: &str,
    amount: Amount,
    f: impl FnOnce(&Ledger) -> Result<serde_json::Value, SdkError> + Send + 'static,
) -> Result<CallToolResult, McpError> {
    let charge = s.budget.charge(what, amount).map_err(over_limit)?;
    match call(&s.ledger, f).await {
        Ok(v) => {
            charge.settle(amount);
            ok(v)
        }
        Err(e) => {
            charge.settle(if e.nothing_moved() { 0 } else { amount });
            ledger_error(e)
        }
    }
}

fn committed_json(c: &sinew_sdk::Committed) -> serde_json::Value {
    json!({ "tx": c.tx_id, "height": c.height, "fee": show(c.receipt.fee) })
}

#[tool_router(router = pay_tools, vis = "pub(crate)")]
impl SinewMcp {
    /// A paid, attributed answer from a model.
    #[tool(
        description = "Ask a model a question. MOVES TOKENS: pays the answer's fee (prompt and answer tokens at the model's prices, plus the platform fee), taken from this account's prepaid inference balance (topped up from its balance when needed; prepaid funds stay the account's). The fee is capped by a voucher this server signs for at most the smaller of the answer's price bound and what the session may still spend in one call (get_account shows it), and the ledger refuses any fee above the voucher; refused above the limit. Returns the answer, the fee as the ledger settled it, and its attribution: the spans of the answer found in the model's datanets, with the records and contributors they come from and the weights that split the fee.",
        annotations(destructive_hint = false, open_world_hint = true)
    )]
    async fn ask_model(&self, Parameters(p): Parameters<AskModel>) -> Result<CallToolResult, McpError> {
        if p.prompt.trim().is_empty() {
            return Err(bad_arg("prompt is empty"));
        }
        if p.prompt.len() > MAX_PROMPT_BYTES {
            return Err(bad_arg(format!(
                "prompt is {} bytes; at most {MAX_PROMPT_BYTES}",
                p.prompt.len()
            )));
        }
        let max_tokens = p.max_tokens.unwrap_or(128).clamp(1, MAX_ANSWER_TOKENS);
        let name = p.model.clone();
        let (model, platform_fee) = match call(&self.ledger, move |l| {
            Ok((model_named(l, &name)?, l.client.params()?.inference_platform_fee))
        })
        .await
        {
            Ok(m) => m,
            Err(e) => return ledger_error(e),
        };
        if !model.takes_requests() {
            return ledger_error(crate::ledger::LedgerError::Sdk(SdkError::Api {
                status: 409,
                code: "not_serving".into(),
                message: format!(
                    "model {:?} takes no requests now (its provider does not serve it)",
                    model.info.name
                ),
            }));
        }
        let max_fee = answer_bound(&model, platform_fee, p.prompt.len(), max_tokens).min(self.budget.available());
        let charge = self
            .budget
            .charge(&format!("an answer from {}", p.model), max_fee.max(1))
            .map_err(over_limit)?;
        let (s, ledger) = (self.clone(), self.ledger.clone());
        // Err carries whether the voucher left this server: then a gateway may still use it.
        let got = tokio::task::spawn_blocking(move || -> Result<_, (SdkError, bool)> {
            let l = &ledger;
            let early = |e| (e, false);
            let key = api_key_for(&s, l, model.provider).map_err(early)?;
            let inf = l.client.account_inference(&l.key.address()).map_err(early)?;
            if inf.prepaid_available < max_fee {
                l.send(DepositPrepaid {
                    amount: max_fee - inf.prepaid_available,
                })
                .map_err(early)?;
            }
            let chain = l.client.chain_id().map_err(early)?;
            let height = l.client.height().map_err(early)?;
            let request_id = random_hash();
            let voucher = Voucher::sign(
                &l.key,
                &chain,
                &sinew_types::records::api_key_hash(&key),
                request_id,
                model.id,
                max_fee,
                height + VOUCHER_BLOCKS,
            );
            let req = ChatRequest {
                model: p.model.clone(),
                messages: vec![ChatMessage {
                    role: "user".into(),
                    content: p.prompt.clone(),
                }],
                max_tokens: Some(max_tokens),
                seed: None,
                stream: false,
            };
            let resp = l.client.chat(&key, &req, Some(&voucher)).map_err(|e| (e, true))?;
            let fee = settled_fee(l, &resp.sinew.settlement_tx, &request_id, &l.key.address());
            Ok((resp, fee))
        })
        .await;
        match got {
            Ok(Ok((resp, fee))) => {
                // The ledger's figure; if it cannot be read, the voucher's maximum stays counted.
                charge.settle(fee.unwrap_or(max_fee));
                let a = &resp.sinew;
                let answer = resp
                    .choices
                    .first()
                    .map(|c| c.message.content.clone())
                    .unwrap_or_default();
                ok(json!({
                    "answer": answer,
                    "fee": fee.map(show),
                    "fee_confirmed_by_ledger": fee.is_some(),
                    "settlement_tx": a.settlement_tx,
                    "receipt": a.receipt_id,
                    "spans": a.spans.iter().map(|s| json!({ "text": s.text, "datanet": s.datanet, "contribution": s.at.contribution, "record": s.at.record })).collect::<Vec<_>>(),
                    "contributors": a.weights.iter().map(|w| json!({ "datanet": w.datanet, "contribution": w.contribution, "contributor": w.contributor, "ppm": w.ppm })).collect::<Vec<_>>(),
                    "session_spent": show(self.budget.spent()),
                }))
            }
            Ok(Err((e, voucher_out))) => {
                let e = crate::ledger::LedgerError::Sdk(e);
                // A voucher that left may still be used until it expires: keep it counted.
                charge.settle(if !voucher_out && e.nothing_moved() { 0 } else { max_fee });
                ledger_error(e)
            }
            Err(_) => {
                charge.settle(max_fee);
                ledger_error(crate::ledger::LedgerError::Cancelled)
            }
        }
    }

    /// Posts a task with its reward in escrow.
    #[tool(
        description = "Post a task for agents. MOVES TOKENS: escrows the reward now (paid to the agent whose result is accepted, returned if nobody completes it); refused above the session's spend limit. Returns the task id.",
        annotations(destructive_hint = false)
    )]
    async fn post_task(&self, Parameters(p): Parameters<PostTask>) -> Result<CallToolResult, McpError> {
        let reward = tokens("reward", &p.reward)?;
        let bond = tokens("bond", p.bond.as_deref().unwrap_or("0.1"))?;
        if p.kind.is_empty() || p.kind.len() > 64 || p.spec.trim().is_empty() || p.spec.len() > MAX_TEXT_BYTES {
            return Err(bad_arg(format!(
                "kind must be 1 to 64 bytes and spec 1 to {MAX_TEXT_BYTES} bytes"
            )));
        }
        let (deadline_blocks, claim_window, review_window) = (
            p.deadline_blocks.unwrap_or(500),
            p.claim_window_blocks.unwrap_or(100),
            p.review_window_blocks.unwrap_or(20),
        );
        if deadline_blocks > MAX_BLOCKS || claim_window > MAX_BLOCKS || review_window > MAX_BLOCKS {
            return Err(bad_arg(format!("block counts are at most {MAX_BLOCKS}")));
        }
        pay(self, "a task's reward", reward, move |l| {
            let spec = l.client.upload_blob(
                std::io::Cursor::new(p.spec.clone().into_bytes()),
                Some(p.spec.len() as u64),
            )?;
            let height = l.client.height()?;
            let c = l.send(PostTaskTx {
                kind: p.kind.clone(),
                spec: spec.blob,
                reward,
                deadline: height.saturating_add(deadline_blocks),
                claim_window,
                bond,
                verification: Verification::Poster { window: review_window },
                parent: None,
            })?;
            let mut v = committed_json(&c);
            v["task"] = json!(posted_task(&c));
            v["reward_escrowed"] = json!(show(reward));
            Ok(v)
        })
        .await
    }

    /// Claims a task, locking its bond.
    #[tool(
        description = "Claim an open task as this session's agent (register_agent first). MOVES TOKENS: locks the task's bond, returned when the result is accepted, forfeited if the agent fails; refused above the session's spend limit.",
        annotations(destructive_hint = false)
    )]
    async fn claim_task(&self, Parameters(p): Parameters<TaskRef>) -> Result<CallToolResult, McpError> {
        let id = task_id(&p.task)?;
        let bond = match call(&self.ledger, move |l| l.client.task(&id)).await {
            Ok(t) => t.task.bond,
            Err(e) => return ledger_error(e),
        };
        pay(self, "a task's bond", bond, move |l| {
            let mut v = committed_json(&l.send(ClaimTask { task: id })?);
            v["bond_locked"] = json!(show(bond));
            Ok(v)
        })
        .await
    }

    /// Registers this session's key as an agent.
    #[tool(
        description = "Register this session's account as an agent that takes tasks of the given kinds. MOVES TOKENS: locks the stake (returned when the agent retires); refused above the session's spend limit.",
        annotations(destructive_hint = false)
    )]
    async fn register_agent(&self, Parameters(p): Parameters<RegisterAgent>) -> Result<CallToolResult, McpError> {
        let stake = tokens("stake", &p.stake)?;
        if p.name.is_empty() || p.name.len() > 64 || p.capabilities.is_empty() || p.capabilities.len() > 16 {
            return Err(bad_arg("name must be 1 to 64 bytes, capabilities 1 to 16"));
        }
        if p.capabilities.iter().any(|c| c.is_empty() || c.len() > 64) {
            return Err(bad_arg("each capability must be 1 to 64 bytes"));
        }
        pay(self, "an agent's stake", stake, move |l| {
            let mut v = committed_json(&l.send(RegisterAgentTx {
                name: p.name.clone(),
                capabilities: p.capabilities.clone(),
                endpoint: String::new(),
                stake,
            })?);
            v["stake_locked"] = json!(show(stake));
            Ok(v)
        })
        .await
    }

    /// Submits a claimed task's result.
    #[tool(
        description = "Submit the result of a task this session's agent claimed (the text is stored and its id recorded on the ledger). Moves no tokens beyond the transaction fee."
    )]
    async fn submit_result(&self, Parameters(p): Parameters<SubmitResult>) -> Result<CallToolResult, McpError> {
        let id = task_id(&p.task)?;
        if p.result.is_empty() || p.result.len() > MAX_TEXT_BYTES {
            return Err(bad_arg(format!("result must be 1 to {MAX_TEXT_BYTES} bytes")));
        }
        done(self, move |l| {
            let blob = l.client.upload_blob(
                std::io::Cursor::new(p.result.clone().into_bytes()),
                Some(p.result.len() as u64),
            )?;
            Ok(committed_json(&l.send(SubmitTx {
                task: id,
                result: blob.blob,
            })?))
        })
        .await
    }

    /// The poster's verdict on a result.
    #[tool(
        description = "As the task's poster, accept (pays the agent its reward and returns its bond) or reject a submitted result. Moves escrowed tokens, not the session's."
    )]
    async fn review_result(&self, Parameters(p): Parameters<ReviewResult>) -> Result<CallToolResult, McpError> {
        let id = task_id(&p.task)?;
        done(self, move |l| {
            Ok(committed_json(&l.send(ReviewTx {
                task: id,
                accept: p.accept,
            })?))
        })
        .await
    }

    /// Settles a task whose window has passed.
    #[tool(
        description = "Finalize a task whose review window or deadline has passed: pays out or refunds its escrow as the ledger's rules say. Anyone may; moves escrowed tokens, not the session's."
    )]
    async fn finalize_task(&self, Parameters(p): Parameters<TaskRef>) -> Result<CallToolResult, McpError> {
        let id = task_id(&p.task)?;
        done(self, move |l| Ok(committed_json(&l.send(FinalizeTask { task: id })?))).await
    }
}

/// Runs a transaction that spends nothing from the budget.
async fn done(
    s: &SinewMcp,
    f: impl FnOnce(&Ledger) -> Result<serde_json::Value, SdkError> + Send + 'static,
) -> Result<CallToolResult, McpError> {
    match call(&s.ledger, f).await {
        Ok(v) => ok(v),
        Err(e) => ledger_error(e),
    }
}
