//! Counts identical to infini-gram's on the same corpus, where infini-gram is installed (a Python
//! with the `infini-gram` package: `SINEW_INFINI_GRAM_PYTHON`, or the virtualenv that
//! `scripts/bench-attribution.sh` creates). Skips, saying so, where it is not.

use sinew_attribution::{DocRef, Index};
use std::path::PathBuf;
use std::process::Command;

fn peer_python() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("SINEW_INFINI_GRAM_PYTHON").map(PathBuf::from),
        Some(PathBuf::from("/tmp/sinew-infini-gram-venv/bin/python")),
    ];
    candidates.into_iter().flatten().find(|p| {
        p.exists()
            && Command::new(p)
                .args(["-c", "import infini_gram"])
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
    })
}

#[test]
fn counts_agree_with_infini_gram() {
    let Some(python) = peer_python() else {
        eprintln!("skipped: infini-gram is not installed (set SINEW_INFINI_GRAM_PYTHON or run scripts/bench-attribution.sh once)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let docs: Vec<String> = (0..200)
        .map(|i| {
            format!(
                "document {i} says the river {} flows into lake {} and then {}",
                i % 7,
                i % 5,
                i % 3
            )
        })
        .collect();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    let jsonl: String = docs
        .iter()
        .map(|d| serde_json::json!({ "text": d }).to_string() + "\n")
        .collect();
    std::fs::write(corpus.join("c.jsonl"), jsonl).unwrap();
    let save = dir.path().join("ig");
    let status = Command::new(&python)
        .args(["-m", "infini_gram.indexing_v6", "--data_dir"])
        .arg(&corpus)
        .arg("--save_dir")
        .arg(&save)
        .args([
            "--token_dtype",
            "u8",
            "--cpus",
            "1",
            "--mem",
            "2",
            "--ulimit",
            "1024",
            "--hack",
            "1000",
        ])
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let patterns = [
        "river",
        "the river 3",
        "lake 4 and",
        "document 1",
        "flows into lake",
        "says",
        "nowhere",
    ];
    let script = format!(
        "from infini_gram.engine import InfiniGramEngine\ne = InfiniGramEngine(index_dir={:?}, eos_token_id=0, vocab_size=255, token_dtype='u8')\nfor p in {:?}:\n    print(e.count(input_ids=list(p.encode()))['count'])",
        save.to_str().unwrap(),
        patterns
    );
    let out = Command::new(&python).args(["-c", &script]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let theirs: Vec<usize> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    let refs: Vec<(DocRef, &[u8])> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                DocRef {
                    contribution: i as u64,
                    record: 0,
                },
                d.as_bytes(),
            )
        })
        .collect();
    let idx = Index::build(&refs).unwrap();
    let ours: Vec<usize> = patterns.iter().map(|p| idx.count(p.as_bytes())).collect();
    assert_eq!(ours, theirs);
}
