//! Crash test: a node process under a load of transfers is killed with SIGKILL at an arbitrary
//! moment, twice. After each restart every acknowledged transaction is present, no transaction is
//! half-applied (supply is intact, every tx is either committed with a receipt or unknown), and
//! replaying all blocks from genesis reproduces every state root.

use sinew_sdk::{sign_with_fee, Client};
use sinew_state::accounts::treasury;
use sinew_state::{Genesis, GenesisAccount};
use sinew_types::payload::Transfer;
use sinew_types::{Keypair, Params, TxId};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SINEW: &str = env!("CARGO_BIN_EXE_sinew");
const ACCOUNTS: usize = 64;
const BALANCE: u128 = 1 << 80;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn_node(config: &Path) -> Child {
    Command::new(SINEW)
        .args(["node", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start node")
}

fn wait_healthy(c: &Client) {
    let t = Instant::now();
    while c.health().is_err() {
        assert!(t.elapsed() < Duration::from_secs(30), "node did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn acknowledged_transactions_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let keys: Vec<Keypair> = (0..ACCOUNTS).map(|i| Keypair::dev(&format!("crash-{i}"))).collect();
    let params = Params::default_for(keys[0].address());
    let genesis = Genesis {
        chain_id: "sinew-crash".into(),
        timestamp_ms: 0,
        params: params.clone(),
        accounts: keys
            .iter()
            .map(|k| GenesisAccount {
                address: k.address(),
                balance: BALANCE,
            })
            .collect(),
        validators: vec![],
    };
    std::fs::write(
        dir.path().join("genesis.json"),
        serde_json::to_string(&genesis).unwrap(),
    )
    .unwrap();
    let port = free_port();
    let config = dir.path().join("node.toml");
    std::fs::write(&config, format!("data_dir = \"data\"\ngenesis_file = \"genesis.json\"\nlisten = \"127.0.0.1:{port}\"\nblock_interval_ms = 2\n")).unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let client = Client::new(&url);

    let acked: Arc<Mutex<Vec<TxId>>> = Arc::default();
    let sent: Arc<Mutex<Vec<TxId>>> = Arc::default();
    for round in 0..2u64 {
        let mut node = spawn_node(&config);
        wait_healthy(&client);
        // Load: 4 submitters, each owning 16 accounts, sending batches and waiting for commit.
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let (keys, params, url, stop, acked, sent) = (
                    keys.clone(),
                    params.clone(),
                    url.clone(),
                    stop.clone(),
                    acked.clone(),
                    sent.clone(),
                );
                std::thread::spawn(move || {
                    let c = Client::new(&url);
                    let mine: Vec<&Keypair> = keys.iter().skip(w * 16).take(16).collect();
                    let mut nonces: Vec<u64> = mine
                        .iter()
                        .map(|k| c.account(&k.address(), None).map(|a| a.account.nonce).unwrap_or(0))
                        .collect();
                    while !stop.load(Ordering::Relaxed) {
                        let batch: Vec<_> = mine
                            .iter()
                            .enumerate()
                            .flat_map(|(i, k)| {
                                let n0 = nonces[i];
                                (0..8u64).map(move |j| (i, k, n0 + j))
                            })
                            .map(|(i, k, n)| {
                                sign_with_fee(
                                    k,
                                    "sinew-crash",
                                    n,
                                    Transfer {
                                        to: keys[(w * 16 + i + 17) % ACCOUNTS].address(),
                                        amount: 1 + n as u128,
                                    }
                                    .into(),
                                    &params,
                                )
                            })
                            .collect();
                        sent.lock().unwrap().extend(batch.iter().map(|t| t.tx.id()));
                        match c.submit_batch(&batch, true) {
                            Ok(r) => {
                                for res in &r.results {
                                    assert_eq!(
                                        res.status(),
                                        "committed",
                                        "under load every valid transfer commits: {res:?}"
                                    );
                                    acked.lock().unwrap().push(res.tx_id);
                                }
                                for n in nonces.iter_mut() {
                                    *n += 8;
                                }
                            }
                            Err(_) => return, // the node died
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(700 + 400 * round));
        node.kill().unwrap(); // SIGKILL
        node.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.join().unwrap();
        }
        assert!(acked.lock().unwrap().len() > 100, "the load got going before the kill");

        // Restart and check.
        let mut node = spawn_node(&config);
        wait_healthy(&client);
        for id in acked.lock().unwrap().iter() {
            let s = client.tx(id).unwrap();
            assert_eq!(s.status(), "committed", "acknowledged tx {id} lost after kill -9");
        }
        let acked_set: std::collections::HashSet<TxId> = acked.lock().unwrap().iter().copied().collect();
        let unacked: Vec<TxId> = sent
            .lock()
            .unwrap()
            .iter()
            .filter(|id| !acked_set.contains(id))
            .copied()
            .collect();
        eprintln!(
            "round {round}: {} acknowledged, {} in flight at the kill",
            acked_set.len(),
            unacked.len()
        );
        for id in &unacked {
            match client.tx(id) {
                Ok(s) => assert_eq!(s.status(), "committed", "tx {id}: {s:?}"),
                Err(sinew_sdk::SdkError::Api { status: 404, .. }) => {}
                Err(e) => panic!("{e}"),
            }
        }
        let mut total: u128 = keys
            .iter()
            .map(|k| client.account(&k.address(), None).unwrap().account.balance)
            .sum();
        total += client.account(&treasury(), None).unwrap().account.balance;
        assert_eq!(total, BALANCE * ACCOUNTS as u128, "supply intact: nothing half-applied");
        node.kill().unwrap();
        node.wait().unwrap();
    }
    // Replay from genesis reproduces every state root.
    let out = Command::new(SINEW)
        .args(["replay", "--data-dir"])
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "replay failed: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("every state root matches"), "{text}");
}

#[test]
fn a_node_killed_mid_upload_shows_no_partial_blob() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let key = Keypair::dev("upload-crash");
    let genesis = Genesis {
        chain_id: "sinew-upload".into(),
        timestamp_ms: 0,
        params: Params::default_for(key.address()),
        accounts: vec![GenesisAccount {
            address: key.address(),
            balance: 1,
        }],
        validators: vec![],
    };
    std::fs::write(
        dir.path().join("genesis.json"),
        serde_json::to_string(&genesis).unwrap(),
    )
    .unwrap();
    let port = free_port();
    let config = dir.path().join("node.toml");
    std::fs::write(
        &config,
        format!("data_dir = \"data\"\ngenesis_file = \"genesis.json\"\nlisten = \"127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    let client = Client::new(&format!("http://127.0.0.1:{port}"));
    let mut node = spawn_node(&config);
    wait_healthy(&client);
    let full = vec![42u8; 4 << 20];
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "PUT /v1/blobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        full.len()
    )
    .unwrap();
    s.write_all(&full[..1 << 20]).unwrap();
    s.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let tmp = dir.path().join("data/blobs/tmp");
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 1, "the upload is under way");
    node.kill().unwrap();
    node.wait().unwrap();
    drop(s);
    let mut node = spawn_node(&config);
    wait_healthy(&client);
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "the partial upload was swept"
    );
    let id = sinew_types::Hash::of(&full);
    match client.get::<serde_json::Value>(&format!("/v1/blobs/{id}")) {
        Err(sinew_sdk::SdkError::Api { status: 404, .. }) => {}
        other => panic!("a partial blob is visible: {other:?}"),
    }
    // The same upload completes after the restart.
    let sinew_sdk::answers::BlobStored { blob: got, size } =
        client.upload_blob(&full[..], Some(full.len() as u64)).unwrap();
    assert_eq!((got, size), (id, full.len() as u64));
    node.kill().unwrap();
    node.wait().unwrap();
}
