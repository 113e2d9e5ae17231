//! `sinew devnet`: a fresh single-node chain with funded dev accounts, and a demo workload that
//! exercises it end to end through the public API.

use crate::keys;
use crate::node_cmds::now_ms;
use anyhow::{bail, Context, Result};
use clap::Args;
use sinew_node::NodeConfig;
use sinew_state::{Genesis, GenesisAccount};
use sinew_types::amount::TOKEN;
use sinew_types::{Keypair, Params};
use std::net::SocketAddr;
use std::path::PathBuf;

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
    /// Validators: 1 runs one node with the single-node sequencer; more start that many
    /// `sinew node` processes on loopback replicating the chain by BFT consensus (APIs on
    /// consecutive ports from --listen, p2p 1000 ports above).
    #[arg(long, default_value_t = 1)]
    validators: usize,
}

/// Deterministic, publicly known dev keys.
pub fn dev_keys(n: usize) -> Vec<Keypair> {
    (0..n).map(|i| Keypair::dev(&format!("devnet-{i}"))).collect()
}

/// `sinew devnet`.
pub fn run(a: DevnetArgs) -> Result<()> {
    if a.accounts < 2 || a.accounts > 1000 {
        bail!("--accounts must be within 2..=1000");
    }
    if !(1..=32).contains(&a.validators) {
        bail!("--validators must be within 1..=32");
    }
    if a.validators > 1 && u32::from(a.listen.port()) + 1_000 + a.validators as u32 > 65_535 {
        bail!(
            "--listen port too high: {} validators need ports up to 1000 above it",
            a.validators
        );
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
        validators: vec![],
    };
    if a.validators > 1 {
        return crate::devnet_bft::run(dir, a.validators, a.listen.port(), genesis, &keys, a.demo, a.exit);
    }
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
        println!("  explorer  {url}/");
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
            tokio::task::spawn_blocking(move || crate::demo::run(&u, &k)).await??;
        }
        if !a.exit {
            println!("\nserving until Ctrl-C");
            tokio::signal::ctrl_c().await?;
        }
        running.shutdown().await?;
        Ok(())
    })
}
