//! How a submitted result is decided and paid: the poster's review, verifiers' attestations and
//! their tally, challenges settled by recomputation, finalization; payouts, forfeits, reopening
//! and refunds.

use super::recompute::recompute_result;
use crate::accounts::task_escrow;
use crate::ctx::{fail, Ctx, Outcome};
use crate::error::StorageError;
use crate::keys::StateKey;
use crate::reader::StateReader;
use sinew_types::amount::Amount;
use sinew_types::event::TaskEvent;
use sinew_types::failure::{LedgerFailure, TaskFailure};
use sinew_types::inference::split_exact;
use sinew_types::payload::{Attest, Challenge, FinalizeTask, ReviewResult};
use sinew_types::records::Attestation;
use sinew_types::records::Task;
use sinew_types::task::{
    recomputable, AgentStatus, TaskStatus, Verification, MAX_ATTESTATIONS, MAX_REJECTIONS, REJECTION_FEE_BPS,
};
use sinew_types::{Address, Event};

impl<R: StateReader> Ctx<'_, R> {
    /// Pays a task out: reward and forfeited bonds to the claimant, its bond back.
    pub(super) fn complete(&mut self, t: &mut Task, events: &mut Vec<Event>) -> Result<(), StorageError> {
        let agent = t.claimant.expect("a completed task has a claimant");
        let pay = t.reward + t.forfeited;
        self.pay_out(&task_escrow(), &agent, pay + t.bond)?;
        self.release_claim(&agent)?;
        let on_time = t.on_time;
        self.update_rep(&agent, |r| {
            r.completed += 1;
            r.on_time += u64::from(on_time);
            r.earned = r.earned.saturating_add(pay);
        })?;
        t.status = TaskStatus::Completed;
        events.push(Event::Tasks(TaskEvent::TaskCompleted {
            task: t.id,
            task_kind: t.kind.clone(),
            agent,
            reward: pay,
        }));
        Ok(())
    }

    /// The claimant loses its bond to the task and the task reopens (or closes past its deadline).
    pub(super) fn forfeit_and_reopen(
        &mut self,
        t: &mut Task,
        reason: &str,
        events: &mut Vec<Event>,
    ) -> Result<(), StorageError> {
        if let Some(agent) = t.claimant.take() {
            t.forfeited += t.bond;
            self.release_claim(&agent)?;
            events.push(Event::Tasks(TaskEvent::Slashed {
                account: agent,
                task: t.id,
                amount: t.bond,
                reason: reason.into(),
            }));
        }
        self.reopen(t, events)
    }

    /// Reopens a task for another claimant, or closes and refunds it past its deadline. Bonds of
    /// attestations still on the task go back to their verifiers.
    fn reopen(&mut self, t: &mut Task, events: &mut Vec<Event>) -> Result<(), StorageError> {
        t.claimant = None;
        t.result = None;
        for a in std::mem::take(&mut t.attestations) {
            self.pay_out(&task_escrow(), &a.verifier, a.bond)?;
        }
        if self.height >= t.deadline {
            self.refund(t)?;
            t.status = TaskStatus::Closed;
            events.push(self.task_event(t, &Address::default(), "expired"));
        } else {
            t.status = TaskStatus::Open;
            events.push(self.task_event(t, &Address::default(), "reopened"));
        }
        Ok(())
    }

    /// Returns the reward to the funders in proportion to what each put in (largest remainder;
    /// weights scaled to 40 bits, so the proportion is exact to about one part in 10^12 while the
    /// parts always sum exactly); each gets exactly what it put in when no rejection fee was paid
    /// out of the reward. Bonds forfeited on the task go to the treasury, never to the funders: a
    /// poster must not profit from the claimants it (or verifiers it controls) turned away.
    pub(super) fn refund(&mut self, t: &Task) -> Result<(), StorageError> {
        let max = t.funders.iter().map(|f| f.amount).max().unwrap_or(0);
        let shift = (128 - max.leading_zeros()).saturating_sub(40);
        let weights: Vec<u128> = t.funders.iter().map(|f| (f.amount >> shift).max(1)).collect();
        let funded: Amount = t.funders.iter().map(|f| f.amount).sum();
        let back: Vec<Amount> = if funded == t.reward {
            t.funders.iter().map(|f| f.amount).collect()
        } else {
            split_exact(t.reward, &weights)
        };
        for (f, put) in t.funders.iter().zip(back) {
            self.pay_out(&task_escrow(), &f.account, put)?;
        }
        self.pay_out(&task_escrow(), &crate::accounts::treasury(), t.forfeited)?;
        Ok(())
    }

    /// `ReviewResult`.
    pub(super) fn review_result(&mut self, signer: &Address, tx: &ReviewResult, events: &mut Vec<Event>) -> Outcome {
        let task = &tx.task;
        let accept = &tx.accept;
        let Some(mut t) = self.get::<Task>(&StateKey::Task(*task))? else {
            return fail(TaskFailure::UnknownTask, format!("no task {task}"));
        };
        if !matches!(t.verification, Verification::Poster { .. }) {
            return fail(TaskFailure::WrongMode, "this task is not verified by its poster");
        }
        if t.poster != *signer {
            return fail(TaskFailure::NotPoster, "only the poster reviews");
        }
        if t.status != TaskStatus::Submitted || self.height > t.review_deadline {
            return fail(
                TaskFailure::NotInReview,
                "no result awaits review (or the window has passed)",
            );
        }
        if *accept {
            events.push(self.task_event(&t, signer, "accepted"));
            self.complete(&mut t, events)?;
        } else {
            // A rejected result: the bond goes back (the poster is not a judge of its
            // own money) with a share of the reward for a result the poster has now
            // seen, the claimant's record shows it, and the task reopens. A poster may
            // reject only so many.
            if t.rejections >= MAX_REJECTIONS {
                return fail(
                    TaskFailure::RejectionsExhausted,
                    format!("the poster already rejected {MAX_REJECTIONS} results: accept, or let the window pass"),
                );
            }
            let agent = t.claimant.expect("submitted task has a claimant");
            let seen = t.reward * Amount::from(REJECTION_FEE_BPS) / 10_000;
            t.reward -= seen;
            t.rejections += 1;
            self.pay_out(&task_escrow(), &agent, t.bond + seen)?;
            self.release_claim(&agent)?;
            self.update_rep(&agent, |r| r.failed += 1)?;
            events.push(self.task_event(&t, signer, "rejected"));
            self.reopen(&mut t, events)?;
        }
        self.save_task(&t);
        Ok(())
    }

    /// `Attest`.
    pub(super) fn attest(&mut self, signer: &Address, tx: &Attest, events: &mut Vec<Event>) -> Outcome {
        let task = &tx.task;
        let approve = &tx.approve;
        let Some(mut t) = self.get::<Task>(&StateKey::Task(*task))? else {
            return fail(TaskFailure::UnknownTask, format!("no task {task}"));
        };
        let Verification::Quorum { bond, min_stake, .. } = t.verification else {
            return fail(TaskFailure::WrongMode, "this task is not verified by a quorum");
        };
        if t.status != TaskStatus::Submitted || self.height > t.review_deadline {
            return fail(
                TaskFailure::NotInReview,
                "no result awaits attestation (or the window has passed)",
            );
        }
        let weight = match self.agent(signer)? {
            Some(a) if a.status == AgentStatus::Active && a.stake > 0 && a.stake >= min_stake => a.stake,
            _ => {
                return fail(
                    TaskFailure::NotStaked,
                    format!("only active agents with at least {min_stake} staked attest this task"),
                )
            }
        };
        if t.claimant == Some(*signer) || t.poster == *signer {
            return fail(LedgerFailure::Conflict, "the claimant and the poster cannot attest");
        }
        if t.attestations.iter().any(|a| a.verifier == *signer) {
            return fail(TaskFailure::AlreadyAttested, "one attestation per verifier");
        }
        if t.attestations.len() >= MAX_ATTESTATIONS {
            // Full: the smallest stake makes room for a larger one, so the seats go by
            // stake, not by who came first.
            let (i, smallest) = t
                .attestations
                .iter()
                .enumerate()
                .min_by_key(|(_, a)| (a.weight, a.verifier))
                .map(|(i, a)| (i, a.weight))
                .expect("full");
            if smallest >= weight {
                return fail(
                    TaskFailure::QuorumFull,
                    format!("{MAX_ATTESTATIONS} attestations already, none with less stake than {weight}"),
                );
            }
            let evicted = t.attestations.remove(i);
            self.pay_out(&task_escrow(), &evicted.verifier, evicted.bond)?;
        }
        self.lock(signer, bond)?;
        t.attestations.push(Attestation {
            verifier: *signer,
            approve: *approve,
            weight,
            bond,
        });
        events.push(self.task_event(&t, signer, "attested"));
        self.save_task(&t);
        Ok(())
    }

    pub(super) fn challenge(&mut self, signer: &Address, tx: &Challenge, events: &mut Vec<Event>) -> Outcome {
        let (task, bond) = (&tx.task, tx.bond);
        let Some(mut t) = self.get::<Task>(&StateKey::Task(*task))? else {
            return fail(TaskFailure::UnknownTask, format!("no task {task}"));
        };
        let claimant = self.challengeable(&t, signer, bond)?;
        self.lock(signer, bond)?;
        let expected = match recompute_result(self, self.blobs, self.params(), &t.kind, &t.spec) {
            Ok(h) => h,
            Err(e) => return e.outcome(),
        };
        if t.result == Some(expected) {
            // The result stands: the challenger's bond goes to the claimant.
            self.pay_out(&task_escrow(), &claimant, bond)?;
            events.push(Event::Tasks(TaskEvent::Slashed {
                account: *signer,
                task: t.id,
                amount: bond,
                reason: "challenge_lost".into(),
            }));
            events.push(self.task_event(&t, signer, "challenge_lost"));
        } else {
            self.challenge_won(&mut t, signer, bond, claimant, events)?;
        }
        self.save_task(&t);
        Ok(())
    }

    /// Whether `signer` may challenge `t`'s result with `bond`: a submitted result of a
    /// recomputable kind, inside its window, not the signer's own, bonded at least as much as the
    /// claimant. The claimant.
    fn challengeable(&self, t: &Task, signer: &Address, bond: Amount) -> Outcome<Address> {
        if t.status != TaskStatus::Submitted || self.height > t.review_deadline {
            return fail(
                TaskFailure::NotInReview,
                "no result is open to challenge (or the window has passed)",
            );
        }
        if !recomputable(&t.kind) {
            return fail(
                TaskFailure::NotRecomputable,
                "only results the ledger can recompute can be challenged",
            );
        }
        if bond < t.bond.max(1) {
            return fail(
                TaskFailure::BondTooSmall,
                format!("a challenge bonds at least the claimant's bond {}", t.bond),
            );
        }
        let claimant = t
            .claimant
            .ok_or_else(|| StorageError::new(format!("submitted task {} has no claimant", t.id)))?;
        if claimant == *signer {
            return fail(LedgerFailure::Conflict, "the claimant cannot challenge itself");
        }
        Ok(claimant)
    }

    /// The result was wrong: the challenger gets its bond back and the claimant's, verifiers who
    /// attested the wrong result lose their slash share to it too, and the task reopens.
    fn challenge_won(
        &mut self,
        t: &mut Task,
        signer: &Address,
        bond: Amount,
        claimant: Address,
        events: &mut Vec<Event>,
    ) -> Result<(), StorageError> {
        let mut won = bond + t.bond;
        if let Verification::Quorum { slash_bps, .. } = t.verification {
            for Attestation {
                verifier: v,
                approve,
                bond: b,
                ..
            } in std::mem::take(&mut t.attestations)
            {
                let slash = if approve {
                    b * Amount::from(slash_bps) / 10_000
                } else {
                    0
                };
                self.pay_out(&task_escrow(), &v, b - slash)?;
                won += slash;
                if slash > 0 {
                    events.push(Event::Tasks(TaskEvent::Slashed {
                        account: v,
                        task: t.id,
                        amount: slash,
                        reason: "attested_wrong_result".into(),
                    }));
                }
            }
        }
        self.pay_out(&task_escrow(), signer, won)?;
        self.release_claim(&claimant)?;
        self.update_rep(&claimant, |r| r.challenged_lost += 1)?;
        events.push(Event::Tasks(TaskEvent::Slashed {
            account: claimant,
            task: t.id,
            amount: t.bond,
            reason: "challenge_lost".into(),
        }));
        events.push(self.task_event(t, signer, "challenge_won"));
        t.claimant = None;
        self.reopen(t, events)
    }

    pub(super) fn finalize(&mut self, signer: &Address, tx: &FinalizeTask, events: &mut Vec<Event>) -> Outcome {
        let task = &tx.task;
        let Some(mut t) = self.get::<Task>(&StateKey::Task(*task))? else {
            return fail(TaskFailure::UnknownTask, format!("no task {task}"));
        };
        match t.status {
            TaskStatus::Submitted if self.height > t.review_deadline => match t.verification {
                Verification::Poster { .. } => {
                    events.push(self.task_event(&t, signer, "accepted"));
                    self.complete(&mut t, events)?;
                }
                Verification::Quorum {
                    min_verifiers,
                    slash_bps,
                    ..
                } => self.tally(&mut t, min_verifiers, slash_bps, events)?,
                Verification::Recompute => {
                    return Err(StorageError::new(format!("recomputed task {task} was left submitted")).into())
                }
            },
            TaskStatus::Open | TaskStatus::Claimed if self.height > t.deadline => {
                if let Some(agent) = t.claimant.take() {
                    t.forfeited += t.bond;
                    self.release_claim(&agent)?;
                    self.update_rep(&agent, |r| r.failed += 1)?;
                    events.push(Event::Tasks(TaskEvent::Slashed {
                        account: agent,
                        task: t.id,
                        amount: t.bond,
                        reason: "missed_deadline".into(),
                    }));
                }
                self.refund(&t)?;
                t.status = TaskStatus::Closed;
                events.push(self.task_event(&t, signer, "expired"));
            }
            TaskStatus::Completed | TaskStatus::Closed => {
                return fail(TaskFailure::AlreadyFinal, format!("the task is already {:?}", t.status))
            }
            TaskStatus::Submitted => {
                return fail(
                    LedgerFailure::TooEarly,
                    format!("the verification window ends at height {}", t.review_deadline),
                )
            }
            _ => {
                return fail(
                    LedgerFailure::TooEarly,
                    format!("the task runs until its deadline, height {}", t.deadline),
                )
            }
        }
        self.save_task(&t);
        Ok(())
    }

    /// Decides a quorum-verified result: stake-weighted, each verifier's weight clipped to a third
    /// of the total (no single stake decides), ties reject.
    pub(super) fn tally(
        &mut self,
        t: &mut Task,
        min_verifiers: u32,
        slash_bps: u16,
        events: &mut Vec<Event>,
    ) -> Result<(), StorageError> {
        let atts = std::mem::take(&mut t.attestations);
        let claimant = t.claimant.expect("submitted task has a claimant");
        if atts.len() < min_verifiers as usize {
            // No decision: everyone's bond back, the task reopens.
            for a in &atts {
                self.pay_out(&task_escrow(), &a.verifier, a.bond)?;
            }
            self.pay_out(&task_escrow(), &claimant, t.bond)?;
            self.release_claim(&claimant)?;
            events.push(self.task_event(t, &Address::default(), "no_quorum"));
            return self.reopen(t, events);
        }
        let total: Amount = atts.iter().map(|a| a.weight).sum();
        let cap = total / 3 + 1;
        let clipped: Vec<Amount> = atts.iter().map(|a| a.weight.min(cap)).collect();
        let approve: Amount = atts
            .iter()
            .zip(&clipped)
            .filter(|(a, _)| a.approve)
            .map(|(_, w)| *w)
            .sum();
        let reject: Amount = atts
            .iter()
            .zip(&clipped)
            .filter(|(a, _)| !a.approve)
            .map(|(_, w)| *w)
            .sum();
        let approved = approve > reject;
        self.settle_verifier_bonds(t, &atts, &clipped, approved, slash_bps, events)?;
        if approved {
            events.push(self.task_event(t, &Address::default(), "accepted"));
            self.complete(t, events)
        } else {
            self.update_rep(&claimant, |r| r.failed += 1)?;
            events.push(self.task_event(t, &Address::default(), "rejected"));
            self.forfeit_and_reopen(t, "rejected_by_quorum", events)
        }
    }

    /// Returns the bonds of verifiers who voted with the outcome; those who voted against it
    /// forfeit `slash_bps` of their bond to the winners, split by clipped weight, exactly.
    fn settle_verifier_bonds(
        &mut self,
        t: &Task,
        atts: &[Attestation],
        clipped: &[Amount],
        approved: bool,
        slash_bps: u16,
        events: &mut Vec<Event>,
    ) -> Result<(), StorageError> {
        let mut pot: Amount = 0;
        let mut winners: Vec<(Address, Amount)> = Vec::new();
        for (a, w) in atts.iter().zip(clipped) {
            if a.approve == approved {
                self.pay_out(&task_escrow(), &a.verifier, a.bond)?;
                winners.push((a.verifier, *w));
                continue;
            }
            let slash = a.bond * Amount::from(slash_bps) / 10_000;
            pot += slash;
            self.pay_out(&task_escrow(), &a.verifier, a.bond - slash)?;
            if slash > 0 {
                events.push(Event::Tasks(TaskEvent::Slashed {
                    account: a.verifier,
                    task: t.id,
                    amount: slash,
                    reason: "outvoted".into(),
                }));
            }
        }
        let shift = winners
            .iter()
            .map(|w| w.1)
            .max()
            .map_or(0, |m| (128 - m.leading_zeros()).saturating_sub(40));
        let weights: Vec<u128> = winners.iter().map(|w| (w.1 >> shift).max(1)).collect();
        for ((v, _), share) in winners.iter().zip(split_exact(pot, &weights)) {
            self.pay_out(&task_escrow(), v, share)?;
        }
        Ok(())
    }
}
