//! The datanet ingestion benchmark: a generated JSON-lines datanet of a given size pushed end to
//! end through a node (local ingestion and dedup fingerprints, streamed upload, the node's own
//! ingestion and duplicate checks inside `Contribute`, publish), with per-phase times, the
//! near-duplicate fingerprint rate and peak memory.

use anyhow::{bail, Context, Result};
use clap::Args;
use sinew_node::NodeConfig;
use sinew_sdk::{Client, SubmitOutcome};
use sinew_state::{Genesis, GenesisAccount};
use sinew_types::datanet::{CurationPolicy, DatanetInfo, DatanetRules, Format};
use sinew_types::payload::{Contribute, CreateDatanet, PublishVersion};
use sinew_types::{Keypair, Params, Payload, TxStatus};
use std::io::Write;
use std::time::Instant;

/// Arguments of `sinew bench ingest`.
#[derive(Args)]
pub struct IngestArgs {
    /// Size of the generated datanet, in MB.
    #[arg(long, default_value_t = 100)]
    mb: u64,
    /// Average record size in bytes.
    #[arg(long, default_value_t = 1000)]
    record_bytes: usize,
}

/// Peak resident memory of this process, from /proc (Linux), in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn generate(path: &std::path::Path, bytes: u64, record_bytes: usize) -> Result<u64> {
    let vocab: Vec<String> = (0..20_000)
        .map(|i| format!("w{:x}{}", i * 7919 % 65_521, ["a", "e", "o", "u"][i % 4]))
        .collect();
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut written, mut n) = (0u64, 0u64);
    let mut line = String::new();
    while written < bytes {
        line.clear();
        line.push_str("{\"id\":");
        line.push_str(&n.to_string());
        line.push_str(",\"text\":\"");
        let target = record_bytes / 2 + (next() as usize % record_bytes);
        let start = line.len();
        while line.len() - start < target {
            line.push_str(&vocab[next() as usize % vocab.len()]);
            line.push(' ');
        }
        line.push_str("\"}\n");
        f.write_all(line.as_bytes())?;
        written += line.len() as u64;
        n += 1;
    }
    f.flush()?;
    Ok(n)
}

/// `sinew bench ingest`.
pub fn run(a: IngestArgs) -> Result<()> {
    if a.mb == 0 || a.record_bytes < 64 {
        bail!("--mb must be positive and --record-bytes at least 64");
    }
    let dir = tempfile::Builder::new().prefix("sinew-ingest-").tempdir()?;
    let file = dir.path().join("data.jsonl");
    let t = Instant::now();
    let lines = generate(&file, a.mb << 20, a.record_bytes)?;
    println!(
        "ingest bench: generated {} MB of JSON lines ({lines} records) in {:.1}s (not counted)",
        a.mb,
        t.elapsed().as_secs_f64()
    );

    let key = Keypair::dev("ingest-bench");
    let mut params = Params::default_for(key.address());
    params.max_blob_bytes = (a.mb + 16) << 20;
    let genesis = Genesis {
        chain_id: "sinew-ingest".into(),
        timestamp_ms: 0,
        params,
        accounts: vec![GenesisAccount {
            address: key.address(),
            balance: 1 << 100,
        }],
        validators: vec![],
    };
    let mut config = NodeConfig::new(dir.path().join("node"));
    config.listen = "127.0.0.1:0".parse().expect("address");
    let rt = tokio::runtime::Runtime::new()?;
    let running = rt.block_on(sinew_node::start(config, Some(genesis)))?;
    let c = Client::new(&running.url());
    let submit = |payload: Payload| -> Result<sinew_types::Receipt> {
        let r = c.submit(&c.build(&key, payload, None)?, true)?;
        match r.outcome {
            SubmitOutcome::Committed { receipt, .. } if receipt.status == TxStatus::Success => Ok(receipt),
            other => bail!("not committed: {other:?}"),
        }
    };
    let create: Payload = CreateDatanet {
        info: DatanetInfo {
            name: "bench".into(),
            description: String::new(),
            license: "CC0-1.0".into(),
            tags: vec![],
        },
        rules: DatanetRules {
            curation: CurationPolicy::Open,
            contribution_bond: 0,
            reject_slash_bps: 0,
            publish_fee_per_byte: 0,
            refuse_near_duplicates: false,
        },
    }
    .into();
    submit(create)?;

    let start = Instant::now();
    let format = Format::Jsonl { field: "text".into() };
    let bytes = std::fs::read(&file)?;
    let t = Instant::now();
    let records = sinew_datanet::ingest(&bytes, &format, "data.jsonl")?;
    let t_parse = t.elapsed();
    let t = Instant::now();
    let metas = sinew_datanet::fingerprint(&records);
    let t_fp = t.elapsed();
    let root = sinew_datanet::records_root(&metas);
    drop(records);
    drop(bytes);
    let t = Instant::now();
    let f = std::fs::File::open(&file)?;
    let size = f.metadata()?.len();
    let blob = c.upload_blob(f, Some(size)).context("upload")?.blob;
    let t_upload = t.elapsed();
    let t = Instant::now();
    submit(
        Contribute {
            datanet: 0,
            blob,
            size,
            format,
            record_count: metas.len() as u32,
            records_root: root,
            metadata: "bench".into(),
        }
        .into(),
    )?;
    let t_contribute = t.elapsed();
    let t = Instant::now();
    submit(PublishVersion { datanet: 0 }.into())?;
    let t_publish = t.elapsed();
    let total = start.elapsed();
    rt.block_on(running.shutdown())?;
    let secs = |d: std::time::Duration| d.as_secs_f64();
    println!(
        "client: parse {:.2}s, fingerprints {:.2}s ({:.0} records/s near-duplicate fingerprinting)",
        secs(t_parse),
        secs(t_fp),
        metas.len() as f64 / secs(t_fp)
    );
    println!(
        "upload (streamed, hashed, fsync'd): {:.2}s ({:.0} MB/s)",
        secs(t_upload),
        a.mb as f64 / secs(t_upload)
    );
    println!(
        "contribute (node ingests, checks count and root, exact and near-duplicate checks, commits): {:.2}s",
        secs(t_contribute)
    );
    println!("publish: {:.2}s", secs(t_publish));
    println!(
        "end to end: {:.2}s for {} MB, {} records; peak RSS {:.0} MiB (node and client in one process)",
        secs(total),
        a.mb,
        metas.len(),
        peak_rss_mib().unwrap_or(0.0)
    );
    Ok(())
}
