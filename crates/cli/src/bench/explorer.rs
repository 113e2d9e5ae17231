//! The explorer benchmark: builds a chain of many small blocks (pre-signed transfers, the block
//! size capped by the genesis parameters), then times every kind of explorer page over HTTP on
//! loopback, each against random targets spread over the whole chain: latency p50 and p99 per
//! page kind, measured from a client (so it bounds the server-side rendering time). A second
//! phase makes paid answers on a datanet and times the pages about data and answers.

use super::ledger::{self, LedgerArgs, Mode};
use anyhow::{bail, Result};
use clap::Args;
use sinew_node::NodeConfig;
use sinew_sdk::Client;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Makes the path of the next request of one page kind.
type PathMaker = Box<dyn FnMut() -> String>;

/// Arguments of `sinew bench explorer`.
#[derive(Args)]
pub struct ExplorerArgs {
    /// Blocks to build.
    #[arg(long, default_value_t = 100_000)]
    blocks: usize,
    /// Transfers in all (spread evenly over the blocks).
    #[arg(long, default_value_t = 1_000_000)]
    txs: usize,
    /// Funded accounts sending them.
    #[arg(long, default_value_t = 10_000)]
    accounts: usize,
    /// Requests timed per page kind.
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// Paid answers for the second phase (pages about data and answers; 0 skips it).
    #[arg(long, default_value_t = 2_000)]
    answers: usize,
    /// Where to put the chain (default: the system temp dir).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// `sinew bench explorer`.
pub fn run(a: ExplorerArgs) -> Result<()> {
    if a.blocks == 0 || a.txs < a.blocks || a.accounts < 2 || a.requests == 0 {
        bail!("--blocks and --requests must be positive, --txs at least --blocks, --accounts at least 2");
    }
    let per_block = a.txs.div_ceil(a.blocks);
    let la = LedgerArgs {
        txs: a.txs,
        accounts: a.accounts,
        batch: 2_000,
        clients: 4,
        rate: None,
        mode: Mode::Http,
        dir: a.dir.clone(),
    };
    println!(
        "explorer bench: {} transfers in blocks of {per_block} among {} accounts, then {} requests per page kind",
        a.txs, a.accounts, a.requests
    );
    let t = Instant::now();
    let (mut genesis, batches) = ledger::workload(&la);
    genesis.params.max_block_txs = per_block as u32;
    let ids: Vec<String> = batches.iter().flatten().map(|t| t.tx.id().to_string()).collect();
    let accounts: Vec<String> = genesis.accounts.iter().map(|g| g.address.to_string()).collect();
    println!("(signed in {:.1}s)", t.elapsed().as_secs_f64());

    let base = a.dir.clone().unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::Builder::new()
        .prefix("sinew-bench-explorer-")
        .tempdir_in(base)?;
    let mut config = NodeConfig::new(dir.path().to_path_buf());
    config.listen = "127.0.0.1:0".parse()?;
    config.block_interval_ms = 1;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let running = rt.block_on(sinew_node::start(config, Some(genesis)))?;
    let url = running.url();
    let client = Client::new(&url);
    let t = Instant::now();
    let (tps, _, _) = ledger::drive(batches, la.clients, None, |b| {
        let r = client.submit_batch(&b, true)?;
        if let Some(bad) = r.results.iter().find(|r| r.status() != "committed") {
            bail!("tx {} not committed: {} {:?}", bad.tx_id, bad.status(), bad.error());
        }
        Ok(r.results.len())
    })?;
    let head = running.node.head().height;
    println!(
        "built {head} blocks holding {} transfers in {:.0}s ({tps:.0} transfers/s)",
        a.txs,
        t.elapsed().as_secs_f64()
    );

    let kinds: Vec<(&str, PathMaker)> = vec![
        ("home", Box::new(|| "/".into())),
        ("blocks (latest)", Box::new(|| "/blocks".into())),
        (
            "blocks (deep page)",
            Box::new(move || format!("/blocks?before={}", 1 + pick_static(head))),
        ),
        ("block", Box::new(move || format!("/blocks/{}", pick_static(head + 1)))),
        ("transaction", {
            let ids = ids.clone();
            Box::new(move || format!("/txs/{}", ids[pick_static(ids.len() as u64) as usize]))
        }),
        ("account", {
            let accounts = accounts.clone();
            Box::new(move || format!("/accounts/{}", accounts[pick_static(accounts.len() as u64) as usize]))
        }),
        (
            "search (height)",
            Box::new(move || format!("/search?q={}", pick_static(head))),
        ),
        ("datanets", Box::new(|| "/datanets".into())),
        ("models", Box::new(|| "/models".into())),
        ("agents", Box::new(|| "/agents".into())),
        ("tasks", Box::new(|| "/tasks".into())),
    ];
    time_pages(&url, kinds, a.requests)?;
    rt.block_on(running.shutdown())?;
    if a.answers > 0 {
        answers_phase(&a)?;
    }
    Ok(())
}

/// Times `requests` GETs of each page kind (one at a time) and prints p50, p99 and max.
fn time_pages(url: &str, kinds: Vec<(&str, PathMaker)>, requests: usize) -> Result<()> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .redirects(0)
        .build();
    println!("{:<24} {:>9} {:>9} {:>9}", "page", "p50 ms", "p99 ms", "max ms");
    for (name, mut path) in kinds {
        let mut lat = Vec::with_capacity(requests);
        for _ in 0..requests {
            let p = path();
            let t = Instant::now();
            let r = agent.get(&format!("{url}{p}")).call();
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            match r {
                Ok(r) => {
                    let _ = r.into_string()?;
                }
                Err(ureq::Error::Status(303, _)) => {}
                Err(e) => bail!("GET {p}: {e}"),
            }
            lat.push(ms);
        }
        lat.sort_by(|x, y| x.partial_cmp(y).unwrap());
        println!(
            "{name:<24} {:>9.2} {:>9.2} {:>9.2}",
            ledger::percentile(&lat, 0.5),
            ledger::percentile(&lat, 0.99),
            lat.last().copied().unwrap_or(0.0)
        );
    }
    Ok(())
}

/// The pages about data and answers, on a second node: the sample datanet (two contributors),
/// a model on it, and `--answers` paid answers (each attributed and settled), then the model's,
/// the datanet's (with a contribution's records), a contributor's (with its rewards) and random
/// answers' pages, each of which recomputes its attribution.
fn answers_phase(a: &ExplorerArgs) -> Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    let (node, _dir) = super::inference::setup(&rt, "builtin", "bytes", true)?;
    let url = node.url();
    let prompts = super::inference::prompts();
    let t = Instant::now();
    let agent = ureq::AgentBuilder::new().max_idle_connections_per_host(64).build();
    let settlements: Vec<String> = std::thread::scope(|s| -> Result<Vec<String>> {
        let workers = 16;
        let per = a.answers.div_ceil(workers);
        let hs: Vec<_> = (0..workers)
            .map(|w| {
                let (agent, url, prompts) = (&agent, &url, &prompts);
                s.spawn(move || -> Result<Vec<String>> {
                    (0..per)
                        .map(|i| {
                            let req = super::inference::chat_request(&prompts[(w * per + i) % prompts.len()], 64);
                            let (_, answer) = super::inference::chat(agent, url, &req)?;
                            Ok(answer.sinew.settlement_tx.to_string())
                        })
                        .collect()
                })
            })
            .collect();
        Ok(hs
            .into_iter()
            .map(|h| h.join().expect("worker"))
            .collect::<Result<Vec<_>>>()?
            .concat())
    })?;
    let contributor = sinew_types::Keypair::dev("bench-1").address().to_string();
    println!(
        "\nthen {} paid answers on the sample datanet's model ({:.0}s), and their pages:",
        settlements.len(),
        t.elapsed().as_secs_f64()
    );
    let kinds: Vec<(&str, PathMaker)> = vec![
        ("home (with answers)", Box::new(|| "/".into())),
        ("model (answers, fees)", Box::new(|| "/models/0".into())),
        ("datanet", Box::new(|| "/datanets/0".into())),
        ("datanet with records", Box::new(|| "/datanets/0?contribution=0".into())),
        (
            "contributor (earnings)",
            Box::new(move || format!("/accounts/{contributor}")),
        ),
        ("answer (recomputed)", {
            let s = settlements.clone();
            Box::new(move || format!("/answers/{}", s[pick_static(s.len() as u64) as usize]))
        }),
        ("transaction (settlement)", {
            let s = settlements.clone();
            Box::new(move || format!("/txs/{}", s[pick_static(s.len() as u64) as usize]))
        }),
    ];
    time_pages(&url, kinds, a.requests)?;
    rt.block_on(node.shutdown())?;
    Ok(())
}

/// A pseudo-random number below `n` (reproducible across runs: a counter through splitmix64).
fn pick_static(n: u64) -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0x5eed);
    let mut z = NEXT.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) % n.max(1)
}
