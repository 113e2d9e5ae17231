//! The task benchmark: full task lifecycles (post, claim, submit, accept) by many agents through
//! a real node in-process (signature verification, admission, mempool, execution, state tree,
//! fsync'd commit). Four phases are pipelined over waves of tasks: each step submits the posts of
//! one wave, the claims of the previous, the results of the one before and the acceptances of the
//! one before that, and waits for all of them to commit.

use anyhow::{bail, Result};
use clap::Args;
use sinew_node::NodeConfig;
use sinew_sdk::sign_with_fee;
use sinew_state::{Genesis, GenesisAccount};
use sinew_types::payload::{ClaimTask, PostTask, RegisterAgent, ReviewResult, SubmitResult};
use sinew_types::task::{task_id, Verification};
use sinew_types::{Hash, Keypair, Params, Payload, SignedTransaction};
use std::time::{Duration, Instant};

/// Arguments of `sinew bench tasks`.
#[derive(Args)]
pub struct TasksArgs {
    /// Task lifecycles to run.
    #[arg(long, default_value_t = 20_000)]
    tasks: usize,
    /// Agents taking tasks.
    #[arg(long, default_value_t = 100)]
    agents: usize,
    /// Accounts posting tasks.
    #[arg(long, default_value_t = 100)]
    posters: usize,
    /// Tasks per wave (each pipeline step commits four waves' phases).
    #[arg(long, default_value_t = 2_500)]
    wave: usize,
}

const KIND: &str = "bench/echo";

fn sign(key: &Keypair, nonce: &mut u64, payload: Payload, params: &Params) -> SignedTransaction {
    let tx = sign_with_fee(key, "sinew-bench", *nonce, payload, params);
    *nonce += 1;
    tx
}

fn commit(node: &sinew_node::core::Node, txs: Vec<SignedTransaction>) -> Result<usize> {
    let n = txs.len();
    for (id, r) in node.submit(txs, true) {
        match r {
            Ok(Some(rx)) => match rx.blocking_recv() {
                Ok(sinew_types::wire::SubmitOutcome::Committed { receipt, .. })
                    if receipt.status == sinew_types::TxStatus::Success => {}
                other => bail!("tx {id} did not succeed: {other:?}"),
            },
            Ok(None) => unreachable!("watched"),
            Err(e) => bail!("tx {id} refused: {e}"),
        }
    }
    Ok(n)
}

/// `sinew bench tasks`.
pub fn run(a: TasksArgs) -> Result<()> {
    let agents: Vec<Keypair> = (0..a.agents)
        .map(|i| Keypair::dev(&format!("bench-agent-{i}")))
        .collect();
    let posters: Vec<Keypair> = (0..a.posters)
        .map(|i| Keypair::dev(&format!("bench-poster-{i}")))
        .collect();
    let mut params = Params::default_for(posters[0].address());
    params.max_block_txs = 20_000;
    let genesis = Genesis {
        chain_id: "sinew-bench".into(),
        timestamp_ms: 0,
        params: params.clone(),
        accounts: agents
            .iter()
            .chain(&posters)
            .map(|k| GenesisAccount {
                address: k.address(),
                balance: 1u128 << 100,
            })
            .collect(),
        validators: vec![],
    };
    let dir = tempfile::Builder::new().prefix("sinew-bench-tasks-").tempdir()?;
    let mut config = NodeConfig::new(dir.path().to_path_buf());
    config.listen = "127.0.0.1:0".parse()?;
    config.block_interval_ms = 5;
    config.max_pending = 20_000;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let running = rt.block_on(sinew_node::start(config, Some(genesis)))?;
    let node = running.node.clone();
    let (mut an, mut pn) = (vec![0u64; a.agents], vec![0u64; a.posters]);
    let register: Vec<SignedTransaction> = agents
        .iter()
        .zip(an.iter_mut())
        .enumerate()
        .map(|(i, (k, n))| {
            let p: Payload = RegisterAgent {
                name: format!("agent-{i}"),
                capabilities: vec![KIND.into()],
                endpoint: String::new(),
                stake: 1_000_000,
            }
            .into();
            sign(k, n, p, &params)
        })
        .collect();
    commit(&node, register)?;
    // Pre-sign every phase of every wave, nonces in submission order.
    let waves = a.tasks.div_ceil(a.wave);
    let t0 = Instant::now();
    let mut phases: Vec<[Vec<SignedTransaction>; 4]> = (0..waves).map(|_| Default::default()).collect();
    for step in 0..waves + 3 {
        // Phases in order (posts first): waves from the newest down.
        for (w, wave) in phases.iter_mut().enumerate().rev() {
            let Some(phase) = step.checked_sub(w).filter(|p| *p < 4) else {
                continue;
            };
            for i in w * a.wave..((w + 1) * a.wave).min(a.tasks) {
                let spec = Hash::of(&(i as u64).to_le_bytes());
                let task = task_id(KIND, &spec);
                let (p, g) = (i % a.posters, (i / a.posters) % a.agents);
                let tx = match phase {
                    0 => sign(
                        &posters[p],
                        &mut pn[p],
                        PostTask {
                            kind: KIND.into(),
                            spec,
                            reward: 1_000,
                            deadline: 1 << 40,
                            claim_window: 1_000_000,
                            bond: 10,
                            verification: Verification::Poster { window: 1_000_000 },
                            parent: None,
                        }
                        .into(),
                        &params,
                    ),
                    1 => sign(&agents[g], &mut an[g], ClaimTask { task }.into(), &params),
                    2 => sign(
                        &agents[g],
                        &mut an[g],
                        SubmitResult { task, result: spec }.into(),
                        &params,
                    ),
                    _ => sign(
                        &posters[p],
                        &mut pn[p],
                        ReviewResult { task, accept: true }.into(),
                        &params,
                    ),
                };
                wave[phase].push(tx);
            }
        }
    }
    println!(
        "tasks bench: {} lifecycles (post, claim, submit, accept) by {} agents for {} posters, waves of {}, signed in {:.1}s",
        a.tasks,
        a.agents,
        a.posters,
        a.wave,
        t0.elapsed().as_secs_f64()
    );
    let h0 = node.head().height;
    let started = Instant::now();
    let mut txs = 0usize;
    for step in 0..waves + 3 {
        let mut batch = Vec::new();
        for (w, wave) in phases.iter_mut().enumerate().rev() {
            if let Some(phase) = step.checked_sub(w).filter(|p| *p < 4) {
                batch.append(&mut wave[phase]);
            }
        }
        txs += commit(&node, batch)?;
    }
    let secs = started.elapsed().as_secs_f64();
    let blocks = node.head().height - h0;
    println!(
        "{} full task lifecycles in {secs:.2}s = {:.0} lifecycles/s ({:.0} transactions/s, {blocks} blocks)",
        a.tasks,
        a.tasks as f64 / secs,
        txs as f64 / secs
    );
    rt.block_on(running.shutdown())?;
    rt.shutdown_timeout(Duration::from_secs(5));
    Ok(())
}
