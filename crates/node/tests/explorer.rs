//! The explorer, as a reader sees it: every kind of page served by the node, an answer followed
//! from its spans to the records and the contributor who was paid, and bad input answered with
//! a clear page (never a blank one, never unescaped markup).

mod common;

use common::{create, Options, TestNode};
use serde_json::Value;
use sinew_types::datanet::{CurationPolicy, DatanetInfo};
use sinew_types::payload::{CreateDatanet, DelegateToProvider};
use sinew_types::Hash;

/// `GET path`: status, the final URL (after redirects) and the body.
fn get(n: &TestNode, path: &str) -> (u16, String, String) {
    match ureq::get(&format!("{}{path}", n.url())).call() {
        Ok(r) => {
            let url = r.get_url().to_string();
            (r.status(), url, r.into_string().unwrap())
        }
        Err(ureq::Error::Status(code, r)) => {
            let url = r.get_url().to_string();
            (code, url, r.into_string().unwrap())
        }
        Err(e) => panic!("GET {path}: {e}"),
    }
}

/// `GET path`, expecting a page.
fn page(n: &TestNode, path: &str) -> String {
    let (status, _, body) = get(n, path);
    assert_eq!(status, 200, "GET {path}: {body}");
    assert!(body.starts_with("<!DOCTYPE html>"), "GET {path}: {body}");
    body
}

/// A node with a datanet, a model, a staker, a paid answer, an agent and a task; the answer's
/// settlement transaction id and the task's id.
fn populated() -> (TestNode, String, Hash) {
    let n = TestNode::start_with(Options {
        provider: Some(3),
        ..Options::default()
    });
    n.setup_inference("builtin");
    // Key 4 stakes with the provider: it takes a share of the provider's part of each fee.
    n.ok(
        4,
        DelegateToProvider {
            provider: n.keys[3].address(),
            amount: 10_000,
        }
        .into(),
    );
    let settlement = n.paid_answer("The Danube flows", 40);
    let task = n.agent_and_task();
    (n, settlement, task)
}

#[test]
fn every_page_kind_renders_what_the_ledger_holds() {
    let (n, settlement, task) = populated();
    let (owner, contributor, user) = (
        n.keys[0].address().to_string(),
        n.keys[1].address().to_string(),
        n.keys[2].address().to_string(),
    );

    let head = n.client.height().unwrap();
    let home = page(&n, "/");
    assert!(home.contains("sinew-test"), "the chain id");
    assert!(
        home.contains("Latest blocks") && home.contains(&format!("href=\"/blocks/{head}\"")),
        "{home}"
    );
    assert!(
        home.contains(&format!("href=\"/answers/{settlement}\"")),
        "the paid answer is among the latest: {home}"
    );
    assert!(home.contains("<svg"), "the throughput chart");

    let blocks = page(&n, "/blocks");
    assert!(blocks.contains("href=\"/blocks/0\""), "down to genesis: {blocks}");

    // The settlement's block lists it, decoded, with its outcome.
    let tx: Value = n.client.get(&format!("/v1/txs/{settlement}")).unwrap();
    let height = tx["height"].as_u64().unwrap();
    let block = page(&n, &format!("/blocks/{height}"));
    assert!(block.contains(&format!("href=\"/txs/{settlement}\"")), "{block}");
    assert!(
        block.contains("inference / settle inference") && block.contains("success"),
        "{block}"
    );

    let txp = page(&n, &format!("/txs/{settlement}"));
    assert!(txp.contains("inference / settle inference"), "{txp}");
    assert!(txp.contains("inference settled"), "its events, by name: {txp}");
    assert!(txp.contains(&format!("href=\"/answers/{settlement}\"")), "{txp}");

    let account = page(&n, &format!("/accounts/{contributor}"));
    assert!(
        account.contains("Claimable rewards") && account.contains("data-proof="),
        "{account}"
    );
    assert!(account.contains("href=\"/datanets/0\""), "its contribution: {account}");
    assert!(account.contains("Earned from contributions"), "{account}");
    assert!(
        account.contains(&format!("href=\"/answers/{settlement}\"")),
        "what it earned, per answer: {account}"
    );
    assert!(
        account.contains("reward accrued") && account.contains("contributed"),
        "its history: {account}"
    );
    let (_, rewards) = n.inference_account(1);
    assert!(
        account.contains(&format!("title=\"{rewards} base units\"")),
        "{account}"
    );

    let datanets = page(&n, "/datanets");
    assert!(
        datanets.contains("href=\"/datanets/0\"") && datanets.contains("notes"),
        "{datanets}"
    );
    let datanet = page(&n, "/datanets/0");
    assert!(
        datanet.contains("Versions") && datanet.contains("river-lm"),
        "{datanet}"
    );
    assert!(
        datanet.contains(&format!("href=\"/accounts/{contributor}\"")),
        "{datanet}"
    );

    let models = page(&n, "/models");
    assert!(
        models.contains("href=\"/models/0\"") && models.contains("river-lm"),
        "{models}"
    );
    let model = page(&n, "/models/0");
    assert!(
        model.contains("datanet 0 v1") && model.contains("rivers-adapter"),
        "lineage: {model}"
    );
    assert!(model.contains("50.00%"), "the contributors' share: {model}");
    assert!(
        model.contains("Answers over time") && model.contains(&format!("href=\"/answers/{settlement}\"")),
        "{model}"
    );

    let agents = page(&n, "/agents");
    assert!(agents.contains("worker"), "{agents}");
    let tasks = page(&n, "/tasks?status=open");
    assert!(tasks.contains(&format!("href=\"/tasks/{task}\"")), "{tasks}");
    let taskp = page(&n, &format!("/tasks/{task}"));
    assert!(
        taskp.contains("demo/echo") && taskp.contains(&format!("href=\"/accounts/{owner}\"")),
        "{taskp}"
    );
    assert!(taskp.contains("<td>posted</td>"), "its history: {taskp}");

    // The search box finds heights, transactions, accounts and names.
    let (_, url, _) = get(&n, &format!("/search?q={height}"));
    assert!(url.ends_with(&format!("/blocks/{height}")), "{url}");
    let (_, url, _) = get(&n, &format!("/search?q={settlement}"));
    assert!(url.ends_with(&format!("/txs/{settlement}")), "{url}");
    let (_, url, _) = get(&n, &format!("/search?q={user}"));
    assert!(url.ends_with(&format!("/accounts/{user}")), "{url}");
    let (_, url, _) = get(&n, "/search?q=River-LM");
    assert!(url.ends_with("/models/0"), "{url}");
    let (_, url, _) = get(&n, "/search?q=notes");
    assert!(url.ends_with("/datanets/0"), "{url}");
}

#[test]
fn an_answer_leads_from_its_spans_to_the_records_and_the_contributor_paid() {
    let (n, settlement, _) = populated();
    let contributor = n.keys[1].address().to_string();
    let answer = page(&n, &format!("/answers/{settlement}"));
    assert!(
        answer.contains("matches the settlement"),
        "recomputed and compared: {answer}"
    );
    // Every highlighted span links to a record of contribution 0.
    let link = answer
        .split("class=\"span\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no highlighted span: {answer}"))
        .replace("&amp;", "&");
    assert!(link.starts_with("/datanets/0?contribution=0#record-0-"), "{link}");
    assert!(answer.contains("<mark>"), "{answer}");
    assert!(
        answer.contains("prompt 17, answer 40"),
        "token counts (bytes): {answer}"
    );
    // The record page holds that record, with the contributed text and its provenance.
    let (path, anchor) = link.split_once('#').unwrap();
    let records = page(&n, path);
    assert!(records.contains(&format!("id=\"{anchor}\"")), "{records}");
    assert!(records.contains("The Danube flows through ten countries"), "{records}");
    assert!(
        records.contains(&format!("href=\"/accounts/{contributor}\"")),
        "{records}"
    );
    // And the payout names the contributor with the whole contributors' share (one contributor).
    let fee_row = |label: &str| {
        // The row's amount: the first "N base units" after its label.
        answer
            .split(label)
            .nth(1)
            .and_then(|seg| {
                let end = seg.find(" base units")?;
                let start = seg[..end].rfind("title=\"")? + "title=\"".len();
                seg[start..end].parse::<u128>().ok()
            })
            .unwrap_or_else(|| panic!("no {label} row: {answer}"))
    };
    let (_, rewards) = n.inference_account(1);
    assert_eq!(
        fee_row("Contributors</td>"),
        rewards,
        "the contributors' share, to the unit"
    );
    assert!(
        answer.contains(&format!("href=\"/accounts/{contributor}\"")),
        "{answer}"
    );
    assert!(answer.contains("100.0000%"), "its weight: {answer}");
    // The provider's part, split with its staker (half the stake each), to the unit.
    let staker = n.keys[4].address().to_string();
    assert!(
        answer.contains(&format!(
            "<td>Staker of the provider</td><td><a class=\"mono\" href=\"/accounts/{staker}\""
        )),
        "{answer}"
    );
    let provider_row = fee_row("<td>Provider</td>");
    let staker_row = fee_row("<td>Staker of the provider</td>");
    let tx: Value = n.client.get(&format!("/v1/txs/{settlement}")).unwrap();
    let settled = tx["receipt"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "inference_settled")
        .unwrap()
        .clone();
    let provider_part: u128 = settled["provider"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        provider_row + staker_row,
        provider_part,
        "the provider's part, split whole"
    );
    assert!(staker_row > 0 && provider_row > 0);
}

#[test]
fn bad_input_gets_a_clear_page_and_markup_is_always_escaped() {
    let n = TestNode::start();
    let cases = [
        ("/blocks/notablock", 400, "neither a block height"),
        ("/blocks/99999999", 404, "no block at height"),
        ("/blocks/18446744073709551615", 404, "no block"),
        ("/txs/zz", 400, "not a valid transaction id"),
        (&format!("/txs/{}", "ab".repeat(32)), 404, ""),
        ("/accounts/nope", 400, "not a valid address"),
        ("/datanets/7", 404, "no datanet 7"),
        ("/datanets/-1", 400, "not a datanet number"),
        ("/models/3", 404, "no model 3"),
        (&format!("/tasks/{}", "cd".repeat(32)), 404, ""),
        (&format!("/answers/{}", "ef".repeat(32)), 404, ""),
        ("/search?q=nothing-like-this", 404, "nothing matches"),
        ("/blocks?before=18446744073709551615", 200, ""),
        ("/datanets?after=zz%3Cscript%3E", 200, ""),
        ("/assets/nope.js", 404, ""),
    ];
    for (path, status, says) in cases {
        let (got, _, body) = get(&n, path);
        assert_eq!(got, status, "GET {path}: {body}");
        assert!(body.contains(says), "GET {path} should say {says:?}: {body}");
        assert!(!body.contains("<script>"), "GET {path}: {body}");
    }
    // Markup in names and records is shown as text.
    let evil = "<script>alert('x')</script>";
    n.ok(
        0,
        CreateDatanet {
            info: DatanetInfo {
                name: evil.into(),
                description: format!("{evil}<img src=x onerror=alert(1)>"),
                license: "MIT".into(),
                tags: vec![evil.into()],
            },
            ..match create(CurationPolicy::Open) {
                sinew_types::Payload::Datanet(sinew_types::payload::DatanetTx::CreateDatanet(c)) => c,
                _ => unreachable!(),
            }
        }
        .into(),
    );
    n.ok(1, n.contribute(0, evil));
    for path in [
        "/datanets",
        "/datanets/0",
        "/datanets/0?contribution=0",
        "/search?q=%3Cscript%3E",
    ] {
        let (_, _, body) = get(&n, path);
        assert!(!body.contains("<script>alert"), "GET {path}: {body}");
        assert!(!body.contains("<img src=x"), "GET {path}: {body}");
    }
    let records = page(&n, "/datanets/0?contribution=0");
    assert!(records.contains("&lt;script&gt;alert("), "shown as text: {records}");
}

#[test]
fn paid_answers_reach_open_pages_over_the_event_stream() {
    let (n, _, _) = populated();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let url = format!("{}/live", n.url());
    // A browser following the home page: every line of the relay's stream.
    std::thread::spawn(move || {
        let r = ureq::get(&url).call().unwrap();
        assert!(r.header("content-type").unwrap().starts_with("text/event-stream"));
        for line in std::io::BufRead::lines(std::io::BufReader::new(r.into_reader())) {
            if tx.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    // The relay subscribes when its first viewer comes: answers settled before that are not
    // replayed, so ask again until one arrives (a loaded machine may take a moment).
    let mut seen = Vec::new();
    for _ in 0..5 {
        let settlement = n.paid_answer("The Danube flows", 40);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(200)) {
                if line.starts_with("data:") && line.contains(&settlement) {
                    assert_eq!(
                        seen.last().map(String::as_str),
                        Some("event: inference_settled"),
                        "{seen:?}"
                    );
                    return;
                }
                seen.push(line);
            }
        }
    }
    panic!("no settlement reached the live stream: {seen:?}");
}
