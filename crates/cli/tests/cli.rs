//! The CLI end to end: keys, genesis, a node from a config file, transfer, account with proof,
//! offline proof verification (and refusal of a tampered proof), and clear errors.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const SINEW: &str = env!("CARGO_BIN_EXE_sinew");

fn sinew(dir: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(SINEW)
        .arg("--url")
        .arg(url)
        .arg("--keys-dir")
        .arg(dir.join("keys"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "command failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn keys_genesis_node_transfer_and_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let alice = ok(&sinew(d, &url, &["keys", "new", "alice"]));
    ok(&sinew(d, &url, &["keys", "new", "bob"]));
    assert!(alice.split_whitespace().next().unwrap().len() == 64);
    assert!(ok(&sinew(d, &url, &["keys", "list"])).contains("alice"));
    let dup = sinew(d, &url, &["keys", "new", "alice"]);
    assert!(!dup.status.success(), "an existing key is never overwritten");
    // A validator key must hold no funds.
    let funded_validator = sinew(
        d,
        &url,
        &[
            "genesis",
            "--chain-id",
            "cli-test",
            "--authority",
            "alice",
            "--fund",
            "alice=1",
            "--validator",
            "v0=alice",
        ],
    );
    assert!(!funded_validator.status.success());
    assert!(String::from_utf8_lossy(&funded_validator.stderr).contains("also a funded account"));
    ok(&sinew(
        d,
        &url,
        &[
            "genesis",
            "--chain-id",
            "cli-test",
            "--authority",
            "alice",
            "--fund",
            "alice=1000000000",
            "--out",
            d.join("genesis.json").to_str().unwrap(),
        ],
    ));
    std::fs::write(
        d.join("node.toml"),
        format!("data_dir = \"data\"\ngenesis_file = \"genesis.json\"\nlisten = \"127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    let _node = Killed(
        Command::new(SINEW)
            .args(["node", "--config"])
            .arg(d.join("node.toml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let t = Instant::now();
    while !sinew(d, &url, &["block", "latest"]).status.success() {
        assert!(t.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = ok(&sinew(
        d,
        &url,
        &["transfer", "--from", "alice", "--to", "bob", "--amount", "1000"],
    ));
    assert!(out.contains("committed at height 1: success"), "{out}");
    let out = ok(&sinew(d, &url, &["account", "bob"]));
    assert!(out.contains("balance   1000"), "{out}");
    assert!(out.contains("proof     verified"), "{out}");
    // Offline proof check, and a tampered proof refused.
    let json = ok(&sinew(d, &url, &["account", "bob", "--json"]));
    std::fs::write(d.join("proof.json"), &json).unwrap();
    let out = ok(&sinew(
        d,
        &url,
        &["verify-proof", d.join("proof.json").to_str().unwrap()],
    ));
    assert!(out.contains("valid") && out.contains("balance 1000"), "{out}");
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let value = v["proof"]["value"].as_str().unwrap().to_string();
    let mut bytes = hex::decode(&value).unwrap();
    bytes[0] ^= 1; // change the balance
    v["proof"]["value"] = serde_json::Value::String(hex::encode(bytes));
    std::fs::write(d.join("forged.json"), v.to_string()).unwrap();
    let forged = sinew(d, &url, &["verify-proof", d.join("forged.json").to_str().unwrap()]);
    assert!(!forged.status.success());
    assert!(String::from_utf8_lossy(&forged.stderr).contains("invalid state proof"));
    // Clear errors.
    let broke = sinew(
        d,
        &url,
        &["transfer", "--from", "bob", "--to", "alice", "--amount", "1"],
    );
    assert!(!broke.status.success());
    assert!(
        String::from_utf8_lossy(&broke.stderr).contains("cannot pay the fee"),
        "{}",
        String::from_utf8_lossy(&broke.stderr)
    );
    let nokey = sinew(
        d,
        &url,
        &["transfer", "--from", "carol", "--to", "alice", "--amount", "1"],
    );
    assert!(String::from_utf8_lossy(&nokey.stderr).contains("no key \"carol\""));
}

#[test]
fn devnet_demo_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(SINEW)
        .args(["devnet", "--demo", "--exit", "--listen", "127.0.0.1:0", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = ok(&out);
    assert!(text.contains("4000 of 4000 committed"), "{text}");
    assert!(text.contains("(nonce_too_low)"), "{text}");
    assert!(text.contains("proven against state root"), "{text}");
    assert!(text.contains("one unit higher: rejected"), "{text}");
    assert!(text.contains("rivers.md again from dev2: refused"), "{text}");
    assert!(text.contains("1 flagged as near-duplicates"), "{text}");
    assert!(
        text.contains("published version 1: 3 contributions, 32 records"),
        "{text}"
    );
    assert!(text.contains("A: \" many small streams in high ground."), "{text}");
    assert!(text.contains("gets 100.00% of the contributors' share"), "{text}");
    assert!(text.contains("dev1 claimed its rewards"), "{text}");
    assert!(
        text.contains("the auditor recomputed the attribution, challenged, and won"),
        "{text}"
    );
    let honest = text
        .lines()
        .find(|l| l.contains("honest worker  "))
        .expect("reputation table");
    assert!(honest.contains("completed 2 failed 0"), "{honest}");
    // The chain it left behind re-executes from genesis to the same roots.
    let replay = ok(&Command::new(SINEW)
        .args(["replay", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap());
    assert!(replay.contains("every state root matches"), "{replay}");
}

#[test]
fn index_query_attribute_and_check_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/datanet");
    let idx = d.join("s.idx");
    let run = |args: &[&str]| Command::new(SINEW).args(args).output().unwrap();
    let out = ok(&run(&["index", "build", "--out", idx.to_str().unwrap(), samples]));
    assert!(out.contains("bytes per token"), "{out}");
    assert!(ok(&run(&["index", "info", idx.to_str().unwrap()])).contains("checksums ok"));
    assert_eq!(
        ok(&run(&["query", "count", idx.to_str().unwrap(), "estuary"])).trim(),
        "1"
    );
    assert!(ok(&run(&["query", "find", idx.to_str().unwrap(), "delta"])).contains("[delta]"));
    let answer = d.join("answer.txt");
    std::fs::write(
        &answer,
        "Notably, the land that drains into one river is called its basin, as everyone says.",
    )
    .unwrap();
    let text = ok(&run(&[
        "attribute",
        idx.to_str().unwrap(),
        "--file",
        answer.to_str().unwrap(),
        "--min-len",
        "20",
    ]));
    assert!(
        text.contains("land that drains into one river is called its basin"),
        "{text}"
    );
    assert!(text.contains("100.0000%"), "one contribution takes it all: {text}");
    let receipt = d.join("r.json");
    std::fs::write(
        &receipt,
        ok(&run(&[
            "attribute",
            idx.to_str().unwrap(),
            "--file",
            answer.to_str().unwrap(),
            "--min-len",
            "20",
            "--json",
        ])),
    )
    .unwrap();
    assert!(ok(&run(&[
        "attribution",
        "verify",
        idx.to_str().unwrap(),
        receipt.to_str().unwrap(),
        "--answer",
        answer.to_str().unwrap()
    ]))
    .contains("verified"));
    assert!(ok(&run(&[
        "attribution",
        "recompute",
        idx.to_str().unwrap(),
        receipt.to_str().unwrap(),
        "--answer",
        answer.to_str().unwrap()
    ]))
    .contains("identical"));
    // A forged receipt (weights moved) fails recomputation.
    let mut r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&receipt).unwrap()).unwrap();
    r["weights"][0][1] = serde_json::json!(999_999);
    std::fs::write(&receipt, r.to_string()).unwrap();
    let bad = run(&[
        "attribution",
        "recompute",
        idx.to_str().unwrap(),
        receipt.to_str().unwrap(),
        "--answer",
        answer.to_str().unwrap(),
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("differs"));
}

#[test]
fn inference_commands_against_a_serving_devnet() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(SINEW)
        .args(["devnet", "--demo", "--listen", &format!("127.0.0.1:{port}"), "--dir"])
        .arg(d)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _node = Killed(child);
    let mut lines = std::io::BufReader::new(stdout).lines();
    let mut api_key = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.split("registered API key ").nth(1) {
            api_key = rest.split_whitespace().next().unwrap().to_string();
        }
        if line.contains("serving until Ctrl-C") {
            break;
        }
    }
    assert!(api_key.starts_with("sk-sinew-"), "the demo printed its key");
    let run = |args: &[&str]| sinew(d, &url, args);
    assert!(ok(&run(&["model", "list"])).contains("rivers-lm-0"));
    assert!(ok(&run(&["model", "show", "0"])).contains("lineage"));
    assert!(ok(&run(&["provider", "list"])).contains("devnet gateway"));
    ok(&run(&[
        "provider",
        "delegate",
        "--from",
        "dev1",
        "--provider",
        "dev3",
        "--amount",
        "1000000",
    ]));
    assert!(ok(&run(&["provider", "list"])).contains("\"amount\": \"1000000\""));
    let bad = run(&[
        "provider",
        "undelegate",
        "--from",
        "dev2",
        "--provider",
        "dev3",
        "--amount",
        "1",
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no_stake"), "{bad:?}");
    assert!(ok(&run(&["model", "list", "--datanet", "0"])).contains("rivers-lm-0"));
    // A key that another provider may charge does not work with this gateway.
    let elsewhere = ok(&run(&[
        "apikey",
        "create",
        "--from",
        "dev1",
        "--provider",
        "dev2",
        "--max-fee",
        "1000000000000000",
    ]));
    let elsewhere = elsewhere
        .split("API key")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_string();
    let created = ok(&run(&[
        "apikey",
        "create",
        "--from",
        "dev1",
        "--provider",
        "dev3",
        "--max-fee",
        "1000000000000000",
        "--spend-limit",
        "5000000000000000",
    ]));
    let key = created
        .split("API key")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_string();
    ok(&run(&[
        "prepaid",
        "deposit",
        "--from",
        "dev1",
        "--amount",
        "1000000000000000000",
    ]));
    assert!(ok(&run(&["prepaid", "show", "dev1"])).contains("prepaid 1 "));
    // The new key works with the gateway.
    // The gateway's answer: its HTTP status.
    let chat = |k: &str| -> u16 {
        match ureq::post(&format!("{url}/v1/chat/completions"))
            .set("authorization", &format!("Bearer {k}"))
            .send_json(serde_json::json!({ "model": "rivers-lm-0", "max_tokens": 8,
                "messages": [{ "role": "user", "content": "Lakes are" }] }))
        {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(code, _)) => code,
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(chat(&key), 200);
    assert_eq!(chat(&elsewhere), 403, "the payer did not name this provider");
    assert!(ok(&run(&["rewards", "show", "dev2"])).contains("claimable rewards"));
    ok(&run(&["rewards", "claim", "--from", "dev2"]));
    let again = run(&["rewards", "claim", "--from", "dev2"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing_to_claim"));
    let bad = run(&[
        "model",
        "register",
        "--from",
        "dev0",
        "--name",
        "x",
        "--datanet",
        "0:1",
        "--provider",
        "dev3",
        "--split",
        "5000,5000,1",
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("10000"), "{bad:?}");
    ok(&run(&["apikey", "revoke", "--from", "dev1", "--key", &key]));
    assert_eq!(chat(&key), 401);
    ok(&run(&[
        "model", "update", "--from", "dev0", "--model", "0", "--status", "paused",
    ]));
    assert_eq!(chat(&api_key), 404);
}
