//! The version-build benchmark: a datanet version of generated contributions (distinct text,
//! made on demand as each blob is read, never held whole), indexed from scratch the way a node
//! does (`VersionIndexes`: records streamed through a spill file, one shard's documents at a
//! time), within a memory budget. It prints the build time and the process's peak memory beside
//! the version's size: a version larger than the budget, even than the machine's memory, builds.

use anyhow::{bail, Result};
use clap::Args;
use sinew_attribution::{Corpus, IndexMode, Tokenizer};
use sinew_state::{BlobSourceError, IndexKey, VersionContents};
use sinew_store::VersionIndexes;
use sinew_types::datanet::{BlobId, Format};
use sinew_types::Hash;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Arguments of `sinew bench version`.
#[derive(Args)]
pub struct VersionArgs {
    /// Size of the version's text, in MB (MiB).
    #[arg(long, default_value_t = 5000)]
    mb: u64,
    /// Size of one contribution (a JSON-lines blob), in MB (MiB).
    #[arg(long, default_value_t = 16)]
    contribution_mb: u64,
    /// Memory one shard build may take, in MiB (a node's `index_memory_mb`).
    #[arg(long, default_value_t = 2048)]
    memory_mb: u64,
    /// How the index is stored: suffix-array or compressed.
    #[arg(long, default_value = "suffix-array")]
    index_mode: IndexMode,
    /// Tokenizer: bytes, gpt2 or cl100k.
    #[arg(long, default_value = "bytes")]
    tokenizer: Tokenizer,
    /// Keep the index in this folder, new or empty (default: a temporary one, removed after).
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

/// `sinew bench version`.
pub fn run(a: VersionArgs) -> Result<()> {
    if a.mb == 0 || a.contribution_mb == 0 {
        bail!("--mb and --contribution-mb must be positive");
    }
    let language = super::synthetic::Language::new(40_000);
    let per = (a.contribution_mb << 20) as usize;
    let n = a.mb.div_ceil(a.contribution_mb);
    let ids: HashMap<BlobId, u64> = (0..n).map(|i| (Hash::of(&i.to_le_bytes()), i)).collect();
    let contents = VersionContents {
        contributions: (0..n)
            .map(|i| (i, Hash::of(&i.to_le_bytes()), Format::Jsonl { field: "text".into() }))
            .collect(),
        versions: vec![(n, Hash::of(b"bench version"))],
    };
    let folder = a
        .out
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("sinew-bench-version-{}", std::process::id())));
    if folder.exists() && std::fs::read_dir(&folder)?.next().is_some() {
        bail!("{folder:?} is not empty: give --out a new or empty folder");
    }
    let indexes = VersionIndexes::open(folder.clone(), a.memory_mb, a.index_mode);
    let key = IndexKey {
        datanet: 0,
        version: 1,
        root: contents.versions[0].1,
        tokenizer: a.tokenizer,
    };
    // Each blob is generated when the build reads it: documents numbered apart per contribution,
    // so every one is distinct text.
    let made = Arc::new(Mutex::new((Duration::ZERO, 0u64)));
    let read_blob = |id: &BlobId| -> Result<Arc<Vec<u8>>, BlobSourceError> {
        let i = *ids.get(id).ok_or(BlobSourceError::NotFound(*id))?;
        let t = Instant::now();
        let mut blob = Vec::with_capacity(per + per / 8);
        for d in language.corpus(i << 20, per) {
            serde_json::to_writer(&mut blob, &serde_json::json!({ "text": d }))
                .map_err(|e| BlobSourceError::Unavailable(e.to_string()))?;
            blob.push(b'\n');
        }
        let mut m = made.lock().expect("not poisoned");
        m.0 += t.elapsed();
        m.1 += blob.len() as u64;
        Ok(Arc::new(blob))
    };
    println!(
        "version bench: {n} contributions of {} MiB ({} MiB), {} mode, {} tokenizer, memory budget {} MiB, {} core(s)",
        a.contribution_mb,
        n * a.contribution_mb,
        a.index_mode,
        a.tokenizer,
        a.memory_mb,
        std::thread::available_parallelism().map_or(1, |c| c.get())
    );
    let t = Instant::now();
    let (shards, id) = indexes.get(key, &|| Ok(contents.clone()), &read_blob)?;
    let total = t.elapsed().as_secs_f64();
    let (generating, blob_bytes) = *made.lock().expect("not poisoned");
    let text: u64 = shards.shards().iter().map(|s| s.stream_bytes() as u64).sum();
    println!(
        "built from scratch in {:.1} s ({:.1} s of it generating {:.0} MiB of blobs): {} shards, {} documents, {} stream bytes, index files {} bytes ({:.2} per stream byte), id {id}",
        total,
        generating.as_secs_f64(),
        blob_bytes as f64 / 1048576.0,
        shards.shards().len(),
        shards.doc_count(),
        text,
        shards.file_bytes(),
        shards.file_bytes() as f64 / text.max(1) as f64
    );
    println!(
        "peak RSS {:.0} MiB for a version of {:.0} MiB of tokens (budget {} MiB)",
        super::ingest::peak_rss_mib().unwrap_or(0.0),
        text as f64 / 1048576.0,
        a.memory_mb
    );
    let first = language.document(0, 64);
    let phrase: String = first.split(' ').take(3).collect::<Vec<_>>().join(" ");
    let hit = shards.count(&a.tokenizer.encode(phrase.as_bytes())?);
    println!("queryable: {phrase:?}, from the first document, occurs {hit} times");
    if hit == 0 {
        bail!("the version's index does not hold its first document");
    }
    drop(shards);
    indexes.wait_for_merges();
    drop(indexes);
    if a.out.is_none() {
        std::fs::remove_dir_all(&folder)?;
    }
    Ok(())
}
