//! The OpenAI-compatible gateway on loopback: the built-in model answers, attributes and settles
//! (exactly once, for exactly the fee); an upstream server is called with adapter routing and its
//! failures charge nothing; every bad request gets a clear error and changes no state.

mod common;

use common::{Options, TestNode, USER_KEY};
use serde_json::{json, Value};
use sinew_state::inference::api_key_hash;
use sinew_types::inference::KeyScope;
use sinew_types::payload::{
    RegisterApiKey, RegisterProvider, ReserveInference, RevokeApiKey, ServeModel, SettleInference, Stake, Transfer,
    WithdrawPrepaid,
};
use sinew_types::Hash;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

/// POSTs JSON with an optional bearer key: (status, body).
fn post(n: &TestNode, path: &str, key: Option<&str>, body: &str) -> (u16, Value) {
    let mut req = ureq::post(&format!("{}{path}", n.url())).set("content-type", "application/json");
    if let Some(k) = key {
        req = req.set("authorization", &format!("Bearer {k}"));
    }
    match req.send_string(body) {
        Ok(r) => {
            let status = r.status();
            let text = r.into_string().unwrap();
            (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
        }
        Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap()),
        Err(e) => panic!("{e}"),
    }
}

fn chat(model: &str, content: &str, max_tokens: u64) -> String {
    json!({ "model": model, "messages": [{ "role": "user", "content": content }], "max_tokens": max_tokens })
        .to_string()
}

#[test]
fn the_builtin_model_answers_attributes_and_settles_once() {
    let n = TestNode::start_with(Options {
        provider: Some(3),
        ..Options::default()
    });
    n.setup_inference("builtin");
    let models: Value = n.client.get("/v1/models").unwrap();
    assert_eq!(models["data"][0]["id"], "river-lm");
    assert_eq!(models["data"][0]["sinew"]["datanets"], json!([[0, 1]]));

    let (status, a) = post(
        &n,
        "/v1/chat/completions",
        Some(USER_KEY),
        &chat("river-lm", "The Danube flows", 60),
    );
    assert_eq!(status, 200, "{a}");
    let text = a["choices"][0]["message"]["content"].as_str().unwrap().to_string();
    assert!(text.starts_with(" through ten countries"), "{text:?}");
    assert_eq!(a["usage"]["completion_tokens"], text.len() as u64, "byte tokens");
    let sinew = &a["sinew"];
    assert!(!sinew["spans"].as_array().unwrap().is_empty(), "{sinew}");
    assert_eq!(sinew["weights"][0]["contributor"], n.keys[1].address().to_string());
    assert_eq!(sinew["weights"][0]["ppm"], 1_000_000);
    let fee: u128 = sinew["fee"].as_str().unwrap().parse().unwrap();
    // ceil((17 * 1000 + 60 * 2000) / 1000) + platform fee 10
    assert_eq!(fee, (17 * 1000 + 60 * 2000u128).div_ceil(1000) + 10);
    n.wait_tx(sinew["settlement_tx"].as_str().unwrap());
    let (prepaid, _) = n.inference_account(2);
    assert_eq!(prepaid, 1_000_000 - fee, "charged exactly the fee");
    let (_, rewards) = n.inference_account(1);
    let parts = sinew_types::inference::split_exact(fee - 10, &[2_000, 3_000, 5_000]);
    assert_eq!(parts.iter().sum::<u128>(), fee - 10);
    assert_eq!(
        rewards, parts[2],
        "half of the fee after the platform fee (largest remainder), to the contributor"
    );

    // Streaming gives the same (greedy) answer in chunks, then the attribution, then [DONE].
    let body = json!({ "model": "river-lm", "messages": [{ "role": "user", "content": "The Danube flows" }],
                       "max_tokens": 60, "stream": true, "stream_options": { "include_usage": true } });
    let r = ureq::post(&format!("{}/v1/chat/completions", n.url()))
        .set("authorization", &format!("Bearer {USER_KEY}"))
        .send_string(&body.to_string())
        .unwrap();
    assert!(r.header("content-type").unwrap().starts_with("text/event-stream"));
    let events: Vec<String> = r
        .into_string()
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("data: ").map(str::to_string))
        .collect();
    assert_eq!(events.last().unwrap(), "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    let streamed: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(streamed, text);
    assert!(chunks.iter().any(|c| c["sinew"]["receipt_id"].is_string()));
    assert_eq!(chunks.last().unwrap()["usage"]["completion_tokens"], 60);
    let second = chunks
        .iter()
        .find_map(|c| c["sinew"]["settlement_tx"].as_str())
        .unwrap();
    n.wait_tx(second);

    // /v1/completions goes through the same pipeline.
    let (status, c) = post(
        &n,
        "/v1/completions",
        Some(USER_KEY),
        &json!({ "model": "river-lm", "prompt": "The Rhine carries", "max_tokens": 20 }).to_string(),
    );
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["object"], "text_completion");
    assert!(c["choices"][0]["text"].as_str().unwrap().starts_with(" barges"));
    n.wait_tx(c["sinew"]["settlement_tx"].as_str().unwrap());

    // A replayed settlement is not even included; a forged or stale receipt fails in the block.
    let request_id: Hash = sinew["request_id"].as_str().unwrap().parse().unwrap();
    let receipt: Hash = sinew["receipt_id"].as_str().unwrap().parse().unwrap();
    let settle = |request_id: Hash, receipt: Hash| {
        SettleInference {
            request_id,
            answer: text.clone(),
            receipt,
        }
        .into()
    };
    assert_eq!(n.outcome(3, settle(request_id, receipt)), "no_reservation");
    n.ok(
        3,
        ReserveInference {
            api_key: api_key_hash(USER_KEY),
            request_id: Hash::of(b"fresh"),
            model: 0,
            prompt_hash: Hash::of(b"p"),
            input_tokens: 17,
            max_output_tokens: 60,
            max_fee: 1_000,
            voucher: None,
        }
        .into(),
    );
    assert_eq!(
        n.outcome(3, settle(Hash::of(b"fresh"), Hash::of(b"forged"))),
        "receipt_mismatch"
    );
    let stale: Hash = c["sinew"]["receipt_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        n.outcome(3, settle(Hash::of(b"fresh"), stale)),
        "receipt_mismatch",
        "a receipt of another answer"
    );
    // A provider that is not the key's cannot even reserve against it.
    n.ok(4, Stake { amount: 10_000 }.into());
    n.ok(
        4,
        RegisterProvider {
            name: "stranger".into(),
            endpoint: "builtin".into(),
        }
        .into(),
    );
    assert_eq!(
        n.outcome(
            4,
            ReserveInference {
                api_key: api_key_hash(USER_KEY),
                request_id: Hash::of(b"theft"),
                model: 0,
                prompt_hash: Hash::of(b"p"),
                input_tokens: 1,
                max_output_tokens: 1,
                max_fee: 1_000,
                voucher: None,
            }
            .into()
        ),
        "not_provider"
    );
    // Lineage both ways.
    let by_datanet: Value = n.client.get("/v1/datanets/0/models").unwrap();
    assert_eq!(by_datanet["models"][0]["info"]["name"], "river-lm");
    let model: Value = n.client.get("/v1/registry/models/0").unwrap();
    assert_eq!(model["lineage"][0]["details"]["contributions"], 1);
    assert_eq!(model["model"]["answers"], 3);
}

#[test]
fn a_node_storing_compressed_indexes_answers_and_attributes_the_same() {
    let run = |mode: sinew_attribution::IndexMode| {
        let n = TestNode::start_with(Options {
            provider: Some(3),
            index_mode: Some(mode),
            ..Options::default()
        });
        n.setup_inference("builtin");
        let (status, a) = post(
            &n,
            "/v1/chat/completions",
            Some(USER_KEY),
            &chat("river-lm", "The Danube flows", 60),
        );
        assert_eq!(status, 200, "{mode}: {a}");
        let mut files: Vec<String> = std::fs::read_dir(n.dir.path().join("node").join("indexes"))
            .unwrap()
            .filter_map(|e| e.unwrap().path().extension().map(|x| x.to_string_lossy().into_owned()))
            .collect();
        files.sort();
        files.dedup();
        let s = &a["sinew"];
        let same = [
            a["choices"][0]["message"]["content"].clone(),
            s["receipt_id"].clone(),
            s["index"].clone(),
            s["spans"].clone(),
            s["weights"].clone(),
            s["fee"].clone(),
        ];
        (same, files)
    };
    let (suffix, suffix_files) = run(sinew_attribution::IndexMode::SuffixArray);
    let (compressed, compressed_files) = run(sinew_attribution::IndexMode::Compressed);
    assert_eq!(suffix_files, vec!["shard", "version"]);
    assert_eq!(compressed_files, vec!["fm", "version"]);
    assert!(!suffix[3].as_array().unwrap().is_empty(), "the answer is attributed");
    assert_eq!(compressed, suffix, "same answer, receipt, spans, weights and fee");
}

#[test]
fn bad_requests_get_clear_errors_and_charge_nothing() {
    let n = TestNode::start_with(Options {
        provider: Some(3),
        ..Options::default()
    });
    n.setup_inference("builtin");
    let provider = n.keys[3].address();
    let key = |who: usize, name: &str, scope: KeyScope| {
        n.ok(
            who,
            RegisterApiKey {
                key_hash: api_key_hash(name),
                scope,
            }
            .into(),
        )
    };
    key(4, "sk-empty", KeyScope::provider(provider, 1_000_000));
    key(2, "sk-revoked", KeyScope::provider(provider, 1_000_000));
    n.ok(
        2,
        RevokeApiKey {
            key_hash: api_key_hash("sk-revoked"),
        }
        .into(),
    );
    // Keys whose payer did not consent to this request.
    key(
        2,
        "sk-other-provider",
        KeyScope::provider(n.keys[4].address(), 1_000_000),
    );
    key(
        2,
        "sk-other-model",
        KeyScope {
            models: vec![5],
            ..KeyScope::provider(provider, 1_000_000)
        },
    );
    key(2, "sk-capped", KeyScope::provider(provider, 20));
    key(
        2,
        "sk-voucher",
        KeyScope {
            voucher_key: Some(n.keys[2].address()),
            ..KeyScope::provider(provider, 1_000_000)
        },
    );
    let before = (n.inference_account(2), n.inference_account(4), n.nonce(3));
    let good = chat("river-lm", "The Danube", 10);
    let cases: Vec<(&str, Option<&str>, String, u16, &str)> = vec![
        ("no key", None, good.clone(), 401, "invalid_api_key"),
        ("wrong key", Some("sk-wrong"), good.clone(), 401, "invalid_api_key"),
        ("revoked key", Some("sk-revoked"), good.clone(), 401, "invalid_api_key"),
        (
            "key for another provider",
            Some("sk-other-provider"),
            good.clone(),
            403,
            "key_scope",
        ),
        (
            "key for another model",
            Some("sk-other-model"),
            good.clone(),
            403,
            "key_scope",
        ),
        (
            "over the per-request cap",
            Some("sk-capped"),
            good.clone(),
            403,
            "key_scope",
        ),
        (
            "voucher key without a voucher",
            Some("sk-voucher"),
            good.clone(),
            403,
            "key_scope",
        ),
        (
            "unknown model",
            Some(USER_KEY),
            chat("gpt-17", "hi", 10),
            404,
            "model_not_found",
        ),
        (
            "no prepaid balance",
            Some("sk-empty"),
            good.clone(),
            402,
            "insufficient_quota",
        ),
        (
            "oversized prompt",
            Some(USER_KEY),
            chat("river-lm", &"x".repeat(40_000), 10),
            400,
            "invalid_request",
        ),
        (
            "max_tokens 0",
            Some(USER_KEY),
            chat("river-lm", "a", 0),
            400,
            "invalid_request",
        ),
        (
            "max_tokens too large",
            Some(USER_KEY),
            chat("river-lm", "a", 100_000),
            400,
            "invalid_request",
        ),
        (
            "temperature out of range",
            Some(USER_KEY),
            json!({ "model": "river-lm", "messages": [{ "role": "user", "content": "a" }], "temperature": 7 })
                .to_string(),
            400,
            "invalid_request",
        ),
        (
            "n = 2",
            Some(USER_KEY),
            json!({ "model": "river-lm", "messages": [{ "role": "user", "content": "a" }], "n": 2 }).to_string(),
            400,
            "invalid_request",
        ),
        (
            "no messages",
            Some(USER_KEY),
            json!({ "model": "river-lm", "messages": [] }).to_string(),
            400,
            "invalid_request",
        ),
        (
            "bad role",
            Some(USER_KEY),
            json!({ "model": "river-lm", "messages": [{ "role": "king", "content": "a" }] }).to_string(),
            400,
            "invalid_request",
        ),
        (
            "malformed JSON",
            Some(USER_KEY),
            "{\"model\":".into(),
            400,
            "invalid_request",
        ),
    ];
    for (what, key, body, status, code) in cases {
        let (s, v) = post(&n, "/v1/chat/completions", key, &body);
        assert_eq!((s, v["error"]["code"].as_str()), (status, Some(code)), "{what}: {v}");
        assert!(!v["error"]["message"].as_str().unwrap().is_empty(), "{what}");
    }
    assert!(
        post(&n, "/v1/chat/completions", Some("sk-revoked"), &good).1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
    assert_eq!(
        (n.inference_account(2), n.inference_account(4), n.nonce(3)),
        before,
        "no charge, no settlement"
    );
    // A node without a provider key serves no models.
    let plain = TestNode::start();
    let (s, v) = post(&plain, "/v1/chat/completions", Some(USER_KEY), &good);
    assert_eq!((s, v["error"]["code"].as_str()), (503, Some("not_serving")));
}

/// A minimal OpenAI-compatible upstream: mode 0 answers, 1 is too slow, 2 fails, 3 answers
/// garbage, 4 lies about its token counts, 5 answers after 700 ms.
fn mock_upstream(rt: &tokio::runtime::Runtime, mode: Arc<AtomicU8>, seen: Arc<Mutex<Vec<String>>>) -> String {
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |axum::Json(body): axum::Json<Value>| {
            let mode = mode.clone();
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(body["model"].as_str().unwrap_or("").to_string());
                let answer = "The Danube flows through ten countries before it reaches the Black Sea.";
                let ok = json!({ "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                    "choices": [{ "index": 0, "message": { "role": "assistant", "content": answer }, "finish_reason": "stop" }],
                    "usage": { "prompt_tokens": 5, "completion_tokens": answer.len(), "total_tokens": 5 + answer.len() } });
                match mode.load(Ordering::SeqCst) {
                    0 => (axum::http::StatusCode::OK, axum::Json(ok)),
                    1 => {
                        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                        (axum::http::StatusCode::OK, axum::Json(ok))
                    }
                    2 => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({ "error": "boom" }))),
                    3 => (axum::http::StatusCode::OK, axum::Json(json!({ "choices": [] }))),
                    5 => {
                        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
                        (axum::http::StatusCode::OK, axum::Json(ok))
                    }
                    _ => {
                        let mut lie = ok;
                        lie["usage"]["completion_tokens"] = json!(1_000_000);
                        (axum::http::StatusCode::OK, axum::Json(lie))
                    }
                }
            }
        }),
    );
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[test]
fn upstream_providers_are_routed_by_adapter_and_their_failures_charge_nothing() {
    let n = TestNode::start_with(Options {
        provider: Some(3),
        upstream_timeout_ms: Some(500),
        ..Options::default()
    });
    let mode = Arc::new(AtomicU8::new(0));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let url = mock_upstream(&n.rt, mode.clone(), seen.clone());
    n.setup_inference(&url);
    let (s, a) = post(
        &n,
        "/v1/chat/completions",
        Some(USER_KEY),
        &chat("river-lm", "Tell me about the Danube", 64),
    );
    assert_eq!(s, 200, "{a}");
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["rivers-adapter"],
        "routed to the adapter"
    );
    let text = a["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(text.starts_with("The Danube flows"));
    assert_eq!(
        a["sinew"]["weights"][0]["ppm"], 1_000_000,
        "upstream answers are attributed too"
    );
    n.wait_tx(a["sinew"]["settlement_tx"].as_str().unwrap());
    let before = n.inference_account(2);
    for (m, status, code) in [
        (1, 504, "upstream_timeout"),
        (2, 502, "upstream_error"),
        (3, 502, "upstream_error"),
        (4, 502, "upstream_error"),
    ] {
        mode.store(m, Ordering::SeqCst);
        let (s, v) = post(
            &n,
            "/v1/chat/completions",
            Some(USER_KEY),
            &chat("river-lm", "Danube?", 64),
        );
        assert_eq!((s, v["error"]["code"].as_str()), (status, Some(code)), "mode {m}: {v}");
    }
    assert_eq!(n.inference_account(2), before, "nothing charged");
    // Each failed request's hold was given back by the gateway.
    for _ in 0..500 {
        if n.held(2) == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(n.held(2), 0, "holds released");
    // And the upstream recovers.
    mode.store(0, Ordering::SeqCst);
    let (s, _) = post(
        &n,
        "/v1/chat/completions",
        Some(USER_KEY),
        &chat("river-lm", "Danube?", 64),
    );
    assert_eq!(s, 200);
}

/// Issue 10, hole 8: a caller used to revoke its key or withdraw while its answer was being
/// generated, get an error, and read the answer from the failed settlement in the block. Now the
/// request's funds are held on the ledger before the provider answers: the settlement goes
/// through whatever the caller does meanwhile.
#[test]
fn a_caller_cannot_escape_paying_for_a_request_in_flight() {
    let n = TestNode::start_with(Options {
        provider: Some(3),
        upstream_timeout_ms: Some(5_000),
        ..Options::default()
    });
    let mode = Arc::new(AtomicU8::new(5));
    let url = mock_upstream(&n.rt, mode, Arc::new(Mutex::new(Vec::new())));
    n.setup_inference(&url);
    let (prepaid_before, _) = n.inference_account(2);
    let base = n.url().to_string();
    let request = std::thread::spawn(move || {
        let r = ureq::post(&format!("{base}/v1/chat/completions"))
            .set("authorization", &format!("Bearer {USER_KEY}"))
            .send_string(&chat("river-lm", "Tell me about the Danube", 64));
        match r {
            Ok(r) => (r.status(), r.into_json::<Value>().unwrap()),
            Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap()),
            Err(e) => panic!("{e}"),
        }
    });
    // Once the hold is on the ledger, the caller revokes its key and withdraws all it can.
    let mut held = 0;
    for _ in 0..300 {
        held = n.held(2);
        if held > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(held > 0, "the request's funds are held before the upstream answers");
    n.ok(
        2,
        RevokeApiKey {
            key_hash: api_key_hash(USER_KEY),
        }
        .into(),
    );
    n.ok(
        2,
        WithdrawPrepaid {
            amount: prepaid_before - held,
        }
        .into(),
    );
    let (status, a) = request.join().unwrap();
    assert_eq!(status, 200, "{a}");
    let fee: u128 = a["sinew"]["fee"].as_str().unwrap().parse().unwrap();
    assert!(fee > 0 && fee <= held);
    let (prepaid, _) = n.inference_account(2);
    assert_eq!(
        prepaid,
        prepaid_before - fee,
        "paid (the withdrawal is still on its way)"
    );
    assert_eq!(n.held(2), 0);
    // And the revoked key buys nothing more.
    let (s, v) = post(
        &n,
        "/v1/chat/completions",
        Some(USER_KEY),
        &chat("river-lm", "Danube?", 8),
    );
    assert_eq!((s, v["error"]["code"].as_str()), (401, Some("invalid_api_key")));
}

/// Issue 10, hole 9: a dropped transaction of the provider used to leave every later one
/// waiting behind its nonce for ever. Now the mempool drops them too (they could never be
/// included), and the gateway re-signs its own.
#[test]
fn a_dropped_transaction_does_not_wedge_the_gateway() {
    let n = TestNode::start_with(Options {
        provider: Some(3),
        ..Options::default()
    });
    n.setup_inference("builtin");
    let nonce = n.nonce(3);
    let sign = |nonce, p| sinew_sdk::sign_with_fee(&n.keys[3], "sinew-test", nonce, p, &n.params);
    // A settlement with no reservation is admitted (no dry run for work it would do) and dropped
    // from the block; the transfer behind it could never be included.
    let lost = sign(
        nonce,
        SettleInference {
            request_id: Hash::of(b"never reserved"),
            answer: "x".into(),
            receipt: Hash::default(),
        }
        .into(),
    );
    let behind = sign(
        nonce + 1,
        Transfer {
            to: n.keys[4].address(),
            amount: 1,
        }
        .into(),
    );
    let r = n.client.submit_batch(&[lost.clone(), behind.clone()], true).unwrap();
    let codes: Vec<String> = r
        .results
        .iter()
        .map(|x| serde_json::to_value(&x.outcome).unwrap().to_string())
        .collect();
    assert!(codes[0].contains("no_reservation"), "{codes:?}");
    assert!(codes[1].contains("predecessor_dropped"), "{codes:?}");
    assert_eq!(n.nonce(3), nonce, "neither was included");
    assert!(matches!(
        n.client.tx(&behind.tx.id()).unwrap().outcome,
        sinew_sdk::SubmitOutcome::Dropped { code, .. } if code == "predecessor_dropped"
    ));
    // The gateway goes on answering.
    for _ in 0..3 {
        let (s, a) = post(
            &n,
            "/v1/chat/completions",
            Some(USER_KEY),
            &chat("river-lm", "The Danube", 16),
        );
        assert_eq!(s, 200, "{a}");
    }
}

/// Issue 10, hole 7, over the API: a model its provider stops serving leaves `/v1/models` and
/// takes no paid request (nobody can make a provider serve, or pay fees for, a model it has not
/// accepted).
#[test]
fn a_model_its_provider_delists_is_neither_listed_nor_served() {
    let n = TestNode::start_with(Options {
        provider: Some(3),
        ..Options::default()
    });
    n.setup_inference("builtin");
    let models: Value = n.client.get("/v1/models").unwrap();
    assert_eq!(models["data"].as_array().unwrap().len(), 1);
    n.ok(3, ServeModel { model: 0, serve: false }.into());
    let models: Value = n.client.get("/v1/models").unwrap();
    assert_eq!(models["data"], json!([]), "{models}");
    let (status, a) = post(
        &n,
        "/v1/chat/completions",
        Some(USER_KEY),
        &chat("river-lm", "The Danube", 8),
    );
    assert_eq!(status, 404, "{a}");
    assert_eq!(a["error"]["code"], "model_not_found", "{a}");
    let (prepaid, _) = n.inference_account(2);
    assert_eq!(prepaid, 1_000_000, "nothing charged");
    assert_eq!(n.held(2), 0, "nothing held");
}

/// Issue 10, hole 9: the provider pays a ledger fee for the reservation and the settlement of
/// every request in flight. A provider whose balance cannot pay them refuses new requests at once
/// (503, retry later) instead of taking them and wedging on settlements it cannot pay for; the
/// caller is charged nothing.
#[test]
fn a_provider_that_cannot_pay_ledger_fees_refuses_requests_up_front() {
    let n = TestNode::start_with(Options {
        provider: Some(3),
        ..Options::default()
    });
    n.setup_inference("builtin");
    let provider = n.client.account(&n.keys[3].address(), None).unwrap().account;
    let keep = n.params.fee_for(200);
    let amount = provider.balance - n.params.fee_for(200) - keep;
    n.ok(
        3,
        Transfer {
            to: n.keys[4].address(),
            amount,
        }
        .into(),
    );
    let left = n.client.account(&n.keys[3].address(), None).unwrap().account.balance;
    assert!(
        left < 2 * keep,
        "{left}: less than the fees of one request's two transactions"
    );
    let (status, a) = post(
        &n,
        "/v1/chat/completions",
        Some(USER_KEY),
        &chat("river-lm", "The Danube", 8),
    );
    assert_eq!(status, 503, "{a}");
    assert_eq!(a["error"]["code"], "provider_unavailable", "{a}");
    let (prepaid, _) = n.inference_account(2);
    assert_eq!(prepaid, 1_000_000, "nothing charged");
    assert_eq!(n.held(2), 0, "nothing held");
}
