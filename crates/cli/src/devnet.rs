//! `sinew devnet`: a fresh single-node chain with funded dev accounts, and a demo workload that
//! exercises it end to end through the public API.

use crate::keys;
use crate::node_cmds::now_ms;
use anyhow::{bail, Context, Result};
use clap::Args;
use sinew_node::NodeConfig;
use sinew_sdk::{format_amount, sign_with_fee, Client};
use sinew_state::accounts::treasury;
use sinew_state::{Genesis, GenesisAccount};
use sinew_types::datanet::{CurationPolicy, DatanetInfo, DatanetRules, Format};
use sinew_types::payload::{Contribute, CreateDatanet, PublishVersion, Review, Stake, Transfer, Unstake};
use sinew_types::{Event, Keypair, Params, Payload, TxStatus};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `sinew devnet`.
#[derive(Args)]
pub struct DevnetArgs {
    /// Data directory (default: a new directory under the system temp dir). An existing devnet
    /// directory is resumed.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// API listen address.
    #[arg(long, default_value = "127.0.0.1:8645")]
    listen: SocketAddr,
    /// Number of funded dev accounts.
    #[arg(long, default_value_t = 4)]
    accounts: usize,
    /// Run the demo workload once the node is up.
    #[arg(long)]
    demo: bool,
    /// Stop after the demo instead of serving until Ctrl-C.
    #[arg(long)]
    exit: bool,
}

/// One token in base units (18 decimals).
pub const TOKEN: u128 = 1_000_000_000_000_000_000;

/// Deterministic, publicly known dev keys.
pub fn dev_keys(n: usize) -> Vec<Keypair> {
    (0..n).map(|i| Keypair::dev(&format!("devnet-{i}"))).collect()
}

/// `sinew devnet`.
pub fn run(a: DevnetArgs) -> Result<()> {
    if a.accounts < 2 || a.accounts > 1000 {
        bail!("--accounts must be within 2..=1000");
    }
    let dir = a
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("sinew-devnet-{}", now_ms())));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let keys_dir = dir.join("keys");
    let keys = dev_keys(a.accounts);
    for (i, k) in keys.iter().enumerate() {
        if !keys_dir.join(format!("dev{i}.json")).exists() {
            keys::save(&keys_dir, &format!("dev{i}"), k, None)?;
        }
    }
    let genesis = Genesis {
        chain_id: "sinew-devnet".into(),
        timestamp_ms: now_ms(),
        params: Params {
            inference_platform_fee: TOKEN / 10_000,
            ..Params::default_for(keys[0].address())
        },
        accounts: keys
            .iter()
            .map(|k| GenesisAccount {
                address: k.address(),
                balance: 1_000_000 * TOKEN,
            })
            .collect(),
    };
    let resume = dir.join("db").exists();
    let mut config = NodeConfig::new(dir.clone());
    config.listen = a.listen;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        // The last dev account is the devnet's inference provider: this node serves its models.
        let provider = keys.last().cloned();
        let running =
            sinew_node::service::start_with(config, if resume { None } else { Some(genesis) }, provider).await?;
        let url = running.url();
        let bin = std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "sinew".into());
        println!(
            "Sinew devnet  chain {}  height {}",
            running.node.chain_id(),
            running.node.head().height
        );
        println!("  API       {url}   (OpenAPI: {url}/openapi.json, events: {url}/v1/events)");
        println!("  data dir  {}", dir.display());
        println!(
            "  dev accounts (public test keys, key files in {}):",
            keys_dir.display()
        );
        for (i, k) in keys.iter().enumerate() {
            println!("    dev{i:<3} {}", k.address());
        }
        println!(
            "  try:      {bin} --url {url} --keys-dir {} transfer --from dev0 --to dev1 --amount 1000",
            keys_dir.display()
        );
        println!(
            "            {bin} --url {url} --keys-dir {} account dev1",
            keys_dir.display()
        );
        if a.demo {
            let u = url.clone();
            let k = keys.clone();
            tokio::task::spawn_blocking(move || demo(&u, &k)).await??;
        }
        if !a.exit {
            println!("\nserving until Ctrl-C");
            tokio::signal::ctrl_c().await?;
        }
        running.shutdown().await?;
        Ok(())
    })
}

pub(crate) fn step(title: &str) {
    println!("\n== {title}");
}

/// The demo workload: every step goes through the public HTTP API with the SDK.
pub fn demo(url: &str, keys: &[Keypair]) -> Result<()> {
    let c = Client::new(url);
    let chain_id = c.chain_id()?;
    let params = c.params()?;

    step("1. a transfer, waited until durable");
    let (k0, k1) = (&keys[0], &keys[1]);
    let before = c.account(&k1.address(), None)?.account.balance;
    let first = c.build(
        k0,
        Transfer {
            to: k1.address(),
            amount: 250 * TOKEN,
        }
        .into(),
        None,
    )?;
    let r = c.submit(&first, true)?;
    let receipt = r.receipt().cloned().context("no receipt")?;
    println!(
        "dev0 -> dev1 250 tokens: tx {} committed at height {}, status {:?}, fee {} base units",
        r.tx_id,
        r.height().unwrap_or(0),
        receipt.status,
        receipt.fee
    );
    let after = c.account(&k1.address(), None)?.account.balance;
    println!(
        "dev1 balance {} -> {} tokens",
        format_amount(before),
        format_amount(after)
    );

    step("2. a batch of 4,000 signed transfers in the binary encoding");
    let mut txs = vec![];
    for (i, k) in keys.iter().enumerate() {
        let nonce = c.account(&k.address(), None)?.account.nonce;
        for n in 0..(4000 / keys.len()) as u64 {
            let to = keys[(i + 1 + n as usize % (keys.len() - 1)) % keys.len()].address();
            txs.push(sign_with_fee(
                k,
                &chain_id,
                nonce + n,
                Transfer {
                    to,
                    amount: TOKEN / 1000,
                }
                .into(),
                &params,
            ));
        }
    }
    let t = Instant::now();
    let h0 = c.height()?;
    let br = c.submit_batch(&txs, true)?;
    let secs = t.elapsed().as_secs_f64();
    let committed = br.results.iter().filter(|r| r.status() == "committed").count();
    let h1 = c.height()?;
    println!(
        "{committed} of {} committed in {:.0} ms across {} blocks ({:.0} tx/s including signing checks and fsync)",
        txs.len(),
        secs * 1000.0,
        h1 - h0,
        committed as f64 / secs
    );

    step("3. staking: bond 1,000 tokens, start unbonding 400");
    for (payload, what) in [
        (Stake { amount: 1000 * TOKEN }.into(), "stake"),
        (Unstake { amount: 400 * TOKEN }.into(), "unstake"),
    ] {
        let r = c.submit(&c.build(k1, payload, None)?, true)?;
        println!("{what}: {:?}", r.receipt().context("no receipt")?.status);
    }
    let acct = c.account(&k1.address(), None)?.account;
    println!(
        "dev1 staked {} tokens; unbonding {} tokens until height {}",
        format_amount(acct.staked),
        format_amount(acct.unbonding[0].amount),
        acct.unbonding[0].release_height
    );

    step("4. bad input is refused with a clear error and changes nothing");
    let before = c.account(&k0.address(), None)?;
    let replay = c.submit(&first, true)?;
    println!(
        "replaying the first transfer: {} ({})",
        replay.error().map(|e| e.message).unwrap_or_default(),
        replay.error().map(|e| e.code).unwrap_or_default()
    );
    let mut forged = c.build(
        k0,
        Transfer {
            to: k1.address(),
            amount: 1,
        }
        .into(),
        None,
    )?;
    forged.tx.payload = Transfer {
        to: k1.address(),
        amount: 1_000 * TOKEN,
    }
    .into();
    let r = c.submit(&forged, true)?;
    println!(
        "a transaction altered after signing: {}",
        r.error().map(|e| e.message).unwrap_or_default()
    );
    let broke = c.build(
        k0,
        Transfer {
            to: k1.address(),
            amount: u128::MAX,
        }
        .into(),
        None,
    )?;
    let r = c.submit(&broke, true)?;
    if let Some(TxStatus::Failed { code, message }) = r.receipt().map(|r| &r.status) {
        println!("sending more than the balance: included but failed ({code}: {message}); only the fee was charged");
    }
    let after = c.account(&k0.address(), None)?;
    println!(
        "dev0 nonce {} -> {} (the refused ones left no trace; the failed one used a nonce)",
        before.account.nonce, after.account.nonce
    );

    step("5. a balance anyone can check: Merkle proof against the block's state root");
    let v = c.account(&k1.address(), None)?;
    let proof = sinew_state::StateProof(hex::decode(&v.proof.proof)?);
    let key = hex::decode(&v.proof.key)?;
    let value = v.proof.value.as_deref().map(hex::decode).transpose()?;
    sinew_state::verify_proof(v.proof.state_root, &key, value.as_deref(), &proof)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "dev1 balance {} tokens at height {} proven against state root {} ({} byte proof): OK",
        format_amount(v.account.balance),
        v.proof.height,
        v.proof.state_root,
        proof.0.len()
    );
    let mut tampered = v.account.clone();
    tampered.balance += 1;
    let lie = borsh::to_vec(&tampered)?;
    let rejected = sinew_state::verify_proof(v.proof.state_root, &key, Some(&lie), &proof).is_err();
    println!(
        "the same proof for a balance one unit higher: {}",
        if rejected { "rejected" } else { "ACCEPTED (bug!)" }
    );

    let datanet = datanet_demo(&c, keys)?;
    let model = crate::demo_inference::run(&c, url, keys, datanet)?;
    crate::demo_agents::run_demo(&c, url, keys, model)?;

    step("summary");
    let t = c.account(&treasury(), None)?.account;
    let head = c.latest_block()?.header;
    println!("height {}  state root {}", head.height, head.state_root);
    println!("fees collected by the treasury: {} base units", t.balance);
    println!("check the whole chain offline later with: sinew replay --data-dir <dir> (node stopped)");
    Ok(())
}

/// The sample corpus shipped in `samples/datanet` (written for the project).
pub(crate) const SAMPLES: [(&str, &str); 3] = [
    ("rivers.md", include_str!("../../../samples/datanet/rivers.md")),
    ("lakes.jsonl", include_str!("../../../samples/datanet/lakes.jsonl")),
    ("glossary.csv", include_str!("../../../samples/datanet/glossary.csv")),
];

pub(crate) fn committed(c: &Client, key: &Keypair, payload: Payload) -> Result<sinew_types::Receipt> {
    let r = c.submit(&c.build(key, payload, None)?, true)?;
    if let Some(e) = r.error() {
        bail!("{} ({})", e.message, e.code);
    }
    let receipt = r.receipt().cloned().context("no receipt")?;
    if let TxStatus::Failed { code, message } = &receipt.status {
        bail!("{message} ({code})");
    }
    Ok(receipt)
}

pub(crate) fn contribute_sample(c: &Client, key: &Keypair, datanet: u64, name: &str, text: &str) -> Result<(u64, u32)> {
    let format = match name.rsplit('.').next() {
        Some("csv") => Format::Csv {
            columns: vec!["term".into(), "definition".into()],
        },
        Some(ext) => Format::for_extension(ext).context("sample format")?,
        None => bail!("sample without extension"),
    };
    let ingested = sinew_datanet::ingest_blob(text.as_bytes(), &format, name)?;
    let sinew_sdk::answers::BlobStored { blob, size } = c.upload_blob(text.as_bytes(), Some(text.len() as u64))?;
    let payload: Payload = Contribute {
        datanet,
        blob,
        size,
        format,
        record_count: ingested.records.len() as u32,
        records_root: sinew_datanet::records_root(&ingested.records),
        metadata: name.into(),
    }
    .into();
    let receipt = committed(c, key, payload)?;
    for e in receipt.events {
        if let Event::Contributed {
            contribution,
            records,
            near_duplicates,
            ..
        } = e
        {
            println!(
                "{name}: contribution {contribution}, {records} records, {near_duplicates} flagged as near-duplicates"
            );
            return Ok((contribution, near_duplicates));
        }
    }
    bail!("no contribution event")
}

/// Datanets: a curated dataset from the shipped sample corpus, two contributors, a review, a
/// refused duplicate, a flagged near-duplicate, and a published version.
fn datanet_demo(c: &Client, keys: &[Keypair]) -> Result<u64> {
    step("6. a datanet: contributions with bonds, review, duplicates, a published version");
    let (owner, alice, bob) = (&keys[0], &keys[1], &keys[2 % keys.len()]);
    let receipt = committed(
        c,
        owner,
        CreateDatanet {
            info: DatanetInfo {
                name: "rivers-and-lakes".into(),
                description: "Plain-language notes on rivers and lakes (sample corpus)".into(),
                license: "Apache-2.0".into(),
                tags: vec!["geography".into(), "sample".into()],
            },
            rules: DatanetRules {
                curation: CurationPolicy::OwnerCurated,
                contribution_bond: 10 * TOKEN,
                reject_slash_bps: 5_000,
                publish_fee_per_byte: TOKEN / 1_000_000,
                refuse_near_duplicates: false,
            },
        }
        .into(),
    )?;
    let id = receipt
        .events
        .iter()
        .find_map(|e| {
            if let Event::DatanetCreated { datanet, .. } = e {
                Some(*datanet)
            } else {
                None
            }
        })
        .context("no datanet event")?;
    println!("dev0 created datanet {id} (owner-curated, 10-token bond per contribution, half slashed on rejection)");
    let (rivers, _) = contribute_sample(c, alice, id, SAMPLES[0].0, SAMPLES[0].1)?;
    let (lakes, _) = contribute_sample(c, bob, id, SAMPLES[1].0, SAMPLES[1].1)?;
    let (glossary, _) = contribute_sample(c, bob, id, SAMPLES[2].0, SAMPLES[2].1)?;
    // The same file again is refused before anything changes.
    let again = contribute_sample(c, bob, id, SAMPLES[0].0, SAMPLES[0].1).unwrap_err();
    println!("rivers.md again from dev2: refused: {again}");
    // A lightly edited copy of one paragraph is flagged for the reviewer.
    let copy = "Most rivers begin as many small streams in high ground. Rain and melting snow gather in rills, rills join into brooks, and brooks join into a channel that is wide enough to carry boats.";
    let (copied, flagged) = contribute_sample(c, bob, id, "copied.txt", copy)?;
    println!("copied.txt: {flagged} record flagged as a near-duplicate of an existing one");
    for (seq, approve, reason) in [
        (rivers, true, ""),
        (lakes, true, ""),
        (glossary, true, ""),
        (copied, false, "near-duplicate of rivers.md"),
    ] {
        committed(
            c,
            owner,
            Review {
                datanet: id,
                contribution: seq,
                approve,
                reason: reason.into(),
            }
            .into(),
        )?;
    }
    println!("dev0 approved 3 contributions (bonds returned) and rejected the copy (half its bond slashed)");
    committed(c, owner, PublishVersion { datanet: id }.into())?;
    let d: serde_json::Value = c.get(&format!("/v1/datanets/{id}"))?;
    let v = &d["versions"][0];
    println!(
        "published version {}: {} contributions, {} records, {} bytes, root {}",
        v["version"],
        v["contributions"],
        v["records"],
        v["bytes"],
        v["root"].as_str().unwrap_or("?")
    );
    let r: serde_json::Value = c.get(&format!("/v1/datanets/{id}/records?contribution={lakes}&limit=1"))?;
    let rec = &r["records"][0];
    let answer = "Ask anyone: most rivers begin as many small streams in high ground, and a reservoir forms behind a dam and is managed for drinking water, irrigation or power.";
    let r: serde_json::Value = c.post_json(
        &format!("/v1/datanets/{id}/versions/1/attribute"),
        &serde_json::json!({ "text": answer }),
    )?;
    println!("attributing an answer to version 1: {answer:?}");
    for s in r["spans"].as_array().into_iter().flatten() {
        let (o, l) = (
            s["answer_offset"].as_u64().unwrap_or(0) as usize,
            s["len"].as_u64().unwrap_or(0) as usize,
        );
        println!(
            "  span {:?} found in contribution {} record {}",
            &answer[o..o + l],
            s["contribution"],
            s["record"]
        );
    }
    for w in r["weights"].as_array().into_iter().flatten() {
        println!(
            "  contribution {} earns {:.2}% of the contributors' share",
            w[0],
            w[1].as_f64().unwrap_or(0.0) / 10_000.0
        );
    }
    println!(
        "a record with its provenance: contribution {} record {} = bytes {}..{} of blob {}:\n  {}",
        rec["contribution"],
        rec["index"],
        rec["start"],
        rec["end"],
        rec["blob"].as_str().unwrap_or("?"),
        rec["text"].as_str().unwrap_or("?")
    );
    Ok(id)
}
