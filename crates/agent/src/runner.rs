//! The agent loop: event-driven, with a periodic catch-up scan, idempotent on task ids.

use crate::client::{Agent, AgentError};
use sinew_state::Task;
use sinew_types::task::TaskStatus;
use sinew_types::{Hash, Payload};
use std::io::BufRead;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// What an agent does with a task.
pub trait Worker {
    /// The task kinds it takes (its capabilities).
    fn kinds(&self) -> Vec<String>;
    /// Executes a task from its spec bytes; returns the result to submit.
    fn work(&mut self, agent: &Agent, task: &Task, spec: &[u8]) -> Result<Hash, String>;
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

/// Runs `worker` as `agent` until `stop` is set: claims open tasks of its kinds, works them,
/// submits results and finalizes its own results when their window has passed. Restarting it is
/// safe: it resumes the tasks the ledger says it holds.
pub fn run<W: Worker>(agent: &Agent, worker: &mut W, stop: &AtomicBool) -> Result<Stats, AgentError> {
    let kinds = worker.kinds();
    let (tx, rx) = mpsc::channel();
    subscribe(agent.client_url(), kinds.clone(), tx);
    let mut stats = Stats::default();
    while !stop.load(Ordering::Relaxed) {
        step(agent, worker, &kinds, &mut stats)?;
        // Wait for an event (or catch up every half second); drain bursts.
        let _ = rx.recv_timeout(Duration::from_millis(500));
        while rx.try_recv().is_ok() {}
    }
    Ok(stats)
}

/// One pass: resume own claims, finalize own results whose window passed, claim open tasks.
pub(crate) fn step<W: Worker>(
    agent: &Agent,
    worker: &mut W,
    kinds: &[String],
    stats: &mut Stats,
) -> Result<(), AgentError> {
    let me = agent.address();
    // Tasks the ledger says we hold: claimed (work them) or submitted (finalize when due).
    let height = agent.height()?;
    for t in agent.tasks(&format!("claimant={me}"))? {
        match t.status {
            TaskStatus::Claimed if height <= t.deadline => execute(agent, worker, &t, stats)?,
            TaskStatus::Submitted
                if height > t.review_deadline && agent.send(Payload::FinalizeTask { task: t.id }).is_ok() =>
            {
                stats.finalized += 1
            }
            _ => {}
        }
    }
    for kind in kinds {
        for t in agent.tasks(&format!("status=open&kind={kind}"))? {
            if t.deadline <= height {
                continue;
            }
            match agent.send(Payload::ClaimTask { task: t.id }) {
                Ok(_) => {
                    stats.claimed += 1;
                    execute(agent, worker, &agent.task(&t.id)?, stats)?;
                }
                Err(e) if matches!(e.code(), Some("already_claimed" | "not_open" | "deadline_passed")) => {
                    stats.lost_races += 1
                }
                Err(e @ AgentError::Node(_)) => return Err(e),
                Err(_) => {}
            }
        }
    }
    Ok(())
}

fn execute<W: Worker>(agent: &Agent, worker: &mut W, t: &Task, stats: &mut Stats) -> Result<(), AgentError> {
    let spec = agent.blob(&t.spec).unwrap_or_default();
    let result = match worker.work(agent, t, &spec) {
        Ok(r) => r,
        Err(_) => return Ok(()), // leave it: the claim window lets another agent take over
    };
    match agent.send(Payload::SubmitResult { task: t.id, result }) {
        Ok(_) => stats.submitted += 1,
        Err(e @ AgentError::Node(_)) => return Err(e),
        Err(_) => {}
    }
    Ok(())
}
