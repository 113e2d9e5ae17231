//! The BFT benchmark: the ledger benchmark's pre-signed transfers through four validator
//! processes on loopback (simplex, every validator executing every block, each commit fsync'd),
//! beside a single-node sequencer on the same workload in the same run. Each batch goes to one
//! validator (round-robin over the submitters) with `?wait=commit`: its latency is submission to
//! final and durable on that validator.

use super::ledger::{self, LedgerArgs, Mode};
use crate::devnet_bft::{self, Children};
use anyhow::{bail, Result};
use clap::Args;
use sinew_sdk::Client;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Arguments of `sinew bench bft`.
#[derive(Args)]
pub struct BftArgs {
    /// Transfers to commit per run.
    #[arg(long, default_value_t = 100_000)]
    txs: usize,
    /// Sending accounts.
    #[arg(long, default_value_t = 10_000)]
    accounts: usize,
    /// Transfers per submitted batch.
    #[arg(long, default_value_t = 1_000)]
    batch: usize,
    /// Concurrent submitters (spread over the validators).
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Offer transfers at this rate (per second, open loop) instead of as fast as possible.
    #[arg(long)]
    rate: Option<f64>,
    /// Validators.
    #[arg(long, default_value_t = 4)]
    validators: usize,
    /// The least time between a block and its child, in milliseconds.
    #[arg(long, default_value_t = 50)]
    min_block_interval_ms: u64,
    /// Skip the single-node figure.
    #[arg(long)]
    no_single: bool,
    /// Where to put the data (default: the system temp dir). Use a real disk: fsync counts.
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// `sinew bench bft`.
pub fn run(a: BftArgs) -> Result<()> {
    if !(1..=32).contains(&a.validators) || a.batch == 0 || a.clients == 0 || a.txs == 0 || a.accounts < 2 {
        bail!("--validators must be within 1..=32, --accounts at least 2, and --txs, --batch and --clients positive");
    }
    let la = LedgerArgs {
        txs: a.txs,
        accounts: a.accounts,
        batch: a.batch,
        clients: a.clients,
        rate: a.rate,
        mode: Mode::Http,
        dir: a.dir.clone(),
    };
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!(
        "bft bench: {} signed transfers among {} accounts, batches of {}, {} submitters{}, {cores} cores",
        a.txs,
        a.accounts,
        a.batch,
        a.clients,
        a.rate.map(|r| format!(", offered at {r:.0}/s")).unwrap_or_default()
    );
    let t = Instant::now();
    let (genesis, batches) = ledger::workload(&la);
    println!(
        "(signed the workload in {:.1}s; not counted)",
        t.elapsed().as_secs_f64()
    );
    if !a.no_single {
        let o = ledger::run_one(&la, Mode::Http, genesis.clone(), batches.clone())?;
        println!(
            "single node   {:>8.0} transfers/s durable   latency per batch p50 {:>6.1} ms  p99 {:>6.1} ms   {} blocks",
            o.tps, o.p50_ms, o.p99_ms, o.blocks
        );
    }

    let base = a.dir.clone().unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::Builder::new().prefix("sinew-bench-bft-").tempdir_in(base)?;
    let api_base = free_base(a.validators as u16)?;
    let mut genesis = genesis;
    let validators = devnet_bft::validator_keys(a.validators);
    devnet_bft::write_network(
        dir.path(),
        &mut genesis,
        &validators,
        api_base,
        &format!("min_block_interval_ms = {}\n", a.min_block_interval_ms),
    )?;
    let mut children = Children(Vec::new());
    for i in 0..a.validators {
        children.0.push(devnet_bft::spawn(dir.path(), i, None)?);
    }
    let urls: Vec<String> = (0..a.validators)
        .map(|i| format!("http://127.0.0.1:{}", devnet_bft::ports(api_base, i).0))
        .collect();
    devnet_bft::wait_for_height(&urls, 1, &mut children, Duration::from_secs(120))?;
    let clients: Vec<Client> = urls.iter().map(|u| Client::new(u)).collect();
    let h0 = clients[0].latest_block()?.header.height;
    let next = AtomicUsize::new(0);
    let (tps, lat, committed) = ledger::drive(batches, a.clients, a.rate, |b| {
        let c = &clients[next.fetch_add(1, Ordering::Relaxed) % clients.len()];
        let r = c.submit_batch(&b, true)?;
        if let Some(bad) = r.results.iter().find(|r| r.status() != "committed") {
            bail!("tx {} not committed: {} {:?}", bad.tx_id, bad.status(), bad.error());
        }
        Ok(r.results.len())
    })?;
    let blocks = clients[0].latest_block()?.header.height - h0;
    devnet_bft::wait_for_height(&urls, h0 + blocks, &mut children, Duration::from_secs(60))?;
    let heads: Vec<_> = clients
        .iter()
        .map(|c| c.block(&(h0 + blocks).to_string()).map(|b| b.hash))
        .collect::<Result<_, _>>()?;
    if heads.iter().any(|h| *h != heads[0]) {
        bail!("validators disagree at height {}", h0 + blocks);
    }
    println!(
        "{} validators  {:>8.0} transfers/s final     latency per batch p50 {:>6.1} ms  p99 {:>6.1} ms   {} blocks, {:.0} tx/block",
        a.validators,
        tps,
        ledger::percentile(&lat, 0.5),
        ledger::percentile(&lat, 0.99),
        blocks,
        committed as f64 / blocks.max(1) as f64
    );
    drop(children);
    Ok(())
}

/// A base port with `n` free API ports from it and `n` free p2p ports 1000 above.
fn free_base(n: u16) -> Result<u16> {
    let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
    for _ in 0..100 {
        let base = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        if base < 60_000 && (0..n).all(|i| free(base + i) && free(base + 1_000 + i)) {
            return Ok(base);
        }
    }
    bail!("no free ports")
}
