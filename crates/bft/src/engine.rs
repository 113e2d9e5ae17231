//! One validator's consensus stack on commonware: simplex (ed25519 certificates, round-robin
//! leaders) orders block digests; marshal moves the blocks (buffered broadcast from the leader,
//! backfill through a p2p resolver) and delivers finalized ones in height order to the
//! [`finalizer`](crate::finalizer), which commits them before acknowledging. The stack is generic
//! over the runtime (deterministic in tests, tokio in production) and the p2p network
//! (simulated in tests, authenticated `lookup` between validators).

use crate::app::BftApp;
use crate::blobs::{self, BlobExchange};
use crate::block::{digest_of, BftBlock, BlockCfg};
use crate::finalizer;
use crate::monitor::{self, Monitor, MonitorReporter};
use commonware_broadcast::buffered;
use commonware_consensus::marshal::core::Actor as Marshal;
use commonware_consensus::marshal::resolver::p2p as marshal_resolver;
use commonware_consensus::marshal::standard::{Deferred, Standard};
use commonware_consensus::marshal::{self, Start};
use commonware_consensus::simplex::elector::RoundRobin;
use commonware_consensus::simplex::scheme::ed25519::Scheme;
use commonware_consensus::simplex::{self, Floor, ForwardPolicy, SkipBudget, SkipPolicy};
use commonware_consensus::types::{Epoch, FixedEpocher, ViewDelta};
use commonware_cryptography::certificate::{ConstantProvider, Verifier as _};
use commonware_cryptography::ed25519::{PrivateKey, PublicKey};
use commonware_cryptography::Signer;
use commonware_p2p::{Blocker, Provider, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::buffer::paged;
use commonware_runtime::buffer::paged::CacheRef;
use commonware_runtime::{Clock, Handle, Metrics, Spawner, Storage};
use commonware_storage::archive::immutable;
use commonware_utils::ordered::Set;
use commonware_utils::{NZDuration, NZUsize, NZU64};
use rand_core::CryptoRng;
use sinew_consensus::{BlobHost, Replica, TxGossip};
use sinew_types::Block;
use std::num::{NonZeroU64, NonZeroUsize};
use std::sync::Arc;
use std::time::Duration;

pub use crate::keys::namespace;

/// The one epoch of a fixed validator set (epoch changes come with validator-set changes).
const EPOCH: Epoch = Epoch::new(0);
/// Blocks per epoch: in effect, one epoch forever.
const EPOCH_LENGTH: NonZeroU64 = NZU64!(u64::MAX);

/// How one validator runs consensus.
pub struct ValidatorConfig {
    /// This validator's consensus key.
    pub key: PrivateKey,
    /// Every validator's consensus key (the genesis validator set).
    pub validators: Vec<PublicKey>,
    /// The chain id (for the signing namespace).
    pub chain_id: String,
    /// Where this validator's consensus journals live (a prefix for storage partitions).
    pub partition: String,
    /// The block byte cap for decoding blocks from peers.
    pub block_cfg: BlockCfg,
    /// How long to wait for a leader's proposal before voting to skip the view.
    pub leader_timeout: Duration,
    /// How long to wait for a certificate before voting to skip the view.
    pub certification_timeout: Duration,
    /// The least time between a block and its child (must stay well under `leader_timeout`).
    pub min_block_interval: Duration,
}

/// The p2p channels one validator's stack uses, registered by the caller on its network.
pub struct Channels<S, R> {
    /// Simplex votes.
    pub votes: (S, R),
    /// Simplex certificates.
    pub certificates: (S, R),
    /// Simplex certificate fetches (a validator that missed a view).
    pub resolver: (S, R),
    /// Marshal's block and finalization backfill.
    pub backfill: (S, R),
    /// Marshal's block broadcast from the leader.
    pub blocks: (S, R),
    /// Blob trees and pieces.
    pub blobs: (S, R),
    /// Transaction gossip.
    pub txs: (S, R),
}

/// Channel numbers, the same on every validator.
pub mod channel {
    /// Simplex votes.
    pub const VOTES: u64 = 0;
    /// Simplex certificates.
    pub const CERTIFICATES: u64 = 1;
    /// Simplex certificate fetches.
    pub const RESOLVER: u64 = 2;
    /// Marshal backfill.
    pub const BACKFILL: u64 = 3;
    /// Marshal block broadcast.
    pub const BLOCKS: u64 = 4;
    /// Blob exchange.
    pub const BLOBS: u64 = 5;
    /// Transaction gossip.
    pub const TXS: u64 = 6;
    /// Configuration agreement ([`crate::hello`]).
    pub const HELLO: u64 = 7;
}

/// The largest message any channel carries for `validators` validators and blocks under `cfg`.
pub fn max_message_size(validators: u32, cfg: &BlockCfg) -> u32 {
    commonware_p2p::max_message_size(&[
        simplex::max_payload_size::<Scheme, commonware_cryptography::blake3::Digest>(validators),
        marshal::max_payload_size::<Standard<BftBlock>, Scheme>(validators, cfg),
        blobs::MAX_MESSAGE,
        crate::gossip::MAX_BATCH_BYTES + 4_096,
    ])
}

/// How often fetches of blobs nobody asks for any more are dropped.
const BLOB_SWEEP: Duration = Duration::from_secs(10);

const PAGE_SIZE: std::num::NonZeroU16 = paged::page_size(4_096);
const PAGE_CACHE_PAGES: NonZeroUsize = NZUsize!(1_024);
const WRITE_BUFFER: NonZeroUsize = NZUsize!(64 * 1024);
const REPLAY_BUFFER: NonZeroUsize = NZUsize!(1024 * 1024);
const MAILBOX: NonZeroUsize = NZUsize!(1_024);
const ITEMS_PER_SECTION: NonZeroU64 = NZU64!(4_096);

/// Starts one validator: marshal, its resolver and broadcast buffer, the finalizer, the blob
/// exchange, transaction gossip and simplex. `genesis` is the block every validator starts from
/// (height 0, already committed in `replica`). Returns the simplex engine's handle and the
/// monitor that answers for this validator's consensus state.
pub async fn start<E, B, P, S, R, Rep>(
    context: E,
    cfg: ValidatorConfig,
    replica: Arc<Rep>,
    genesis: Block,
    blocker: B,
    peers: P,
    channels: Channels<S, R>,
) -> (Handle<()>, Arc<Monitor>)
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics,
    B: Blocker<PublicKey = PublicKey>,
    P: Provider<PublicKey = PublicKey>,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
    Rep: Replica + BlobHost + TxGossip,
{
    let me = cfg.key.public_key();
    let participants = Set::try_from(cfg.validators.clone()).expect("distinct validator keys");
    let namespace = namespace(&cfg.chain_id);
    let (monitor, queries) = Monitor::new(
        me.clone(),
        EPOCH,
        participants.clone(),
        cfg.chain_id.clone(),
        Box::new({
            let replica = replica.clone();
            move || replica.committed().height
        }),
    );
    let scheme = Scheme::signer(&namespace, participants, cfg.key.clone()).expect("a validator of the set");
    let page_cache = CacheRef::new(PAGE_SIZE, PAGE_CACHE_PAGES);

    let (backfill_rx, backfill) = marshal_resolver::init(
        context.child("backfill"),
        marshal_resolver::Config {
            public_key: me.clone(),
            peer_provider: peers.clone(),
            blocker: blocker.clone(),
            mailbox_size: MAILBOX,
            fetch_timeout: NZDuration!(Duration::from_secs(2)),
            fetch_retry_delay: Duration::from_millis(100),
            priority_requests: false,
            priority_responses: false,
        },
        channels.backfill,
    );
    let (buffer_engine, buffer) = buffered::Engine::new(
        context.child("buffer"),
        buffered::Config {
            public_key: me.clone(),
            mailbox_size: MAILBOX,
            deque_size: 16,
            priority: false,
            codec_config: cfg.block_cfg,
            peer_provider: peers.clone(),
            strategy: Sequential,
        },
    );
    buffer_engine.start(channels.blocks);

    let finalizations = immutable::Archive::init(
        context.child("finalizations"),
        archive_config(
            &cfg.partition,
            "finalizations",
            &page_cache,
            scheme.certificate_codec_config(),
        ),
    )
    .await
    .expect("the finalizations archive opens");
    let blocks = immutable::Archive::init(
        context.child("blocks"),
        archive_config(&cfg.partition, "blocks", &page_cache, cfg.block_cfg),
    )
    .await
    .expect("the blocks archive opens");
    let epocher = FixedEpocher::new(EPOCH_LENGTH);
    let (marshal, marshal_mailbox, _floor) = Marshal::init(
        context.child("marshal"),
        finalizations,
        blocks,
        marshal::Config {
            provider: ConstantProvider::new(scheme.clone()),
            epocher: epocher.clone(),
            start: Start::Genesis(BftBlock::new(genesis.clone()).digested()),
            partition_prefix: format!("{}-marshal", cfg.partition),
            mailbox_size: MAILBOX,
            view_retention: ViewDelta::new(64),
            prunable_items_per_section: ITEMS_PER_SECTION,
            page_cache: page_cache.clone(),
            replay_buffer: REPLAY_BUFFER,
            key_write_buffer: WRITE_BUFFER,
            value_write_buffer: WRITE_BUFFER,
            block_codec_config: cfg.block_cfg,
            max_repair: NZUsize!(16),
            max_pending_acks: NZUsize!(4),
            strategy: Sequential,
        },
    )
    .await;
    let exchange = start_blobs(
        &context,
        me.clone(),
        replica.clone(),
        blocker.clone(),
        peers.clone(),
        channels.blobs,
    );
    crate::gossip::start(
        &context,
        replica.clone(),
        exchange.clone(),
        blocker.clone(),
        channels.txs,
    );
    let (reporter, updates) = finalizer::channel();
    context.child("finalizer").spawn({
        let replica = replica.clone();
        let exchange = exchange.clone();
        move |ctx| finalizer::run(ctx, replica, exchange, updates)
    });
    monitor::serve_queries(&context, marshal_mailbox.clone(), queries);
    watch_blocked(&context, blocker.clone(), monitor.clone());
    marshal.start(reporter, buffer, (backfill_rx, backfill));

    let marshaled = Deferred::new(
        context.child("marshaled"),
        BftApp::new(replica, exchange, cfg.min_block_interval),
        marshal_mailbox,
        epocher,
    );
    let engine = simplex::Engine::new(
        context.child("consensus"),
        simplex::Config {
            scheme,
            elector: RoundRobin::<commonware_cryptography::Sha256>::default(),
            blocker,
            automaton: marshaled.clone(),
            relay: marshaled.clone(),
            reporter: commonware_consensus::Reporters::from((marshaled, MonitorReporter(monitor.clone()))),
            track_historical_votes: false,
            strategy: Sequential,
            partition: format!("{}-simplex", cfg.partition),
            mailbox_size: MAILBOX,
            epoch: EPOCH,
            floor: Floor::Genesis(digest_of(&genesis.header.hash())),
            replay_buffer: REPLAY_BUFFER,
            write_buffer: WRITE_BUFFER,
            page_cache,
            leader_timeout: cfg.leader_timeout,
            certification_timeout: cfg.certification_timeout,
            timeout_retry: cfg.certification_timeout * 3,
            view_retention: ViewDelta::new(64),
            skip: SkipPolicy::Enabled {
                timeout: cfg.certification_timeout * 4,
                budget: SkipBudget::Participants,
            },
            fetch_timeout: NZDuration!(Duration::from_secs(2)),
            fetch_retry_delay: Duration::from_millis(100),
            forward: ForwardPolicy::Disabled,
        },
    );
    let handle = engine.start(channels.votes, channels.certificates, channels.resolver);
    (handle, monitor)
}

/// Keeps the monitor's list of blocked peers current.
fn watch_blocked<E: Spawner, B: Blocker<PublicKey = PublicKey>>(context: &E, mut blocker: B, monitor: Arc<Monitor>) {
    let mut blocked = blocker.blocked();
    context.child("watch_blocked").spawn(move |_| async move {
        while let Some(set) = blocked.recv().await {
            monitor.set_blocked(set.iter().cloned());
        }
    });
}

/// Starts the blob exchange on its channel: a p2p resolver whose consumer checks and stores what
/// peers send and whose producer serves what `host` holds, and a task dropping stale fetches.
fn start_blobs<E, B, P, S, R, H>(
    context: &E,
    me: PublicKey,
    host: Arc<H>,
    blocker: B,
    peers: P,
    channel: (S, R),
) -> BlobExchange<H>
where
    E: Clock + CryptoRng + Spawner + Metrics,
    B: Blocker<PublicKey = PublicKey>,
    P: Provider<PublicKey = PublicKey>,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
    H: BlobHost,
{
    let exchange = BlobExchange::new(host);
    let (engine, mailbox) = commonware_resolver::p2p::Engine::new(
        context.child("blobs"),
        commonware_resolver::p2p::Config {
            peer_provider: peers,
            blocker,
            consumer: blobs::Receiver::new(context.child("blob_receiver"), exchange.clone()),
            producer: blobs::Server::new(context.child("blob_server"), exchange.clone()),
            mailbox_size: MAILBOX,
            me: Some(me),
            fetch_timeout: NZDuration!(Duration::from_secs(5)),
            fetch_retry_delay: Duration::from_millis(200),
            priority_requests: false,
            priority_responses: false,
        },
    );
    exchange.connect(mailbox);
    engine.start(channel);
    context.child("blob_sweep").spawn({
        let exchange = exchange.clone();
        move |ctx| async move {
            loop {
                ctx.sleep(BLOB_SWEEP).await;
                exchange.sweep(ctx.current());
            }
        }
    });
    exchange
}

/// Where and how an immutable archive (by height and by digest) of `name` is kept.
fn archive_config<C>(partition: &str, name: &str, page_cache: &CacheRef, codec_config: C) -> immutable::Config<C> {
    let p = |s: &str| format!("{partition}-{name}-{s}");
    immutable::Config {
        metadata_partition: p("metadata"),
        freezer_table_partition: p("freezer-table"),
        freezer_table_initial_size: 64,
        freezer_table_resize_frequency: 4,
        freezer_table_resize_chunk_size: 1 << 12,
        freezer_key_partition: p("freezer-key"),
        freezer_key_page_cache: page_cache.clone(),
        freezer_key_write_buffer: WRITE_BUFFER,
        freezer_value_partition: p("freezer-value"),
        freezer_value_write_buffer: WRITE_BUFFER,
        freezer_value_target_size: 1 << 26,
        freezer_value_compression: None,
        ordinal_partition: p("ordinal"),
        ordinal_write_buffer: WRITE_BUFFER,
        items_per_section: ITEMS_PER_SECTION,
        codec_config,
        replay_buffer: REPLAY_BUFFER,
    }
}
