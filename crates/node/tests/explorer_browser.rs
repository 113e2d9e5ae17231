//! The explorer in a real browser: headless Chromium driven by Playwright (`explorer_browser.py`)
//! against a node on loopback holding a datanet, a model, a paid answer, an agent and a task.
//! Every page kind renders without script errors; an answer is followed from a highlighted span
//! to its record, its contributor and the reward paid; the in-browser proof check accepts the
//! account's real proof and refuses tampered ones exactly where the Rust verifier does; BLAKE3
//! in the browser equals the reference; the home page follows new blocks live; markup stays
//! text; pages read without JavaScript and fit a phone's width; a new paid answer reaches the home
//! page live; an open page says so when its node goes down. Screenshots go to
//! `$SINEW_SCREENSHOTS` (default: a temporary folder).
//!
//! Python with `playwright` and `blake3` is taken from `SINEW_OPENAI_PYTHON` (the test venv CI
//! installs), Chromium from `SINEW_CHROMIUM` (default `/usr/bin/chromium`). CI sets
//! `SINEW_REQUIRE_BROWSER=1`, so there the test cannot skip.

mod common;

use common::{create, Options, TestNode, USER_KEY};
use serde_json::{json, Value};
use sinew_state::{verify_proof, StateProof};
use sinew_types::datanet::{CurationPolicy, DatanetInfo};
use sinew_types::payload::{CreateDatanet, DatanetTx};
use sinew_types::{Hash, Payload};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn tools() -> Option<(PathBuf, PathBuf)> {
    let py = std::env::var_os("SINEW_OPENAI_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/sinew-openai-venv/bin/python"));
    let chromium = std::env::var_os("SINEW_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let ok = Command::new(&py)
        .args(["-c", "import playwright, blake3"])
        .output()
        .is_ok_and(|o| o.status.success());
    (ok && chromium.exists()).then_some((py, chromium))
}

#[test]
fn the_explorer_works_in_a_real_browser() {
    let Some((py, chromium)) = tools() else {
        assert!(
            std::env::var_os("SINEW_REQUIRE_BROWSER").is_none(),
            "SINEW_REQUIRE_BROWSER is set but python with playwright and blake3, or chromium, is missing"
        );
        eprintln!(
            "skipped: no python with playwright and blake3, or no chromium (set SINEW_OPENAI_PYTHON, SINEW_CHROMIUM)"
        );
        return;
    };
    let mut n = TestNode::start_with(Options {
        provider: Some(3),
        ..Options::default()
    });
    n.setup_inference("builtin");
    let settlement = n.paid_answer("The Danube flows", 40);
    let task = n.agent_and_task();
    let Payload::Datanet(DatanetTx::CreateDatanet(base)) = create(CurationPolicy::Open) else {
        unreachable!()
    };
    n.ok(
        2,
        CreateDatanet {
            info: DatanetInfo {
                name: "<script>alert('x')</script>".into(),
                ..base.info.clone()
            },
            ..base
        }
        .into(),
    );

    let shots = std::env::var_os("SINEW_SCREENSHOTS").map(PathBuf::from);
    let tmp = tempfile::tempdir().unwrap();
    let shots = shots.unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&shots).unwrap();
    let contributor = n.keys[1].address().to_string();
    let task = task.to_string();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/explorer_browser.py");
    let mut child = Command::new(py)
        .arg(script)
        .args([&n.url(), &settlement, &contributor, &task])
        .arg(&shots)
        .arg(&chromium)
        .arg(USER_KEY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The browser holds the home page: a paid answer makes a block and an event.
    let ready = lines.next().expect("the browser script printed nothing").unwrap();
    assert!(ready.contains("ready"), "{ready}");
    let live_tx = n.paid_answer("The Rhine carries", 30);
    writeln!(child.stdin.as_mut().unwrap()).unwrap();
    // What the first answer paid the contributor, from its settlement's receipt.
    let settled: Value = n.client.get(&format!("/v1/txs/{settlement}")).unwrap();
    let rewards: u128 = settled["receipt"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "reward_accrued" && e["account"] == contributor.as_str())
        .map(|e| e["amount"].as_str().unwrap().parse::<u128>().unwrap())
        .sum();
    assert!(rewards > 0);
    // Then the node goes down under an open page.
    let Some(Ok(ready)) = lines.next() else {
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        panic!("the browser script stopped early: {stderr}");
    };
    assert!(ready.contains("down"), "{ready}");
    if let Some(r) = n.running.take() {
        n.rt.block_on(r.shutdown()).unwrap();
    }
    writeln!(child.stdin.as_mut().unwrap()).unwrap();
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "browser script failed: {stderr}");
    let v: Value = serde_json::from_str(rest.last().expect("no report")).unwrap();

    assert_eq!(v["errors"], json!([]), "{v:#}");
    assert_eq!(v["console_errors"], json!([]), "no script errors: {v:#}");
    assert_eq!(v["expected_401s"], 1, "only the playground's refused key: {v:#}");
    assert_eq!(v["dialogs"], json!([]), "no injected script ran: {v:#}");
    for (name, p) in v["pages"].as_object().unwrap() {
        assert_eq!(p["status"], 200, "{name}: {p}");
        assert!(!p["h1"].as_str().unwrap().is_empty(), "{name}: {p}");
        assert!(shots.join(format!("{name}.png")).exists(), "{name}: no screenshot");
    }
    assert_eq!(v["pages"].as_object().unwrap().len(), 13, "every page kind: {v:#}");

    // From a span to its record, its contributor, and the reward the payout named.
    assert!(v["recheck"].as_str().unwrap().contains("matches"), "{v:#}");
    let record = v["record_text"].as_str().unwrap();
    let span = v["span_text"].as_str().unwrap();
    assert!(
        record.contains(span.trim()),
        "the span {span:?} is in its record {record:?}"
    );
    assert!(v["contributor_url"].as_str().unwrap().ends_with(&contributor), "{v:#}");
    assert_eq!(
        v["paid_to_contributor"].as_str().unwrap(),
        format!("{rewards} base units"),
        "the payout on the answer page is what the settlement paid the contributor"
    );

    // The in-browser proof check: the real proof passes, and on every case the browser and the
    // Rust verifier agree.
    assert!(v["proof_ok"].as_bool().unwrap(), "{}", v["proof_status"]);
    for case in v["proof_cases"].as_array().unwrap() {
        let hex = |k: &str| hex::decode(case[k].as_str().unwrap());
        let rust = match (
            case["root"].as_str().unwrap().parse::<Hash>(),
            hex("key"),
            hex("value"),
            hex("proof"),
        ) {
            (Ok(root), Ok(key), Ok(value), Ok(proof)) => {
                verify_proof(root, &key, Some(&value), &StateProof(proof)).is_ok()
            }
            _ => false,
        };
        let js = case["js"].as_str().unwrap() == "ok";
        assert_eq!(
            js, rust,
            "browser and Rust disagree on {}: {}",
            case["label"], case["js"]
        );
        assert_eq!(js, case["label"] == "genuine", "{case}");
    }
    assert_eq!(v["blake3_mismatches"], json!([]), "BLAKE3 in the browser");

    // The playground: refused with a bad key; with a good one an answer streams, is
    // attributed, settles, and its page shows the settlement matches.
    assert!(
        v["playground_refused"].as_str().unwrap().starts_with("Refused:"),
        "{v:#}"
    );
    assert!(v["playground_answer"].as_str().unwrap().starts_with(" barges"), "{v:#}");
    assert!(
        v["playground_attribution"]
            .as_str()
            .unwrap()
            .contains("spans attributed"),
        "{v:#}"
    );
    assert!(v["playground_link"].as_str().unwrap().starts_with("/answers/"), "{v:#}");
    assert!(v["playground_settled"].as_str().unwrap().contains("matches"), "{v:#}");
    assert!(shots.join("playground.png").exists());

    let live = &v["live"];
    assert!(live["after"].is_string(), "the head did not move live: {live}");
    assert_eq!(
        live["answer_after"],
        format!("/answers/{live_tx}"),
        "the new answer, live: {live}"
    );
    assert!(v["live_note"].as_str().unwrap().starts_with("Live:"), "{v:#}");
    assert!(
        v["escaped_name_shown"].as_bool().unwrap(),
        "markup shown as text: {v:#}"
    );
    assert!(
        v["nojs_answer"].as_str().unwrap().contains("through"),
        "the answer reads without JavaScript: {v:#}"
    );
    assert_eq!(v["nojs_payout_rows"], 5, "{v:#}");
    assert_eq!(v["phone_overflow"], false, "nothing wider than a phone: {v:#}");
    assert_eq!(v["first_tab"], "Skip to content", "{v:#}");
    assert!(
        v["down_note"].as_str().unwrap().contains("The node is unreachable"),
        "a node that is down is said to be: {v:#}"
    );
    assert_eq!(v["down_page_kept"], "Sinew explorer", "the page stays readable");
}
