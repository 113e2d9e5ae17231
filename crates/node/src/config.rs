//! Node configuration, read from a TOML file by `sinew node --config`.

use crate::mempool::MempoolConfig;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything a node needs to run.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Directory holding the database (created if missing).
    pub data_dir: PathBuf,
    /// Genesis document (JSON) used when the data directory is empty.
    #[serde(default)]
    pub genesis_file: Option<PathBuf>,
    /// HTTP listen address.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Cut a block at most this many ms after the previous one when transactions wait.
    #[serde(default = "default_interval")]
    pub block_interval_ms: u64,
    /// Cut a block as soon as this many transactions wait.
    #[serde(default = "default_max_pending")]
    pub max_pending: usize,
    /// How many recent heights keep state proofs available.
    #[serde(default = "default_retain")]
    pub proof_retain_blocks: u64,
    /// Mempool limits.
    #[serde(default)]
    pub mempool: MempoolConfig,
    /// Inference gateway limits (used when the node serves models with a provider key).
    #[serde(default)]
    pub gateway: crate::gateway::GatewayConfig,
    /// Limits of the public API.
    #[serde(default)]
    pub api: ApiConfig,
    /// Run as one validator of several (BFT consensus) instead of the single-node sequencer.
    #[serde(default)]
    pub bft: Option<BftConfig>,
    /// Memory one datanet index build may take, in MiB (a build holds about 6 bytes per byte of
    /// the shard it makes, 8 in compressed mode, however large the version): shards are built
    /// no larger than a sixth of it (an eighth), and merges past that are left undone (their
    /// parts answer the same).
    #[serde(default = "default_index_memory")]
    pub index_memory_mb: u64,
    /// How datanet version indexes are stored: `suffix-array` (fastest queries, about five bytes
    /// per text byte) or `compressed` (FM-indexes, under half a byte per text byte, in memory).
    /// Receipts are the same either way; switching rebuilds each version when next asked for.
    #[serde(default)]
    pub index_mode: sinew_attribution::IndexMode,
}

/// A validator's place among several: its consensus key, where it listens for the others and
/// where they are. The validator set itself (keys and order) is the genesis's.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BftConfig {
    /// `validator` (votes, with `key_file`, `listen` and `peers`) or `follower` (votes in
    /// nothing: follows the validators' certificates from `sources`, re-executing every block).
    #[serde(default)]
    pub mode: BftMode,
    /// Key file (the keystore format) of this validator's consensus key.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// The p2p listen address.
    #[serde(default)]
    pub listen: Option<SocketAddr>,
    /// Every validator's consensus key and p2p address, this one included.
    #[serde(default)]
    pub peers: Vec<BftPeer>,
    /// A follower's sources: validators' API URLs (tried in turn; none is trusted).
    #[serde(default)]
    pub sources: Vec<String>,
    /// Milliseconds to wait for a leader's block before voting to skip the view.
    #[serde(default = "default_leader_timeout")]
    pub leader_timeout_ms: u64,
    /// Milliseconds to wait for a certificate before voting to skip the view.
    #[serde(default = "default_certification_timeout")]
    pub certification_timeout_ms: u64,
    /// Milliseconds at least between a block and its child: an idle network makes a few empty
    /// blocks a second, not hundreds.
    #[serde(default = "default_min_block_interval")]
    pub min_block_interval_ms: u64,
}

/// What a node with a `[bft]` section does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BftMode {
    /// One of the validators: it votes.
    #[default]
    Validator,
    /// Votes in nothing; checks every finalization certificate and re-executes every block.
    Follower,
}

/// Another validator: its consensus key and p2p address.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BftPeer {
    /// Its consensus key.
    pub key: sinew_types::Address,
    /// Its p2p address.
    pub address: SocketAddr,
}

fn default_leader_timeout() -> u64 {
    1_000
}
fn default_certification_timeout() -> u64 {
    2_000
}
fn default_min_block_interval() -> u64 {
    200
}

/// Limits of the public API: what one stranger's requests may cost the node.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// Event stream subscribers at once.
    pub max_event_subscribers: usize,
    /// Costly requests (attribution, index builds, record reads) running at once; more are
    /// answered 503 at once rather than queued behind each other.
    pub max_heavy_requests: usize,
    /// Bytes of uploaded blobs no transaction has named yet that the node keeps.
    pub max_unpinned_blob_bytes: u64,
    /// Seconds an upload no transaction names is kept.
    pub unpinned_blob_ttl_secs: u64,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            max_event_subscribers: 256,
            max_heavy_requests: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .saturating_sub(1)
                .max(1),
            max_unpinned_blob_bytes: 2 << 30,
            unpinned_blob_ttl_secs: 3_600,
        }
    }
}

fn default_listen() -> SocketAddr {
    "127.0.0.1:8645".parse().unwrap()
}
fn default_interval() -> u64 {
    20
}
fn default_max_pending() -> usize {
    4_096
}
fn default_retain() -> u64 {
    64
}

fn default_index_memory() -> u64 {
    sinew_store::DEFAULT_INDEX_MEMORY_MB
}

impl NodeConfig {
    /// A configuration with defaults for everything but the data directory.
    pub fn new(data_dir: PathBuf) -> NodeConfig {
        NodeConfig {
            data_dir,
            genesis_file: None,
            listen: default_listen(),
            block_interval_ms: default_interval(),
            max_pending: default_max_pending(),
            proof_retain_blocks: default_retain(),
            mempool: MempoolConfig::default(),
            gateway: crate::gateway::GatewayConfig::default(),
            api: ApiConfig::default(),
            bft: None,
            index_memory_mb: default_index_memory(),
            index_mode: sinew_attribution::IndexMode::default(),
        }
    }

    /// Parses a TOML configuration.
    pub fn from_toml(text: &str) -> Result<NodeConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_configuration_parses_and_typos_are_refused() {
        let readme = include_str!("../../../README.md");
        // Every TOML example parses; the full one (with a gateway section) says what it sets.
        let examples: Vec<NodeConfig> = readme
            .split("```toml\n")
            .skip(1)
            .map(|rest| NodeConfig::from_toml(&rest[..rest.find("```").expect("closed")]).unwrap())
            .collect();
        assert!(
            examples.len() >= 2,
            "README shows a node's and a follower's configuration"
        );
        let follower = examples.iter().find_map(|c| c.bft.as_ref()).expect("a [bft] example");
        assert_eq!(follower.mode, BftMode::Follower);
        assert_eq!(follower.sources.len(), 2);
        let c = examples
            .into_iter()
            .find(|c| c.block_interval_ms == 20)
            .expect("the node example");
        assert_eq!(c.block_interval_ms, 20);
        assert!(c.gateway.wait_for_commit);
        assert_eq!(c.gateway.upstream_timeout_ms, 30_000);
        assert_eq!(c.mempool.max_wait_ms, 60_000);
        assert_eq!(c.api.max_event_subscribers, 256);
        assert_eq!(c.api.unpinned_blob_ttl_secs, 3_600);
        let bad = NodeConfig::from_toml("data_dir = \"d\"\n[gateway]\nwait_for_comit = false\n").unwrap_err();
        assert!(bad.contains("wait_for_comit"), "{bad}");
        let defaults = NodeConfig::from_toml("data_dir = \"d\"\n").unwrap();
        assert!(defaults.gateway.wait_for_commit);
        assert_eq!(defaults.index_mode, sinew_attribution::IndexMode::SuffixArray);
        let compressed = NodeConfig::from_toml("data_dir = \"d\"\nindex_mode = \"compressed\"\n").unwrap();
        assert_eq!(compressed.index_mode, sinew_attribution::IndexMode::Compressed);
        let bad = NodeConfig::from_toml("data_dir = \"d\"\nindex_mode = \"fm\"\n").unwrap_err();
        assert!(
            bad.contains("unknown variant `fm`") && bad.contains("compressed"),
            "{bad}"
        );
    }
}
