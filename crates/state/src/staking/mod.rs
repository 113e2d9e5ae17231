//! Staking and the ledger's own rules: transfers, stake and unstake (stake returns to the balance
//! after `unbonding_period` blocks, released when that block begins), and governance parameters
//! (signed by the parameters' authority; in force from the next block).
//!
//! Money rules: a transfer moves balance to balance; stake moves balance to `staked`, unstake
//! `staked` to `unbonding`, maturity `unbonding` to balance. Nothing else moves.

use crate::accounts::Unbonding;
use crate::ctx::nonzero;
use crate::ctx::{fail, insufficient_balance, overflow};
use crate::ctx::{Ctx, DueQueue, Outcome};
use crate::error::{StorageError, TxRejection};
use crate::keys::StateKey;
use crate::reader::StateReader;
use sinew_types::event::StakingEvent;
use sinew_types::failure::LedgerFailure;
use sinew_types::payload::{SetParams, Stake, StakingTx, Transfer, Unstake};
use sinew_types::{Address, Amount, Event, Params, ParamsUpdate};

/// Checks of a transfer that need no state.
fn check_transfer(signer: &Address, to: &Address, amount: Amount) -> Result<(), TxRejection> {
    if amount == 0 {
        return Err(TxRejection::ZeroAmount);
    }
    if to == signer {
        return Err(TxRejection::SelfTransfer);
    }
    Ok(())
}

/// Checks of a parameter change that need no state: the authority signs, the result is in bounds.
fn check_set_params(signer: &Address, update: &ParamsUpdate, params: &Params) -> Result<(), TxRejection> {
    if *signer != params.authority {
        return Err(TxRejection::NotAuthority {
            authority: params.authority,
        });
    }
    params.with(update).validate().map_err(TxRejection::InvalidParams)
}

/// Checks of a staking payload that need no state.
pub(crate) fn check(signer: &Address, tx: &StakingTx, params: &Params) -> Result<(), TxRejection> {
    match tx {
        StakingTx::Transfer(t) => check_transfer(signer, &t.to, t.amount),
        StakingTx::Stake(Stake { amount }) | StakingTx::Unstake(Unstake { amount }) => nonzero(*amount),
        StakingTx::SetParams(t) => check_set_params(signer, &t.update, params),
    }
}

impl<R: StateReader> Ctx<'_, R> {
    /// Runs a staking payload whose fee is paid.
    pub(crate) fn run_staking(&mut self, signer: &Address, tx: &StakingTx, events: &mut Vec<Event>) -> Outcome {
        match tx {
            StakingTx::Transfer(t) => self.transfer(signer, t, events),
            StakingTx::Stake(t) => self.stake(signer, t, events),
            StakingTx::Unstake(t) => self.unstake(signer, t, events),
            StakingTx::SetParams(t) => self.set_params(signer, t, events),
        }
    }
}

impl<R: StateReader> Ctx<'_, R> {
    /// `Transfer`.
    fn transfer(&mut self, signer: &Address, tx: &Transfer, events: &mut Vec<Event>) -> Outcome {
        let to = &tx.to;
        let amount = &tx.amount;
        let mut from = self.account(signer)?.unwrap_or_default();
        if from.balance < *amount {
            return insufficient_balance(from.balance, *amount);
        }
        from.balance -= amount;
        self.put(&StateKey::Account(*signer), &from);
        let mut dest = self.account(to)?.unwrap_or_default();
        let Some(b) = dest.balance.checked_add(*amount) else {
            return overflow();
        };
        dest.balance = b;
        self.put(&StateKey::Account(*to), &dest);
        events.push(Event::Staking(StakingEvent::Transfer {
            from: *signer,
            to: *to,
            amount: *amount,
        }));
        Ok(())
    }

    /// `Stake`.
    fn stake(&mut self, signer: &Address, tx: &Stake, events: &mut Vec<Event>) -> Outcome {
        let amount = &tx.amount;
        let mut a = self.account(signer)?.unwrap_or_default();
        if a.balance < *amount {
            return insufficient_balance(a.balance, *amount);
        }
        a.balance -= amount;
        let Some(st) = a.staked.checked_add(*amount) else {
            return overflow();
        };
        a.staked = st;
        self.put(&StateKey::Account(*signer), &a);
        events.push(Event::Staking(StakingEvent::Staked {
            account: *signer,
            amount: *amount,
        }));
        Ok(())
    }

    /// `Unstake`.
    fn unstake(&mut self, signer: &Address, tx: &Unstake, events: &mut Vec<Event>) -> Outcome {
        let amount = &tx.amount;
        let mut a = self.account(signer)?.unwrap_or_default();
        if a.staked < *amount {
            return fail(
                LedgerFailure::InsufficientStake,
                format!("staked {} is less than {amount}", a.staked),
            );
        }
        let Some(release_height) = self.height.checked_add(self.params().unbonding_period) else {
            return overflow();
        };
        a.staked -= amount;
        a.unbonding.push(Unbonding {
            amount: *amount,
            release_height,
        });
        self.put(&StateKey::Account(*signer), &a);
        self.enqueue(DueQueue::Unbonding, release_height, signer)?;
        events.push(Event::Staking(StakingEvent::UnbondingStarted {
            account: *signer,
            amount: *amount,
            release_height,
        }));
        Ok(())
    }

    /// `SetParams` (its signer and bounds were checked before inclusion).
    fn set_params(&mut self, signer: &Address, tx: &SetParams, events: &mut Vec<Event>) -> Outcome {
        let update = &tx.update;
        let new = self.params().with(update);
        self.put(&StateKey::Params, &new);
        events.push(Event::Staking(StakingEvent::ParamsChanged { by: *signer }));
        Ok(())
    }

    /// Returns stake whose unbonding matures at this block's height to its accounts.
    pub(crate) fn release_unbonding(&mut self) -> Result<Vec<Event>, StorageError> {
        let due: Vec<Address> = self.take_due(DueQueue::Unbonding, self.height)?;
        let mut events = Vec::new();
        for addr in due {
            let mut acct = self
                .account(&addr)?
                .ok_or_else(|| StorageError::new(format!("unbonding queue names missing account {addr}")))?;
            let (ready, pending): (Vec<Unbonding>, Vec<Unbonding>) =
                acct.unbonding.drain(..).partition(|u| u.release_height <= self.height);
            acct.unbonding = pending;
            let amount: Amount = ready.iter().map(|u| u.amount).sum();
            if amount > 0 {
                acct.balance += amount;
                self.put(&StateKey::Account(addr), &acct);
                events.push(Event::Staking(StakingEvent::UnbondingReleased {
                    account: addr,
                    amount,
                }));
            }
        }
        Ok(events)
    }
}
