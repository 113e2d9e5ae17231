//! Four validators on commonware's deterministic runtime and simulated network: they finalize
//! blocks carrying transactions, agree on every block hash and state root, and the same seed
//! gives the same chain twice.

use commonware_cryptography::ed25519::PublicKey;
use commonware_cryptography::Signer;
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_runtime::{deterministic, Clock, Quota, Runner, Supervisor};
use commonware_utils::{probability, NZUsize, NZU32};
use sinew_bft::engine::{channel, max_message_size};
use sinew_bft::{keys, BlockCfg, Channels, ValidatorConfig};
use sinew_consensus::Replica;
use sinew_testkit::{test_genesis, MemReplica};
use sinew_types::genesis::{Genesis, GenesisValidator};
use sinew_types::payload::Transfer;
use sinew_types::{Block, Keypair, Transaction};
use std::sync::Arc;
use std::time::Duration;

const VALIDATORS: usize = 4;
const QUOTA: Quota = Quota::per_second(NZU32!(10_000));
const BLOCK_CFG: BlockCfg = BlockCfg { max_bytes: 1 << 20 };

/// A genesis with four funded accounts and `VALIDATORS` validator keys (never funded).
fn genesis() -> (Genesis, Vec<Keypair>, Vec<Keypair>) {
    let (mut genesis, accounts) = test_genesis(4, 1_000_000_000_000);
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

/// Transfers from every account, nonces 0..n.
fn transfers(genesis: &Genesis, accounts: &[Keypair], n: u64) -> Vec<sinew_types::SignedTransaction> {
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

async fn link_all(oracle: &Oracle<PublicKey, deterministic::Context>, peers: &[PublicKey], link: Link) {
    link_groups(oracle, peers, peers, link).await;
}

/// Links every validator of `from` to every other of `to`.
async fn link_groups(
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
enum Lie {
    /// A state root nobody computed.
    StateRoot,
    /// A timestamp a year ahead (honest leaders must not wait for it).
    Future,
    /// A timestamp before its parent's.
    Past,
}

/// A replica that builds blocks carrying `Lie`: what a hostile leader would propose. It
/// remembers the timestamps of the blocks it has seen, to stamp a block just before its parent.
struct Lying(
    MemReplica,
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

/// Who runs and how.
#[derive(Clone, Default)]
struct Scenario {
    seed: u64,
    /// Validators never started (crashed from the beginning).
    offline: Vec<usize>,
    /// A validator whose proposals lie, and about what.
    liar: Option<(usize, Lie)>,
}

/// The network's validators: their replicas (an offline one's never moves) and the oracle.
struct Started {
    replicas: Vec<Arc<MemReplica>>,
    liar: Option<Arc<Lying>>,
    peers: Vec<PublicKey>,
    oracle: Oracle<PublicKey, deterministic::Context>,
}

const GOOD: Link = Link {
    latency: Duration::from_millis(10),
    jitter: Duration::from_millis(2),
    success_rate: probability!(1.0),
};

async fn start(context: &deterministic::Context, scenario: &Scenario) -> Started {
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
    link_all(&oracle, &peers, GOOD).await;

    let txs = transfers(&genesis, &accounts, 5);
    let mut replicas = Vec::new();
    let mut liar = None;
    for (i, key) in validators.iter().enumerate() {
        let replica = Arc::new(MemReplica::new(&genesis));
        for tx in &txs {
            replica.submit(tx.clone());
        }
        replicas.push(replica.clone());
        if scenario.offline.contains(&i) {
            continue;
        }
        let control = oracle.control(peers[i].clone());
        let mut ch = Vec::new();
        for c in [
            channel::VOTES,
            channel::CERTIFICATES,
            channel::RESOLVER,
            channel::BACKFILL,
            channel::BLOCKS,
        ] {
            ch.push(control.register(c, QUOTA).await.unwrap());
        }
        let mut ch = ch.into_iter();
        let channels = Channels {
            votes: ch.next().unwrap(),
            certificates: ch.next().unwrap(),
            resolver: ch.next().unwrap(),
            backfill: ch.next().unwrap(),
            blocks: ch.next().unwrap(),
        };
        let cfg = ValidatorConfig {
            key: keys::private_key(key),
            validators: peers.clone(),
            chain_id: genesis.chain_id.clone(),
            partition: format!("validator-{i}"),
            block_cfg: BLOCK_CFG,
            leader_timeout: Duration::from_secs(1),
            certification_timeout: Duration::from_secs(2),
            min_block_interval: Duration::from_millis(20),
        };
        let ctx = context.child("validator").with_attribute("index", i);
        let genesis_block = replica.genesis_block();
        if let Some((_, lie)) = scenario.liar.filter(|(l, _)| *l == i) {
            let lying = Arc::new(Lying::new(&genesis, lie));
            for tx in &txs {
                lying.0.submit(tx.clone());
            }
            liar = Some(lying.clone());
            sinew_bft::start(
                ctx,
                cfg,
                lying,
                genesis_block,
                control.clone(),
                oracle.manager(),
                channels,
            )
            .await;
        } else {
            sinew_bft::start(
                ctx,
                cfg,
                replica,
                genesis_block,
                control.clone(),
                oracle.manager(),
                channels,
            )
            .await;
        }
    }
    Started {
        replicas,
        liar,
        peers,
        oracle,
    }
}

/// Waits until every honest running validator has committed `target` blocks.
async fn until_height(context: &deterministic::Context, replicas: &[&Arc<MemReplica>], target: u64) {
    while replicas.iter().any(|r| r.committed().height < target) {
        context.sleep(Duration::from_millis(50)).await;
    }
}

/// Asserts every chain agrees with the first, block by block, as far as both go.
fn assert_same_chain(chains: &[Vec<Block>]) {
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
fn run(seed: u64, target: u64) -> Vec<Vec<Block>> {
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

#[test]
fn four_validators_finalize_the_same_blocks_with_the_same_state() {
    let chains = run(7, 20);
    let shortest = chains.iter().map(|c| c.len()).min().unwrap();
    assert!(shortest > 20, "every validator committed at least 20 blocks");
    assert_same_chain(&chains);
    let txs: usize = chains[0].iter().map(|b| b.txs.len()).sum();
    assert_eq!(txs, 20, "every submitted transfer was included exactly once");
    let leaders: std::collections::BTreeSet<_> = chains[0][1..].iter().map(|b| b.header.proposer).collect();
    assert!(leaders.len() > 1, "leadership rotates");
    for b in &chains[0][1..] {
        assert!(b.header.round.is_some(), "a BFT block names its round");
    }
}

#[test]
fn the_same_seed_gives_the_same_chain() {
    let a = run(11, 8);
    let b = run(11, 8);
    let hashes = |c: &Vec<Vec<Block>>| c[0][..9].iter().map(|b| b.header.hash()).collect::<Vec<_>>();
    assert_eq!(hashes(&a), hashes(&b));
}

/// Runs `scenario` on a fresh deterministic runtime.
fn simulate<T: Send + 'static, F>(
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

#[test]
fn three_of_four_keep_finalizing_when_one_is_down() {
    let chains = simulate(
        Scenario {
            seed: 3,
            offline: vec![2],
            ..Default::default()
        },
        |context, net| async move {
            let up: Vec<_> = [0, 1, 3].iter().map(|&i| &net.replicas[i]).collect();
            until_height(&context, &up, 12).await;
            assert_eq!(
                net.replicas[2].committed().height,
                0,
                "the offline validator never moved"
            );
            up.iter().map(|r| r.committed_blocks()).collect::<Vec<_>>()
        },
    );
    assert_same_chain(&chains);
    let txs: usize = chains[0].iter().map(|b| b.txs.len()).sum();
    assert_eq!(txs, 20);
}

/// Runs four validators, validator 1 lying with `lie`, until the honest ones have committed 15
/// blocks; asserts none of the liar's blocks was finalized and every finalized block replays.
fn a_lying_leader_never_gets_a_block_finalized(lie: Lie) {
    let (chains, liar_key) = simulate(
        Scenario {
            seed: 5,
            liar: Some((1, lie)),
            ..Default::default()
        },
        |context, net| async move {
            let honest: Vec<_> = [0, 2, 3].iter().map(|&i| &net.replicas[i]).collect();
            until_height(&context, &honest, 15).await;
            assert!(net.liar.is_some());
            (
                honest.iter().map(|r| r.committed_blocks()).collect::<Vec<_>>(),
                sinew_bft::keys::address(&net.peers[1]),
            )
        },
    );
    assert_same_chain(&chains);
    assert!(
        chains[0].iter().all(|b| b.header.proposer != liar_key),
        "no block of the lying leader was finalized ({lie:?})"
    );
    // Every honest block re-executes to its claimed root: a fresh replica replays them all.
    let (genesis, _, _) = genesis();
    let replay = MemReplica::new(&genesis);
    for b in &chains[0][1..] {
        assert_eq!(replay.execute(b).unwrap(), sinew_consensus::Verdict::Valid);
        replay.finalize(b).unwrap();
    }
}

#[test]
fn a_leader_lying_about_the_state_root_never_gets_a_block_finalized() {
    a_lying_leader_never_gets_a_block_finalized(Lie::StateRoot);
}

#[test]
fn a_leader_stamping_blocks_a_year_ahead_neither_stops_the_chain_nor_gets_them_finalized() {
    a_lying_leader_never_gets_a_block_finalized(Lie::Future);
}

#[test]
fn a_leader_stamping_blocks_before_their_parent_never_gets_them_finalized() {
    a_lying_leader_never_gets_a_block_finalized(Lie::Past);
}

#[test]
fn a_partition_without_a_quorum_stalls_then_heals_without_a_fork() {
    let chains = simulate(
        Scenario {
            seed: 9,
            ..Default::default()
        },
        |context, net| async move {
            let all: Vec<_> = net.replicas.iter().collect();
            until_height(&context, &all, 5).await;
            // Split {0,1} from {2,3}: neither side has 2f+1 = 3 validators.
            let (left, right) = net.peers.split_at(2);
            for a in left {
                for b in right {
                    net.oracle.remove_link(a.clone(), b.clone()).await.unwrap();
                    net.oracle.remove_link(b.clone(), a.clone()).await.unwrap();
                }
            }
            context.sleep(Duration::from_secs(2)).await;
            let stalled: Vec<u64> = all.iter().map(|r| r.committed().height).collect();
            context.sleep(Duration::from_secs(20)).await;
            let later: Vec<u64> = all.iter().map(|r| r.committed().height).collect();
            assert_eq!(stalled, later, "no side finalizes without a quorum");
            link_groups(&net.oracle, left, right, GOOD).await;
            link_groups(&net.oracle, right, left, GOOD).await;
            let top = *later.iter().max().unwrap();
            until_height(&context, &all, top + 10).await;
            all.iter().map(|r| r.committed_blocks()).collect::<Vec<_>>()
        },
    );
    assert_same_chain(&chains);
}
