//! `sinew bench hostile`: a node on loopback under hostile requests to every public endpoint
//! (oversized pages, forged cursors, costly attributions, index builds, record scans, upload
//! floods, subscriber floods, junk and gapped transaction batches, bad API keys) while an honest
//! account sends transfers at a steady rate. It reports how long the honest transfers took to
//! commit, whether blocks kept coming, how the node's memory moved, and what the attackers got
//! back (never a 500). Targets: honest p99 under 1 s, no 500, blocks throughout.

use super::inference::{setup, KEY};
use super::pct;
use anyhow::{bail, Result};
use clap::Args;
use sinew_sdk::{sign_with_fee, Client, SubmitOutcome};
use sinew_types::amount::TOKEN;
use sinew_types::payload::Transfer;
use sinew_types::{Address, Keypair, Transaction};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Arguments of `sinew bench hostile`.
#[derive(Args)]
pub struct HostileArgs {
    /// How long the attack lasts, in seconds.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Honest transfers per second.
    #[arg(long, default_value_t = 20)]
    rate: u64,
    /// Attacking threads (each cycles through every attack).
    #[arg(long, default_value_t = 4)]
    attackers: usize,
    /// Check liveness only (every honest transfer commits, no 500, blocks keep coming), not the
    /// latency target: for the test suite, where builds are unoptimised and cores shared.
    #[arg(long)]
    liveness_only: bool,
    /// Fail if the process's resident memory grows by more than this many MiB during the attack.
    #[arg(long)]
    max_rss_growth_mib: Option<u64>,
}

/// Status codes seen per attack.
type Tally = Arc<Mutex<BTreeMap<(&'static str, u16), u64>>>;

fn status(r: Result<ureq::Response, ureq::Error>) -> u16 {
    match r {
        Ok(r) => {
            let code = r.status();
            // Drain a bounded amount: the attacker does read what it asked for.
            let mut buf = vec![0u8; 1 << 16];
            let _ = r.into_reader().take(1 << 24).read(&mut buf);
            code
        }
        Err(ureq::Error::Status(code, _)) => code,
        Err(_) => 0,
    }
}

/// One round of every attack against `url`, as account `attacker`.
fn attack_round(agent: &ureq::Agent, url: &str, attacker: &Keypair, chain: &str, round: u64, tally: &Tally) {
    let note =
        |what: &'static str, code: u16| *tally.lock().expect("not poisoned").entry((what, code)).or_default() += 1;
    let get = |path: &str| status(agent.get(&format!("{url}{path}")).call());
    // Lists with absurd pages and forged cursors.
    for path in [
        "/v1/tasks?limit=100000000&kind=nothing&status=open",
        "/v1/agents?limit=999999999",
        "/v1/datanets?after=zz",
        "/v1/datanets?limit=1000",
        "/v1/registry/models?limit=1000000",
        "/v1/registry/providers?after=ffffffffffffffffffffffffffffffff",
        "/v1/contributions?contributor=0000000000000000000000000000000000000000000000000000000000000000&limit=1000",
        "/v1/datanets/0/contributions?limit=1000000",
    ] {
        note("lists", get(path));
    }
    // Costly reads: records far away, huge attributions, indexes nobody uses.
    note(
        "records",
        get("/v1/datanets/0/records?offset=1000000000000&limit=1000000"),
    );
    note("records", get("/v1/datanets/0/records?limit=1000"));
    note("index", get("/v1/datanets/0/versions/1/index?tokenizer=cl100k"));
    note("index", get("/v1/datanets/9/versions/1/index"));
    let text = "the river flows ".repeat(1_000);
    let body = serde_json::json!({ "text": text, "min_len": 1, "max_count": 1_000_000_000u64 });
    note(
        "attribute",
        status(
            agent
                .post(&format!("{url}/v1/datanets/0/versions/1/attribute"))
                .send_json(body),
        ),
    );
    let huge = serde_json::json!({ "text": "x".repeat(200_000) });
    note(
        "attribute",
        status(
            agent
                .post(&format!("{url}/v1/registry/models/0/attribute"))
                .send_json(huge),
        ),
    );
    // Chain queries.
    note("chain", get("/v1/blocks/1"));
    note("chain", get(&format!("/v1/state/{}", "ab".repeat(40))));
    note("chain", get(&format!("/v1/accounts/{}", attacker.address())));
    // Uploads nobody will name.
    let mut junk: Vec<u8> = (0..(1u32 << 20)).map(|i| (i as u64 * 2_654_435_761) as u8).collect();
    junk[..8].copy_from_slice(&round.to_le_bytes());
    note(
        "upload",
        status(agent.put(&format!("{url}/v1/blobs")).send_bytes(&junk)),
    );
    // Transactions: forged signatures, unknown signers, nonces far ahead.
    let stranger = Keypair::dev(&format!("stranger-{round}"));
    let mut batch = Vec::new();
    for i in 0..200u64 {
        let signer = if i % 2 == 0 { attacker } else { &stranger };
        let tx = Transaction {
            chain_id: chain.into(),
            signer: signer.address(),
            nonce: 1_000 + round * 200 + i,
            max_fee: 10_000_000,
            payload: Transfer {
                to: Address([7; 32]),
                amount: 1,
            }
            .into(),
        };
        let mut s = signer.sign(tx);
        if i % 5 == 0 {
            s.signature.0[3] ^= 1;
        }
        batch.push(s);
    }
    let bytes = sinew_types::encoding::encode(&batch);
    note(
        "txs",
        status(
            agent
                .post(&format!("{url}/v1/txs/batch"))
                .set("content-type", "application/octet-stream")
                .send_bytes(&bytes),
        ),
    );
    // The gateway with keys it should refuse and prompts it should refuse.
    for (key, prompt) in [("sk-nobody", "hi".to_string()), (KEY, "x".repeat(100_000))] {
        let body = serde_json::json!({ "model": "bench-lm", "messages": [{ "role": "user", "content": prompt }], "max_tokens": 8 });
        note(
            "gateway",
            status(
                agent
                    .post(&format!("{url}/v1/chat/completions"))
                    .set("authorization", &format!("Bearer {key}"))
                    .send_json(body),
            ),
        );
    }
}

/// A hostile value for a path parameter, varied by round: zero, huge, malformed, far too long.
fn hostile_param(name: &str, round: u64, attacker: &Keypair) -> String {
    match (name, round % 4) {
        ("address", 0) => attacker.address().to_string(),
        ("address", 1) => "zz".repeat(32),
        ("key", _) => "ab".repeat(40 + (round % 3) as usize * 100),
        (_, 0) => "0".into(),
        (_, 1) => u64::MAX.to_string(),
        (_, 2) => "ff".repeat(32),
        _ => "%00".repeat(300),
    }
}

/// A hostile value for a query parameter: absurd pages, forged cursors, heights and filters.
fn hostile_query(name: &str, round: u64) -> String {
    match name {
        "limit" | "offset" => [u64::MAX.to_string(), "0".into(), "4294967296".into()][(round % 3) as usize].clone(),
        "after" | "before" => ["zz".to_string(), "ff".repeat(300), "00".into()][(round % 3) as usize].clone(),
        "height" => ["0".to_string(), u64::MAX.to_string()][(round % 2) as usize].clone(),
        "tokenizer" => ["cl100k", "gpt2", "nope"][(round % 3) as usize].into(),
        "wait" => "commit".into(),
        _ => "%ff%fe".repeat(50),
    }
}

/// Every route of the API once, with hostile path and query parameters (and junk bodies where
/// it takes one), then the explorer's pages: each answers with a clear status, never a 500.
fn every_route(agent: &ureq::Agent, url: &str, attacker: &Keypair, round: u64, tally: &Tally) {
    use sinew_types::api::{Method, Route};
    for route in Route::ALL {
        // Held open by `hold_subscriptions`; flooded by the upload attack.
        if matches!(route, Route::Events | Route::UploadBlob) {
            continue;
        }
        let (method, template) = route.endpoint();
        let mut path = String::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
            path.push_str(&rest[..open]);
            path.push_str(&hostile_param(&rest[open + 1..close], round, attacker));
            rest = &rest[(close + 1).min(rest.len())..];
        }
        path.push_str(rest);
        let query: Vec<String> = route
            .query()
            .iter()
            .map(|(name, _)| format!("{name}={}", hostile_query(name, round)))
            .collect();
        if !query.is_empty() {
            path = format!("{path}?{}", query.join("&"));
        }
        let full = format!("{url}{path}");
        let code = match method {
            Method::Get => status(agent.get(&full).call()),
            Method::Put => status(agent.put(&full).send_bytes(b"junk")),
            Method::Post => {
                let body = match round % 3 {
                    0 => b"{\"text\": 7, \"model\": [".to_vec(),
                    1 => serde_json::json!({ "text": "x".repeat(300_000), "max_tokens": u64::MAX })
                        .to_string()
                        .into_bytes(),
                    _ => vec![0xff; 4096],
                };
                status(
                    agent
                        .post(&full)
                        .set("content-type", "application/json")
                        .set("authorization", "Bearer sk-nobody")
                        .send_bytes(&body),
                )
            }
        };
        *tally.lock().expect("not poisoned").entry((template, code)).or_default() += 1;
    }
    let junk = "%ff".repeat(200);
    for page in [
        "/".to_string(),
        format!("/search?q={junk}"),
        "/blocks?before=18446744073709551615".into(),
        format!("/blocks/{junk}"),
        "/txs/zz".into(),
        format!("/accounts/{}", "ff".repeat(32)),
        "/datanets?after=zz".into(),
        "/datanets/18446744073709551615".into(),
        "/models?after=ff".into(),
        "/models/0".into(),
        format!("/answers/{}", "00".repeat(32)),
        "/playground".into(),
        "/agents?limit=4294967296".into(),
        "/tasks?limit=4294967296&after=zz".into(),
        "/tasks/zz".into(),
        "/assets/..%2f..%2fetc%2fpasswd".into(),
    ] {
        let code = status(agent.get(&format!("{url}{page}")).call());
        *tally
            .lock()
            .expect("not poisoned")
            .entry(("explorer", code))
            .or_default() += 1;
    }
}

/// Holds event-stream subscriptions open (more than the node allows) until `stop`.
fn hold_subscriptions(url: String, count: usize, stop: Arc<AtomicBool>, tally: Tally) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let agent = ureq::AgentBuilder::new()
            .timeout_read(Duration::from_millis(200))
            .build();
        let mut open = Vec::new();
        for _ in 0..count {
            match agent.get(&format!("{url}/v1/events")).call() {
                Ok(r) => {
                    *tally.lock().expect("not poisoned").entry(("events", 200)).or_default() += 1;
                    open.push(r.into_reader());
                }
                Err(e) => {
                    let code = match e {
                        ureq::Error::Status(c, _) => c,
                        _ => 0,
                    };
                    *tally.lock().expect("not poisoned").entry(("events", code)).or_default() += 1;
                }
            }
        }
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(open);
    })
}

/// The resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs the hostile load benchmark.
pub fn run(a: HostileArgs) -> Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    let (running, _dir) = setup(&rt, "builtin", "bytes", true)?;
    let url = running.url();
    let c = Client::new(&url);
    let chain = c.chain_id()?;
    let params = c.params()?;
    let keys: Vec<Keypair> = (0..4).map(|i| Keypair::dev(&format!("bench-{i}"))).collect();
    let tally: Tally = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let rss_start = rss_kib();
    let height_start = c.height()?;
    let subs = hold_subscriptions(url.clone(), 300, stop.clone(), tally.clone());
    let mut attackers = Vec::new();
    for t in 0..a.attackers {
        let (url, chain, stop, tally) = (url.clone(), chain.clone(), stop.clone(), tally.clone());
        let attacker = keys[2].clone();
        attackers.push(std::thread::spawn(move || {
            let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
            let mut round = t as u64 * 1_000_000;
            while !stop.load(Ordering::Relaxed) {
                attack_round(&agent, &url, &attacker, &chain, round, &tally);
                every_route(&agent, &url, &attacker, round, &tally);
                round += 1;
            }
        }));
    }
    // Memory sampler.
    let peak = Arc::new(Mutex::new(rss_start));
    let sampler = {
        let (peak, stop) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let r = rss_kib();
                let mut p = peak.lock().expect("not poisoned");
                *p = (*p).max(r);
                drop(p);
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    // Honest transfers at a steady rate, each waited for until committed.
    let honest = &keys[1];
    let mut nonce = c.account(&honest.address(), None)?.account.nonce;
    let mut latencies = Vec::new();
    let mut failed = 0u64;
    let started = Instant::now();
    let period = Duration::from_micros(1_000_000 / a.rate.max(1));
    let mut next = Instant::now();
    while started.elapsed() < Duration::from_secs(a.seconds) {
        let tx = sign_with_fee(
            honest,
            &chain,
            nonce,
            Transfer {
                to: keys[0].address(),
                amount: TOKEN / 1_000,
            }
            .into(),
            &params,
        );
        let t = Instant::now();
        match c.submit(&tx, true)?.outcome {
            SubmitOutcome::Committed { .. } => {
                latencies.push(t.elapsed().as_secs_f64() * 1e3);
                nonce += 1;
            }
            other => {
                failed += 1;
                eprintln!("honest transfer not committed: {other:?}");
                nonce = c.account(&honest.address(), None)?.account.nonce;
            }
        }
        next += period;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in attackers {
        let _ = t.join();
    }
    let _ = subs.join();
    let _ = sampler.join();
    let height_end = c.height()?;
    let rss_end = rss_kib();
    let peak = *peak.lock().expect("not poisoned");
    rt.block_on(running.shutdown())?;
    let tally = tally.lock().expect("not poisoned").clone();
    println!(
        "hostile load: {} s, {} attacking threads, honest transfers at {}/s",
        a.seconds, a.attackers, a.rate
    );
    println!(
        "blocks produced during the attack: {}",
        height_end.saturating_sub(height_start)
    );
    let (p50, p99, max) = if latencies.is_empty() {
        (0.0, 0.0, 0.0)
    } else {
        let mut l = latencies.clone();
        (pct(&mut l, 0.5), pct(&mut l, 0.99), pct(&mut l, 1.0))
    };
    println!(
        "honest transfers: {} committed, {failed} not; commit latency p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms",
        latencies.len()
    );
    println!(
        "node memory (RSS): {} MiB at start, peak {} MiB, {} MiB at the end",
        rss_start / 1024,
        peak / 1024,
        rss_end / 1024
    );
    println!("attack requests by kind and status (0: connection refused or timed out):");
    let mut five_hundreds = 0;
    for ((what, code), n) in &tally {
        println!("  {what:10} {code:3}  {n}");
        if *code == 500 {
            five_hundreds += n;
        }
    }
    if failed > 0 || latencies.is_empty() {
        bail!("{failed} honest transfers did not commit");
    }
    if height_end <= height_start {
        bail!("no block was produced during the attack");
    }
    if five_hundreds > 0 {
        bail!("{five_hundreds} attack requests got 500: the node failed on hostile input");
    }
    let growth_mib = peak.saturating_sub(rss_start) / 1024;
    if let Some(max) = a.max_rss_growth_mib.filter(|max| growth_mib > *max) {
        bail!("memory grew by {growth_mib} MiB under attack, more than the {max} MiB allowed");
    }
    if !a.liveness_only && p99 > 1_000.0 {
        bail!("honest commit latency p99 {p99:.1} ms exceeds the 1 s target");
    }
    Ok(())
}
