//! A task from posting to a submitted result: posting (or topping up) with the reward in escrow,
//! claiming with a bond (and taking over a missed claim), submitting, cancelling.

use super::recompute::recompute_result;
use crate::accounts::task_escrow;
use crate::ctx::{fail, Ctx, Outcome};
use crate::keys::StateKey;
use crate::reader::StateReader;
use sinew_types::amount::Amount;
use sinew_types::event::TaskEvent;
use sinew_types::failure::{LedgerFailure, TaskFailure};
use sinew_types::params::bounds::MAX_FEE_PARAM;
use sinew_types::payload::{CancelTask, ClaimTask, PostTask, SubmitResult};
use sinew_types::records::Funder;
use sinew_types::records::{capability_hash, Task};
use sinew_types::task::{recomputable, task_id, AgentStatus, TaskId, TaskStatus, Verification};
use sinew_types::{Address, Event};

impl<R: StateReader> Ctx<'_, R> {
    pub(super) fn task_event(&self, t: &Task, actor: &Address, action: &str) -> Event {
        Event::Tasks(TaskEvent::TaskUpdated {
            task: t.id,
            task_kind: t.kind.clone(),
            actor: *actor,
            action: action.into(),
            status: t.status,
        })
    }

    /// Locks `amount` of `who`'s balance in the task escrow.
    pub(super) fn lock(&mut self, who: &Address, amount: Amount) -> Outcome {
        self.move_tokens(who, &task_escrow(), amount)
    }

    /// `CancelTask`.
    pub(super) fn cancel_task(&mut self, signer: &Address, tx: &CancelTask, events: &mut Vec<Event>) -> Outcome {
        let task = &tx.task;
        let Some(mut t) = self.get::<Task>(&StateKey::Task(*task))? else {
            return fail(TaskFailure::UnknownTask, format!("no task {task}"));
        };
        if t.poster != *signer {
            return fail(TaskFailure::NotPoster, "only the poster may cancel");
        }
        if t.status != TaskStatus::Open {
            return fail(
                TaskFailure::NotOpen,
                format!("the task is {:?}: it can be cancelled only while open", t.status),
            );
        }
        self.refund(&t)?;
        t.status = TaskStatus::Closed;
        events.push(self.task_event(&t, signer, "cancelled"));
        self.save_task(&t);
        Ok(())
    }

    pub(super) fn post_task(&mut self, signer: &Address, tx: &PostTask, events: &mut Vec<Event>) -> Outcome {
        self.check_postable(tx)?;
        let id = task_id(&tx.kind, &tx.spec);
        let existing: Option<Task> = self.get(&StateKey::Task(id))?;
        match &existing {
            Some(t) if matches!(t.status, TaskStatus::Completed | TaskStatus::Closed) => {
                return fail(
                    TaskFailure::TaskFinished,
                    format!("task {id} is {:?}; change the spec to post it again", t.status),
                );
            }
            None if recomputable(&tx.kind) => {
                if let Err(e) = recompute_result(self, self.blobs, self.params(), &tx.kind, &tx.spec) {
                    return e.outcome();
                }
            }
            _ => {}
        }
        self.lock(signer, tx.reward)?;
        let t = match existing {
            Some(t) => join_task(t, signer, tx)?,
            None => self.new_task(id, signer, tx)?,
        };
        events.push(Event::Tasks(TaskEvent::TaskPosted {
            task: id,
            task_kind: t.kind.clone(),
            poster: *signer,
            reward: t.reward,
        }));
        self.save_task(&t);
        Ok(())
    }

    /// What a posted task needs of the ledger: a deadline ahead, a kind some agent (or the
    /// ledger) takes, an existing parent.
    fn check_postable(&self, tx: &PostTask) -> Outcome {
        if tx.deadline <= self.height {
            return fail(
                TaskFailure::DeadlinePassed,
                format!("deadline {} is not after height {}", tx.deadline, self.height),
            );
        }
        let known = recomputable(&tx.kind)
            || self
                .get::<u64>(&StateKey::CapabilityAgents(capability_hash(&tx.kind)))?
                .is_some();
        if !known {
            return fail(
                TaskFailure::UnknownKind,
                format!("no active agent takes {:?} tasks", tx.kind),
            );
        }
        if let Some(p) = tx.parent {
            if self.get::<Task>(&StateKey::Task(p))?.is_none() {
                return fail(TaskFailure::UnknownParent, format!("no parent task {p}"));
            }
        }
        Ok(())
    }

    /// A new open task with `signer` its poster and only funder.
    fn new_task(&self, id: TaskId, signer: &Address, tx: &PostTask) -> Outcome<Task> {
        if tx.bond > tx.reward {
            // A bond larger than the reward makes the task a trap: the poster's own agent takes
            // over after the window and keeps the victim's bond.
            return fail(
                TaskFailure::BondExceedsReward,
                format!("the claimant bond {} may not exceed the reward {}", tx.bond, tx.reward),
            );
        }
        Ok(Task {
            id,
            kind: tx.kind.clone(),
            spec: tx.spec,
            poster: *signer,
            funders: vec![Funder {
                account: *signer,
                amount: tx.reward,
            }],
            reward: tx.reward,
            forfeited: 0,
            deadline: tx.deadline,
            claim_window: tx.claim_window,
            bond: tx.bond,
            verification: tx.verification,
            parent: tx.parent,
            status: TaskStatus::Open,
            claimant: None,
            claim_deadline: 0,
            result: None,
            on_time: false,
            review_deadline: 0,
            attestations: vec![],
            rejections: 0,
            created_at: self.height,
        })
    }

    pub(super) fn claim(&mut self, signer: &Address, tx: &ClaimTask, events: &mut Vec<Event>) -> Outcome {
        let task = &tx.task;
        let Some(mut t) = self.get::<Task>(&StateKey::Task(*task))? else {
            return fail(TaskFailure::UnknownTask, format!("no task {task}"));
        };
        let Some(mut agent) = self.agent(signer)?.filter(|a| a.status == AgentStatus::Active) else {
            return fail(TaskFailure::UnknownAgent, format!("{signer} is not an active agent"));
        };
        if !agent.capabilities.contains(&t.kind) {
            return fail(
                TaskFailure::NotCapable,
                format!("the agent does not advertise {:?}", t.kind),
            );
        }
        if self.height >= t.deadline {
            return fail(TaskFailure::DeadlinePassed, "the task's deadline has passed");
        }
        let mut action = "claimed";
        match t.status {
            TaskStatus::Open => {}
            TaskStatus::Claimed if self.height > t.claim_deadline && t.claimant != Some(*signer) => {
                // Takeover: the previous claimant missed its window and forfeits its bond.
                let prev = t.claimant.take().expect("claimed task has a claimant");
                t.forfeited += t.bond;
                self.release_claim(&prev)?;
                self.update_rep(&prev, |r| r.failed += 1)?;
                events.push(Event::Tasks(TaskEvent::Slashed {
                    account: prev,
                    task: t.id,
                    amount: t.bond,
                    reason: "missed_claim_window".into(),
                }));
                action = "taken_over";
                // The releasing agent may be the signer's record too: reload.
                agent = self.agent(signer)?.expect("checked above");
            }
            TaskStatus::Claimed => {
                return fail(
                    TaskFailure::AlreadyClaimed,
                    format!(
                        "claimed by {} until height {}",
                        t.claimant.expect("claimant"),
                        t.claim_deadline
                    ),
                )
            }
            s => return fail(TaskFailure::NotOpen, format!("the task is {s:?}")),
        }
        self.lock(signer, t.bond)?;
        t.status = TaskStatus::Claimed;
        t.claimant = Some(*signer);
        t.claim_deadline = self.height + t.claim_window;
        agent.active_claims += 1;
        self.put(&StateKey::Agent(*signer), &agent);
        self.update_rep(signer, |r| r.claims += 1)?;
        events.push(self.task_event(&t, signer, action));
        self.save_task(&t);
        Ok(())
    }

    pub(super) fn submit_result(&mut self, signer: &Address, tx: &SubmitResult, events: &mut Vec<Event>) -> Outcome {
        let task = &tx.task;
        let result = &tx.result;
        let Some(mut t) = self.get::<Task>(&StateKey::Task(*task))? else {
            return fail(TaskFailure::UnknownTask, format!("no task {task}"));
        };
        if t.status != TaskStatus::Claimed || t.claimant != Some(*signer) {
            return fail(TaskFailure::NotClaimant, "only the current claimant submits, once");
        }
        if self.height > t.deadline {
            return fail(
                TaskFailure::DeadlinePassed,
                format!("the deadline was height {}", t.deadline),
            );
        }
        t.result = Some(*result);
        t.on_time = self.height <= t.claim_deadline;
        match t.verification {
            Verification::Recompute => {
                let expected = match recompute_result(self, self.blobs, self.params(), &t.kind, &t.spec) {
                    Ok(h) => h,
                    Err(e) => return e.outcome(),
                };
                if expected == *result {
                    events.push(self.task_event(&t, signer, "submitted"));
                    self.complete(&mut t, events)?;
                } else {
                    self.update_rep(signer, |r| r.failed += 1)?;
                    events.push(self.task_event(&t, signer, "wrong_result"));
                    self.forfeit_and_reopen(&mut t, "wrong_result", events)?;
                }
            }
            v => {
                t.status = TaskStatus::Submitted;
                t.review_deadline = self.height + v.window();
                events.push(self.task_event(&t, signer, "submitted"));
            }
        }
        self.save_task(&t);
        Ok(())
    }
}

/// The identical open task, topped up by `signer`. Joining funds someone else's terms: only
/// identical terms may be joined, and a poster-verified task only by its poster (whose judgement
/// decides the money).
fn join_task(mut t: Task, signer: &Address, tx: &PostTask) -> Outcome<Task> {
    if (t.deadline, t.claim_window, t.bond, t.verification, t.parent)
        != (tx.deadline, tx.claim_window, tx.bond, tx.verification, tx.parent)
    {
        return fail(
            TaskFailure::TermsDiffer,
            format!(
                "task {} is open with other terms (deadline {}, claim window {}, bond {}, {:?}, parent {:?}); \
                 post the same terms to join it, or change the spec",
                t.id, t.deadline, t.claim_window, t.bond, t.verification, t.parent
            ),
        );
    }
    if matches!(t.verification, Verification::Poster { .. }) && t.poster != *signer {
        return fail(
            TaskFailure::PosterTask,
            format!(
                "task {} is judged by its poster {}; post your own spec to fund work you judge",
                t.id, t.poster
            ),
        );
    }
    let Some(total) = t.reward.checked_add(tx.reward).filter(|r| *r <= MAX_FEE_PARAM) else {
        return fail(LedgerFailure::Overflow, "the reward would exceed 2^96");
    };
    t.reward = total;
    match t.funders.iter().position(|f| f.account == *signer) {
        Some(i) => t.funders[i].amount += tx.reward,
        None if t.funders.len() < 64 => t.funders.push(Funder {
            account: *signer,
            amount: tx.reward,
        }),
        None => return fail(TaskFailure::TooManyFunders, "at most 64 funders per task"),
    }
    Ok(t)
}

impl<R: StateReader> Ctx<'_, R> {
    /// Writes a task, asserting (in debug builds) that its status and its claimant, result and
    /// attestations agree: an open task has no claimant, result or attestation; a claimed one a
    /// claimant and no result; a submitted one both.
    pub(super) fn save_task(&mut self, t: &Task) {
        match t.status {
            TaskStatus::Open => debug_assert!(
                t.claimant.is_none() && t.result.is_none() && t.attestations.is_empty(),
                "an open task has no claimant, result or attestation"
            ),
            TaskStatus::Claimed => debug_assert!(
                t.claimant.is_some() && t.result.is_none(),
                "a claimed task has a claimant and no result yet"
            ),
            TaskStatus::Submitted => debug_assert!(
                t.claimant.is_some() && t.result.is_some(),
                "a submitted task has a claimant and a result"
            ),
            TaskStatus::Completed | TaskStatus::Closed => {}
        }
        self.put(&StateKey::Task(t.id), t);
    }
}
