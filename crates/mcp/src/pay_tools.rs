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

fn random_hash() -> Hash {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    Hash(b)
}

/// The session's API key for `provider`, registered on first use (voucher-only, scoped to the
/// provider, capped at the session's limits).
fn api_key_for(s: &SinewMcp, l: &Ledger, provider: Address) -> Result<String, SdkError> {
    if let Some(k) = s.api_keys.lock().expect("api keys lock").get(&provider) {
        return Ok(k.clone());
    }
    let key = format!("sk-sinew-mcp-{}", hex::encode(&random_hash().0[..16]));
    let limits = s.budget.limits();
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
    s.api_keys.lock().expect("api keys lock").insert(provider, key.clone());
    Ok(key)
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
        description = "Ask a model a question. MOVES TOKENS: pays the answer's fee (prompt and answer tokens at the model's prices) from this session's prepaid balance, at most what the session may still spend in one call (get_account shows it); refused above the limit. Returns the answer, the fee, and its attribution: the spans of the answer found in the model's datanets, with the records and contributors they come from and the weights that split the fee.",
        annotations(destructive_hint = false, open_world_hint = true)
    )]
    async fn ask_model(&self, Parameters(p): Parameters<AskModel>) -> Result<CallToolResult, McpError> {
        if p.prompt.trim().is_empty() {
            return Err(bad_arg("prompt is empty"));
        }
        let max_tokens = p.max_tokens.unwrap_or(128).clamp(1, MAX_ANSWER_TOKENS);
        let max_fee = self.budget.available();
        let charge = self
            .budget
            .charge(&format!("an answer from {}", p.model), max_fee.max(1))
            .map_err(over_limit)?;
        let s = self.clone();
        let got = call(&self.ledger, move |l| {
            let models = l.client.models(&sinew_sdk::Page {
                after: None,
                limit: Some(500),
            })?;
            let Some(model) = models.models.iter().find(|m| m.info.name == p.model) else {
                return Err(SdkError::Api {
                    status: 404,
                    code: "unknown_model".into(),
                    message: format!("no model named {:?} (find_models lists them)", p.model),
                });
            };
            let key = api_key_for(&s, l, model.provider)?;
            let inf = l.client.account_inference(&l.key.address())?;
            if inf.prepaid_available < max_fee {
                l.send(DepositPrepaid {
                    amount: max_fee - inf.prepaid_available,
                })?;
            }
            let chain = l.client.chain_id()?;
            let height = l.client.height()?;
            let voucher = Voucher::sign(
                &l.key,
                &chain,
                &sinew_types::records::api_key_hash(&key),
                random_hash(),
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
            l.client.chat(&key, &req, Some(&voucher))
        })
        .await;
        match got {
            Ok(resp) => {
                let a = &resp.sinew;
                charge.settle(a.fee);
                let answer = resp
                    .choices
                    .first()
                    .map(|c| c.message.content.clone())
                    .unwrap_or_default();
                ok(json!({
                    "answer": answer,
                    "fee": show(a.fee),
                    "settlement_tx": a.settlement_tx,
                    "receipt": a.receipt_id,
                    "spans": a.spans.iter().map(|s| json!({ "text": s.text, "datanet": s.datanet, "contribution": s.at.contribution, "record": s.at.record })).collect::<Vec<_>>(),
                    "contributors": a.weights.iter().map(|w| json!({ "datanet": w.datanet, "contribution": w.contribution, "contributor": w.contributor, "ppm": w.ppm })).collect::<Vec<_>>(),
                    "session_spent": show(self.budget.spent()),
                }))
            }
            Err(e) => {
                charge.settle(if e.nothing_moved() { 0 } else { max_fee });
                ledger_error(e)
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
        if p.kind.is_empty() || p.spec.trim().is_empty() {
            return Err(bad_arg("kind and spec must not be empty"));
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
                deadline: height + p.deadline_blocks.unwrap_or(500),
                claim_window: p.claim_window_blocks.unwrap_or(100),
                bond,
                verification: Verification::Poster {
                    window: p.review_window_blocks.unwrap_or(20),
                },
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
        if p.result.is_empty() {
            return Err(bad_arg("result is empty"));
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
