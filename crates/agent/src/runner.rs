//! The agent loop: event-driven, with a periodic catch-up scan, idempotent on task ids.

use crate::client::{AgentClient, AgentError};
use sinew_sdk::TaskFilter;
use sinew_types::failure::TaskFailure;
use sinew_types::payload::{ClaimTask, FinalizeTask, SubmitResult};
use sinew_types::records::Task;
use sinew_types::task::TaskStatus;
use sinew_types::{FailureCode, Hash};
use std::io::BufRead;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// What an agent does with a task.
pub trait Worker {
    /// The task kinds it takes (its capabilities).
    fn kinds(&self) -> Vec<String>;
    /// Executes a task from its spec bytes; returns the result to submit.
    fn work(&mut self, agent: &AgentClient, task: &Task, spec: &[u8]) -> Result<Hash, String>;
}

/// Which open tasks an agent is willing to claim. A claim locks the task's bond, which the agent
/// loses if it misses the claim window: a hostile poster can offer a short window and a large
/// bond and take the bond over with its own agent. The ledger bounds both (a minimum window, a
/// bond no larger than the reward); the policy lets an agent be stricter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimPolicy {
    /// Largest bond, in basis points of the reward.
    pub max_bond_bps: u32,
    /// Shortest claim window, in blocks.
    pub min_claim_window: u64,
    /// Fewest blocks left before the deadline when claiming.
    pub min_blocks_left: u64,
    /// Largest bond in base units (0: no absolute limit).
    pub max_bond: sinew_types::Amount,
}

impl Default for ClaimPolicy {
    fn default() -> Self {
        ClaimPolicy {
            max_bond_bps: 5_000,
            min_claim_window: 10,
            min_blocks_left: 10,
            max_bond: 0,
        }
    }
}

impl ClaimPolicy {
    /// Whether to claim `t` at `height`.
    pub fn accepts(&self, t: &Task, height: u64) -> bool {
        let bond_ok = t.bond.saturating_mul(10_000) <= t.reward.saturating_mul(u128::from(self.max_bond_bps))
            && (self.max_bond == 0 || t.bond <= self.max_bond);
        bond_ok && t.claim_window >= self.min_claim_window && t.deadline.saturating_sub(height) >= self.min_blocks_left
    }
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Tasks claimed.
    pub claimed: u64,
    /// Results submitted.
    pub submitted: u64,
    /// Own tasks finalized.
    pub finalized: u64,
    /// Claims lost to another agent.
    pub lost_races: u64,
    /// Open tasks left alone because the claim policy refused them.
    pub declined: u64,
}

/// Subscribes to task events of `kinds`; each event (or reconnect) nudges the loop.
fn subscribe(url: String, kinds: Vec<String>, tx: mpsc::Sender<()>) {
    std::thread::spawn(move || loop {
        let stream = format!("{url}/v1/events?task_kind={}", kinds.join(","));
        if let Ok(r) = ureq::get(&stream).call() {
            for line in std::io::BufReader::new(r.into_reader()).lines() {
                let Ok(line) = line else { break };
                if line.starts_with("data:") && tx.send(()).is_err() {
                    return;
                }
            }
        }
        if tx.send(()).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    });
}

/// Runs `worker` as `agent` until `stop` is set: claims open tasks of its kinds (that the default
/// [`ClaimPolicy`] accepts), works them, submits results and finalizes its own results when
/// their window has passed. Restarting it is safe: it resumes the tasks the ledger says it holds.
pub fn run<W: Worker>(agent: &AgentClient, worker: &mut W, stop: &AtomicBool) -> Result<Stats, AgentError> {
    run_with(agent, worker, stop, &ClaimPolicy::default())
}

/// [`run`] with a claim policy of the caller's.
pub fn run_with<W: Worker>(
    agent: &AgentClient,
    worker: &mut W,
    stop: &AtomicBool,
    policy: &ClaimPolicy,
) -> Result<Stats, AgentError> {
    let kinds = worker.kinds();
    let (tx, rx) = mpsc::channel();
    subscribe(agent.client_url(), kinds.clone(), tx);
    let mut stats = Stats::default();
    while !stop.load(Ordering::Relaxed) {
        step(agent, worker, &kinds, policy, &mut stats)?;
        // Wait for an event (or catch up every half second); drain bursts.
        let _ = rx.recv_timeout(Duration::from_millis(500));
        while rx.try_recv().is_ok() {}
    }
    Ok(stats)
}

/// One pass: resume own claims, finalize own results whose window passed, claim open tasks.
pub(crate) fn step<W: Worker>(
    agent: &AgentClient,
    worker: &mut W,
    kinds: &[String],
    policy: &ClaimPolicy,
    stats: &mut Stats,
) -> Result<(), AgentError> {
    let me = agent.address();
    // Tasks the ledger says we hold: claimed (work them) or submitted (finalize when due).
    let height = agent.height()?;
    for t in agent.tasks(TaskFilter {
        claimant: Some(me.to_string()),
        ..TaskFilter::default()
    })? {
        match t.status {
            TaskStatus::Claimed if height <= t.deadline => execute(agent, worker, &t, stats)?,
            TaskStatus::Submitted
                if height > t.review_deadline && agent.send(FinalizeTask { task: t.id }.into()).is_ok() =>
            {
                stats.finalized += 1
            }
            _ => {}
        }
    }
    for kind in kinds {
        for t in agent.tasks(TaskFilter {
            status: Some("open".into()),
            kind: Some(kind.to_string()),
            ..TaskFilter::default()
        })? {
            if t.deadline <= height {
                continue;
            }
            if !policy.accepts(&t, height) {
                stats.declined += 1;
                continue;
            }
            match agent.send(ClaimTask { task: t.id }.into()) {
                Ok(_) => {
                    stats.claimed += 1;
                    execute(agent, worker, &agent.task(&t.id)?, stats)?;
                }
                Err(e) if e.failure().is_some_and(lost_race) => stats.lost_races += 1,
                Err(e @ AgentError::Node(_)) => return Err(e),
                Err(_) => {}
            }
        }
    }
    Ok(())
}

/// Another agent got there first: the task was claimed, decided or expired meanwhile.
fn lost_race(f: FailureCode) -> bool {
    f == TaskFailure::AlreadyClaimed || f == TaskFailure::NotOpen || f == TaskFailure::DeadlinePassed
}

fn execute<W: Worker>(agent: &AgentClient, worker: &mut W, t: &Task, stats: &mut Stats) -> Result<(), AgentError> {
    let spec = agent.blob(&t.spec).unwrap_or_default();
    let result = match worker.work(agent, t, &spec) {
        Ok(r) => r,
        Err(_) => return Ok(()), // leave it: the claim window lets another agent take over
    };
    match agent.send(SubmitResult { task: t.id, result }.into()) {
        Ok(_) => stats.submitted += 1,
        Err(e @ AgentError::Node(_)) => return Err(e),
        Err(_) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sinew_types::task::Verification;

    fn task(reward: u128, bond: u128, claim_window: u64, deadline: u64) -> Task {
        Task {
            id: Hash::of(b"t"),
            kind: "k".into(),
            spec: Hash::of(b"s"),
            poster: sinew_types::Address::default(),
            funders: vec![],
            reward,
            forfeited: 0,
            deadline,
            claim_window,
            bond,
            verification: Verification::Poster { window: 5 },
            parent: None,
            status: TaskStatus::Open,
            claimant: None,
            claim_deadline: 0,
            result: None,
            on_time: false,
            review_deadline: 0,
            attestations: vec![],
            rejections: 0,
            created_at: 0,
        }
    }

    #[test]
    fn the_default_policy_declines_trap_tasks() {
        let p = ClaimPolicy::default();
        assert!(p.accepts(&task(1_000, 100, 20, 100), 10));
        assert!(!p.accepts(&task(1_000, 900, 20, 100), 10), "bond near the reward");
        assert!(!p.accepts(&task(1_000, 100, 2, 100), 10), "window too short to work");
        assert!(!p.accepts(&task(1_000, 100, 20, 15), 10), "deadline too close");
        let strict = ClaimPolicy {
            max_bond: 50,
            ..ClaimPolicy::default()
        };
        assert!(!strict.accepts(&task(1_000, 100, 20, 100), 10));
    }
}
