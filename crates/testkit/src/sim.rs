//! The seeded simulation: a mixed workload of every payload kind, by honest and hostile
//! participants, over many blocks, on several in-memory replicas and one durable replica (the
//! node's store on disk) that crashes and reopens, with block time from an injected clock. After
//! every block the replicas agree, the whole-ledger invariant holds, and whenever the durable
//! replica reopens, the chain it resumes has the same head and state as the others.
//!
//! Everything derives from one seed: a failure reports it, and running the same seed again
//! replays the same run exactly (`scripts/sim.sh SEED`).

use crate::rng::Rng;
use crate::world::{Violation, World};
use sinew_state::{Chain, MemState};
use sinew_store::Store;
use sinew_types::Hash;
use std::path::Path;

/// What to simulate.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The seed everything derives from.
    pub seed: u64,
    /// Blocks after the fixtures.
    pub blocks: u64,
    /// In-memory replicas (at least one; each validates every block).
    pub replicas: usize,
    /// Breaks the ledger on purpose after this block (mints a token outside every rule), to
    /// show that the checker notices and the failure names its seed.
    pub break_invariant_after: Option<u64>,
}

impl SimConfig {
    /// `blocks` blocks from `seed` on three replicas, nothing broken on purpose.
    pub fn new(seed: u64, blocks: u64) -> SimConfig {
        SimConfig {
            seed,
            blocks,
            replicas: 3,
            break_invariant_after: None,
        }
    }
}

/// What a run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimReport {
    /// The seed.
    pub seed: u64,
    /// The final height.
    pub height: u64,
    /// The final state root (the same seed always ends on the same root).
    pub state_root: Hash,
    /// Transactions submitted.
    pub txs: u64,
    /// Times the durable replica crashed and reopened.
    pub reopens: u64,
    /// Of those, crashes that lost an unacknowledged block (replayed after reopening).
    pub lost_blocks: u64,
    /// Payload kinds that succeeded at least once (of [`crate::OpKind::ALL`]).
    pub kinds_succeeded: usize,
}

/// A run that broke something: the seed that replays it and what broke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimFailure {
    /// The seed.
    pub seed: u64,
    /// What broke, where.
    pub violation: Violation,
}

impl std::fmt::Display for SimFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "simulation seed {} failed {} (replay: scripts/sim.sh {})",
            self.seed, self.violation, self.seed
        )
    }
}

impl std::error::Error for SimFailure {}

/// The replica on disk: the node's store, reopened as a node restarts.
struct Durable {
    dir: tempfile::TempDir,
    store: Option<Store>,
}

/// How many past states the chains keep for proofs.
const RETAIN: u64 = 4;

impl Durable {
    fn new(world: &World) -> Result<Durable, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let store = open(dir.path())?;
        let (_, gb) = Chain::from_genesis(&world.genesis, RETAIN).map_err(|e| e.to_string())?;
        store
            .init_genesis(&world.genesis, &gb.block, &gb.effects)
            .map_err(|e| e.to_string())?;
        Ok(Durable {
            dir,
            store: Some(store),
        })
    }

    fn store(&self) -> &Store {
        self.store.as_ref().expect("open between crashes")
    }

    /// Reopens after a crash and resumes the chain as the node does (its state checked against
    /// the stored head); returns the chain and its state.
    fn reopen(&mut self) -> Result<(Chain, MemState), String> {
        self.store = None;
        let store = open(self.dir.path())?;
        let head = store
            .head()
            .map_err(|e| e.to_string())?
            .ok_or("no head after reopening")?;
        let entries = store.state_entries().map_err(|e| e.to_string())?;
        let state = MemState {
            map: entries.iter().cloned().collect(),
        };
        let chain = Chain::open(head, entries, RETAIN).map_err(|e| format!("the stored chain does not resume: {e}"))?;
        self.store = Some(store);
        Ok((chain, state))
    }
}

fn open(path: &Path) -> Result<Store, String> {
    Store::open(path).map_err(|e| format!("the store does not open: {e}"))
}

/// Runs a simulation; the report, or the seed and what broke.
pub fn simulate(cfg: &SimConfig) -> Result<SimReport, SimFailure> {
    let mut world = World::with_replicas(cfg.replicas);
    let fail = |height: u64, what: String| SimFailure {
        seed: cfg.seed,
        violation: Violation { height, what },
    };
    let mut durable = Durable::new(&world).map_err(|e| fail(0, e))?;
    world.journal = Some(Vec::new());
    world.clock_ms = 1_700_000_000_000;
    let mut rng = Rng::new(cfg.seed);
    let mut report = SimReport {
        seed: cfg.seed,
        height: 0,
        state_root: Hash::default(),
        txs: 0,
        reopens: 0,
        lost_blocks: 0,
        kinds_succeeded: 0,
    };
    world.setup();
    persist(&mut world, &mut durable, &mut rng, &mut report).map_err(|v| SimFailure {
        seed: cfg.seed,
        violation: v,
    })?;
    for n in 0..cfg.blocks {
        let txs: Vec<_> = (0..rng.below(7))
            .map(|_| {
                let b: [u8; 8] = rng.next_u64().to_le_bytes();
                world.op(&b)
            })
            .collect();
        report.txs += txs.len() as u64;
        // The clock: mostly a few seconds a block, sometimes standing still, sometimes a jump.
        world.clock_ms += match rng.below(16) {
            0 => 0,
            1 => 3_600_000,
            _ => 500 + rng.below(4_000),
        };
        world.try_block(txs).map_err(|v| SimFailure {
            seed: cfg.seed,
            violation: v,
        })?;
        if cfg.break_invariant_after == Some(n) {
            break_supply(&mut world);
        }
        persist(&mut world, &mut durable, &mut rng, &mut report).map_err(|v| SimFailure {
            seed: cfg.seed,
            violation: v,
        })?;
    }
    report.kinds_succeeded = world.stats.values().filter(|v| v[0] > 0).count();
    report.height = world.height();
    report.state_root = world.replicas[0].0.head().state_root;
    Ok(report)
}

/// Stores the blocks just committed on the durable replica. Now and then the replica crashes:
/// sometimes before the newest block reached the disk (a block no client was told about; the
/// restarted node executes it again), and checks what it resumes against the other replicas.
fn persist(world: &mut World, durable: &mut Durable, rng: &mut Rng, report: &mut SimReport) -> Result<(), Violation> {
    let height = world.height();
    let broke = |what: String| Violation { height, what };
    let blocks = world.journal.replace(Vec::new()).unwrap_or_default();
    let crash = rng.below(12) == 0;
    let lose_last = crash && rng.below(2) == 0;
    let keep = if lose_last {
        blocks.len().saturating_sub(1)
    } else {
        blocks.len()
    };
    for (block, effects) in &blocks[..keep] {
        durable
            .store()
            .commit_block(block, effects)
            .map_err(|e| broke(format!("the store refuses a block: {e}")))?;
    }
    if !crash {
        return Ok(());
    }
    report.reopens += 1;
    let (mut chain, mut state) = durable.reopen().map_err(broke)?;
    // A lost block is executed again on the resumed chain: it must give the same block.
    for (block, effects) in &blocks[keep..] {
        report.lost_blocks += 1;
        let ex = chain
            .validate(&state, &world.blobs, block.clone(), |_| false)
            .map_err(|e| broke(format!("the resumed chain cannot execute a lost block: {e}")))?;
        if ex.block.header != block.header || ex.effects.receipts != effects.receipts {
            return Err(broke("the resumed chain executes a lost block differently".into()));
        }
        state.apply(&ex.effects.writes);
        durable
            .store()
            .commit_block(block, effects)
            .map_err(|e| broke(e.to_string()))?;
        chain.commit(ex);
    }
    if chain.head() != world.replicas[0].0.head() {
        return Err(broke("the durable replica resumed at another head".into()));
    }
    if &state != world.state() {
        return Err(broke("the durable replica resumed with another state".into()));
    }
    Ok(())
}

/// Mints a token into the first account on every replica, outside every rule: the replicas
/// still agree, but the supply no longer adds up.
fn break_supply(world: &mut World) {
    let key = sinew_state::StateKey::Account(world.keys[0].address()).encode();
    for (_, state) in &mut world.replicas {
        let mut a: sinew_state::Account = borsh::from_slice(&state.map[&key]).expect("account decodes");
        a.balance += 1;
        state.map.insert(key.clone(), borsh::to_vec(&a).expect("encodes"));
    }
}
