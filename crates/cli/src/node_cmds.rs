//! Operator commands: write a genesis, run a node, replay a chain.

use crate::keys;
use anyhow::{Context, Result};
use clap::Args;
use sinew_node::NodeConfig;
use sinew_state::{Genesis, GenesisAccount, GenesisValidator};
use sinew_types::Params;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Arguments of `sinew genesis`.
#[derive(Args)]
pub struct GenesisArgs {
    /// Chain id.
    #[arg(long)]
    chain_id: String,
    /// Parameters authority: address or key name.
    #[arg(long)]
    authority: String,
    /// `ADDRESS_OR_KEY=BASE_UNITS`, repeatable.
    #[arg(long = "fund", value_name = "WHO=AMOUNT")]
    funds: Vec<String>,
    /// `NAME=ADDRESS_OR_KEY`: a validator's consensus key (never a funded account), repeatable.
    #[arg(long = "validator", value_name = "NAME=KEY")]
    validators: Vec<String>,
    /// Output file (default: stdout).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Arguments of `sinew node`.
#[derive(Args)]
pub struct NodeArgs {
    /// TOML configuration file.
    #[arg(long)]
    config: PathBuf,
    /// Serve the models of this provider key (name in the keys directory) through the
    /// OpenAI-compatible gateway; its account signs their settlements.
    #[arg(long)]
    provider_key: Option<String>,
}

/// Arguments of `sinew replay`.
#[derive(Args)]
pub struct ReplayArgs {
    /// The node's data directory (the node must be stopped).
    #[arg(long)]
    data_dir: PathBuf,
    /// How the node stores datanet indexes (its `index_mode`), so that replay reuses them
    /// rather than rebuilding them in the other mode.
    #[arg(long, default_value = "suffix-array")]
    index_mode: sinew_attribution::IndexMode,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `sinew genesis`.
pub fn genesis(a: GenesisArgs, dir: &Path) -> Result<()> {
    let authority = keys::resolve_address(dir, &a.authority)?;
    let mut accounts = vec![];
    for f in &a.funds {
        let (who, amount) = f
            .split_once('=')
            .with_context(|| format!("--fund {f:?}: expected WHO=AMOUNT"))?;
        let amount: u128 = amount
            .parse()
            .with_context(|| format!("--fund {f:?}: amount must be a whole number of base units"))?;
        accounts.push(GenesisAccount {
            address: keys::resolve_address(dir, who)?,
            balance: amount,
        });
    }
    let mut validators = vec![];
    for v in &a.validators {
        let (name, who) = v
            .split_once('=')
            .with_context(|| format!("--validator {v:?}: expected NAME=KEY"))?;
        validators.push(GenesisValidator {
            key: keys::resolve_address(dir, who)?,
            name: name.into(),
        });
    }
    let g = Genesis {
        chain_id: a.chain_id,
        timestamp_ms: now_ms(),
        params: Params::default_for(authority),
        accounts,
        validators,
    };
    g.validate()?;
    let text = serde_json::to_string_pretty(&g)?;
    match a.out {
        Some(p) => std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?,
        None => println!("{text}"),
    }
    Ok(())
}

/// Reads a genesis document.
pub fn read_genesis(path: &Path) -> Result<Genesis> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading genesis {}", path.display()))?;
    let g: Genesis =
        serde_json::from_str(&text).with_context(|| format!("{} is not a genesis document", path.display()))?;
    g.validate()?;
    Ok(g)
}

/// `sinew node`: runs until Ctrl-C.
pub fn node(a: NodeArgs, keys_dir: &Path) -> Result<()> {
    let provider = a
        .provider_key
        .as_deref()
        .map(|k| crate::keys::load(keys_dir, k))
        .transpose()?;
    let text = std::fs::read_to_string(&a.config).with_context(|| format!("reading {}", a.config.display()))?;
    let mut config = NodeConfig::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", a.config.display()))?;
    let base = a.config.parent().unwrap_or(Path::new("."));
    if config.data_dir.is_relative() {
        config.data_dir = base.join(&config.data_dir);
    }
    let genesis = match &config.genesis_file {
        Some(g) => Some(read_genesis(&if g.is_relative() { base.join(g) } else { g.clone() })?),
        None => None,
    };
    let bft = match &config.bft {
        Some(b) => {
            let g = genesis
                .as_ref()
                .context("a validator needs genesis_file in its configuration (it names the validator set)")?;
            Some(crate::validator::runner(b, base, g, &config.data_dir)?)
        }
        None => None,
    };
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let running = sinew_node::service::start_ordered(config, genesis, provider, bft).await?;
        println!(
            "node listening on {} (chain {}, height {})",
            running.url(),
            running.node.chain_id(),
            running.node.head().height
        );
        // Until Ctrl-C, or until the orderer stops on its own (a fatal error: exit with it).
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            tokio::select! {
                r = &mut ctrl_c => {
                    r?;
                    println!("shutting down");
                    running.shutdown().await?;
                    return Ok(());
                }
                _ = tokio::time::sleep(std::time::Duration::from_millis(200)) => {
                    if running.orderer_stopped() {
                        running.wait().await?;
                        anyhow::bail!("the orderer stopped");
                    }
                }
            }
        }
    })
}

/// `sinew replay`: re-executes every block from genesis, verifying all signatures, and checks
/// every header and the final state against the store (`sinew_node::replay`).
pub fn replay(a: ReplayArgs) -> Result<()> {
    let started = Instant::now();
    let r = sinew_node::replay::replay(&a.data_dir, a.index_mode)?;
    println!(
        "replayed {} blocks ({} transactions) in {:.2}s: every state root matches; head state root {}",
        r.blocks,
        r.txs,
        started.elapsed().as_secs_f64(),
        r.state_root
    );
    Ok(())
}
