//! The attribution benchmark: a corpus of distinct text generated deterministically (or the
//! UTF-8 text files found under given folders), indexed the way a node holds a datanet version
//! (shards on disk, `ShardDir`), byte-level or with a BPE tokenizer; then warm (and, as root,
//! cold) count/find latency on n-grams sampled from the corpus, maximal-span attribution of
//! 1 KB answers spliced from corpus fragments and filler, and the time to make a new version
//! holding 1 MB more queryable.

use anyhow::{bail, Result};
use clap::Args;
use sinew_attribution::{
    attribute, encode_all, maximal_spans, BuildLimits, Corpus, DocRef, IndexMode, Manifest, Params, ShardDir, Shards,
    Tokenizer,
};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `sinew bench attribution`.
#[derive(Args)]
pub struct AttributionArgs {
    /// Corpus size, in MB (MiB).
    #[arg(long, default_value_t = 100)]
    mb: usize,
    /// Index text files found under these folders instead of generated text.
    #[arg(long = "corpus")]
    corpus: Vec<PathBuf>,
    /// Keep the shards and manifest in this folder (default: a temporary one, removed after).
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
    /// Memory one shard build may take, in MiB (a node's `index_memory_mb`).
    #[arg(long, default_value_t = 8192)]
    memory_mb: u64,
    /// Size of the new version's delta, in MB (0: skip the incremental figure).
    #[arg(long, default_value_t = 1)]
    delta_mb: usize,
    /// Also build the compressed mode (an FM-index, in memory, same tokenizer) and measure it beside the suffix array.
    #[arg(long)]
    fm: bool,
}

/// How long `f` takes, in microseconds (its result kept from the optimizer).
fn micros<R>(f: impl FnOnce() -> R) -> f64 {
    let t = Instant::now();
    std::hint::black_box(f());
    t.elapsed().as_secs_f64() * 1e6
}

/// How long `f` takes, in milliseconds.
fn millis<R>(f: impl FnOnce() -> R) -> f64 {
    micros(f) / 1e3
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

/// Documents as a node indexes them: each its own contribution.
fn as_docs(texts: &[String], first: u64) -> Vec<(DocRef, &[u8])> {
    texts
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                DocRef {
                    contribution: first + i as u64,
                    record: 0,
                },
                d.as_bytes(),
            )
        })
        .collect()
}

/// The shard folder: `--out` or a temporary one.
fn shard_folder(a: &AttributionArgs) -> Result<PathBuf> {
    let dir = a
        .out
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("sinew-bench-{}", std::process::id())));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// `sinew bench attribution`.
pub fn run(a: AttributionArgs) -> Result<()> {
    let language = super::synthetic::Language::new(40_000);
    let t = Instant::now();
    let (docs, source) = if a.corpus.is_empty() {
        (
            language.corpus(0, a.mb << 20),
            "generated text (Zipf words, distinct documents)".to_string(),
        )
    } else {
        (gather(&a.corpus, a.mb << 20), format!("files under {:?}", a.corpus))
    };
    let bytes: usize = docs.iter().map(|d| d.len()).sum();
    if bytes == 0 {
        bail!("no UTF-8 text found under {:?}", a.corpus);
    }
    println!(
        "attribution bench: {} documents, {:.1} MB of {source} ({:.1}s to make)",
        docs.len(),
        bytes as f64 / 1048576.0,
        t.elapsed().as_secs_f64()
    );
    if let Some(j) = &a.jsonl {
        let mut w = std::io::BufWriter::new(std::fs::File::create(j)?);
        for d in &docs {
            serde_json::to_writer(&mut w, &serde_json::json!({ "text": d }))?;
            std::io::Write::write_all(&mut w, b"\n")?;
        }
    }
    let tok = a.tokenizer;
    let w = tok.width();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let limits = BuildLimits::for_memory(sinew_state::blobs::VERSION_SHARD_MAX_BYTES, a.memory_mb, cores);
    let folder = shard_folder(&a)?;
    let dir = ShardDir::new(folder.clone());
    let t = Instant::now();
    let (manifest, shards) = {
        let refs = as_docs(&docs, 0);
        let encoded = encode_all(tok, &refs)?;
        dir.build(tok, &encoded, &[refs.len() as u64], limits)?
    };
    let build = t.elapsed().as_secs_f64();
    dir.write_manifest("bench", &manifest)?;
    let file_bytes = shards.file_bytes();
    println!(
        "build ({tok}, {} shard(s), {} threads, memory budget {} MiB): {build:.2}s for {} tokens; index {} bytes = {:.2} bytes per token, {:.2} per text byte; peak RSS {:.0} MiB",
        shards.shards().len(),
        limits.threads,
        a.memory_mb,
        shards.len(),
        file_bytes,
        file_bytes as f64 / shards.len() as f64,
        file_bytes as f64 / bytes as f64,
        super::ingest::peak_rss_mib().unwrap_or(0.0)
    );
    drop(shards);
    let t = Instant::now();
    let shards = ShardDir::new(folder.clone()).open(&manifest)?;
    println!("open (mmap, checksums verified): {:.3} s", t.elapsed().as_secs_f64());

    // Queries: n-grams sampled from the corpus (so most occur), warm.
    let text: Vec<u8> = shards
        .shards()
        .iter()
        .flat_map(|s| s.suffix().expect("built as suffix arrays").text().iter().copied())
        .collect();
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
        shards.count(p);
    }
    let mut count_us: Vec<f64> = pats.iter().map(|p| micros(|| shards.count(p))).collect();
    let mut find_us: Vec<f64> = pats
        .iter()
        .take(5_000)
        .map(|p| micros(|| shards.occurrences(p, 10)))
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
        let mut ans = Vec::new();
        while ans.len() < target {
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
                ans.extend_from_slice(&frag);
            } else {
                for _ in 0..(3 + rnd() % 8) {
                    let word = format!("{} ", filler[rnd() as usize % filler.len()]);
                    ans.extend_from_slice(&tok.encode(word.as_bytes())?);
                }
            }
        }
        ans.truncate(target);
        answers.push(ans);
    }
    drop(text);
    // 32 bytes at byte level; 8 BPE tokens (about 32 bytes of English).
    let params = Params {
        min_len: if w == 1 { 32 } else { 8 },
        ..Params::default()
    };
    let mut span_ms: Vec<f64> = Vec::new();
    let mut attr_ms: Vec<f64> = Vec::new();
    let mut spans_found = 0;
    for ans in &answers {
        let t = Instant::now();
        let s = maximal_spans(&shards, ans, params.min_len, params.max_count);
        span_ms.push(t.elapsed().as_secs_f64() * 1e3);
        spans_found += s.len();
        let answer_text = tok.decode(ans)?;
        let t = Instant::now();
        std::hint::black_box(attribute(&shards, &answer_text, &params));
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
        cold(&folder, &manifest, &pats, &answers, &params)?;
    }
    if a.fm {
        compressed(&a, &language, &docs, &shards, &pats, &answers, &params, limits)?;
    }
    if a.delta_mb > 0 {
        let dir = ShardDir::new(folder.clone());
        incremental(
            &a,
            &language,
            &dir,
            &manifest,
            &shards,
            docs.len() as u64,
            limits,
            build,
        )?;
    }
    finish(&a, &shards, &pats, &answers, &params, &folder)
}

/// The compressed mode beside the suffix array: the version built as a node builds it in that
/// mode (FM-index files), opened again by a fresh process (checksums, and every document read
/// back from the transform and hashed against the content chain), then the same queries, and
/// its own incremental figure.
#[allow(clippy::too_many_arguments)]
fn compressed(
    a: &AttributionArgs,
    language: &super::synthetic::Language,
    docs: &[String],
    shards: &Shards,
    pats: &[Vec<u8>],
    answers: &[Vec<u8>],
    params: &Params,
    limits: BuildLimits,
) -> Result<()> {
    let tok = a.tokenizer;
    let bytes: usize = docs.iter().map(|d| d.len()).sum();
    let folder = a
        .out
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("sinew-bench-{}", std::process::id())))
        .with_extension("fm");
    if folder.exists() {
        std::fs::remove_dir_all(&folder)?;
    }
    std::fs::create_dir_all(&folder)?;
    let limits = limits.for_mode(IndexMode::Compressed);
    let dir = ShardDir::with_mode(folder.clone(), IndexMode::Compressed);
    let t = Instant::now();
    let (manifest, built) = {
        let refs = as_docs(docs, 0);
        let encoded = encode_all(tok, &refs)?;
        dir.build(tok, &encoded, &[refs.len() as u64], limits)?
    };
    let build = t.elapsed().as_secs_f64();
    let stored = built.file_bytes();
    println!(
        "fm build ({tok}, {} shard(s), files written): {build:.1}s; {stored} bytes = {:.3} bytes per text byte, {:.2} per token; peak RSS {:.0} MiB",
        built.shards().len(),
        stored as f64 / bytes as f64,
        stored as f64 / built.len() as f64,
        super::ingest::peak_rss_mib().unwrap_or(0.0)
    );
    drop(built);
    let t = Instant::now();
    let fm = ShardDir::with_mode(folder.clone(), IndexMode::Compressed).open(&manifest)?;
    let open = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for s in fm.shards() {
        if let sinew_attribution::Shard::Compressed(f) = s {
            f.check_content()?;
        }
    }
    println!(
        "fm open (checksums): {open:.2}s; every document read back from the transform and hashed against the content chain (what a merge reads): {:.1}s",
        t.elapsed().as_secs_f64()
    );
    let mut c: Vec<f64> = pats.iter().take(5_000).map(|p| micros(|| fm.count(p))).collect();
    let same = pats.iter().take(2_000).all(|p| fm.count(p) == shards.count(p));
    let mut s: Vec<f64> = Vec::new();
    let mut same_spans = 0;
    for ans in answers {
        let t = Instant::now();
        let got = maximal_spans(&fm, ans, params.min_len, params.max_count);
        s.push(t.elapsed().as_secs_f64() * 1e3);
        same_spans += (got == maximal_spans(shards, ans, params.min_len, params.max_count)) as usize;
    }
    let receipts_same = answers.iter().take(20).all(|ans| {
        let text = tok.decode(ans).unwrap_or_default();
        sinew_attribution::receipt(&fm, fm.id(), &text, params)
            == sinew_attribution::receipt(shards, shards.id(), &text, params)
    });
    println!(
        "fm count p50 {:.1} us, p99 {:.1} us (same counts: {same}); spans p50 {:.2} ms, p99 {:.2} ms (same spans on {same_spans}/{}); same receipts on 20 answers: {receipts_same}",
        pct(&mut c, 0.5),
        pct(&mut c, 0.99),
        pct(&mut s, 0.5),
        pct(&mut s, 0.99),
        answers.len()
    );
    if a.delta_mb > 0 {
        incremental(a, language, &dir, &manifest, &fm, docs.len() as u64, limits, build)?;
    }
    drop(fm);
    if a.out.is_none() {
        std::fs::remove_dir_all(&folder)?;
    }
    Ok(())
}

/// Query latency right after the page cache is dropped (root only).
fn cold(folder: &Path, manifest: &Manifest, pats: &[Vec<u8>], answers: &[Vec<u8>], params: &Params) -> Result<()> {
    if !drop_caches() {
        println!("cold page cache: skipped (cannot write /proc/sys/vm/drop_caches)");
        return Ok(());
    }
    // Opened without checksums: verifying would read every page back into the cache.
    let open = |m: &Manifest| -> Result<Shards> {
        let shards = m
            .served
            .iter()
            .map(|f| {
                let name = format!(
                    "{}-{}-{}.shard",
                    m.tokenizer,
                    &f.start.to_string()[..32],
                    &f.end.to_string()[..32]
                );
                Ok(std::sync::Arc::new(sinew_attribution::Index::open(
                    &folder.join(name),
                    false,
                )?))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Shards::new(shards)?)
    };
    let shards = open(manifest)?;
    let mut c: Vec<f64> = pats
        .iter()
        .skip(10_000)
        .take(200)
        .map(|p| micros(|| shards.count(p)))
        .collect();
    drop(shards);
    drop_caches();
    let shards = open(manifest)?;
    let mut s: Vec<f64> = answers
        .iter()
        .take(20)
        .map(|ans| millis(|| maximal_spans(&shards, ans, params.min_len, params.max_count)))
        .collect();
    println!(
        "cold page cache: count p50 {:.0} us (first 200 queries after dropping caches); maximal spans p50 {:.1} ms (first 20 answers)",
        pct(&mut c, 0.5),
        pct(&mut s, 0.5)
    );
    Ok(())
}

/// A new version holding `--delta-mb` more: the time until it can be queried (its records
/// tokenized and indexed as new shards, the manifest written), beside the full build's time.
#[allow(clippy::too_many_arguments)]
fn incremental(
    a: &AttributionArgs,
    language: &super::synthetic::Language,
    dir: &ShardDir,
    manifest: &Manifest,
    shards: &Shards,
    first: u64,
    limits: BuildLimits,
    full_build: f64,
) -> Result<()> {
    let delta = language.corpus(1 << 40, a.delta_mb << 20);
    let t = Instant::now();
    let refs = as_docs(&delta, first);
    let encoded = encode_all(a.tokenizer, &refs)?;
    let (next, next_shards) = dir.extend(manifest, shards, &encoded, limits)?;
    dir.write_manifest("bench-next", &next)?;
    let took = t.elapsed().as_secs_f64();
    // A prefix cut before a space, so that a BPE tokenizer splits it as in the whole text.
    let head = delta[0].as_bytes().get(..64).unwrap_or(delta[0].as_bytes());
    let probe = &head[..head.iter().rposition(|&b| b == b' ').unwrap_or(head.len())];
    let found = next_shards.count(&a.tokenizer.encode_lossy(probe));
    println!(
        "{}new version +{} MB ({} documents): attributable in {:.3} s ({} shards; the full build took {:.1} s); its text is found: {}",
        match dir.mode() {
            IndexMode::SuffixArray => "",
            IndexMode::Compressed => "fm ",
        },
        a.delta_mb,
        delta.len(),
        took,
        next_shards.shards().len(),
        full_build,
        found > 0
    );
    let merges = next.pending(limits.build_max);
    if !merges.is_empty() {
        let t = Instant::now();
        let (_, merged) = dir.compact(&next, &next_shards, BuildLimits { threads: 1, ..limits })?;
        println!(
            "background merge to {} shard(s): {:.2} s on one core",
            merged.shards().len(),
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn finish(
    a: &AttributionArgs,
    idx: &Shards,
    pats: &[Vec<u8>],
    answers: &[Vec<u8>],
    params: &Params,
    folder: &Path,
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
        let _ = std::fs::remove_dir_all(folder);
    }
    Ok(())
}
