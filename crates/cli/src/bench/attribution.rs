//! The attribution benchmark: a corpus of the UTF-8 text files found under given folders (by
//! default the Python standard library, /usr/include and /usr/share/doc on this machine), indexed
//! byte-level (or with a BPE tokenizer); then warm count/find latency on n-grams sampled from the corpus, and maximal-span
//! attribution of 1 KB answers spliced from corpus fragments and filler.

use anyhow::{bail, Result};
use clap::Args;
use sinew_attribution::{attribute, maximal_spans, DocRef, Index, Params, Tokenizer};
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `sinew bench attribution`.
#[derive(Args)]
pub struct AttributionArgs {
    /// Corpus size to gather, in MB.
    #[arg(long, default_value_t = 100)]
    mb: usize,
    /// Folders to take UTF-8 text files from.
    #[arg(long = "corpus")]
    corpus: Vec<PathBuf>,
    /// Where to write the index (default: a temporary file).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write the corpus as JSON lines here (for running infini-gram on the same data).
    #[arg(long)]
    jsonl: Option<PathBuf>,
    /// Write the queries and answers with Sinew's results here (queries.jsonl, answers.jsonl),
    /// for a peer to run the same ones.
    #[arg(long)]
    dump: Option<PathBuf>,
    /// Also measure with the page cache dropped (needs root; skipped otherwise).
    #[arg(long)]
    cold: bool,
    /// Tokenizer: bytes (compared with infini-gram), gpt2 or cl100k.
    #[arg(long, default_value = "bytes")]
    tokenizer: Tokenizer,
}

/// Drops the kernel's page cache so the next reads come from disk.
fn drop_caches() -> bool {
    let _ = std::process::Command::new("sync").status();
    std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

fn gather(dirs: &[PathBuf], limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut total = 0usize;
    let mut stack: Vec<PathBuf> = dirs.to_vec();
    let mut files = Vec::new();
    while let Some(p) = stack.pop() {
        if let Ok(rd) = std::fs::read_dir(&p) {
            let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
            entries.sort();
            for e in entries {
                if e.is_symlink() {
                    continue;
                }
                if e.is_dir() {
                    stack.push(e);
                } else {
                    files.push(e);
                }
            }
        }
    }
    files.sort();
    for f in files {
        if total >= limit {
            break;
        }
        let Ok(bytes) = std::fs::read(&f) else { continue };
        if bytes.len() < 64 || bytes.contains(&0xFF) {
            continue;
        }
        if let Ok(s) = String::from_utf8(bytes) {
            total += s.len() + 1;
            out.push(s);
        }
    }
    out
}

use super::pct;

/// `sinew bench attribution`.
pub fn run(a: AttributionArgs) -> Result<()> {
    let dirs = if a.corpus.is_empty() {
        vec![
            PathBuf::from("/root/.pyenv/versions/3.11.7/lib/python3.11"),
            PathBuf::from("/usr/include"),
            PathBuf::from("/usr/share/doc"),
        ]
    } else {
        a.corpus.clone()
    };
    let docs = gather(&dirs, a.mb << 20);
    let bytes: usize = docs.iter().map(|d| d.len()).sum();
    if bytes == 0 {
        bail!("no UTF-8 text found under {dirs:?}");
    }
    println!(
        "attribution bench: {} documents, {:.1} MB of text from {dirs:?}",
        docs.len(),
        bytes as f64 / 1048576.0
    );
    if let Some(j) = &a.jsonl {
        let mut w = std::io::BufWriter::new(std::fs::File::create(j)?);
        for d in &docs {
            serde_json::to_writer(&mut w, &serde_json::json!({ "text": d }))?;
            std::io::Write::write_all(&mut w, b"\n")?;
        }
    }
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
    let tok = a.tokenizer;
    let w = tok.width();
    let t = Instant::now();
    let idx = Index::build_with(tok, &refs)?;
    let build = t.elapsed().as_secs_f64();
    println!(
        "build ({tok}): {build:.2}s for {} tokens; index {} bytes = {:.2} bytes per token; peak RSS {:.0} MiB",
        idx.len(),
        idx.as_bytes().len(),
        idx.as_bytes().len() as f64 / idx.len() as f64,
        super::ingest::peak_rss_mib().unwrap_or(0.0)
    );
    let path = a
        .out
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("sinew-bench-{}.idx", std::process::id())));
    idx.write(&path)?;
    drop(idx);
    let t = Instant::now();
    let idx = Index::open(&path, false)?;
    println!("open (mmap): {:.3} ms", t.elapsed().as_secs_f64() * 1e3);

    // Queries: n-grams sampled from the corpus (so most occur), warm.
    let text = idx.text().to_vec();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let tokens = text.len() / w;
    let no_separator = |p: &[u8]| p.chunks_exact(w).all(|c| tok.token_at(c) != tok.separator());
    // Byte level: 8 to 31 bytes; BPE: 2 to 7 tokens (about as many bytes).
    let (short, spread) = if w == 1 { (8, 24) } else { (2, 6) };
    let mut pats = Vec::new();
    while pats.len() < 20_000 {
        let at = rnd() as usize % (tokens - 64) * w;
        let len = (short + rnd() as usize % spread) * w;
        let p = &text[at..at + len];
        if no_separator(p) {
            pats.push(p.to_vec());
        }
    }
    for p in pats.iter().take(2_000) {
        idx.count(p);
    }
    let mut count_us: Vec<f64> = pats
        .iter()
        .map(|p| {
            let t = Instant::now();
            std::hint::black_box(idx.count(p));
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let mut find_us: Vec<f64> = pats
        .iter()
        .take(5_000)
        .map(|p| {
            let t = Instant::now();
            std::hint::black_box(idx.find(p, 10));
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    println!(
        "count: p50 {:.1} us, p99 {:.1} us; find (10 occurrences): p50 {:.1} us, p99 {:.1} us",
        pct(&mut count_us, 0.5),
        pct(&mut count_us, 0.99),
        pct(&mut find_us, 0.5),
        pct(&mut find_us, 0.99)
    );

    // Answers of ~1 KB: corpus fragments (verbatim spans) between filler words.
    let filler = [
        "so", "then", "we", "note", "that", "also", "here", "which", "means", "overall",
    ];
    let mut answers = Vec::new();
    let target = 1024 / if w == 1 { 1 } else { 4 } * w;
    while answers.len() < 200 {
        let mut a = Vec::new();
        while a.len() < target {
            if rnd() % 2 == 0 {
                let at = rnd() as usize % (tokens - 256) * w;
                let len = if w == 1 {
                    48 + rnd() as usize % 150
                } else {
                    (12 + rnd() as usize % 38) * w
                };
                let frag: Vec<u8> = text[at..at + len]
                    .chunks_exact(w)
                    .filter(|c| tok.token_at(c) != tok.separator())
                    .flatten()
                    .copied()
                    .collect();
                a.extend_from_slice(&frag);
            } else {
                for _ in 0..(3 + rnd() % 8) {
                    let word = format!("{} ", filler[rnd() as usize % filler.len()]);
                    a.extend_from_slice(&tok.encode(word.as_bytes())?);
                }
            }
        }
        a.truncate(target);
        answers.push(a);
    }
    // 32 bytes at byte level; 8 BPE tokens (about 32 bytes of English).
    let params = Params {
        min_len: if w == 1 { 32 } else { 8 },
        ..Params::default()
    };
    let mut span_ms: Vec<f64> = Vec::new();
    let mut attr_ms: Vec<f64> = Vec::new();
    let mut spans_found = 0;
    for a in &answers {
        let t = Instant::now();
        let s = maximal_spans(&idx, a, params.min_len, params.max_count);
        span_ms.push(t.elapsed().as_secs_f64() * 1e3);
        spans_found += s.len();
        let answer_text = tok.decode(a)?;
        let t = Instant::now();
        std::hint::black_box(attribute(&idx, &answer_text, &params));
        attr_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "maximal spans of a ~1 KB answer ({} tokens; min {} tokens, at most 10 occurrences): p50 {:.2} ms, p99 {:.2} ms ({:.1} spans per answer); full attribution with weights: p50 {:.2} ms",
        target / w,
        params.min_len,
        pct(&mut span_ms, 0.5),
        pct(&mut span_ms, 0.99),
        spans_found as f64 / answers.len() as f64,
        pct(&mut attr_ms, 0.5)
    );
    if a.cold {
        drop(idx);
        if drop_caches() {
            let idx = Index::open(&path, false)?;
            let mut c: Vec<f64> = pats
                .iter()
                .skip(10_000)
                .take(200)
                .map(|p| {
                    let t = Instant::now();
                    std::hint::black_box(idx.count(p));
                    t.elapsed().as_secs_f64() * 1e6
                })
                .collect();
            drop_caches();
            let idx = Index::open(&path, false)?;
            let mut s: Vec<f64> = answers
                .iter()
                .take(20)
                .map(|ans| {
                    let t = Instant::now();
                    std::hint::black_box(maximal_spans(&idx, ans, params.min_len, params.max_count));
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            println!("cold page cache: count p50 {:.0} us (first 200 queries after dropping caches); maximal spans p50 {:.1} ms (first 20 answers)", pct(&mut c, 0.5), pct(&mut s, 0.5));
        } else {
            println!("cold page cache: skipped (cannot write /proc/sys/vm/drop_caches)");
        }
        let idx = Index::open(&path, false)?;
        return finish(&a, &idx, &pats, &answers, &params, &path);
    }
    finish(&a, &idx, &pats, &answers, &params, &path)
}

fn finish(
    a: &AttributionArgs,
    idx: &Index,
    pats: &[Vec<u8>],
    answers: &[Vec<u8>],
    params: &Params,
    path: &std::path::Path,
) -> Result<()> {
    if let (Some(dir), Tokenizer::Bytes) = (&a.dump, a.tokenizer) {
        std::fs::create_dir_all(dir)?;
        let mut q = std::io::BufWriter::new(std::fs::File::create(dir.join("queries.jsonl"))?);
        for p in pats.iter().take(5_000) {
            serde_json::to_writer(
                &mut q,
                &serde_json::json!({ "hex": hex::encode(p), "count": idx.count(p) }),
            )?;
            std::io::Write::write_all(&mut q, b"\n")?;
        }
        let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("answers.jsonl"))?);
        for ans in answers {
            let spans: Vec<[usize; 3]> = maximal_spans(idx, ans, params.min_len, params.max_count)
                .iter()
                .map(|s| [s.start, s.len, s.count])
                .collect();
            serde_json::to_writer(&mut w, &serde_json::json!({ "hex": hex::encode(ans), "spans": spans }))?;
            std::io::Write::write_all(&mut w, b"\n")?;
        }
    }
    if a.out.is_none() {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}
