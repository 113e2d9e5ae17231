//! The simulated network every test runs on: a dev genesis with four validators, transfers
//! spread over them, replicas in memory behind the real consensus stack, hostile variants
//! (lying leaders, Byzantine voters from commonware's mocks), and helpers to wait and compare.

use commonware_cryptography::ed25519::PublicKey;
use commonware_cryptography::Signer;
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_runtime::{deterministic, Clock, Quota, Runner, Supervisor};
use commonware_utils::ordered::Set;
use commonware_utils::{probability, NZUsize, NZU32};
use sinew_bft::engine::{channel, max_message_size};
use sinew_bft::monitor::Monitor;
use sinew_bft::{keys, BlockCfg, Channels, ValidatorConfig};
use sinew_consensus::{AppError, BlobHost, Keep, Replica, StagedBlob, TxGossip};
use sinew_testkit::net::{contribution, create};
use sinew_testkit::{test_genesis, MemReplica};
use sinew_types::datanet::CurationPolicy;
use sinew_types::genesis::{Genesis, GenesisValidator};
use sinew_types::payload::Transfer;
use sinew_types::{Block, Keypair, Transaction};
use std::sync::Arc;
use std::time::Duration;

pub(crate) const VALIDATORS: usize = 4;
pub(crate) const QUOTA: Quota = Quota::per_second(NZU32!(10_000));
pub(crate) const BLOCK_CFG: BlockCfg = BlockCfg { max_bytes: 1 << 20 };

/// A genesis with five funded accounts (four send transfers, the fifth contributes data) and
/// `VALIDATORS` validator keys (never funded).
pub(crate) fn genesis() -> (Genesis, Vec<Keypair>, Vec<Keypair>) {
    let (mut genesis, accounts) = test_genesis(5, 1_000_000_000_000);
    // After the epoch, so a block can be stamped before genesis.
    genesis.timestamp_ms = 1;
    let validators: Vec<Keypair> = (0..VALIDATORS)
        .map(|i| Keypair::dev(&format!("validator-{i}")))
        .collect();
    genesis.validators = validators
        .iter()
        .enumerate()
        .map(|(i, k)| GenesisValidator {
            key: k.address(),
            name: format!("validator-{i}"),
        })
        .collect();
    (genesis, accounts, validators)
}

/// Text of `records` distinct paragraphs, about 500 bytes each (several blob pieces for a few
/// thousand).
pub(crate) fn big_text(records: usize) -> Vec<u8> {
    let mut text = String::new();
    for i in 0..records {
        let words: Vec<String> = (0..60)
            .map(|w| format!("w{}", (i * 7_919 + w * 104_729) % 1_000_003))
            .collect();
        text.push_str(&format!("Record {i} says {}.\n\n", words.join(" ")));
    }
    text.into_bytes()
}

/// The fifth account creates a datanet and contributes `blob` to it.
pub(crate) fn datanet_txs(genesis: &Genesis, accounts: &[Keypair], blob: &[u8]) -> Vec<sinew_types::SignedTransaction> {
    let k = &accounts[4];
    [create(CurationPolicy::Open, false), contribution(blob)]
        .into_iter()
        .enumerate()
        .map(|(nonce, payload)| {
            k.sign(Transaction {
                chain_id: genesis.chain_id.clone(),
                signer: k.address(),
                nonce: nonce as u64,
                max_fee: 100_000_000_000,
                payload,
            })
        })
        .collect()
}

/// Transfers from the first four accounts, nonces 0..n.
pub(crate) fn transfers(genesis: &Genesis, accounts: &[Keypair], n: u64) -> Vec<sinew_types::SignedTransaction> {
    let accounts = &accounts[..4];
    let mut out = Vec::new();
    for nonce in 0..n {
        for (i, k) in accounts.iter().enumerate() {
            let to = accounts[(i + 1) % accounts.len()].address();
            out.push(
                k.sign(Transaction {
                    chain_id: genesis.chain_id.clone(),
                    signer: k.address(),
                    nonce,
                    max_fee: 10_000_000,
                    payload: Transfer {
                        to,
                        amount: 1 + nonce as u128,
                    }
                    .into(),
                }),
            );
        }
    }
    out
}

pub(crate) async fn link_all(oracle: &Oracle<PublicKey, deterministic::Context>, peers: &[PublicKey], link: Link) {
    link_groups(oracle, peers, peers, link).await;
}

/// Links every validator of `from` to every other of `to`.
pub(crate) async fn link_groups(
    oracle: &Oracle<PublicKey, deterministic::Context>,
    from: &[PublicKey],
    to: &[PublicKey],
    link: Link,
) {
    for a in from {
        for b in to {
            if a != b {
                oracle.add_link(a.clone(), b.clone(), link.clone()).await.unwrap();
            }
        }
    }
}

/// What a hostile leader lies about in the blocks it builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lie {
    /// A state root nobody computed.
    StateRoot,
    /// A timestamp a year ahead (honest leaders must not wait for it).
    Future,
    /// A timestamp before its parent's.
    Past,
    /// It proposes transactions naming a blob it holds, and never serves the blob.
    Withhold,
    /// It serves blobs with a byte changed in every piece.
    Corrupt,
}

/// A replica that builds blocks carrying `Lie`: what a hostile leader would propose. It
/// remembers the timestamps of the blocks it has seen, to stamp a block just before its parent.
pub(crate) struct Lying(
    pub(crate) MemReplica,
    Lie,
    std::sync::Mutex<std::collections::BTreeMap<sinew_types::Hash, u64>>,
);

impl Lying {
    fn new(genesis: &Genesis, lie: Lie) -> Lying {
        let replica = MemReplica::new(genesis);
        let g = replica.genesis_block().header;
        let seen = std::collections::BTreeMap::from([(g.hash(), g.timestamp_ms)]);
        Lying(replica, lie, std::sync::Mutex::new(seen))
    }
}

impl Replica for Lying {
    fn committed(&self) -> sinew_types::BlockHeader {
        self.0.committed()
    }
    fn is_executed(&self, hash: &sinew_types::Hash) -> bool {
        self.0.is_executed(hash)
    }
    fn build(
        &self,
        parent: &sinew_types::Hash,
        round: sinew_types::ConsensusRound,
        leader: sinew_types::Address,
        timestamp_ms: u64,
    ) -> Result<Block, sinew_consensus::AppError> {
        let mut block = self.0.build(parent, round, leader, timestamp_ms)?;
        match self.1 {
            Lie::StateRoot => block.header.state_root = sinew_types::Hash::of(b"a state root nobody computed"),
            Lie::Future => block.header.timestamp_ms += 365 * 24 * 3_600 * 1_000,
            Lie::Past => block.header.timestamp_ms = self.2.lock().unwrap()[parent] - 1,
            Lie::Withhold | Lie::Corrupt => {}
        }
        Ok(block)
    }
    fn execute(&self, block: &Block) -> Result<sinew_consensus::Verdict, sinew_consensus::AppError> {
        self.2
            .lock()
            .unwrap()
            .insert(block.header.hash(), block.header.timestamp_ms);
        self.0.execute(block)
    }
    fn finalize(&self, block: &Block) -> Result<(), sinew_consensus::AppError> {
        self.0.finalize(block)
    }
}

impl BlobHost for Lying {
    fn blob_size(&self, id: &sinew_types::Hash) -> Option<u64> {
        self.0.blob_size(id)
    }
    fn read_blob(&self, id: &sinew_types::Hash, offset: u64, len: u64) -> Result<Vec<u8>, AppError> {
        let mut bytes = self.0.read_blob(id, offset, len)?;
        match self.1 {
            Lie::Withhold => return Err(AppError::new("withholding", "never served")),
            // What it reads for peers (its tree is built from these reads too) has a byte
            // flipped: its tree or its pieces fail their check at the receiver.
            Lie::Corrupt => bytes[0] ^= 1,
            _ => {}
        }
        Ok(bytes)
    }
    fn max_blob_bytes(&self) -> u64 {
        self.0.max_blob_bytes()
    }
    fn stage_blob(&self, id: &sinew_types::Hash, max_size: u64, keep: Keep) -> Result<Box<dyn StagedBlob>, AppError> {
        self.0.stage_blob(id, max_size, keep)
    }
}

impl TxGossip for Lying {
    fn outgoing(&self, max_bytes: usize) -> Vec<Vec<u8>> {
        self.0.outgoing(max_bytes)
    }
    fn incoming(&self, txs: &[Vec<u8>]) -> Vec<sinew_consensus::Incoming> {
        self.0.incoming(txs)
    }
}

/// Who runs and how.
#[derive(Clone, Default)]
pub(crate) struct Scenario {
    pub(crate) seed: u64,
    /// Validators never started (crashed from the beginning).
    pub(crate) offline: Vec<usize>,
    /// Validators started later by the test ([`Started::start_late`]); their share of the
    /// transfers waits in their pools meanwhile.
    pub(crate) late: Vec<usize>,
    /// A validator whose proposals lie, and about what.
    pub(crate) liar: Option<(usize, Lie)>,
    /// A validator replaced by one of commonware's Byzantine voters.
    pub(crate) byzantine: Option<(usize, Byz)>,
    /// Validators that hold a blob of this many records and have the transactions creating a
    /// datanet and contributing it in their pool (nobody else has either).
    pub(crate) contribution: Option<(usize, Vec<usize>)>,
    /// Every link (default: [`GOOD`]).
    pub(crate) link: Option<Link>,
    /// Replicas to start from instead of fresh ones at genesis (a restart after a crash).
    pub(crate) recovered: Option<Vec<Arc<MemReplica>>>,
}

/// Commonware's Byzantine voters (the `mocks` feature), in place of an honest validator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Byz {
    /// Votes for the proposal and for a random one in every view.
    Conflicter,
    /// Votes to skip every view it sees a proposal in.
    Nuller,
    /// As leader, proposes different blocks to different validators.
    Equivocator,
    /// Two real Sinew stacks sharing its key, one talking with validators 0 and 2, the other
    /// with validator 3.
    Twins,
}

/// The network's validators: their replicas (an offline one's never moves) and the oracle.
pub(crate) struct Started {
    pub(crate) replicas: Vec<Arc<MemReplica>>,
    pub(crate) liar: Option<Arc<Lying>>,
    pub(crate) peers: Vec<PublicKey>,
    pub(crate) oracle: Oracle<PublicKey, deterministic::Context>,
    /// Each started validator's consensus monitor.
    pub(crate) monitors: Vec<Option<Arc<Monitor>>>,
    keys: Vec<Keypair>,
}

pub(crate) const GOOD: Link = Link {
    latency: Duration::from_millis(10),
    jitter: Duration::from_millis(2),
    success_rate: probability!(1.0),
};

pub(crate) async fn start(context: &deterministic::Context, scenario: &Scenario) -> Started {
    let (genesis, accounts, validators) = genesis();
    let peers: Vec<PublicKey> = validators.iter().map(|k| keys::private_key(k).public_key()).collect();
    let (network, oracle) = Network::new_with_peers(
        context.child("network"),
        simulated::Config {
            max_size: max_message_size(VALIDATORS as u32, &BLOCK_CFG),
            max_peers_per_set: NZUsize!(VALIDATORS),
            disconnect_on_block: true,
            tracked_peer_sets: NZUsize!(1),
        },
        peers.clone(),
    )
    .await;
    network.start();
    link_all(&oracle, &peers, scenario.link.clone().unwrap_or(GOOD)).await;

    let txs = transfers(&genesis, &accounts, 5);
    let blob = scenario.contribution.as_ref().map(|(records, _)| big_text(*records));
    let data_txs = blob.as_ref().map(|b| datanet_txs(&genesis, &accounts, b));
    // Each transfer goes to one honest validator that will run, which gossips it to the others;
    // a holder of the contribution also gets the blob and the datanet transactions.
    let byzantine = scenario.byzantine.map(|(b, _)| b);
    let online: Vec<usize> = (0..VALIDATORS)
        .filter(|i| !scenario.offline.contains(i) && Some(*i) != byzantine)
        .collect();
    let fill = |i: usize, r: &MemReplica| {
        for (j, tx) in txs.iter().enumerate() {
            if online[j % online.len()] == i {
                r.submit(tx.clone());
            }
        }
        if let (Some((_, holders)), Some(blob), Some(data)) = (&scenario.contribution, &blob, &data_txs) {
            if holders.contains(&i) {
                r.put_blob(blob);
                for tx in data {
                    r.submit(tx.clone());
                }
            }
        }
    };
    let mut net = Started {
        replicas: Vec::new(),
        liar: None,
        peers,
        oracle,
        monitors: vec![None; VALIDATORS],
        keys: validators,
    };
    for i in 0..VALIDATORS {
        let replica = match &scenario.recovered {
            Some(r) => r[i].clone(),
            None => {
                let r = Arc::new(MemReplica::new(&genesis));
                fill(i, &r);
                r
            }
        };
        net.replicas.push(replica.clone());
        if scenario.offline.contains(&i) || scenario.late.contains(&i) {
            continue;
        }
        if let Some((_, byz)) = scenario.byzantine.filter(|(b, _)| *b == i) {
            net.start_byzantine(context, i, byz).await;
        } else if let Some((_, lie)) = scenario.liar.filter(|(l, _)| *l == i) {
            let lying = Arc::new(Lying::new(&genesis, lie));
            fill(i, &lying.0);
            net.liar = Some(lying.clone());
            net.start_validator(context, i, lying).await;
        } else {
            net.start_validator(context, i, replica).await;
        }
    }
    net
}

impl Started {
    /// The p2p channels of validator `i`, registered on the simulated network.
    async fn channels(
        &self,
        i: usize,
    ) -> Channels<simulated::Sender<PublicKey, deterministic::Context>, simulated::Receiver<PublicKey>> {
        let control = self.oracle.control(self.peers[i].clone());
        let mut ch = Vec::new();
        for c in [
            channel::VOTES,
            channel::CERTIFICATES,
            channel::RESOLVER,
            channel::BACKFILL,
            channel::BLOCKS,
            channel::BLOBS,
            channel::TXS,
        ] {
            ch.push(control.register(c, QUOTA).await.unwrap());
        }
        let mut ch = ch.into_iter();
        Channels {
            votes: ch.next().unwrap(),
            certificates: ch.next().unwrap(),
            resolver: ch.next().unwrap(),
            backfill: ch.next().unwrap(),
            blocks: ch.next().unwrap(),
            blobs: ch.next().unwrap(),
            txs: ch.next().unwrap(),
        }
    }

    /// Starts the real consensus stack of validator `i` over `replica`.
    async fn start_validator<R: Replica + BlobHost + TxGossip>(
        &mut self,
        context: &deterministic::Context,
        i: usize,
        replica: Arc<R>,
    ) {
        let channels = self.channels(i).await;
        let monitor = self.run_stack(context, i, "", replica, channels).await;
        self.monitors[i] = Some(monitor);
    }

    /// Runs one consensus stack with validator `i`'s key on `channels` (storage under `tag`).
    async fn run_stack<R, S, Rx>(
        &self,
        context: &deterministic::Context,
        i: usize,
        tag: &str,
        replica: Arc<R>,
        channels: Channels<S, Rx>,
    ) -> Arc<Monitor>
    where
        R: Replica + BlobHost + TxGossip,
        S: commonware_p2p::Sender<PublicKey = PublicKey>,
        Rx: commonware_p2p::Receiver<PublicKey = PublicKey>,
    {
        let cfg = ValidatorConfig {
            key: keys::private_key(&self.keys[i]),
            validators: self.peers.clone(),
            chain_id: genesis().0.chain_id,
            partition: format!("validator-{i}{tag}"),
            block_cfg: BLOCK_CFG,
            leader_timeout: Duration::from_secs(1),
            certification_timeout: Duration::from_secs(2),
            min_block_interval: Duration::from_millis(20),
        };
        let ctx = context.child("validator").with_attribute("index", i);
        let genesis_block = self.replicas[i].genesis_block();
        let control = self.oracle.control(self.peers[i].clone());
        let (_, monitor) = sinew_bft::start(
            ctx,
            cfg,
            replica,
            genesis_block,
            control,
            self.oracle.manager(),
            channels,
        )
        .await;
        monitor
    }

    /// Two real stacks sharing validator `i`'s key (twins): one talks with the validators of
    /// `a`, the other with those of `b`, so together they sign conflicting votes.
    async fn start_twins(&mut self, context: &deterministic::Context, i: usize, a: Vec<usize>, b: Vec<usize>) {
        use commonware_p2p::simulated::{SplitOrigin, SplitTarget};
        use commonware_p2p::Recipients;
        let group = |ix: &[usize]| ix.iter().map(|&j| self.peers[j].clone()).collect::<Vec<_>>();
        let (a, b) = (group(&a), group(&b));
        let forwarder = {
            let (a, b) = (a.clone(), b.clone());
            move |origin: SplitOrigin, to: &Recipients<PublicKey>, _: &commonware_runtime::IoBuf| {
                let group = match origin {
                    SplitOrigin::Primary => &a,
                    SplitOrigin::Secondary => &b,
                };
                let list: Vec<PublicKey> = match to {
                    Recipients::All => group.clone(),
                    Recipients::Some(v) => v.iter().filter(|p| group.contains(p)).cloned().collect(),
                    Recipients::One(p) => group.iter().filter(|g| *g == p).cloned().collect(),
                };
                (!list.is_empty()).then_some(Recipients::Some(list))
            }
        };
        let router = move |(from, _): &(PublicKey, commonware_runtime::IoBuf)| {
            if a.contains(from) {
                SplitTarget::Primary
            } else if b.contains(from) {
                SplitTarget::Secondary
            } else {
                SplitTarget::None
            }
        };
        let ch = self.channels(i).await;
        let split = |(s, r): (
            simulated::Sender<PublicKey, deterministic::Context>,
            simulated::Receiver<PublicKey>,
        )| {
            let (s1, s2) = s.split_with(forwarder.clone());
            let (r1, r2) = r.split_with(context.child("twin_split"), router.clone());
            ((s1, r1), (s2, r2))
        };
        let (votes, certificates, resolver) = (split(ch.votes), split(ch.certificates), split(ch.resolver));
        let (backfill, blocks, blobs, txs) = (split(ch.backfill), split(ch.blocks), split(ch.blobs), split(ch.txs));
        let primary = Channels {
            votes: votes.0,
            certificates: certificates.0,
            resolver: resolver.0,
            backfill: backfill.0,
            blocks: blocks.0,
            blobs: blobs.0,
            txs: txs.0,
        };
        let secondary = Channels {
            votes: votes.1,
            certificates: certificates.1,
            resolver: resolver.1,
            backfill: backfill.1,
            blocks: blocks.1,
            blobs: blobs.1,
            txs: txs.1,
        };
        let (genesis, _, _) = genesis();
        self.run_stack(context, i, "-twin-a", Arc::new(MemReplica::new(&genesis)), primary)
            .await;
        self.run_stack(context, i, "-twin-b", Arc::new(MemReplica::new(&genesis)), secondary)
            .await;
    }

    /// Starts a validator the scenario held back (a late joiner).
    pub(crate) async fn start_late(&mut self, context: &deterministic::Context, i: usize) {
        let replica = self.replicas[i].clone();
        self.start_validator(context, i, replica).await;
    }

    /// Runs one of commonware's Byzantine voters with validator `i`'s key instead of its stack.
    async fn start_byzantine(&mut self, context: &deterministic::Context, i: usize, byz: Byz) {
        use commonware_consensus::simplex::elector::RoundRobin;
        use commonware_consensus::simplex::mocks;
        use commonware_consensus::simplex::scheme::ed25519::Scheme;
        use commonware_cryptography::Blake3;
        if byz == Byz::Twins {
            let others: Vec<usize> = (0..VALIDATORS).filter(|&j| j != i).collect();
            let (a, b) = others.split_at(others.len() - 1);
            return self.start_twins(context, i, a.to_vec(), b.to_vec()).await;
        }
        let channels = self.channels(i).await;
        let namespace = sinew_bft::keys::namespace(&genesis().0.chain_id);
        let participants = Set::try_from(self.peers.clone()).unwrap();
        let scheme = Scheme::signer(&namespace, participants, keys::private_key(&self.keys[i])).unwrap();
        let ctx = context.child("byzantine").with_attribute("index", i);
        match byz {
            Byz::Conflicter => {
                mocks::conflicter::Conflicter::<_, _, Blake3>::new(ctx, mocks::conflicter::Config { scheme })
                    .start(channels.votes);
            }
            Byz::Nuller => {
                mocks::nuller::Nuller::<_, _, Blake3>::new(ctx, mocks::nuller::Config { scheme }).start(channels.votes);
            }
            Byz::Twins => unreachable!("started above"),
            Byz::Equivocator => {
                mocks::equivocator::Equivocator::<_, _, RoundRobin, Blake3>::new(
                    ctx,
                    mocks::equivocator::Config {
                        scheme,
                        elector: RoundRobin::default(),
                        epoch: commonware_consensus::types::Epoch::new(0),
                        relay: Arc::new(mocks::relay::Relay::new()),
                    },
                )
                .start(channels.votes, channels.certificates);
            }
        }
    }
}

/// Waits until every honest running validator has committed `target` blocks.
pub(crate) async fn until_height(context: &deterministic::Context, replicas: &[&Arc<MemReplica>], target: u64) {
    while replicas.iter().any(|r| r.committed().height < target) {
        context.sleep(Duration::from_millis(50)).await;
    }
}

/// Asserts every chain agrees with the first, block by block, as far as both go.
pub(crate) fn assert_same_chain(chains: &[Vec<Block>]) {
    for chain in &chains[1..] {
        let common = chain.len().min(chains[0].len());
        for height in 0..common {
            assert_eq!(
                chain[height].header.hash(),
                chains[0][height].header.hash(),
                "validators disagree at height {height}"
            );
        }
    }
}

/// Runs four validators until each has committed `target` blocks; returns each one's
/// committed blocks.
pub(crate) fn run(seed: u64, target: u64) -> Vec<Vec<Block>> {
    let cfg = deterministic::Config::new()
        .with_seed(seed)
        .with_timeout(Some(Duration::from_secs(600)));
    deterministic::Runner::new(cfg).start(|context| async move {
        let net = start(
            &context,
            &Scenario {
                seed,
                ..Default::default()
            },
        )
        .await;
        let all: Vec<_> = net.replicas.iter().collect();
        until_height(&context, &all, target).await;
        net.replicas.iter().map(|r| r.committed_blocks()).collect()
    })
}

/// Runs `scenario` on a fresh deterministic runtime.
pub(crate) fn simulate<T: Send + 'static, F>(
    scenario: Scenario,
    body: impl FnOnce(deterministic::Context, Started) -> F + Send + 'static,
) -> T
where
    F: std::future::Future<Output = T> + Send + 'static,
{
    let cfg = deterministic::Config::new()
        .with_seed(scenario.seed)
        .with_timeout(Some(Duration::from_secs(600)));
    deterministic::Runner::new(cfg).start(|context| async move {
        let net = start(&context, &scenario).await;
        body(context, net).await
    })
}

/// The number of committed transactions of `chain` whose payload is a contribution.
pub(crate) fn contributions(chain: &[Block]) -> usize {
    chain
        .iter()
        .flat_map(|b| &b.txs)
        .filter(|t| t.tx.payload.kind() == "contribute")
        .count()
}
