//! `sinew index`, `sinew query`, `sinew attribute`, `sinew attribution`: build and query
//! suffix-array indexes of local corpora and attribute answers to them.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use sinew_attribution::{
    attribute, receipt, recompute, verify_against_records, Corpus, DocRef, Params, Receipt, Shards, Tokenizer,
};
use sinew_types::Hash;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Index commands.
#[derive(Subcommand)]
pub enum IndexCmd {
    /// Build an index of the records of files (or folders of .txt, .md, .jsonl, .csv, .pdf), or
    /// have the node build the index of a published datanet version (`--datanet` and `--version`).
    Build {
        /// Output file (local files).
        #[arg(long, required_unless_present = "datanet")]
        out: Option<PathBuf>,
        /// Files or folders (local files).
        #[arg(required_unless_present = "datanet")]
        paths: Vec<PathBuf>,
        /// A datanet whose published version the node should index.
        #[arg(long, requires = "version", conflicts_with_all = ["out", "paths"])]
        datanet: Option<u64>,
        /// The version to index.
        #[arg(long)]
        version: Option<u64>,
        /// JSON lines: the field holding the text.
        #[arg(long, default_value = "text")]
        field: String,
        /// Tokenizer: bytes, gpt2 (r50k BPE) or cl100k (BPE); recorded in the index header.
        #[arg(long, default_value = "bytes")]
        tokenizer: Tokenizer,
        /// Memory budget of the build in MB: larger corpora are split into shards
        /// (`OUT.0`, `OUT.1`, ...), queried as one.
        #[arg(long, default_value_t = 8192)]
        memory_budget_mb: usize,
    },
    /// Describe an index file (and verify its checksum).
    Info {
        /// Index file.
        file: PathBuf,
    },
}

/// Query commands.
#[derive(Subcommand)]
pub enum QueryCmd {
    /// How many times a string occurs.
    Count {
        /// Index file.
        file: PathBuf,
        /// The string.
        text: String,
    },
    /// Where a string occurs (document and offset), with context.
    Find {
        /// Index file.
        file: PathBuf,
        /// The string.
        text: String,
        /// At most this many.
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// The longest suffix of a string that occurs, and what follows it.
    Longest {
        /// Index file.
        file: PathBuf,
        /// The string.
        text: String,
    },
}

/// Arguments of `sinew attribute`.
#[derive(Args)]
pub struct AttributeArgs {
    /// Index file.
    index: PathBuf,
    /// The answer text (or use --file).
    text: Option<String>,
    /// Read the answer from a file.
    #[arg(long)]
    file: Option<PathBuf>,
    /// Shortest span kept, in tokens of the index (bytes for byte-level indexes).
    #[arg(long, default_value_t = 32)]
    min_len: usize,
    /// Most occurrences of a kept span.
    #[arg(long, default_value_t = 10)]
    max_count: usize,
    /// Print the receipt as JSON.
    #[arg(long)]
    json: bool,
}

/// `sinew attribution verify|recompute`.
#[derive(Subcommand)]
pub enum ReceiptCmd {
    /// Check a receipt's spans against the records in the index (bytes must match).
    Verify {
        /// Index file.
        index: PathBuf,
        /// Receipt (JSON from `sinew attribute --json`).
        receipt: PathBuf,
        /// The answer.
        #[arg(long)]
        answer: PathBuf,
    },
    /// Recompute the attribution from the index and compare with the receipt.
    Recompute {
        /// Index file.
        index: PathBuf,
        /// Receipt.
        receipt: PathBuf,
        /// The answer.
        #[arg(long)]
        answer: PathBuf,
    },
}

/// Records of local files, each file numbered as a "contribution" in path order.
pub fn local_records(paths: &[PathBuf], field: &str) -> Result<Vec<(DocRef, String)>> {
    Ok(sinew_datanet::local_records(paths, field)?
        .into_iter()
        .map(|(contribution, record, text)| (DocRef { contribution, record }, text))
        .collect())
}

fn open(path: &Path) -> Result<(Shards, Hash)> {
    let idx = Shards::open(path, false).with_context(|| format!("opening index {}", path.display()))?;
    let id = idx.id();
    Ok((idx, id))
}

/// `sinew index ...`.
pub fn index(cmd: IndexCmd, url: &str) -> Result<()> {
    match cmd {
        IndexCmd::Build {
            datanet: Some(d),
            version,
            ..
        } => {
            let v = version.context("--version is required with --datanet")?;
            let r = sinew_sdk::Client::new(url).version_index(d, v, None)?;
            println!(
                "datanet {d} version {v}: index {} ({} documents, {} tokens, {} bytes) on the node",
                r.index, r.documents, r.tokens, r.bytes
            );
        }
        IndexCmd::Build {
            out,
            paths,
            field,
            tokenizer,
            memory_budget_mb,
            ..
        } => {
            let out = out.context("--out is required")?;
            let t = Instant::now();
            let spinner = indicatif::ProgressBar::new_spinner();
            spinner.set_message("reading records");
            spinner.enable_steady_tick(std::time::Duration::from_millis(120));
            let records = local_records(&paths, &field)?;
            spinner.set_message(format!("building the suffix array of {} records", records.len()));
            let docs: Vec<(DocRef, &[u8])> = records.iter().map(|(r, t)| (*r, t.as_bytes())).collect();
            let t_ingest = t.elapsed();
            let t = Instant::now();
            let budget = sinew_attribution::corpus::shard_bytes_for(memory_budget_mb);
            let idx = Shards::build_with(tokenizer, &docs, budget, |i, n| {
                spinner.set_message(format!("building shard {} of {n}", (i + 1).min(n)))
            })?;
            let t_build = t.elapsed();
            spinner.set_message("writing");
            let files = idx.write(&out)?;
            spinner.finish_and_clear();
            let bytes = idx.file_bytes();
            println!(
                "indexed {} records, {} {tokenizer} tokens in {:.2}s (+{:.2}s reading): {} file(s) from {} ({:.2} bytes per token), id {}",
                idx.doc_count(),
                idx.len(),
                t_build.as_secs_f64(),
                t_ingest.as_secs_f64(),
                files.len(),
                out.display(),
                bytes as f64 / idx.len().max(1) as f64,
                idx.id()
            );
        }
        IndexCmd::Info { file } => {
            let idx = Shards::open(&file, true)?;
            let bytes = idx.file_bytes();
            println!(
                "{}: tokenizer {}, {} shard(s), {} documents, {} tokens, {} bytes, checksums ok, id {}",
                file.display(),
                Corpus::tokenizer(&idx),
                idx.shards().len(),
                idx.doc_count(),
                idx.len(),
                bytes,
                idx.id()
            );
        }
    }
    Ok(())
}

/// `sinew query ...`.
pub fn query(cmd: QueryCmd) -> Result<()> {
    match cmd {
        QueryCmd::Count { file, text } => {
            let (idx, _) = open(&file)?;
            let pattern = Corpus::tokenizer(&idx).encode(text.as_bytes())?;
            println!("{}", Corpus::count(&idx, &pattern));
        }
        QueryCmd::Find { file, text, limit } => {
            let (idx, _) = open(&file)?;
            let t = Corpus::tokenizer(&idx);
            let w = t.width();
            let pattern = t.encode(text.as_bytes())?;
            for (r, offset) in idx.occurrences(&pattern, limit) {
                let doc = t.encode(&idx.doc_text(r).context("record missing from the index")?)?;
                let (s, e) = (offset as usize * w, offset as usize * w + pattern.len());
                let context = |a: usize, b: usize| {
                    String::from_utf8_lossy(&t.decode(&doc[a..b]).unwrap_or_default()).into_owned()
                };
                let before = context(s.saturating_sub(30 * w), s);
                let after = context(e, (e + 30 * w).min(doc.len()));
                println!(
                    "file {} record {} token {offset}: ...{before}[{text}]{after}...",
                    r.contribution, r.record
                );
            }
        }
        QueryCmd::Longest { file, text } => {
            let (idx, _) = open(&file)?;
            let t = Corpus::tokenizer(&idx);
            let query = t.encode(text.as_bytes())?;
            let (k, mut next) = Corpus::next_tokens(&idx, &query);
            let suffix = t.decode(&query[query.len() - k * t.width()..])?;
            println!(
                "longest suffix that occurs: {k} tokens {:?}",
                String::from_utf8_lossy(&suffix)
            );
            next.sort_by_key(|t| std::cmp::Reverse(t.1));
            for (tok, c) in next.iter().take(10) {
                let mut code = Vec::new();
                t.push_code(&mut code, *tok);
                let shown = String::from_utf8_lossy(&t.decode(&code)?).into_owned();
                println!("  next {tok} {shown:?}: {c}");
            }
        }
    }
    Ok(())
}

/// `sinew attribute`.
pub fn attribute_cmd(a: AttributeArgs) -> Result<()> {
    let answer = match (&a.text, &a.file) {
        (Some(t), None) => t.clone().into_bytes(),
        (None, Some(f)) => std::fs::read(f)?,
        _ => bail!("give the answer as text or with --file, not both"),
    };
    let (idx, id) = open(&a.index)?;
    let params = Params {
        min_len: a.min_len,
        max_count: a.max_count,
    };
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&receipt(&idx, id, &answer, &params))?
        );
        return Ok(());
    }
    let t = Instant::now();
    let att = attribute(&idx, &answer, &params);
    let took = t.elapsed();
    println!("{} spans in {:.2} ms", att.spans.len(), took.as_secs_f64() * 1e3);
    for s in &att.spans {
        let text = String::from_utf8_lossy(&answer[s.byte_start..s.byte_start + s.byte_len]);
        let places: Vec<String> = s
            .occurrences
            .iter()
            .map(|(r, o)| format!("{}/{}@{o}", r.contribution, r.record))
            .collect();
        println!("  [{}..{}] {text:?} in {}", s.start, s.start + s.len, places.join(", "));
    }
    for (c, ppm) in &att.weights {
        println!("  contribution {c}: {:.4}%", *ppm as f64 / 10_000.0);
    }
    Ok(())
}

/// `sinew attribution verify|recompute`.
pub fn receipt_cmd(cmd: ReceiptCmd) -> Result<()> {
    let (index, receipt_path, answer, recompute_it) = match cmd {
        ReceiptCmd::Verify { index, receipt, answer } => (index, receipt, answer, false),
        ReceiptCmd::Recompute { index, receipt, answer } => (index, receipt, answer, true),
    };
    let (idx, id) = open(&index)?;
    let r: Receipt = serde_json::from_str(&std::fs::read_to_string(&receipt_path)?).context("not a receipt")?;
    let answer = std::fs::read(&answer)?;
    if recompute_it {
        recompute(&idx, id, &answer, &r)?;
        println!(
            "recomputed: identical ({} spans, weights {:?})",
            r.spans.len(),
            r.weights
        );
    } else {
        verify_against_records(&r, &answer, |d| idx.doc_text(d))?;
        println!("verified: every span's tokens match its record");
    }
    Ok(())
}
