//! `sinew node` as one validator of several: the node's `[bft]` section turned into the
//! commonware engine of `sinew-bft`, run by the node on its own thread.

use crate::keys;
use anyhow::{bail, Context, Result};
use sinew_bft::network::NetworkConfig;
use sinew_bft::{keys as bft_keys, BlockCfg, ValidatorConfig};
use sinew_node::config::{BftConfig, BftMode};
use sinew_node::service::BftRunner;
use sinew_state::Genesis;
use sinew_types::params::bounds::MAX_BLOCK_BYTES;
use std::path::Path;
use std::time::Duration;

/// Room for the header and the transactions' envelopes on top of the byte cap on their bodies.
const BLOCK_OVERHEAD: usize = 1 << 20;

/// The engine for `bft`: checks the key against the genesis validator set and the peers against
/// it too, so a misconfigured validator stops at start with a clear error.
pub fn runner(bft: &BftConfig, base: &Path, genesis: &Genesis, data_dir: &Path) -> Result<BftRunner> {
    if bft.mode == BftMode::Follower {
        return crate::follower::runner(bft.sources.clone(), genesis);
    }
    let (Some(key_file), Some(listen)) = (&bft.key_file, bft.listen) else {
        bail!("a validator's [bft] section needs key_file and listen (or mode = \"follower\" with sources)");
    };
    let key_path = if key_file.is_relative() {
        base.join(key_file)
    } else {
        key_file.clone()
    };
    let dir = key_path.parent().unwrap_or(Path::new("."));
    let name = key_path
        .file_stem()
        .and_then(|s| s.to_str())
        .with_context(|| format!("{}: not a key file name", key_path.display()))?;
    let keypair = keys::load(dir, name)?;
    if !genesis.validators.iter().any(|v| v.key == keypair.address()) {
        bail!(
            "{} holds key {}, which is not a validator of this chain's genesis",
            key_path.display(),
            keypair.address()
        );
    }
    let mut validators = Vec::new();
    for v in &genesis.validators {
        validators.push(
            bft_keys::public_key(&v.key).with_context(|| format!("genesis validator {} has an invalid key", v.name))?,
        );
    }
    let mut peers = Vec::new();
    for p in &bft.peers {
        if !genesis.validators.iter().any(|v| v.key == p.key) {
            bail!("peer {} is not a validator of this chain's genesis", p.key);
        }
        let key = bft_keys::public_key(&p.key).with_context(|| format!("peer {} is not a valid key", p.key))?;
        peers.push((key, p.address));
    }
    let net = NetworkConfig {
        listen,
        peers,
        storage_dir: data_dir.join("consensus"),
    };
    let cfg = ValidatorConfig {
        key: bft_keys::private_key(&keypair),
        validators,
        chain_id: genesis.chain_id.clone(),
        partition: "sinew".into(),
        block_cfg: BlockCfg {
            max_bytes: MAX_BLOCK_BYTES as usize + BLOCK_OVERHEAD,
        },
        leader_timeout: Duration::from_millis(bft.leader_timeout_ms),
        certification_timeout: Duration::from_millis(bft.certification_timeout_ms),
        min_block_interval: Duration::from_millis(bft.min_block_interval_ms),
    };
    if cfg.min_block_interval >= cfg.leader_timeout / 2 {
        bail!("min_block_interval_ms must stay under half of leader_timeout_ms");
    }
    Ok(Box::new(move |replica, genesis_block, stop| {
        let node = replica.node().clone();
        sinew_bft::network::run(net, cfg, replica, genesis_block, stop, move |info| {
            node.set_consensus(info)
        })
    }))
}
