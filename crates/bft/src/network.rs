//! A validator on a real network: commonware's tokio runtime on its own thread (never inside
//! the node's tokio runtime) with authenticated p2p between a fixed set of validators (`lookup`:
//! every validator's key and address known in advance, connections encrypted and authenticated
//! with those keys), running the stack of [`crate::engine`] until told to stop.

use crate::engine::{self, channel, max_message_size, Channels, ValidatorConfig};
use commonware_cryptography::ed25519::PublicKey;
use commonware_cryptography::{ChaCha20Poly1305, Signer};
use commonware_p2p::authenticated::lookup;
use commonware_p2p::{Address, AddressableManager};
use commonware_runtime::{Clock, Quota, Runner, Supervisor};
use commonware_stream::cups::{self, Cups};
use commonware_stream::sake::{self, Sake};
use commonware_utils::ordered::Map;
use commonware_utils::{NZUsize, NZU32};
use sinew_consensus::{AppError, BlobHost, ConsensusInfo, Replica, TxGossip};
use sinew_types::Block;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Messages per second one peer may send on a consensus channel.
const QUOTA: Quota = Quota::per_second(NZU32!(10_000));
/// Blob requests and answers per second from one peer (a piece is 1 MiB).
const BLOB_QUOTA: Quota = Quota::per_second(NZU32!(1_000));
/// Transaction batches per second from one peer (a batch is up to 1 MiB).
const TX_QUOTA: Quota = Quota::per_second(NZU32!(200));

/// Where a validator listens and where the others are.
pub struct NetworkConfig {
    /// This validator's p2p listen address.
    pub listen: SocketAddr,
    /// Every validator's key and p2p address (this one included).
    pub peers: Vec<(PublicKey, SocketAddr)>,
    /// Directory for consensus journals and archives.
    pub storage_dir: PathBuf,
}

/// Runs one validator until `stop` is set: blocks the calling thread. `on_start` receives the
/// validator's consensus monitor once the stack runs.
pub fn run<R: Replica + BlobHost + TxGossip>(
    net: NetworkConfig,
    cfg: ValidatorConfig,
    replica: Arc<R>,
    genesis: Block,
    stop: Arc<AtomicBool>,
    on_start: impl FnOnce(Arc<dyn ConsensusInfo>) + Send + 'static,
) -> Result<(), AppError> {
    std::fs::create_dir_all(&net.storage_dir).map_err(|e| AppError::new("creating the consensus directory", e))?;
    let runtime = commonware_runtime::tokio::Config::new()
        .with_storage_directory(net.storage_dir.clone())
        .with_worker_threads(2)
        .with_catch_panics(false);
    commonware_runtime::tokio::Runner::new(runtime).start(|context| async move {
        let namespace = engine::namespace(&cfg.chain_id);
        let validators = cfg.validators.len();
        let p2p = lookup::Config::local(
            Cups::<_, ChaCha20Poly1305>::new(
                Sake {
                    signer: cfg.key.clone(),
                    synchrony_bound: Duration::from_secs(5),
                    max_handshake_age: Duration::from_secs(10),
                    version: sake::Version::V1,
                },
                cups::Version::V1,
            ),
            &namespace,
            net.listen,
            NZUsize!(validators + 1),
            max_message_size(validators as u32, &cfg.block_cfg),
            NZUsize!(4_096),
        );
        let (mut network, mut oracle) = lookup::Network::new(context.child("network"), p2p);
        let peers: Map<PublicKey, Address> = net
            .peers
            .iter()
            .map(|(k, a)| (k.clone(), Address::from(*a)))
            .collect::<Vec<_>>()
            .try_into()
            .expect("distinct validator keys");
        oracle.track(0, peers);
        let mut register = |c| {
            let quota = match c {
                channel::BLOBS => BLOB_QUOTA,
                channel::TXS => TX_QUOTA,
                _ => QUOTA,
            };
            network.register(c, quota)
        };
        let channels = Channels {
            votes: register(channel::VOTES),
            certificates: register(channel::CERTIFICATES),
            resolver: register(channel::RESOLVER),
            backfill: register(channel::BACKFILL),
            blocks: register(channel::BLOCKS),
            blobs: register(channel::BLOBS),
            txs: register(channel::TXS),
        };
        network.start();
        tracing::info!(me = %cfg.key.public_key(), listen = %net.listen, validators, "validator starting");
        let (_handle, monitor) = engine::start(
            context.child("validator"),
            cfg,
            replica,
            genesis,
            oracle.clone(),
            oracle,
            channels,
        )
        .await;
        on_start(monitor);
        while !stop.load(Ordering::Acquire) {
            context.sleep(Duration::from_millis(100)).await;
        }
    });
    Ok(())
}
