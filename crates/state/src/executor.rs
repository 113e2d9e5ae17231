//! Executing transactions against state, one block at a time.
//!
//! A transaction either is *rejected* (it may not be in a block; nothing changes), *fails*
//! (included: fee charged, nonce advanced, nothing else changes) or *succeeds*. The executor owns
//! that contract (fee, nonce, what a failure keeps); what a payload does is its module's, reached
//! through [`crate::dispatch`].

use crate::accounts::treasury;
use crate::blobs::BlobSource;
use crate::ctx::{Ctx, Halt};
use crate::dispatch::{run_payload, stateless_checks};
use crate::error::{StorageError, TxRejection};
use crate::keys::StateKey;
use crate::reader::{StateReader, WriteSet};
use sinew_types::event::StakingEvent;
use sinew_types::payload::{InferenceTx, SettleInference};
use sinew_types::tx::PreparedTx;
use sinew_types::{Event, FailureCode, Height, Params, Payload, Receipt, TxId, TxStatus};

/// What executing a block produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockEffects {
    /// State changes, to persist and to fold into the state tree.
    pub writes: WriteSet,
    /// One receipt per included transaction, in order.
    pub receipts: Vec<Receipt>,
    /// Ids of included transactions, in order.
    pub tx_ids: Vec<TxId>,
    /// Events of the block itself (not of a transaction), such as matured unbondings.
    pub block_events: Vec<Event>,
}

/// Executes transactions for one block on top of committed state.
pub struct BlockExecutor<'r, R: StateReader> {
    ctx: Ctx<'r, R>,
    effects: BlockEffects,
}

impl<'r, R: StateReader> BlockExecutor<'r, R> {
    /// Starts block `height`: loads parameters and releases what matures now (unbonding stake,
    /// prepaid withdrawals, expired inference holds, retiring agents' stakes).
    pub fn begin(reader: &'r R, blobs: &'r dyn BlobSource, height: Height) -> Result<Self, StorageError> {
        let mut ctx = Ctx::new(reader, blobs, height)?;
        let mut block_events = ctx.release_unbonding()?;
        block_events.extend(ctx.release_prepaid()?);
        block_events.extend(ctx.release_expired_holds()?);
        block_events.extend(ctx.release_agents()?);
        ctx.commit_tx_writes();
        Ok(BlockExecutor {
            ctx,
            effects: BlockEffects {
                block_events,
                ..BlockEffects::default()
            },
        })
    }

    /// Parameters in force for this block (a `SetParams` takes effect from the next block).
    pub fn params(&self) -> &Params {
        self.ctx.params()
    }

    /// The chain id transactions must carry.
    pub fn chain_id(&self) -> &str {
        self.ctx.chain_id()
    }

    /// Transactions included so far.
    pub fn tx_count(&self) -> usize {
        self.effects.tx_ids.len()
    }

    /// Checks that do not depend on the signer's account: chain, size, amounts, parameter bounds.
    pub fn check_stateless(&self, ptx: &PreparedTx) -> Result<(), TxRejection> {
        stateless_checks(self.ctx.chain_id(), self.ctx.params(), ptx)
    }

    /// Includes a transaction whose signature the caller has verified. On `Err` nothing changed
    /// and the transaction must not be in the block.
    pub fn execute(&mut self, ptx: &PreparedTx) -> Result<(), TxRejection> {
        debug_assert!(self.ctx.tx_is_empty());
        self.check_stateless(ptx)?;
        let tx = &ptx.tx.tx;
        let mut acct = self
            .ctx
            .account(&tx.signer)?
            .ok_or(TxRejection::UnknownAccount(tx.signer))?;
        if tx.nonce < acct.nonce {
            return Err(TxRejection::NonceTooLow {
                expected: acct.nonce,
                got: tx.nonce,
            });
        }
        if tx.nonce > acct.nonce {
            return Err(TxRejection::NonceGap {
                expected: acct.nonce,
                got: tx.nonce,
            });
        }
        let fee = ptx.fee(self.ctx.params());
        if acct.balance < fee {
            return Err(TxRejection::CannotPayFee {
                fee,
                balance: acct.balance,
            });
        }
        self.refuse_private_failures(&tx.signer, &tx.payload)?;
        // Included unless the node cannot read what it needs right now: then nothing of it stays
        // (fee included) and the transaction waits for a later block. Otherwise fee and nonce
        // always stick.
        acct.balance -= fee;
        acct.nonce += 1;
        self.ctx.put(&StateKey::Account(tx.signer), &acct);
        let treasury = treasury();
        let mut t = self.ctx.account(&treasury)?.unwrap_or_default();
        t.balance = t
            .balance
            .checked_add(fee)
            .ok_or_else(|| StorageError::new("treasury balance overflow: supply invariant broken"))?;
        self.ctx.put(&StateKey::Account(treasury), &t);
        let fee_writes = self.ctx.tx_writes();
        let mut events = vec![Event::Staking(StakingEvent::FeePaid {
            payer: tx.signer,
            amount: fee,
        })];
        let status = match run_payload(&mut self.ctx, &tx.signer, &tx.payload, &mut events) {
            Ok(()) => {
                self.ctx.commit_tx_writes();
                TxStatus::Success
            }
            Err(Halt::Storage(e)) => return Err(e.into()),
            Err(Halt::Unavailable(why)) => {
                self.ctx.set_tx_writes(WriteSet::new());
                return Err(TxRejection::Unavailable(why));
            }
            Err(Halt::Fail(failure)) => {
                self.ctx.set_tx_writes(fee_writes);
                self.ctx.commit_tx_writes();
                events.truncate(1);
                TxStatus::Failed {
                    code: failure.code,
                    message: failure.message,
                }
            }
        };
        self.effects.receipts.push(Receipt {
            tx_id: ptx.id,
            status,
            fee,
            events,
        });
        self.effects.tx_ids.push(ptx.id);
        Ok(())
    }

    /// Payload checks that refuse inclusion outright (no fee), because a failure would publish
    /// what must stay private.
    fn refuse_private_failures(&self, signer: &sinew_types::Address, payload: &Payload) -> Result<(), TxRejection> {
        if let Payload::Inference(InferenceTx::SettleInference(SettleInference { request_id, .. })) = payload {
            crate::inference::settlement_admissible(&self.ctx, signer, request_id)?;
        }
        Ok(())
    }

    /// Runs a transaction's payload as if its fee had been paid, ignoring its nonce, and reports
    /// how it would end: `Ok(None)` success, `Ok(Some((code, message)))` a failure, `Err` a
    /// rejection. For admission's advisory dry run against a possibly older snapshot of state
    /// (where the nonce may not line up yet); nothing it does is kept.
    pub fn trial(&mut self, ptx: &PreparedTx) -> Result<Option<(FailureCode, String)>, TxRejection> {
        self.check_stateless(ptx)?;
        let tx = &ptx.tx.tx;
        self.refuse_private_failures(&tx.signer, &tx.payload)?;
        let mut acct = self.ctx.account(&tx.signer)?.unwrap_or_default();
        acct.balance = acct.balance.saturating_sub(ptx.fee(self.ctx.params()));
        self.ctx.put(&StateKey::Account(tx.signer), &acct);
        let mut events = Vec::new();
        let outcome = run_payload(&mut self.ctx, &tx.signer, &tx.payload, &mut events);
        self.ctx.set_tx_writes(WriteSet::new());
        match outcome {
            Ok(()) => Ok(None),
            Err(Halt::Fail(f)) => Ok(Some((f.code, f.message))),
            Err(Halt::Unavailable(why)) => Err(TxRejection::Unavailable(why)),
            Err(Halt::Storage(e)) => Err(e.into()),
        }
    }

    /// Ends the block and hands back its effects.
    pub fn finish(mut self) -> BlockEffects {
        self.effects.writes = self.ctx.into_writes();
        self.effects
    }
}

impl<R: StateReader> StateReader for BlockExecutor<'_, R> {
    /// State as the next transaction sees it: the block's writes, then committed state.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        StateReader::get(&self.ctx, key)
    }
}
