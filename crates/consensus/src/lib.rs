//! The ordering seam. An [`Orderer`] decides *which* block comes next and when it is final; the
//! [`Application`] (the node) builds, checks and commits blocks. Business rules live in the
//! application's state machine, never here.
//!
//! This crate ships the single-node [`Sequencer`]. A BFT engine (commonware's simplex) plugs in as
//! another `Orderer` over the same `Application`: the leader calls `propose`, every replica calls
//! `verify` on what it receives, and `finalize` once the engine has a quorum.

mod blobs;
mod gossip;
mod info;
mod replica;

pub use blobs::{BlobHost, Keep, StagedBlob};
pub use gossip::{Incoming, TxGossip};
pub use info::ConsensusInfo;
pub use replica::{Replica, Verdict};

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// An error the application reports to the orderer (fatal for the node): what it was doing, and
/// the error that stopped it.
#[derive(Debug, thiserror::Error)]
#[error("{doing}: {source}")]
pub struct AppError {
    /// What the application was doing.
    pub doing: &'static str,
    /// Why it failed.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl AppError {
    /// An error that stopped `doing`.
    pub fn new(doing: &'static str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> AppError {
        AppError {
            doing,
            source: source.into(),
        }
    }
}

/// What an orderer needs from the node.
pub trait Application: Send {
    /// A block ready to be agreed on.
    type Proposal: Send;

    /// Blocks until at least `min_pending` transactions wait or `deadline` passes; returns how
    /// many wait.
    fn wait_for_work(&self, min_pending: usize, deadline: Instant) -> usize;

    /// Builds the next block from waiting transactions (leader role). `None`: nothing to do.
    fn propose(&mut self) -> Result<Option<Self::Proposal>, AppError>;

    /// Checks a block proposed by another replica by re-executing it (follower role).
    fn verify(&mut self, proposal: &Self::Proposal) -> Result<(), AppError>;

    /// The orderer decided `proposal` is final: make it durable and serve it.
    fn finalize(&mut self, proposal: Self::Proposal) -> Result<(), AppError>;

    /// Whether no finalized block is still on its way to disk. A block cut while the disk is
    /// idle costs no batching, so the orderer cuts at once instead of waiting out the interval
    /// (low latency at low load, group commit under load).
    fn idle(&self) -> bool {
        false
    }
}

/// Drives an application until `stop` is set.
pub trait Orderer {
    /// Runs the ordering loop on the current thread.
    fn run<A: Application>(&mut self, app: &mut A, stop: &AtomicBool) -> Result<(), AppError>;
}

/// When the single-node sequencer cuts a block.
#[derive(Clone, Debug)]
pub struct SequencerConfig {
    /// Cut a block at most this long after the previous one when anything waits.
    pub block_interval: Duration,
    /// Cut a block at once when this many transactions wait.
    pub max_pending: usize,
}

impl Default for SequencerConfig {
    fn default() -> Self {
        SequencerConfig {
            block_interval: Duration::from_millis(20),
            max_pending: 4_096,
        }
    }
}

/// The single-node orderer: the node itself is the only proposer, and a block is final as soon as
/// it is durable. Blocks are cut every `block_interval` or as soon as `max_pending` transactions
/// wait, so under load every fsync commits a whole batch (group commit).
pub struct Sequencer {
    config: SequencerConfig,
}

impl Sequencer {
    /// A sequencer with `config`.
    pub fn new(config: SequencerConfig) -> Sequencer {
        Sequencer { config }
    }
}

impl Orderer for Sequencer {
    fn run<A: Application>(&mut self, app: &mut A, stop: &AtomicBool) -> Result<(), AppError> {
        let mut last_block = Instant::now();
        // After a cut that found nothing to include (say, only nonce gaps), wait out the interval.
        let mut stalled = false;
        while !stop.load(Ordering::Acquire) {
            // Wake at least every 100 ms to notice `stop`.
            let deadline = (last_block + self.config.block_interval)
                .max(Instant::now())
                .min(Instant::now() + Duration::from_millis(100));
            // With the disk idle, one waiting transaction is reason enough to cut a block; while a
            // block is on its way to disk, look again every millisecond for the disk to free up.
            let eager = !stalled && app.idle();
            let (min, deadline) = if eager {
                (1, deadline)
            } else if stalled {
                (self.config.max_pending, deadline)
            } else {
                (
                    self.config.max_pending,
                    deadline.min(Instant::now() + Duration::from_millis(1)),
                )
            };
            let pending = app.wait_for_work(min, deadline);
            if pending == 0 {
                last_block = Instant::now();
                stalled = false;
                continue;
            }
            let due = Instant::now() >= last_block + self.config.block_interval;
            let cut_now = !stalled && app.idle();
            if pending < self.config.max_pending && !due && !cut_now {
                continue;
            }
            last_block = Instant::now();
            match app.propose()? {
                Some(p) => {
                    stalled = false;
                    app.finalize(p)?;
                }
                None => stalled = true,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    /// An application whose "transactions" are a counter; a block takes everything waiting.
    struct Counter {
        pending: Arc<AtomicUsize>,
        blocks: Vec<usize>,
        stop: Arc<AtomicBool>,
        idle: bool,
    }

    impl Application for Counter {
        type Proposal = usize;
        fn wait_for_work(&self, min: usize, deadline: Instant) -> usize {
            while Instant::now() < deadline && self.pending.load(Ordering::SeqCst) < min {
                std::thread::sleep(Duration::from_micros(200));
            }
            self.pending.load(Ordering::SeqCst)
        }
        fn idle(&self) -> bool {
            self.idle
        }
        fn propose(&mut self) -> Result<Option<usize>, AppError> {
            let n = self.pending.swap(0, Ordering::SeqCst);
            Ok((n > 0).then_some(n))
        }
        fn verify(&mut self, _p: &usize) -> Result<(), AppError> {
            Ok(())
        }
        fn finalize(&mut self, p: usize) -> Result<(), AppError> {
            self.blocks.push(p);
            if self.blocks.iter().sum::<usize>() >= 10 {
                self.stop.store(true, Ordering::SeqCst);
            }
            Ok(())
        }
    }

    #[test]
    fn sequencer_cuts_blocks_of_waiting_work_until_stopped() {
        let stop = Arc::new(AtomicBool::new(false));
        let pending = Arc::new(AtomicUsize::new(0));
        let mut app = Counter {
            pending: pending.clone(),
            blocks: vec![],
            stop: stop.clone(),
            idle: false,
        };
        let feeder = {
            let pending = pending.clone();
            std::thread::spawn(move || {
                for _ in 0..10 {
                    pending.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(3));
                }
            })
        };
        let mut seq = Sequencer::new(SequencerConfig {
            block_interval: Duration::from_millis(10),
            max_pending: 4,
        });
        seq.run(&mut app, &stop).unwrap();
        feeder.join().unwrap();
        assert_eq!(
            app.blocks.iter().sum::<usize>(),
            10,
            "every unit of work lands in exactly one block"
        );
        assert!(
            app.blocks.len() >= 2,
            "work spread over several blocks: {:?}",
            app.blocks
        );
    }

    #[test]
    fn an_idle_disk_cuts_a_block_for_a_single_transaction_at_once() {
        let stop = Arc::new(AtomicBool::new(false));
        let pending = Arc::new(AtomicUsize::new(0));
        let mut app = Counter {
            pending: pending.clone(),
            blocks: vec![],
            stop: stop.clone(),
            idle: true,
        };
        let started = Instant::now();
        pending.store(10, Ordering::SeqCst);
        let mut seq = Sequencer::new(SequencerConfig {
            block_interval: Duration::from_secs(5),
            max_pending: 1_000,
        });
        seq.run(&mut app, &stop).unwrap();
        assert_eq!(app.blocks, vec![10]);
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "did not wait out the 5 s interval"
        );
    }
}
