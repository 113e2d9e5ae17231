//! API tests against a running node on loopback: the happy path, every kind of bad input (clear
//! error, nothing changed), proofs, blocks, the event stream, metrics and the OpenAPI document.

use serde_json::Value;
use sinew_node::NodeConfig;
use sinew_sdk::{sign_with_fee, Client, SdkError};
use sinew_state::{verify_proof, StateProof};
use sinew_testkit::test_genesis;
use sinew_types::api::Route;
use sinew_types::payload::{SetParams, Stake, Transfer};
use sinew_types::{Address, Keypair, Params, SignedTransaction, Transaction};
use std::io::{BufRead, BufReader};
use std::time::Duration;

struct TestNode {
    rt: tokio::runtime::Runtime,
    running: Option<sinew_node::RunningNode>,
    url: String,
    keys: Vec<Keypair>,
    params: Params,
    _dir: tempfile::TempDir,
}

impl TestNode {
    fn start() -> TestNode {
        let dir = tempfile::tempdir().unwrap();
        let (genesis, keys) = test_genesis(4, 1_000_000_000);
        let mut config = NodeConfig::new(dir.path().to_path_buf());
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.block_interval_ms = 5;
        let rt = tokio::runtime::Runtime::new().unwrap();
        let running = rt.block_on(sinew_node::start(config, Some(genesis.clone()))).unwrap();
        let url = running.url();
        TestNode {
            rt,
            running: Some(running),
            url,
            keys,
            params: genesis.params,
            _dir: dir,
        }
    }

    fn client(&self) -> Client {
        Client::new(&self.url)
    }

    fn transfer(&self, from: usize, nonce: u64, amount: u128) -> SignedTransaction {
        sign_with_fee(
            &self.keys[from],
            "sinew-test",
            nonce,
            Transfer {
                to: self.keys[(from + 1) % 4].address(),
                amount,
            }
            .into(),
            &self.params,
        )
    }

    fn raw(&self, method: &str, path: &str, ctype: &str, body: &[u8]) -> (u16, Value) {
        let req = ureq::request(method, &format!("{}{path}", self.url)).set("content-type", ctype);
        let r = if method == "GET" {
            req.call()
        } else {
            req.send_bytes(body)
        };
        match r {
            Ok(resp) => (resp.status(), resp.into_json().unwrap_or(Value::Null)),
            Err(ureq::Error::Status(s, resp)) => (s, resp.into_json().unwrap_or(Value::Null)),
            Err(e) => panic!("transport: {e}"),
        }
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.shutdown()).unwrap();
        }
    }
}

#[test]
fn submit_commit_query_and_prove() {
    let n = TestNode::start();
    let c = n.client();
    let h = c.health().unwrap();
    assert_eq!(h.status, "ok");
    assert_eq!(h.chain_id, "sinew-test");
    let tx = n.transfer(0, 0, 777);
    let r = c.submit(&tx, true).unwrap();
    assert_eq!(r.status(), "committed", "{r:?}");
    let height = r.height().unwrap();
    assert_eq!(r.receipt().unwrap().status, sinew_types::TxStatus::Success);
    // Status endpoint agrees.
    let s = c.tx(&r.tx_id).unwrap();
    assert_eq!(s.status(), "committed");
    assert_eq!(s.height(), Some(height));
    // Account with proof, verified offline.
    let v = c.account(&n.keys[1].address(), None).unwrap();
    assert_eq!(v.account.balance, 1_000_000_777);
    let proof = StateProof(hex::decode(&v.proof.proof).unwrap());
    let value = hex::decode(v.proof.value.as_ref().unwrap()).unwrap();
    let key = hex::decode(&v.proof.key).unwrap();
    verify_proof(v.proof.state_root, &key, Some(&value), &proof).unwrap();
    // The state root in the proof is the one in the block header.
    let b = c.block(&v.proof.height.to_string()).unwrap();
    assert_eq!(b.header.state_root, v.proof.state_root);
    let by_hash = c.block(&b.hash.to_string()).unwrap();
    assert_eq!(by_hash.header, b.header);
    let tb = c.block(&height.to_string()).unwrap();
    assert_eq!(tb.tx_ids[0], r.tx_id);
    let receipts = c.receipts(&height.to_string()).unwrap();
    assert_eq!(receipts.receipts[0].tx_id, r.tx_id);
    // A proof at an earlier height shows the earlier balance.
    let old = c.account(&n.keys[1].address(), Some(0)).unwrap();
    assert_eq!(old.account.balance, 1_000_000_000);
    // An absent account is proven absent.
    let ghost = c.account(&Address([42; 32]), None).unwrap();
    assert!(!ghost.exists);
    verify_proof(
        ghost.proof.state_root,
        &hex::decode(&ghost.proof.key).unwrap(),
        None,
        &StateProof(hex::decode(&ghost.proof.proof).unwrap()),
    )
    .unwrap();
    // Any state key can be proven: the governance parameters, for one.
    let key = sinew_state::StateKey::Params.encode();
    let pv: Value = c.get(&format!("/v1/state/{}", hex::encode(&key))).unwrap();
    let value = hex::decode(pv["value"].as_str().unwrap()).unwrap();
    let root: sinew_types::Hash = pv["state_root"].as_str().unwrap().parse().unwrap();
    verify_proof(
        root,
        &key,
        Some(&value),
        &StateProof(hex::decode(pv["proof"].as_str().unwrap()).unwrap()),
    )
    .unwrap();
    let params: Params = borsh::from_slice(&value).unwrap();
    assert_eq!(params, n.params);
    // JSON batch and binary batch.
    let batch: Vec<_> = (1..4).map(|i| n.transfer(0, i, 1)).collect();
    let (st, v) = n.raw(
        "POST",
        "/v1/txs/batch?wait=commit",
        "application/json",
        &serde_json::to_vec(&batch[..1]).unwrap(),
    );
    assert_eq!(st, 200);
    assert_eq!(v["results"][0]["status"], "committed");
    let br = c.submit_batch(&batch[1..], true).unwrap();
    assert_eq!(br.accepted, 2);
    assert!(br.results.iter().all(|r| r.status() == "committed"));
    assert_eq!(c.account(&n.keys[0].address(), None).unwrap().account.nonce, 4);
    // Metrics and OpenAPI.
    let m = ureq::get(&format!("{}/metrics", n.url))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(m.contains("sinew_blocks_committed_total"), "{m}");
    assert!(m.contains("sinew_txs_committed_total 4"), "{m}");
}

#[test]
fn openapi_documents_every_route() {
    let n = TestNode::start();
    let doc = n.client().openapi().unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for r in Route::ALL {
        let (method, path) = r.endpoint();
        assert!(
            paths.get(path).is_some_and(|p| p[method.name()].is_object()),
            "{r:?} ({path}) missing from /openapi.json"
        );
    }
    let served: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        served,
        Route::ALL.len(),
        "the document lists no route the node does not serve"
    );
}

fn code(v: &Value) -> &str {
    v["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {v}"))
}

#[test]
fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let n = TestNode::start();
    let c = n.client();
    c.submit(&n.transfer(0, 0, 5), true).unwrap();
    let before: Vec<_> = n
        .keys
        .iter()
        .map(|k| c.account(&k.address(), None).unwrap().account)
        .collect();
    let head = c.height().unwrap();

    let refused = |tx: &SignedTransaction| -> String {
        let r = c.submit(tx, true).unwrap();
        assert_eq!(r.status(), "refused", "{r:?}");
        r.error().unwrap().code
    };
    // Replay, gap too far, wrong chain, bad signature, fee too low, unknown account, zero, self.
    assert_eq!(refused(&n.transfer(0, 0, 5)), "nonce_too_low");
    assert_eq!(refused(&n.transfer(0, 100_000, 5)), "nonce_too_far_ahead");
    let mut t = n.transfer(0, 1, 5);
    t.tx.chain_id = "elsewhere".into();
    assert_eq!(refused(&n.keys[0].sign(t.tx)), "wrong_chain");
    let mut t = n.transfer(0, 1, 5);
    t.signature.0[10] ^= 0x55;
    assert_eq!(refused(&t), "bad_signature");
    let mut t = n.transfer(0, 1, 5).tx;
    t.max_fee = 1;
    assert_eq!(refused(&n.keys[0].sign(t)), "fee_too_low");
    let stranger = Keypair::dev("stranger");
    let t = sign_with_fee(
        &stranger,
        "sinew-test",
        0,
        Transfer {
            to: n.keys[0].address(),
            amount: 1,
        }
        .into(),
        &n.params,
    );
    assert_eq!(refused(&t), "unknown_account");
    assert_eq!(refused(&n.transfer(0, 1, 0)), "zero_amount");
    let t = sign_with_fee(
        &n.keys[0],
        "sinew-test",
        1,
        Transfer {
            to: n.keys[0].address(),
            amount: 1,
        }
        .into(),
        &n.params,
    );
    assert_eq!(refused(&t), "self_transfer");
    let t = sign_with_fee(
        &n.keys[1],
        "sinew-test",
        0,
        SetParams {
            update: Default::default(),
        }
        .into(),
        &n.params,
    );
    assert_eq!(refused(&t), "not_authority");
    // Oversized transaction (a huge chain id makes it big).
    let big = Transaction {
        chain_id: "x".repeat(70_000),
        signer: n.keys[0].address(),
        nonce: 1,
        max_fee: u128::MAX,
        payload: Stake { amount: 1 }.into(),
    };
    assert_eq!(refused(&n.keys[0].sign(big)), "too_large");
    // Duplicate of a pending transaction (submitted without waiting, with a nonce gap so it stays).
    let pending = n.transfer(2, 5, 1);
    assert_eq!(c.submit(&pending, false).unwrap().status(), "pending");
    assert_eq!(refused(&pending), "duplicate");
    assert_eq!(c.tx(&pending.tx.id()).unwrap().status(), "pending");

    // Malformed requests.
    let (s, v) = n.raw("POST", "/v1/txs", "application/json", b"{not json");
    assert_eq!((s, code(&v)), (400, "bad_json"));
    let mut j = serde_json::to_value(n.transfer(0, 1, 1)).unwrap();
    j["tx"]["surprise"] = Value::Bool(true);
    let (s, v) = n.raw("POST", "/v1/txs", "application/json", &serde_json::to_vec(&j).unwrap());
    assert_eq!((s, code(&v)), (400, "bad_json"));
    let mut j = serde_json::to_value(n.transfer(0, 1, 1)).unwrap();
    j["tx"]["payload"]["amount"] = Value::String("340282366920938463463374607431768211456".into());
    let (s, v) = n.raw("POST", "/v1/txs", "application/json", &serde_json::to_vec(&j).unwrap());
    assert_eq!((s, code(&v)), (400, "bad_json"), "an amount over 2^128 is refused");
    let mut j = serde_json::to_value(n.transfer(0, 1, 1)).unwrap();
    j["tx"]["payload"]["type"] = Value::String("mint".into());
    let (s, v) = n.raw("POST", "/v1/txs", "application/json", &serde_json::to_vec(&j).unwrap());
    assert_eq!((s, code(&v)), (400, "bad_json"), "unknown payload kind");
    let mut j = serde_json::to_value(n.transfer(0, 1, 1)).unwrap();
    j.as_object_mut().unwrap().remove("signature");
    let (s, v) = n.raw("POST", "/v1/txs", "application/json", &serde_json::to_vec(&j).unwrap());
    assert_eq!((s, code(&v)), (400, "bad_json"), "a missing signature");
    let bin = n.transfer(0, 1, 1).encode();
    let (s, v) = n.raw("POST", "/v1/txs", "application/octet-stream", &bin[..bin.len() - 3]);
    assert_eq!((s, code(&v)), (400, "bad_encoding"));
    let mut bad_tag = bin.clone();
    bad_tag[4 + 10 + 32 + 8 + 16] = 99;
    let (s, v) = n.raw("POST", "/v1/txs", "application/octet-stream", &bad_tag);
    assert_eq!((s, code(&v)), (400, "bad_encoding"), "unknown payload tag");
    let (s, v) = n.raw(
        "POST",
        "/v1/txs/batch",
        "application/octet-stream",
        &u32::MAX.to_le_bytes(),
    );
    assert_eq!((s, code(&v)), (413, "too_large"));
    let many = vec![n.transfer(0, 1, 1); 20_001];
    let (s, v) = n.raw(
        "POST",
        "/v1/txs/batch",
        "application/json",
        &serde_json::to_vec(&many).unwrap(),
    );
    assert_eq!((s, code(&v)), (413, "too_large"), "a batch over the count limit");
    let (s, v) = n.raw("POST", "/v1/txs/batch", "application/json", b"[null]");
    assert_eq!((s, code(&v)), (400, "bad_json"), "null is not a transaction");
    let (s, v) = n.raw(
        "POST",
        "/v1/txs?wait=forever",
        "application/json",
        &serde_json::to_vec(&n.transfer(0, 1, 1)).unwrap(),
    );
    assert_eq!((s, code(&v)), (400, "bad_query"));
    let (s, v) = n.raw("GET", "/v1/txs/zz", "", b"");
    assert_eq!((s, code(&v)), (400, "bad_tx_id"));
    let (s, v) = n.raw("GET", &format!("/v1/txs/{}", "ab".repeat(32)), "", b"");
    assert_eq!((s, code(&v)), (404, "not_found"));
    let (s, v) = n.raw("GET", "/v1/accounts/nothex", "", b"");
    assert_eq!((s, code(&v)), (400, "bad_address"));
    let (s, v) = n.raw(
        "GET",
        &format!("/v1/accounts/{}?height=99999", n.keys[0].address()),
        "",
        b"",
    );
    assert_eq!((s, code(&v)), (404, "not_found"));
    let (s, v) = n.raw("GET", "/v1/blocks/99999", "", b"");
    assert_eq!((s, code(&v)), (404, "not_found"));
    let (s, v) = n.raw("GET", "/v1/blocks/banana", "", b"");
    assert_eq!((s, code(&v)), (400, "bad_block_id"));
    let (s, v) = n.raw("GET", "/v1/events?kind=nonsense", "", b"");
    assert_eq!((s, code(&v)), (400, "bad_kind"));
    let (s, v) = n.raw("GET", "/v1/nothing", "", b"");
    assert_eq!((s, code(&v)), (404, "not_found"));

    // Nothing changed: same accounts, no new block.
    std::thread::sleep(Duration::from_millis(50));
    let after: Vec<_> = n
        .keys
        .iter()
        .map(|k| c.account(&k.address(), None).unwrap().account)
        .collect();
    assert_eq!(before, after);
    assert_eq!(c.height().unwrap(), head);
    match c.get::<Value>("/v1/blocks/99999") {
        Err(SdkError::Api { status: 404, .. }) => {}
        other => panic!("expected a 404, got {other:?}"),
    }
}

#[test]
fn event_stream_filters_by_account_and_kind() {
    let n = TestNode::start();
    let watched = n.keys[2].address();
    let url = format!("{}/v1/events?account={watched}&kind=transfer", n.url);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let resp = ureq::get(&url).call().unwrap();
        let mut lines = BufReader::new(resp.into_reader()).lines();
        while let Some(Ok(line)) = lines.next() {
            if let Some(data) = line.strip_prefix("data:") {
                let v: Value = serde_json::from_str(data.trim()).unwrap();
                if tx.send(v).is_err() {
                    return;
                }
            }
        }
    });
    std::thread::sleep(Duration::from_millis(200));
    let c = n.client();
    // Unrelated transfer (0 -> 1) and the watched one (1 -> 2).
    c.submit(&n.transfer(0, 0, 11), true).unwrap();
    c.submit(&n.transfer(1, 0, 22), true).unwrap();
    let ev = rx.recv_timeout(Duration::from_secs(10)).expect("an event arrives");
    assert_eq!(ev["kind"], "transfer");
    assert_eq!(ev["to"], watched.to_string());
    assert_eq!(ev["amount"], "22");
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "fee events and other accounts are filtered out"
    );
}
