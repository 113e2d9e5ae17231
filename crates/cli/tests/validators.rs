//! Validators as processes on loopback: `sinew devnet --validators 4` runs the whole demo
//! (datanets with blobs fetched between validators, paid attributed answers, agents) and every
//! validator ends on the same block and state root; a validator killed with SIGKILL leaves the
//! other three finalizing, and once restarted it catches up and agrees. A light client checks a
//! balance against a finalization certificate and the genesis validator set, trusting no node.

use sinew_sdk::Client;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const SINEW: &str = env!("CARGO_BIN_EXE_sinew");

/// One network at a time: each test runs four or five node processes, and three such networks
/// at once on two cores starve each other's timeouts.
static ONE_NETWORK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_network() -> std::sync::MutexGuard<'static, ()> {
    ONE_NETWORK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn ok(o: &Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "command failed: {}\nstdout: {out}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// A base port with `n` free API ports from it and `n` free p2p ports 1000 above.
fn free_port_base(n: u16) -> u16 {
    let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
    loop {
        let base = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if base < 60_000 && (0..n).all(|i| free(base + i) && free(base + 1_000 + i)) {
            return base;
        }
    }
}

#[test]
fn a_devnet_of_four_validators_runs_the_whole_demo_and_agrees() {
    let _one = one_network();
    let dir = tempfile::tempdir().unwrap();
    let base = free_port_base(4);
    let out = Command::new(SINEW)
        .args(["devnet", "--validators", "4", "--demo", "--exit", "--listen"])
        .arg(format!("127.0.0.1:{base}"))
        .arg("--dir")
        .arg(dir.path())
        .output()
        .unwrap();
    let text = ok(&out);
    assert!(text.contains("4 validators (BFT"), "{text}");
    for (bad, why) in [
        ("0", "--validators must be within 1..=32"),
        ("33", "--validators must be within 1..=32"),
    ] {
        let refused = Command::new(SINEW)
            .args(["devnet", "--exit", "--validators", bad, "--dir"])
            .arg(dir.path().join("refused"))
            .output()
            .unwrap();
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains(why));
        assert!(!dir.path().join("refused").exists(), "a refused devnet writes nothing");
    }
    // The ledger, the datanet (its blobs uploaded to validator 0 only), paid attributed answers
    // and agents all ran on the network.
    for expected in [
        "4000 of 4000 committed",
        "one unit higher: rejected",
        "who was paid",
        "agents by reputation score",
        "0 mismatched",
        "all 4 validators agree on block",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // Every validator holds the contributed blobs it fetched from validator 0, kept its own
    // copy of the chain, and re-executes it to the same roots.
    let blobs = |i: usize| {
        let mut ids: Vec<String> = std::fs::read_dir(dir.path().join(format!("node{i}/data/blobs/pins")))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        ids.sort();
        ids
    };
    assert!(!blobs(0).is_empty());
    for i in 0..4 {
        assert_eq!(blobs(i), blobs(0), "validator {i} keeps the blobs the chain names");
        let replay = ok(&Command::new(SINEW)
            .args(["replay", "--data-dir"])
            .arg(dir.path().join(format!("node{i}/data")))
            .output()
            .unwrap());
        assert!(replay.contains("every state root matches"), "{replay}");
    }
}

/// A running `sinew devnet` (no `--exit`), interrupted and reaped on drop.
struct Devnet(Child);

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-INT", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

/// Starts `sinew devnet --validators 4` (with the demo if `demo`) serving in `dir`; returns it
/// with the lines it printed before serving.
fn serve_devnet(dir: &std::path::Path, base: u16, demo: bool) -> (Devnet, Vec<String>) {
    let mut cmd = Command::new(SINEW);
    cmd.args(["devnet", "--validators", "4"]);
    if demo {
        cmd.arg("--demo");
    }
    let mut child = cmd
        .arg("--listen")
        .arg(format!("127.0.0.1:{base}"))
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let devnet = Devnet(child);
    let mut printed = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let serving = line.contains("serving until Ctrl-C");
        printed.push(line);
        if serving {
            break;
        }
    }
    (devnet, printed)
}

/// Waits until every client's head reaches `height`.
fn wait_for(clients: &[&Client], height: u64, timeout: Duration) {
    let t = Instant::now();
    while !clients
        .iter()
        .all(|c| c.latest_block().is_ok_and(|b| b.header.height >= height))
    {
        assert!(
            t.elapsed() < timeout,
            "validators did not reach height {height} within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_validator_killed_by_pid_leaves_three_finalizing_and_catches_up_when_restarted() {
    let _one = one_network();
    let dir = tempfile::tempdir().unwrap();
    let base = free_port_base(4);
    let (devnet, printed) = serve_devnet(dir.path(), base, false);
    // The PID of validator 2, from the listing printed before serving.
    let pid = printed
        .iter()
        .find(|l| l.trim_start().starts_with("validator2 ") && l.contains("pid "))
        .map(|l| l.split("pid ").nth(1).unwrap().split(',').next().unwrap().to_string());
    let pid = pid.expect("the devnet lists validator 2's pid");
    let clients: Vec<Client> = (0..4)
        .map(|i| Client::new(&format!("http://127.0.0.1:{}", base + i)))
        .collect();
    let up: Vec<&Client> = [0, 1, 3].iter().map(|&i| &clients[i]).collect();
    check_consensus_and_light_client(dir.path(), base, &clients[0]);

    assert!(Command::new("kill").args(["-9", &pid]).status().unwrap().success());
    let at_kill = clients[0].latest_block().unwrap().header.height;
    wait_for(&up, at_kill + 5, Duration::from_secs(120));
    assert!(clients[2].health().is_err(), "validator 2 is down");

    // Validator 2 started on a genesis of its own (one millisecond later): the other three
    // describe another genesis, so it refuses to run, naming the difference.
    let mut genesis: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("genesis.json")).unwrap()).unwrap();
    genesis["timestamp_ms"] = (genesis["timestamp_ms"].as_u64().unwrap() + 1).into();
    std::fs::write(
        dir.path().join("odd-genesis.json"),
        serde_json::to_vec(&genesis).unwrap(),
    )
    .unwrap();
    let odd = dir.path().join("odd");
    std::fs::create_dir_all(&odd).unwrap();
    let config = std::fs::read_to_string(dir.path().join("node2/node.toml"))
        .unwrap()
        .replace("../genesis.json", "../odd-genesis.json");
    std::fs::write(odd.join("node.toml"), config).unwrap();
    let mut refused = Command::new(SINEW)
        .arg("--keys-dir")
        .arg(dir.path().join("keys"))
        .args(["node", "--config"])
        .arg(odd.join("node.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = refused.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = refused.kill();
            panic!("a validator whose genesis the others do not share kept running");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut refused.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!status.success());
    assert!(
        err.contains("disagrees with") && err.contains("genesis block") && err.contains("here,"),
        "{err}"
    );

    // Restarted from its own data directory, it replays what it missed and follows again.
    let mut restarted = Command::new(SINEW)
        .arg("--keys-dir")
        .arg(dir.path().join("keys"))
        .args(["node", "--config"])
        .arg(dir.path().join("node2/node.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let target = clients[0].latest_block().unwrap().header.height + 3;
    wait_for(&clients.iter().collect::<Vec<_>>(), target, Duration::from_secs(120));
    let hashes: Vec<_> = clients
        .iter()
        .map(|c| {
            let b = c.block(&target.to_string()).unwrap();
            (b.header.hash(), b.header.state_root)
        })
        .collect();
    let _ = restarted.kill();
    let _ = restarted.wait();
    drop(devnet);
    assert!(
        hashes.iter().all(|h| *h == hashes[0]),
        "all four agree at height {target}: {hashes:?}"
    );
}

/// `/v1/consensus` on a validator, then a light client's check: an account proof at a height
/// whose finalization certificate verifies against the genesis validators; a tampered
/// certificate, or a block the certificate did not finalize, is refused.
fn check_consensus_and_light_client(dir: &std::path::Path, base: u16, c: &Client) {
    let status = c.consensus().unwrap();
    assert_eq!(status.engine, "simplex");
    assert!(status.validator.is_some() && status.leader.is_some() && status.view > 0);
    assert_eq!(status.peers.len(), 3, "{status:?}");
    assert!(status.peers.iter().all(|p| !p.blocked) && status.faults.is_empty());
    wait_for(&[c], 3, Duration::from_secs(60));
    let head = c.latest_block().unwrap().header.height;
    let height = (1..=head)
        .rev()
        .find(|h| c.finalization(&h.to_string()).is_ok())
        .expect("some recent block has a certificate of its own");
    let cert = c.finalization(&height.to_string()).unwrap();
    assert_eq!(cert.height, height);
    assert!(cert.signers.len() >= 3, "a quorum of four signed: {cert:?}");
    assert!(c.finalization("0").is_err(), "genesis has no certificate");

    let url = format!("http://127.0.0.1:{base}");
    let cli = |args: &[&str]| {
        ok(&Command::new(SINEW)
            .args(["--url", &url, "--keys-dir"])
            .arg(dir.join("keys"))
            .args(args)
            .output()
            .unwrap())
    };
    let work = tempfile::tempdir().unwrap();
    let file = |name: &str, text: String| {
        let p = work.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    };
    let h = height.to_string();
    let proof = file("proof.json", cli(&["account", "dev0", "--json", "--height", &h]));
    let fin = file("fin.json", cli(&["finalization", &h]));
    let block = file("block.json", cli(&["block", &h]));
    let genesis = dir.join("genesis.json").to_string_lossy().into_owned();
    let verify = |fin: &str, block: &str| {
        Command::new(SINEW)
            .args([
                "verify-proof",
                &proof,
                "--finalization",
                fin,
                "--block",
                block,
                "--genesis",
                &genesis,
            ])
            .output()
            .unwrap()
    };
    let good = ok(&verify(&fin, &block));
    assert!(
        good.contains("finalized: block") && good.contains("account: balance"),
        "{good}"
    );

    // One signature byte changed: refused.
    let mut bad: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&fin).unwrap()).unwrap();
    let hex = bad["certificate"].as_str().unwrap().to_string();
    let flipped = format!(
        "{}{}",
        &hex[..hex.len() - 2],
        if hex.ends_with("00") { "01" } else { "00" }
    );
    bad["certificate"] = serde_json::Value::String(flipped);
    let tampered = file("tampered.json", bad.to_string());
    let out = verify(&tampered, &block);
    let why = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a tampered certificate is refused");
    assert!(
        why.contains("do not show a quorum") || why.contains("not a finalization certificate"),
        "{why}"
    );
    // The block before: not what the certificate finalized.
    let other = file("other.json", cli(&["block", &(height - 1).to_string()]));
    let out = verify(&fin, &other);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the certificate finalized block"));
}

#[test]
fn a_follower_checks_every_certificate_re_executes_the_demo_and_relays_transactions() {
    let _one = one_network();
    let dir = tempfile::tempdir().unwrap();
    let base = free_port_base(4);
    let (devnet, _) = serve_devnet(dir.path(), base, true);
    // A follower that joins after the whole demo: it replays every block (blobs fetched from
    // its sources, each block certified by the validators), then keeps up.
    let api = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("follower.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"follower-data\"\ngenesis_file = \"genesis.json\"\nlisten = \"127.0.0.1:{api}\"\n\n\
             [bft]\nmode = \"follower\"\nsources = [\"http://127.0.0.1:{}\", \"http://127.0.0.1:{}\"]\n",
            base,
            base + 1
        ),
    )
    .unwrap();
    let mut follower = Command::new(SINEW)
        .args(["node", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let f = Client::new(&format!("http://127.0.0.1:{api}"));
    let v = Client::new(&format!("http://127.0.0.1:{base}"));
    let t = Instant::now();
    while f.health().is_err() {
        assert!(t.elapsed() < Duration::from_secs(30), "the follower did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }
    let target = v.latest_block().unwrap().header.height;
    wait_for(&[&f], target, Duration::from_secs(120));
    let (a, b) = (
        f.block(&target.to_string()).unwrap(),
        v.block(&target.to_string()).unwrap(),
    );
    assert_eq!((a.hash, a.header.state_root), (b.hash, b.header.state_root));
    let status = f.consensus().unwrap();
    assert_eq!(status.engine, "follower");
    assert!(status.finalized_height >= target);
    // It holds the datanet's blobs, fetched and checked against their ids.
    let pins = |d: &str| std::fs::read_dir(dir.path().join(d)).unwrap().count();
    assert_eq!(pins("follower-data/blobs/pins"), pins("node0/data/blobs/pins"));

    // A transfer submitted to the follower reaches the validators and comes back final.
    let keys = dir.path().join("keys");
    let out = ok(&Command::new(SINEW)
        .args(["--url", &format!("http://127.0.0.1:{api}"), "--keys-dir"])
        .arg(&keys)
        .args(["transfer", "--from", "dev1", "--to", "dev2", "--amount", "12345"])
        .output()
        .unwrap());
    assert!(out.contains("committed"), "{out}");
    let _ = follower.kill();
    let _ = follower.wait();
    drop(devnet);
}
