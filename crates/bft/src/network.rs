//! A validator on a real network: commonware's tokio runtime on its own thread (never inside
//! the node's tokio runtime) with authenticated p2p between a fixed set of validators (`lookup`:
//! every validator's key and address known in advance, connections encrypted and authenticated
//! with those keys), running the stack of [`crate::engine`] until told to stop.

use crate::engine::{self, channel, max_message_size, Channels, ValidatorConfig};
use crate::hello::{self, Agreement, Hello, Message, Verdict};
use crate::keys;
use commonware_cryptography::ed25519::PublicKey;
use commonware_cryptography::{ChaCha20Poly1305, Signer};
use commonware_p2p::authenticated::lookup;
use commonware_p2p::{Address, AddressableManager, Receiver, Recipients, Sender};
use commonware_runtime::{Clock, Quota, Runner, Spawner, Supervisor};
use commonware_stream::cups::{self, Cups};
use commonware_stream::sake::{self, Sake};
use commonware_utils::ordered::Map;
use commonware_utils::{NZUsize, NZU32};
use sinew_consensus::{AppError, BlobHost, ConsensusInfo, Replica, TxGossip};
use sinew_types::Block;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Messages per second one peer may send on a consensus channel.
const QUOTA: Quota = Quota::per_second(NZU32!(10_000));
/// Blob requests and answers per second from one peer (a piece is 1 MiB).
const BLOB_QUOTA: Quota = Quota::per_second(NZU32!(1_000));
/// Transaction batches per second from one peer (a batch is up to 1 MiB).
const TX_QUOTA: Quota = Quota::per_second(NZU32!(200));
/// Hellos per second from one peer.
const HELLO_QUOTA: Quota = Quota::per_second(NZU32!(10));

/// The p2p handshake's namespace: the same for every chain, so a validator configured for another
/// chain still connects and hears, by name, what differs (consensus messages stay namespaced by
/// chain: another chain's votes never verify here).
const P2P_NAMESPACE: &[u8] = b"sinew/p2p";

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
            P2P_NAMESPACE,
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
                channel::HELLO => HELLO_QUOTA,
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
        let hello_channel = register(channel::HELLO);
        network.start();
        tracing::info!(me = %cfg.key.public_key(), listen = %net.listen, validators, "validator starting");
        let mine = Hello {
            chain_id: cfg.chain_id.clone(),
            genesis: genesis.header.hash(),
            validators: cfg.validators.iter().map(keys::address).collect(),
            peers: net
                .peers
                .iter()
                .map(|(k, a)| (keys::address(k), a.to_string()))
                .collect(),
        };
        let agreement = Arc::new(Mutex::new(Agreement::new(mine, keys::address(&cfg.key.public_key()))));
        start_hello(&context, agreement.clone(), hello_channel);
        // Consensus starts once a quorum shares this genesis (or after a while: peers may be down);
        // a configuration more than f validators disagree with never starts.
        let waiting_since = std::time::Instant::now();
        loop {
            let verdict = agreement.lock().expect("not poisoned").verdict();
            match verdict {
                Verdict::Agreed => break,
                Verdict::Refuse(why) => {
                    return Err(AppError::new(
                        "comparing this configuration with the other validators'",
                        why,
                    ))
                }
                Verdict::Waiting if waiting_since.elapsed() >= hello::WAIT => {
                    tracing::warn!(
                        "no quorum of validators answered within {:?}; starting consensus anyway",
                        hello::WAIT
                    );
                    break;
                }
                Verdict::Waiting => context.sleep(Duration::from_millis(20)).await,
            }
        }
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
            let verdict = agreement.lock().expect("not poisoned").verdict();
            if let Verdict::Refuse(why) = verdict {
                return Err(AppError::new(
                    "comparing this configuration with the other validators'",
                    why,
                ));
            }
            context.sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    })
}

/// Says this validator's hello to the peers not heard yet (asking for theirs), answers each peer
/// that asks, and records what each says, naming in the log every difference it hears.
fn start_hello<E, S, R>(context: &E, agreement: Arc<Mutex<Agreement>>, (mut sender, mut receiver): (S, R))
where
    E: Clock + Spawner,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
{
    context.child("hello").spawn(move |ctx| async move {
        let mine = agreement.lock().expect("not poisoned").mine().clone();
        let ask = Message {
            hello: mine.clone(),
            asks: true,
        }
        .encode();
        let answer = Message {
            hello: mine,
            asks: false,
        }
        .encode();
        loop {
            let tick = ctx.sleep(hello::REPEAT);
            match futures::future::select(Box::pin(receiver.recv()), Box::pin(tick)).await {
                futures::future::Either::Left((Ok((peer, bytes)), _)) => {
                    let Some(message) = Message::decode(bytes.as_ref()) else {
                        tracing::warn!(%peer, "a peer sent an undecodable hello");
                        continue;
                    };
                    let notes = agreement
                        .lock()
                        .expect("not poisoned")
                        .hear(keys::address(&peer), &message.hello);
                    for note in notes {
                        tracing::warn!("configuration differs: {note}");
                    }
                    if message.asks {
                        sender.send(Recipients::One(peer), answer.clone(), false);
                    }
                }
                futures::future::Either::Left((Err(_), _)) => return,
                futures::future::Either::Right(_) => {
                    let heard_all = agreement.lock().expect("not poisoned").heard_all();
                    if !heard_all {
                        sender.send(Recipients::All, ask.clone(), false);
                    }
                }
            }
        }
    });
}
