//! Tools that read: find datanets and models, read records, attribute a text, list and read
//! tasks, read an account (its balance proven against the state root). None moves a token.

use crate::ledger::{call, Ledger};
use crate::params::*;
use crate::server::{bad_arg, ledger_error, ok, show, task_id, SinewMcp};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router, ErrorData as McpError};
use serde_json::{json, Value};
use sinew_sdk::Page;
use sinew_types::Address;

/// How many datanets or models a search scans at most (a page of the node's lists each).
pub(crate) const SCAN: usize = 500;

fn matches(haystack: &[&str], needle: &Option<String>) -> bool {
    match needle {
        None => true,
        Some(n) => {
            let words: Vec<String> = n.split_whitespace().map(str::to_lowercase).collect();
            let text = haystack.join(" ").to_lowercase();
            words.iter().all(|w| text.contains(w.as_str()))
        }
    }
}

fn span_texts(text: &str, receipt: &Value) -> Vec<Value> {
    let bytes = text.as_bytes();
    let byte_level = receipt["tokenizer"] == "bytes";
    receipt["spans"]
        .as_array()
        .map(|spans| {
            spans
                .iter()
                .map(|s| {
                    let at = s["answer_offset"].as_u64().unwrap_or(0) as usize;
                    let len = s["len"].as_u64().unwrap_or(0) as usize;
                    let span = byte_level
                        .then(|| at.checked_add(len).and_then(|end| bytes.get(at..end)))
                        .flatten()
                        .map(|b| String::from_utf8_lossy(b).into_owned());
                    json!({ "text": span, "contribution": s["contribution"], "record": s["record"], "record_offset": s["record_offset"] })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The account of `address` with its proof checked against the state root the node names.
pub fn proven_account(l: &Ledger, address: &Address) -> Result<Value, sinew_sdk::SdkError> {
    let view = l.client.account(address, None)?;
    let account = sinew_state::verify_account_view(&view, view.proof.state_root)
        .map_err(|e| sinew_sdk::SdkError::Decode(format!("the node's proof does not hold: {e}")))?;
    Ok(json!({
        "address": address,
        "balance": show(account.balance),
        "staked": show(account.staked),
        "nonce": account.nonce,
        "proven_at_height": view.proof.height,
        "state_root": view.proof.state_root,
    }))
}

#[tool_router(router = read_tools, vis = "pub(crate)")]
impl SinewMcp {
    /// Datanets whose name, description or tags match.
    #[tool(
        description = "Find datanets (curated, versioned datasets) by words in their name, description or tags. Returns each datanet's id, name, description, license, tags, published versions and record counts. Read-only.",
        annotations(read_only_hint = true)
    )]
    async fn find_datanets(&self, Parameters(p): Parameters<FindDatanets>) -> Result<CallToolResult, McpError> {
        let limit = p.limit.unwrap_or(20).clamp(1, 100) as usize;
        let got = call(&self.ledger, move |l| {
            let mut out = Vec::new();
            let mut after: Option<String> = None;
            let mut scanned = 0;
            loop {
                let v = l.json(&format!(
                    "/v1/datanets?limit=100{}",
                    after.as_deref().map(|a| format!("&after={a}")).unwrap_or_default()
                ))?;
                let list = v["datanets"].as_array().cloned().unwrap_or_default();
                scanned += list.len();
                for d in list {
                    let tags: Vec<&str> = d["info"]["tags"].as_array().map(|t| t.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
                    let mut hay = vec![d["info"]["name"].as_str().unwrap_or(""), d["info"]["description"].as_str().unwrap_or("")];
                    hay.extend(tags);
                    if matches(&hay, &p.text) && out.len() < limit {
                        out.push(json!({
                            "id": d["id"], "name": d["info"]["name"], "description": d["info"]["description"],
                            "license": d["info"]["license"], "tags": d["info"]["tags"], "owner": d["owner"],
                            "published_versions": d["versions"], "approved_records": d["approved_records"], "open": d["open"],
                        }));
                    }
                }
                after = v["next"].as_str().map(String::from);
                if after.is_none() || scanned >= SCAN || out.len() >= limit {
                    return Ok(out);
                }
            }
        })
        .await;
        match got {
            Ok(list) => ok(json!({ "datanets": list })),
            Err(e) => ledger_error(e),
        }
    }

    /// A page of a datanet's records.
    #[tool(
        description = "Read records (text with provenance: contribution, record number, contributor) of a datanet, optionally of one published version or one contribution. Read-only.",
        annotations(read_only_hint = true)
    )]
    async fn read_records(&self, Parameters(p): Parameters<ReadRecords>) -> Result<CallToolResult, McpError> {
        if p.version.is_some() && p.contribution.is_some() {
            return Err(bad_arg("give version or contribution, not both"));
        }
        let mut q = format!(
            "limit={}&offset={}",
            p.limit.unwrap_or(10).clamp(1, 50),
            p.offset.unwrap_or(0)
        );
        if let Some(v) = p.version {
            q += &format!("&version={v}");
        }
        if let Some(c) = p.contribution {
            q += &format!("&contribution={c}");
        }
        let path = format!("/v1/datanets/{}/records?{q}", p.datanet);
        match call(&self.ledger, move |l| l.json(&path)).await {
            Ok(v) => {
                let records: Vec<Value> = v["records"].as_array().cloned().unwrap_or_default().into_iter().map(|r| {
                    json!({ "contribution": r["contribution"], "record": r["index"], "contributor": r["contributor"], "status": r["status"], "text": r["text"] })
                }).collect();
                ok(json!({ "datanet": p.datanet, "records": records }))
            }
            Err(e) => ledger_error(e),
        }
    }

    /// The attribution of a text to a datanet version, recomputed by the node.
    #[tool(
        description = "Attribute a text to a published datanet version: the spans of the text found verbatim in its records (with the records they come from) and each contribution's weight in parts per million, exactly as the ledger computes attribution for paid answers. Read-only, free.",
        annotations(read_only_hint = true)
    )]
    async fn attribute_text(&self, Parameters(p): Parameters<AttributeText>) -> Result<CallToolResult, McpError> {
        let mut body = json!({ "text": p.text });
        if let Some(m) = p.min_len {
            body["min_len"] = json!(m);
        }
        let path = format!("/v1/datanets/{}/versions/{}/attribute", p.datanet, p.version);
        let text = p.text.clone();
        match call(&self.ledger, move |l| l.client.post_json::<Value, Value>(&path, &body)).await {
            Ok(r) => ok(json!({
                "index": r["index"], "tokenizer": r["tokenizer"], "min_len": r["min_len"],
                "spans": span_texts(&text, &r), "weights_ppm": r["weights"],
            })),
            Err(e) => ledger_error(e),
        }
    }

    /// Registered models.
    #[tool(
        description = "Find models by words in their name or base model: each model's name (what ask_model takes), lineage (datanet versions it was built from), prices per 1,000 tokens, fee split, provider and whether it takes requests. Read-only.",
        annotations(read_only_hint = true)
    )]
    async fn find_models(&self, Parameters(p): Parameters<FindModels>) -> Result<CallToolResult, McpError> {
        let got = call(&self.ledger, move |l| {
            let mut out = Vec::new();
            let mut after = None;
            let mut scanned = 0;
            loop {
                let page = l.client.models(&Page { after, limit: Some(100) })?;
                scanned += page.models.len();
                for m in &page.models {
                    if matches(&[m.info.name.as_str(), m.info.base_model.as_str()], &p.text) {
                        out.push(json!({
                            "id": m.id, "name": m.info.name, "base_model": m.info.base_model,
                            "datanets": m.info.datanets, "tokenizer": m.info.tokenizer,
                            "input_per_1k_tokens": show(m.pricing.input_per_1k), "output_per_1k_tokens": show(m.pricing.output_per_1k),
                            "split_bps": m.split, "provider": m.provider, "owner": m.owner, "takes_requests": m.takes_requests(),
                        }));
                    }
                }
                after = page.next;
                if after.is_none() || out.len() >= 100 || scanned >= SCAN {
                    return Ok(out);
                }
            }
        })
        .await;
        match got {
            Ok(list) => ok(json!({ "models": list })),
            Err(e) => ledger_error(e),
        }
    }

    /// Tasks, filtered.
    #[tool(
        description = "List tasks agents can take, by status (open, claimed, submitted, completed, ...) and kind: id, kind, status, reward and bond in tokens, deadline, poster, claimant. Read-only.",
        annotations(read_only_hint = true)
    )]
    async fn list_tasks(&self, Parameters(p): Parameters<ListTasks>) -> Result<CallToolResult, McpError> {
        let mut q = format!("limit={}", p.limit.unwrap_or(20).clamp(1, 100));
        for (k, v) in [("status", &p.status), ("kind", &p.kind)] {
            if let Some(v) = v {
                if !v.chars().all(|c| c.is_ascii_alphanumeric() || "-_/.:".contains(c)) {
                    return Err(bad_arg(format!("{k} {v:?} has characters a {k} never has")));
                }
                q += &format!("&{k}={v}");
            }
        }
        match call(&self.ledger, move |l| l.json(&format!("/v1/tasks?{q}"))).await {
            Ok(v) => {
                let tasks: Vec<Value> = v["tasks"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .map(task_summary)
                    .collect();
                ok(json!({ "tasks": tasks }))
            }
            Err(e) => ledger_error(e),
        }
    }

    /// One task with its specification.
    #[tool(
        description = "Read one task: its terms, status and specification text (what is asked). Read-only.",
        annotations(read_only_hint = true)
    )]
    async fn get_task(&self, Parameters(p): Parameters<TaskRef>) -> Result<CallToolResult, McpError> {
        let id = task_id(&p.task)?;
        match call(&self.ledger, move |l| task_card(l, &id)).await {
            Ok(v) => ok(v),
            Err(e) => ledger_error(e),
        }
    }

    /// An account: balance (proven), stake, inference rewards, agent reputation, and this
    /// session's spending.
    #[tool(
        description = "Read an account (default: this session's own): balance and stake (with their Merkle proof checked against the state root the node reports), prepaid balance and rewards from attributed answers, agent reputation if it is an agent; for the session's own account also what this session has spent and may still spend. Read-only.",
        annotations(read_only_hint = true)
    )]
    async fn get_account(&self, Parameters(p): Parameters<GetAccount>) -> Result<CallToolResult, McpError> {
        let own = p.address.is_none();
        let address: Address = match &p.address {
            Some(a) => a
                .parse()
                .map_err(|_| bad_arg(format!("address must be 64 hex characters, got {a:?}")))?,
            None => self.address(),
        };
        let got = call(&self.ledger, move |l| {
            let mut v = proven_account(l, &address)?;
            let inf = l.client.account_inference(&address)?;
            v["prepaid"] = json!(show(inf.prepaid_available));
            v["rewards"] = json!(show(inf.rewards));
            match l.client.agent(&address) {
                Ok(a) => v["agent"] = json!({ "name": a.agent.name, "stake": show(a.agent.stake), "reputation": a.reputation, "score": a.score }),
                Err(sinew_sdk::SdkError::Api { status: 404, .. }) => {}
                Err(e) => return Err(e),
            }
            Ok(v)
        })
        .await;
        match got {
            Ok(mut v) => {
                if own {
                    let lim = self.budget.limits();
                    v["session"] = json!({
                        "spent": show(self.budget.spent()), "per_call_limit": show(lim.per_call),
                        "session_limit": show(lim.total), "available_now": show(self.budget.available()),
                    });
                }
                ok(v)
            }
            Err(e) => ledger_error(e),
        }
    }
}

/// A task as a model reads it in lists.
pub fn task_summary(t: &Value) -> Value {
    let amount = |v: &Value| v.as_str().and_then(|s| s.parse::<u128>().ok()).map(show);
    json!({
        "id": t["id"], "kind": t["kind"], "status": t["status"], "reward": amount(&t["reward"]),
        "bond": amount(&t["bond"]), "deadline": t["deadline"], "poster": t["poster"], "claimant": t["claimant"],
        "verification": t["verification"],
    })
}

/// A task with its specification's text (at most 64 KiB of it).
pub fn task_card(l: &Ledger, id: &sinew_types::Hash) -> Result<Value, sinew_sdk::SdkError> {
    let v = l.json(&format!("/v1/tasks/{id}"))?;
    let mut card = task_summary(&v["task"]);
    if let Some(spec) = v["task"]["spec"].as_str().and_then(|s| s.parse().ok()) {
        let bytes = l.client.blob_at_most(&spec, 64 << 10).unwrap_or_default();
        card["spec"] = json!(String::from_utf8_lossy(&bytes));
    }
    if let Some(result) = v["task"]["result"].as_str().and_then(|s| s.parse().ok()) {
        let bytes = l.client.blob_at_most(&result, 64 << 10).unwrap_or_default();
        card["result"] = json!(String::from_utf8_lossy(&bytes));
    }
    Ok(card)
}
