//! `sinew mcp`: the MCP server (crate `sinew-mcp`) over stdio or streamable HTTP, acting with a
//! key given here: a key name in the keys directory (an encrypted one reads `SINEW_PASSPHRASE`
//! or asks on the terminal, never on stdin, which is the MCP channel) or a key file's path (an
//! encrypted one needs `SINEW_PASSPHRASE`).

use crate::keys;
use anyhow::{bail, Context, Result};
use clap::Args;
use sinew_mcp::{Ledger, Limits, Settings};
use sinew_sdk::{Client, Keystore};
use sinew_types::amount::parse_tokens;
use std::net::SocketAddr;
use std::path::Path;

/// Arguments of `sinew mcp`.
#[derive(Args)]
pub struct McpArgs {
    /// The key tools act with: a key name in the keys directory, or a key file's path.
    #[arg(long)]
    key: String,
    /// Most one tool call may pay or lock, in tokens.
    #[arg(long, default_value = "0.1")]
    max_per_call: String,
    /// Most one session may pay or lock in all, in tokens.
    #[arg(long, default_value = "1")]
    max_spend: String,
    /// Most all sessions of this server together may pay or lock, in tokens (default: the
    /// session limit, so opening sessions never adds to what can be spent).
    #[arg(long)]
    max_spend_server: Option<String>,
    /// Serve streamable HTTP at this address (at `/mcp`) instead of stdio.
    #[arg(long)]
    http: Option<SocketAddr>,
    /// Allow --http to listen on an address other than loopback (anyone who reaches it acts
    /// with the key, within the limits).
    #[arg(long)]
    allow_remote: bool,
    /// A host name requests may name in their Host header (repeat; default: loopback names).
    #[arg(long = "allowed-host")]
    allowed_hosts: Vec<String>,
}

fn load_key(arg: &str, keys_dir: &Path) -> Result<sinew_types::Keypair> {
    let p = Path::new(arg);
    if arg.ends_with(".json") || p.components().count() > 1 {
        let dir = p.parent().context("a key file path has a folder")?;
        let name = p
            .file_stem()
            .and_then(|s| s.to_str())
            .context("a key file has a name")?;
        if Keystore::new(dir).is_encrypted(name)? {
            let pass = std::env::var("SINEW_PASSPHRASE").context("the key is encrypted: set SINEW_PASSPHRASE")?;
            return Ok(Keystore::new(dir).load(name, Some(&pass))?);
        }
        return Ok(Keystore::new(dir).load(name, None)?);
    }
    keys::load(keys_dir, arg)
}

/// `sinew mcp`.
pub fn run(a: McpArgs, url: &str, keys_dir: &Path) -> Result<()> {
    let key = load_key(&a.key, keys_dir).with_context(|| format!("loading key {}", a.key))?;
    let per_call = parse_tokens(&a.max_per_call).context("--max-per-call")?;
    let total = parse_tokens(&a.max_spend).context("--max-spend")?;
    let server_total = match &a.max_spend_server {
        Some(s) => parse_tokens(s).context("--max-spend-server")?,
        None => total,
    };
    if let Some(addr) = a.http {
        if !addr.ip().is_loopback() && !a.allow_remote {
            bail!("--http {addr} is not a loopback address: anyone reaching it would act with this key (add --allow-remote to mean it)");
        }
    }
    let settings = Settings::new(
        Ledger::new(Client::new(url), key),
        Limits { per_call, total },
        Limits {
            per_call,
            total: server_total,
        },
    );
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
    hosts.extend(a.allowed_hosts.iter().cloned());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match a.http {
            None => sinew_mcp::serve_stdio(settings).await?,
            Some(addr) => {
                sinew_mcp::serve_http(
                    settings,
                    addr,
                    hosts,
                    |bound| eprintln!("sinew MCP server on http://{bound}/mcp (Ctrl-C stops it)"),
                    async {
                        let _ = tokio::signal::ctrl_c().await;
                    },
                )
                .await?
            }
        }
        Ok::<_, anyhow::Error>(())
    })
}
