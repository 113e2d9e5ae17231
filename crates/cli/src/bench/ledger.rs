//! The ledger benchmark: pre-signed transfers among many accounts pushed through a real node
//! (batch signature verification, mempool, sequencer, execution, state tree, fsync'd redb commit),
//! either in-process or through the HTTP batch API, with per-batch commit latency.

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use sinew_node::NodeConfig;
use sinew_sdk::{sign_with_fee, Client};
use sinew_state::{Genesis, GenesisAccount};
use sinew_types::payload::Transfer;
use sinew_types::{Keypair, Params, SignedTransaction};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Which paths to measure.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Mode {
    /// Node core without HTTP.
    InProcess,
    /// Through the HTTP batch API (binary encoding).
    Http,
    /// Both.
    Both,
}

/// Arguments of `sinew bench ledger`.
#[derive(Args)]
pub struct LedgerArgs {
    /// Transfers to commit per run.
    #[arg(long, default_value_t = 200_000)]
    pub(crate) txs: usize,
    /// Sending accounts.
    #[arg(long, default_value_t = 10_000)]
    pub(crate) accounts: usize,
    /// Transfers per submitted batch.
    #[arg(long, default_value_t = 2_000)]
    pub(crate) batch: usize,
    /// Concurrent submitters.
    #[arg(long, default_value_t = 4)]
    pub(crate) clients: usize,
    /// Offer transfers at this rate (per second, open loop) instead of as fast as possible;
    /// latency then counts from each batch's due time.
    #[arg(long)]
    pub(crate) rate: Option<f64>,
    /// Which path to measure.
    #[arg(long, value_enum, default_value = "both")]
    pub(crate) mode: Mode,
    /// Where to put the databases (default: the system temp dir). Use a real disk: fsync counts.
    #[arg(long)]
    pub(crate) dir: Option<PathBuf>,
}

pub(crate) struct Outcome {
    pub(crate) tps: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) blocks: u64,
    pub(crate) committed: usize,
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub(crate) fn workload(a: &LedgerArgs) -> (Genesis, Vec<Vec<SignedTransaction>>) {
    let keys: Vec<Keypair> = (0..a.accounts).map(|i| Keypair::dev(&format!("bench-{i}"))).collect();
    let params = Params::default_for(keys[0].address());
    let genesis = Genesis {
        chain_id: "sinew-bench".into(),
        timestamp_ms: 0,
        params: params.clone(),
        accounts: keys
            .iter()
            .map(|k| GenesisAccount {
                address: k.address(),
                balance: 1u128 << 100,
            })
            .collect(),
        validators: vec![],
    };
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let per = a.txs.div_ceil(threads);
    let txs: Vec<SignedTransaction> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                let (keys, params) = (&keys, &params);
                s.spawn(move || {
                    (t * per..((t + 1) * per).min(a.txs))
                        .map(|j| {
                            let from = j % keys.len();
                            let to = keys[(from + 1) % keys.len()].address();
                            sign_with_fee(
                                &keys[from],
                                "sinew-bench",
                                (j / keys.len()) as u64,
                                Transfer {
                                    to,
                                    amount: 1 + j as u128 % 1000,
                                }
                                .into(),
                                params,
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    (genesis, txs.chunks(a.batch).map(|c| c.to_vec()).collect())
}

/// Runs `batches` through `submit` from `clients` threads; returns throughput and latencies.
pub(crate) fn drive(
    batches: Vec<Vec<SignedTransaction>>,
    clients: usize,
    rate: Option<f64>,
    submit: impl Fn(Vec<SignedTransaction>) -> Result<usize> + Sync,
) -> Result<(f64, Vec<f64>, usize)> {
    let total: usize = batches.iter().map(|b| b.len()).sum();
    let queue = Mutex::new(
        batches
            .into_iter()
            .enumerate()
            .collect::<std::collections::VecDeque<_>>(),
    );
    let latencies = Mutex::new(Vec::new());
    let committed = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|s| -> Result<()> {
        let hs: Vec<_> = (0..clients)
            .map(|_| {
                s.spawn(|| -> Result<()> {
                    loop {
                        let Some((i, batch)) = queue.lock().unwrap().pop_front() else {
                            return Ok(());
                        };
                        // Open loop: batch i is due at a fixed time; latency counts from then, so
                        // a stalled node cannot hide its queueing delay.
                        let t = match rate {
                            Some(r) => {
                                let due = started + Duration::from_secs_f64((i * batch.len()) as f64 / r);
                                std::thread::sleep(due.saturating_duration_since(Instant::now()));
                                due
                            }
                            None => Instant::now(),
                        };
                        let n = submit(batch)?;
                        latencies.lock().unwrap().push(t.elapsed().as_secs_f64() * 1000.0);
                        committed.fetch_add(n, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap()?;
        }
        Ok(())
    })?;
    let secs = started.elapsed().as_secs_f64();
    let mut l = latencies.into_inner().unwrap();
    l.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let committed = committed.into_inner();
    if committed != total {
        bail!("only {committed} of {total} transfers committed");
    }
    Ok((committed as f64 / secs, l, committed))
}

pub(crate) fn run_one(
    a: &LedgerArgs,
    mode: Mode,
    genesis: Genesis,
    batches: Vec<Vec<SignedTransaction>>,
) -> Result<Outcome> {
    let base = a.dir.clone().unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::Builder::new().prefix("sinew-bench-").tempdir_in(base)?;
    let mut config = NodeConfig::new(dir.path().to_path_buf());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.block_interval_ms = 5;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let running = rt.block_on(sinew_node::start(config, Some(genesis)))?;
    let h0 = running.node.head().height;
    let (tps, lat, committed) = match mode {
        Mode::InProcess => {
            let node = running.node.clone();
            drive(batches, a.clients, a.rate, |b| {
                let rxs = node.submit(b, true);
                let mut n = 0;
                for (id, r) in rxs {
                    match r {
                        Ok(Some(rx)) => match rx.blocking_recv() {
                            Ok(sinew_types::wire::SubmitOutcome::Committed { .. }) => n += 1,
                            other => bail!("tx {id} not committed: {other:?}"),
                        },
                        Ok(None) => unreachable!("watched"),
                        Err(e) => bail!("tx {id} refused: {e}"),
                    }
                }
                Ok(n)
            })?
        }
        _ => {
            let c = Client::new(&running.url());
            drive(batches, a.clients, a.rate, |b| {
                let r = c.submit_batch(&b, true)?;
                if let Some(bad) = r.results.iter().find(|r| r.status() != "committed") {
                    bail!("tx {} not committed: {} {:?}", bad.tx_id, bad.status(), bad.error());
                }
                Ok(r.results.len())
            })?
        }
    };
    let blocks = running.node.head().height - h0;
    rt.block_on(running.shutdown())?;
    rt.shutdown_timeout(Duration::from_secs(5));
    Ok(Outcome {
        tps,
        p50_ms: percentile(&lat, 0.5),
        p99_ms: percentile(&lat, 0.99),
        blocks,
        committed,
    })
}

/// `sinew bench ledger`.
pub fn run(a: LedgerArgs) -> Result<()> {
    if a.accounts < 2 || a.batch == 0 || a.clients == 0 || a.txs == 0 {
        bail!("--accounts must be at least 2, and --txs, --batch and --clients positive");
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!(
        "ledger bench: {} signed transfers among {} accounts, batches of {}, {} concurrent submitters, {cores} cores",
        a.txs, a.accounts, a.batch, a.clients
    );
    let t = Instant::now();
    let (genesis, batches) = workload(&a);
    println!(
        "(signed the workload in {:.1}s; not counted)",
        t.elapsed().as_secs_f64()
    );
    let modes: &[Mode] = match a.mode {
        Mode::Both => &[Mode::InProcess, Mode::Http],
        m => {
            if m == Mode::InProcess {
                &[Mode::InProcess]
            } else {
                &[Mode::Http]
            }
        }
    };
    for &m in modes {
        let o = run_one(&a, m, genesis.clone(), batches.clone())?;
        let name = if m == Mode::InProcess {
            "in-process"
        } else {
            "http-batch"
        };
        println!(
            "{name:<11} {:>8.0} transfers/s durable   commit latency per batch p50 {:>6.1} ms  p99 {:>6.1} ms   {} blocks, {:.0} tx/block",
            o.tps, o.p50_ms, o.p99_ms, o.blocks, o.committed as f64 / o.blocks.max(1) as f64
        );
    }
    Ok(())
}
