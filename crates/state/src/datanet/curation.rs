//! Deciding contributions: the owner's review or a quorum of staked reviewers' votes, expiry of
//! what nobody reviewed, and what each decision returns, slashes or frees.

use crate::accounts::bond_escrow;
use crate::blobs::BlobSourceError;
use crate::ctx::Halt;
use crate::ctx::{fail, Ctx, Outcome};
use crate::error::StorageError;
use crate::keys::StateKey;
use crate::reader::StateReader;
use sinew_types::amount::Amount;
use sinew_types::datanet::{ContributionStatus, CurationPolicy};
use sinew_types::event::DatanetEvent;
use sinew_types::failure::{DatanetFailure, LedgerFailure};
use sinew_types::payload::{ExpireContribution, Review};
use sinew_types::records::Vote;
use sinew_types::records::{contribution_leaf, Contribution, MAX_VOTES};
use sinew_types::{merkle, Address, Event};

impl<R: StateReader> Ctx<'_, R> {
    pub(super) fn review(&mut self, signer: &Address, tx: &Review, events: &mut Vec<Event>) -> Outcome {
        let (id, seq) = (tx.datanet, tx.contribution);
        let Some(d) = self.datanet(id)? else {
            return fail(DatanetFailure::UnknownDatanet, format!("no datanet {id}"));
        };
        let Some(c) = self.get::<Contribution>(&StateKey::Contribution(id, seq))? else {
            return fail(
                DatanetFailure::UnknownContribution,
                format!("datanet {id} has no contribution {seq}"),
            );
        };
        let staked_quorum = match d.rules.curation {
            CurationPolicy::Open => {
                return fail(
                    DatanetFailure::OpenDatanet,
                    format!("datanet {id} is open: contributions need no review"),
                )
            }
            CurationPolicy::OwnerCurated => None,
            CurationPolicy::StakedReviewers { quorum, min_stake } => Some((quorum, min_stake)),
        };
        if c.status != ContributionStatus::Pending {
            return fail(
                DatanetFailure::AlreadyDecided,
                format!("contribution {seq} of datanet {id} was already {:?}", c.status),
            );
        }
        let Some((quorum, min_stake)) = staked_quorum else {
            if d.owner != *signer {
                return fail(
                    DatanetFailure::NotReviewer,
                    format!("only the owner {} reviews datanet {id}", d.owner),
                );
            }
            events.push(Event::Datanet(DatanetEvent::Reviewed {
                datanet: id,
                contribution: seq,
                reviewer: *signer,
                approve: tx.approve,
            }));
            return self.decide(id, seq, tx.approve, tx.reason.clone(), events);
        };
        self.vote(c, signer, tx, (quorum, min_stake), events)
    }

    /// A staked reviewer's vote; the contribution is decided once one side's stake reaches the
    /// quorum threshold and outweighs the other (stake decides, not heads: sybil accounts add no
    /// weight).
    fn vote(
        &mut self,
        mut c: Contribution,
        signer: &Address,
        tx: &Review,
        (quorum, min_stake): (u32, Amount),
        events: &mut Vec<Event>,
    ) -> Outcome {
        let (id, seq) = (tx.datanet, tx.contribution);
        let staked = self.account(signer)?.map(|a| a.staked).unwrap_or(0);
        if staked < min_stake || staked == 0 {
            return fail(
                DatanetFailure::NotReviewer,
                format!("reviewers of datanet {id} need {min_stake} staked; you have {staked}"),
            );
        }
        if c.contributor == *signer {
            return fail(
                LedgerFailure::Conflict,
                "a contributor does not review its own contribution",
            );
        }
        if c.votes.iter().any(|v| v.reviewer == *signer) {
            return fail(
                DatanetFailure::AlreadyVoted,
                format!("you already reviewed contribution {seq} of datanet {id}"),
            );
        }
        // Weights are the voters' stake now, not when they voted: stake unbonded since counts
        // no more, so the same tokens cannot vote twice on one contribution from two accounts.
        let mut weights = Vec::with_capacity(c.votes.len() + 1);
        for v in &c.votes {
            weights.push(self.account(&v.reviewer)?.map(|a| a.staked).unwrap_or(0));
        }
        if c.votes.len() >= MAX_VOTES {
            // Full: the lightest vote (the latest of equals) gives way to a heavier one, so cheap
            // accounts cannot fill the list and shut out reviewers with stake.
            let lightest = (0..weights.len())
                .min_by(|a, b| weights[*a].cmp(&weights[*b]).then(b.cmp(a)))
                .expect("the list is full");
            if weights[lightest] >= staked {
                return fail(
                    DatanetFailure::VotesFull,
                    format!(
                        "contribution {seq} has {MAX_VOTES} votes already, none with less than your stake of {staked}"
                    ),
                );
            }
            c.votes.remove(lightest);
            weights.remove(lightest);
        }
        c.votes.push(Vote {
            reviewer: *signer,
            approve: tx.approve,
            stake: staked,
        });
        weights.push(staked);
        events.push(Event::Datanet(DatanetEvent::Reviewed {
            datanet: id,
            contribution: seq,
            reviewer: *signer,
            approve: tx.approve,
        }));
        let weight = |side: bool| -> Amount {
            c.votes
                .iter()
                .zip(&weights)
                .filter(|(v, _)| v.approve == side)
                .map(|(_, w)| *w)
                .sum()
        };
        let threshold = min_stake.max(1).saturating_mul(Amount::from(quorum));
        let (ayes, nays) = (weight(true), weight(false));
        self.put(&StateKey::Contribution(id, seq), &c);
        // A vote decides only in its own direction: weights move between votes (stake unbonded,
        // a vote given way), and an approval must never set off a rejection (whose re-read of
        // the records only a rejecting vote pays for).
        if tx.approve && ayes >= threshold && ayes > nays {
            self.decide(id, seq, true, String::new(), events)
        } else if !tx.approve && nays >= threshold && nays > ayes {
            self.decide(id, seq, false, tx.reason.clone(), events)
        } else {
            Ok(())
        }
    }

    /// `ExpireContribution`: a contribution left unreviewed for `pending_expiry_blocks` is
    /// closed by anyone, its bond returned in full and its records freed, so a pending
    /// contribution cannot hold record hashes (and their first-come credit) for ever.
    pub(super) fn expire(&mut self, tx: &ExpireContribution, events: &mut Vec<Event>) -> Outcome {
        let id = tx.datanet;
        let seq = tx.contribution;
        let Some(c) = self.get::<Contribution>(&StateKey::Contribution(id, seq))? else {
            return fail(
                DatanetFailure::UnknownContribution,
                format!("datanet {id} has no contribution {seq}"),
            );
        };
        if c.status != ContributionStatus::Pending {
            return fail(
                DatanetFailure::AlreadyDecided,
                format!("contribution {seq} of datanet {id} is decided"),
            );
        }
        let due = c.height.saturating_add(self.params().pending_expiry_blocks);
        if self.height < due {
            return fail(
                LedgerFailure::TooEarly,
                format!("contribution {seq} may be reviewed until height {due}"),
            );
        }
        self.settle_contribution(id, seq, false, 0, "expired unreviewed".into(), events)
    }

    /// Approves or rejects a pending contribution: moves its bond (a rejection slashes the
    /// datanet's share of it to the treasury, never to the reviewer, who would otherwise profit
    /// from rejecting), updates the datanet.
    pub(super) fn decide(
        &mut self,
        id: u64,
        seq: u64,
        approve: bool,
        reason: String,
        events: &mut Vec<Event>,
    ) -> Outcome {
        let slash_bps = self
            .datanet(id)?
            .ok_or_else(|| StorageError::new(format!("datanet {id} vanished")))?
            .rules
            .reject_slash_bps;
        self.settle_contribution(id, seq, approve, if approve { 0 } else { slash_bps }, reason, events)
    }

    /// Approves or rejects a contribution, slashing `slash_bps` of its bond to the treasury.
    fn settle_contribution(
        &mut self,
        id: u64,
        seq: u64,
        approve: bool,
        slash_bps: u16,
        reason: String,
        events: &mut Vec<Event>,
    ) -> Outcome {
        let mut d = self
            .datanet(id)?
            .ok_or_else(|| StorageError::new(format!("datanet {id} vanished")))?;
        let mut c: Contribution = self
            .get(&StateKey::Contribution(id, seq))?
            .ok_or_else(|| StorageError::new(format!("contribution {id}/{seq} vanished")))?;
        let escrow = bond_escrow();
        let slashed = c.bond * Amount::from(slash_bps) / 10_000;
        let returned = c.bond - slashed;
        self.pay_out(&escrow, &c.contributor, returned)?;
        self.pay_out(&escrow, &crate::accounts::treasury(), slashed)?;
        if approve {
            c.status = ContributionStatus::Approved;
            // One key per approval, and the Merkle frontier a version's root is read from: an
            // approval costs the same however many came before.
            self.put(&StateKey::DatanetApproved(id, d.approved), &seq);
            let mut frontier: merkle::Frontier = self.get(&StateKey::DatanetFrontier(id))?.unwrap_or_default();
            frontier.push(&contribution_leaf(&c));
            self.put(&StateKey::DatanetFrontier(id), &frontier);
            d.approved += 1;
            d.approved_records += c.record_count as u64;
            d.approved_bytes += c.size;
        } else {
            c.status = ContributionStatus::Rejected { reason };
            // Its records no longer block others: drop them from the duplicate indexes.
            self.forget_records(id, seq, &c)?;
        }
        events.push(Event::Datanet(DatanetEvent::ContributionDecided {
            datanet: id,
            contribution: seq,
            contributor: c.contributor,
            approved: approve,
            bond_returned: returned,
            bond_slashed: slashed,
        }));
        self.put(&StateKey::Contribution(id, seq), &c);
        self.put(&StateKey::Datanet(id), &d);
        Ok(())
    }

    fn forget_records(&mut self, id: u64, seq: u64, c: &Contribution) -> Outcome {
        let ingested = match self.blobs.records(&c.blob, &c.format) {
            Ok(r) => r,
            // Its records were read when it was contributed: if this node cannot read them now,
            // the transaction waits (it is never failed, and never stops the chain).
            Err(BlobSourceError::Storage(e)) => return Err(StorageError::new(e).into()),
            Err(e) => return Err(Halt::Unavailable(format!("records of contribution {id}/{seq}: {e}"))),
        };
        for r in ingested.records.iter() {
            // Only the hashes this contribution holds (a later copy may have been refused, never
            // re-pointed, so every hash of it is its own).
            if self
                .get::<(u64, u32)>(&StateKey::DatanetRecord(id, r.hash))?
                .is_some_and(|(c, _)| c == seq)
            {
                self.delete(&StateKey::DatanetRecord(id, r.hash));
            }
        }
        self.forget_buckets(id, seq, &ingested.records)?;
        Ok(())
    }
}
