//! The devnet demo's agents part: an honest worker, a faulty one and an auditor work tasks on the
//! ledger against each other; the faulty agent is caught by the auditor and slashed, the honest
//! one is paid, and reputations show it.

use super::say::{committed, step};
use anyhow::{bail, Context, Result};
use sinew_agent::examples::{Auditor, FaultyWorker, InferenceWorker};
use sinew_agent::AgentClient;
use sinew_sdk::{format_amount, AgentFilter, Client};
use sinew_state::inference::api_key_hash;
use sinew_types::amount::TOKEN;
use sinew_types::inference::KeyScope;
use sinew_types::payload::{DepositPrepaid, FinalizeTask, PostTask, RegisterApiKey, Transfer};
use sinew_types::task::TaskStatus;
use sinew_types::task::{task_id, Verification, KIND_ATTRIBUTION, KIND_INFERENCE};
use sinew_types::{Hash, Keypair};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Sends cheap transfers so that blocks keep coming while the demo waits for windows to close.
fn tick_until(c: &Client, key: &Keypair, what: &str, mut done: impl FnMut() -> Result<bool>) -> Result<()> {
    let to = Keypair::dev("devnet-tick").address();
    let started = Instant::now();
    while !done()? {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("timed out waiting for {what}");
        }
        committed(c, key, Transfer { to, amount: 1 }.into())?;
        std::thread::sleep(Duration::from_millis(40));
    }
    Ok(())
}

/// Uploads a task spec (JSON) as a blob; returns its id.
fn upload_json(c: &Client, spec: serde_json::Value) -> Result<Hash> {
    Ok(c.upload_blob(spec.to_string().as_bytes(), None)?.blob)
}

/// Posts a task (deadline in 2,000 blocks, 500-block claim window, 1-token bond); returns its id.
fn post_task(
    c: &Client,
    poster: &Keypair,
    kind: &str,
    spec: Hash,
    reward: u128,
    verification: Verification,
) -> Result<Hash> {
    let height = c.height()?;
    committed(
        c,
        poster,
        PostTask {
            kind: kind.into(),
            spec,
            reward,
            deadline: height + 2_000,
            claim_window: 500,
            bond: TOKEN,
            verification,
            parent: None,
        }
        .into(),
    )?;
    Ok(task_id(kind, &spec))
}

fn status(c: &Client, id: &Hash) -> Result<TaskStatus> {
    Ok(c.task(id)?.task.status)
}

/// Runs the agents demo against model `model` (id) on a devnet at `url`.
pub fn run(c: &Client, url: &str, keys: &[Keypair], model: u64) -> Result<()> {
    step("8. agents: tasks with escrow and bonds, a faulty agent caught by an auditor and slashed");
    let poster = &keys[0];
    let names = ["honest", "faulty", "auditor"];
    let ks: Vec<Keypair> = names
        .iter()
        .map(|n| Keypair::dev(&format!("devnet-agent-{n}")))
        .collect();
    for k in &ks {
        committed(
            c,
            poster,
            Transfer {
                to: k.address(),
                amount: 100 * TOKEN,
            }
            .into(),
        )?;
    }
    let agents: Vec<AgentClient> = ks.iter().map(|k| AgentClient::new(url, k.clone())).collect();
    let (honest, faulty, auditor) = (&agents[0], &agents[1], &agents[2]);
    faulty.register("faulty attributor", &[KIND_ATTRIBUTION], "", 10 * TOKEN)?;
    auditor.register("attribution auditor", &["auditor"], "", 10 * TOKEN)?;
    println!("registered agents: a faulty attributor and an auditor, each staking 10 tokens");
    // An attribution task, checked by its poster (silence accepts) and open to challenges.
    let answer = "Most rivers begin as many small streams in high ground, and a reservoir forms behind a dam.";
    let spec = upload_json(c, serde_json::json!({ "model": model, "answer": answer }))?;
    let attribution = post_task(
        c,
        poster,
        KIND_ATTRIBUTION,
        spec,
        5 * TOKEN,
        Verification::Poster { window: 40 },
    )?;
    println!("dev0 posted task {attribution}: attribute an answer to model {model}'s data (reward 5, bond 1, 40-block challenge window)");
    let stop = Arc::new(AtomicBool::new(false));
    let stop_faulty = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    {
        let (a, s) = (faulty.clone(), stop_faulty.clone());
        threads.push(std::thread::spawn(move || {
            sinew_agent::run(&a, &mut FaultyWorker, &s).map(|_| String::new())
        }));
        let (a, s) = (auditor.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            let mut au = Auditor::new();
            au.run(&a, &s)?;
            Ok(format!(
                "the auditor also re-verified {} inference settlement receipts on the chain: {} mismatched",
                au.settlements_checked,
                au.settlement_mismatches.len()
            ))
        }));
    }
    tick_until(c, poster, "the faulty agent to be caught", || {
        Ok(c.agent(&faulty.address())?.reputation.challenged_lost > 0)
    })?;
    stop_faulty.store(true, Ordering::Relaxed);
    println!("the faulty agent claimed it and submitted a guess; the auditor recomputed the attribution, challenged, and won the faulty agent's 1-token bond; the task reopened (the faulty agent is stopped)");
    // The honest worker pays the gateway for inference with its own API key.
    let api_key = format!("sk-sinew-devnet-agent-{}", &honest.address().to_string()[..12]);
    committed(
        c,
        &ks[0],
        RegisterApiKey {
            key_hash: api_key_hash(&api_key),
            scope: KeyScope::provider(keys.last().context("no dev keys")?.address(), TOKEN),
        }
        .into(),
    )?;
    committed(c, &ks[0], DepositPrepaid { amount: 10 * TOKEN }.into())?;
    honest.register("honest worker", &[KIND_INFERENCE, KIND_ATTRIBUTION], "", 10 * TOKEN)?;
    {
        let (a, s) = (honest.clone(), stop.clone());
        let key = api_key.clone();
        threads.push(std::thread::spawn(move || {
            sinew_agent::run(
                &a,
                &mut InferenceWorker {
                    api_key: key,
                    worked: vec![],
                },
                &s,
            )
            .map(|_| String::new())
        }));
    }
    // An inference task the ledger recomputes: a seeded answer of the built-in model.
    let spec2 = upload_json(
        c,
        serde_json::json!({ "model": model, "prompt": "Lakes are", "seed": 7, "max_tokens": 48 }),
    )?;
    let inference = post_task(c, poster, KIND_INFERENCE, spec2, 3 * TOKEN, Verification::Recompute)?;
    println!("dev0 posted task {inference}: a seeded answer from the model, checked by the ledger itself (reward 3)");
    tick_until(c, poster, "both tasks to complete", || {
        // Anyone may finalize a task whose window has passed; the poster does, should no agent.
        let t = c.task(&attribution)?.task;
        if t.status == TaskStatus::Submitted && c.height()? > t.review_deadline {
            let _ = committed(c, poster, FinalizeTask { task: attribution }.into());
        }
        Ok(status(c, &attribution)? == TaskStatus::Completed && status(c, &inference)? == TaskStatus::Completed)
    })?;
    stop.store(true, Ordering::Relaxed);
    let mut reports = Vec::new();
    for t in threads {
        reports.push(t.join().map_err(|_| anyhow::anyhow!("agent thread panicked"))??);
    }
    println!("the honest worker asked the model through the gateway (paying with its own key), the ledger recomputed the answer and paid at once; it also took over the attribution task and was paid when the window closed");
    for r in reports.iter().filter(|r| !r.is_empty()) {
        println!("{r}");
    }
    println!("agents by reputation score:");
    for a in c.agents(&AgentFilter::default())?.agents {
        let r = &a.reputation;
        println!(
            "   {:<20} score {:>8}  completed {} failed {} challenged-and-lost {}  earned {} tokens",
            a.agent.name,
            a.score,
            r.completed,
            r.failed,
            r.challenged_lost,
            format_amount(r.earned)
        );
    }
    Ok(())
}
