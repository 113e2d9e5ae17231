//! End to end with the real `openai` Python package (from PyPI) against a gateway on loopback:
//! models, chat completions (plain and streamed), text completions and error classes, with the
//! answer's attribution read from the extra field and its settlement checked on the ledger.
//!
//! Python with `openai` is taken from `SINEW_OPENAI_PYTHON`, else `/tmp/sinew-openai-venv`. CI
//! installs it and sets `SINEW_REQUIRE_OPENAI=1`, so there the test cannot skip.

mod common;

use common::{Options, TestNode, USER_KEY};
use serde_json::Value;
use std::path::PathBuf;

fn python() -> Option<PathBuf> {
    let p = std::env::var_os("SINEW_OPENAI_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/sinew-openai-venv/bin/python"));
    let ok = std::process::Command::new(&p)
        .args(["-c", "import openai"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(p)
}

#[test]
fn the_official_openai_client_works_unchanged() {
    let Some(py) = python() else {
        assert!(
            std::env::var_os("SINEW_REQUIRE_OPENAI").is_none(),
            "SINEW_REQUIRE_OPENAI is set but no python with the openai package was found"
        );
        eprintln!("skipped: no python with the openai package (set SINEW_OPENAI_PYTHON)");
        return;
    };
    let n = TestNode::start_with(Options {
        provider: Some(3),
        ..Options::default()
    });
    n.setup_inference("builtin");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/openai_client.py");
    let out = std::process::Command::new(py)
        .arg(script)
        .args([&n.url(), USER_KEY, "river-lm", "sk-not-a-key"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["models"], serde_json::json!(["river-lm"]));
    let content = v["chat"]["content"].as_str().unwrap();
    assert!(content.starts_with(" through ten countries"), "{content:?}");
    assert_eq!(v["chat"]["usage"]["completion_tokens"], 48);
    assert_eq!(v["chat"]["finish_reason"], "length");
    assert_eq!(v["stream"]["content"], content, "streamed and plain answers agree");
    let sinew = &v["chat"]["sinew"];
    assert_eq!(sinew["weights"][0]["contributor"], n.keys[1].address().to_string());
    assert!(v["stream"]["sinew"]["receipt_id"].is_string());
    assert!(v["completion"]["text"].as_str().unwrap().starts_with(" barges"));
    assert_eq!(v["errors"]["bad_key"], 401);
    assert_eq!(v["errors"]["unknown_model"], 404);
    assert_eq!(v["errors"]["bad_max_tokens"], 400);
    // Three answers, three settlements on the ledger.
    n.wait_tx(sinew["settlement_tx"].as_str().unwrap());
    n.wait_tx(v["stream"]["sinew"]["settlement_tx"].as_str().unwrap());
    let model: Value = n.client.get("/v1/registry/models/0").unwrap();
    for _ in 0..100 {
        let m: Value = n.client.get("/v1/registry/models/0").unwrap();
        if m["model"]["answers"] == 3 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("expected 3 settled answers: {model}");
}
