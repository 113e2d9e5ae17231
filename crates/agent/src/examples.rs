//! Example agents: a worker that answers `sinew/inference` tasks through the inference gateway
//! (paying for them with its own API key) and computes `sinew/attribution` results; a faulty
//! variant that guesses; and an auditor that recomputes submitted attribution results and
//! challenges wrong ones (winning the faulty agent's bond).

use crate::client::{AgentClient, AgentError};
use crate::runner::Worker;
use sinew_sdk::TaskFilter;
use sinew_types::event::{InferenceEvent, TaskEvent};
use sinew_types::payload::{Challenge, InferenceTx, SettleInference};
use sinew_types::records::Task;
use sinew_types::task::{TaskStatus, KIND_ATTRIBUTION, KIND_INFERENCE};
use sinew_types::{Hash, Payload};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn spec_json(spec: &[u8]) -> Result<serde_json::Value, String> {
    serde_json::from_slice(spec).map_err(|e| format!("spec is not JSON: {e}"))
}

/// The attribution digest of `answer` against model `model`, as the ledger computes it.
pub fn attribution_digest(agent: &AgentClient, model: u64, answer: &str) -> Result<Hash, String> {
    let v: serde_json::Value = agent
        .client
        .post_json(
            &format!("/v1/registry/models/{model}/attribute"),
            &serde_json::json!({ "text": answer }),
        )
        .map_err(|e| e.to_string())?;
    v["digest"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| "no digest".to_string())
}

/// Answers inference tasks through the gateway and computes attribution results honestly.
pub struct InferenceWorker {
    /// The gateway's API key (bound to this agent's prepaid balance).
    pub api_key: String,
    /// Every task id it has worked (to show no task is worked twice).
    pub worked: Vec<Hash>,
}

impl Worker for InferenceWorker {
    fn kinds(&self) -> Vec<String> {
        vec![KIND_INFERENCE.into(), KIND_ATTRIBUTION.into()]
    }

    fn work(&mut self, agent: &AgentClient, task: &Task, spec: &[u8]) -> Result<Hash, String> {
        self.worked.push(task.id);
        let v = spec_json(spec)?;
        let model = v["model"].as_u64().ok_or("spec has no model")?;
        if task.kind == KIND_ATTRIBUTION {
            return attribution_digest(agent, model, v["answer"].as_str().ok_or("spec has no answer")?);
        }
        // Ask the model through the gateway, paying with our own key; the ledger recomputes the
        // same seeded answer to check it.
        let m: serde_json::Value = agent
            .client
            .get(&format!("/v1/registry/models/{model}"))
            .map_err(|e| e.to_string())?;
        let mut body = serde_json::json!({
            "model": m["model"]["info"]["name"], "max_tokens": v["max_tokens"],
            "messages": [{ "role": "user", "content": v["prompt"] }],
        });
        if let Some(seed) = v["seed"].as_u64() {
            body["seed"] = serde_json::json!(seed);
        }
        let resp: serde_json::Value = ureq::post(&format!("{}/v1/chat/completions", agent.client_url()))
            .set("authorization", &format!("Bearer {}", self.api_key))
            .send_json(body)
            .map_err(|e| e.to_string())?
            .into_json()
            .map_err(|e| e.to_string())?;
        let answer = resp["choices"][0]["message"]["content"].as_str().ok_or("no answer")?;
        Ok(Hash::of(answer.as_bytes()))
    }
}

/// A faulty agent: claims attribution tasks and submits a guess instead of computing.
pub struct FaultyWorker;

impl Worker for FaultyWorker {
    fn kinds(&self) -> Vec<String> {
        vec![KIND_ATTRIBUTION.into()]
    }

    fn work(&mut self, _: &AgentClient, task: &Task, _: &[u8]) -> Result<Hash, String> {
        Ok(Hash::tagged(b"a guess", &task.id.0))
    }
}

/// Recomputes every submitted `sinew/attribution` result and challenges the wrong ones with a
/// bond equal to the claimant's (it wins that bond when it is right, loses its own if not); and
/// re-verifies every inference settlement's attribution receipt on the chain, block by block
/// (`apply` already refuses wrong ones, so a mismatch here means a node is wrong, or the
/// attribution parameters changed since).
pub struct Auditor {
    /// Submissions already checked: (task, result, end of its window), so a resubmission of the
    /// same wrong result is checked again.
    pub checked: BTreeSet<(Hash, Hash, u64)>,
    /// Challenges won.
    pub won: u64,
    /// The next block whose settlements to re-verify.
    pub next_height: u64,
    /// Settlement receipts re-verified.
    pub settlements_checked: u64,
    /// Settlements whose receipt did not recompute: their transaction ids.
    pub settlement_mismatches: Vec<Hash>,
}

impl Auditor {
    /// A fresh auditor.
    pub fn new() -> Auditor {
        Auditor {
            checked: BTreeSet::new(),
            won: 0,
            next_height: 1,
            settlements_checked: 0,
            settlement_mismatches: Vec::new(),
        }
    }

    /// Re-verifies the settlement receipts of every block not yet seen.
    pub fn audit_settlements(&mut self, agent: &AgentClient) -> Result<(), AgentError> {
        let head = agent.height()?;
        while self.next_height <= head {
            let b: serde_json::Value = agent.client.get(&format!("/v1/blocks/{}", self.next_height))?;
            let r: serde_json::Value = agent.client.get(&format!("/v1/blocks/{}/receipts", self.next_height))?;
            let decode = |e: serde_json::Error| AgentError::Node(sinew_sdk::SdkError::Decode(e.to_string()));
            let txs: Vec<sinew_types::SignedTransaction> = serde_json::from_value(b["txs"].clone()).map_err(decode)?;
            let receipts: Vec<sinew_types::Receipt> = serde_json::from_value(r["receipts"].clone()).map_err(decode)?;
            for (t, receipt) in txs.iter().zip(&receipts) {
                let Payload::Inference(InferenceTx::SettleInference(SettleInference {
                    answer,
                    receipt: claimed,
                    ..
                })) = &t.tx.payload
                else {
                    continue;
                };
                // The model is named by the settlement's event (its reservation is gone).
                let Some(model) = receipt.events.iter().find_map(|e| match e {
                    sinew_types::Event::Inference(InferenceEvent::InferenceSettled { model, .. }) => Some(*model),
                    _ => None,
                }) else {
                    continue;
                };
                let Ok(digest) = attribution_digest(agent, model, answer) else {
                    continue;
                };
                self.settlements_checked += 1;
                if digest != *claimed {
                    self.settlement_mismatches.push(t.tx.id());
                }
            }
            self.next_height += 1;
        }
        Ok(())
    }

    /// One pass over submitted attribution results.
    pub fn step(&mut self, agent: &AgentClient) -> Result<(), AgentError> {
        for t in agent.tasks(TaskFilter {
            status: Some("submitted".into()),
            kind: Some(KIND_ATTRIBUTION.into()),
            ..TaskFilter::default()
        })? {
            let Some(result) = t.result else { continue };
            if !self.checked.insert((t.id, result, t.review_deadline)) {
                continue;
            }
            let Ok(v) = agent.blob(&t.spec).map(|s| spec_json(&s)) else {
                continue;
            };
            let Ok(v) = v else { continue };
            let (Some(model), Some(answer)) = (v["model"].as_u64(), v["answer"].as_str()) else {
                continue;
            };
            let Ok(expected) = attribution_digest(agent, model, answer) else {
                continue;
            };
            if expected != result && t.status == TaskStatus::Submitted {
                if let Ok(r) = agent.send(
                    Challenge {
                        task: t.id,
                        bond: t.bond.max(1),
                    }
                    .into(),
                ) {
                    let won = r.events.iter().any(
                        |e| matches!(e, sinew_types::Event::Tasks(TaskEvent::TaskUpdated { action, .. }) if action == "challenge_won"),
                    );
                    self.won += u64::from(won);
                }
            }
        }
        Ok(())
    }

    /// Audits until `stop` is set.
    pub fn run(&mut self, agent: &AgentClient, stop: &AtomicBool) -> Result<(), AgentError> {
        while !stop.load(Ordering::Relaxed) {
            self.step(agent)?;
            self.audit_settlements(agent)?;
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }
}

impl Default for Auditor {
    fn default() -> Self {
        Auditor::new()
    }
}
