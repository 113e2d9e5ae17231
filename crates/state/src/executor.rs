//! Executing transactions against state, one block at a time.
//!
//! A transaction either is *rejected* (it may not be in a block; nothing changes), *fails*
//! (included: fee charged, nonce advanced, nothing else changes) or *succeeds*.

use crate::account::{Account, Unbonding};
use crate::datanet::BlobSource;
use crate::error::{StorageError, TxRejection};
use crate::keys::{ChainInfo, StateKey};
use crate::reader::{StateReader, WriteSet};
use borsh::{BorshDeserialize, BorshSerialize};
use sinew_types::tx::PreparedTx;
use sinew_types::{Address, Amount, Event, Height, Params, Payload, Receipt, TxId, TxStatus};

/// The maturity queues: what matures at a height, released when that block begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DueQueue {
    /// Accounts with unbonding stake.
    Unbonding = 0,
    /// Accounts with prepaid withdrawals.
    Prepaid = 1,
    /// Retiring agents.
    Agent = 2,
    /// Inference holds (request ids).
    Hold = 3,
}

impl DueQueue {
    fn key(self, height: Height, i: u64) -> StateKey {
        match self {
            DueQueue::Unbonding => StateKey::UnbondingDue(height, i),
            DueQueue::Prepaid => StateKey::PrepaidDue(height, i),
            DueQueue::Agent => StateKey::AgentDue(height, i),
            DueQueue::Hold => StateKey::HoldDue(height, i),
        }
    }
}

/// The treasury module account that collects fees.
pub fn treasury() -> Address {
    Address::module("treasury")
}

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
    reader: &'r R,
    pub(crate) blobs: &'r dyn BlobSource,
    pub(crate) height: Height,
    chain_id: String,
    params: Params,
    block: WriteSet,
    tx: WriteSet,
    effects: BlockEffects,
}

fn decode<T: BorshDeserialize>(key: &[u8], bytes: &[u8]) -> Result<T, StorageError> {
    borsh::from_slice(bytes).map_err(|e| StorageError(format!("corrupt value under key {}: {e}", hex_short(key))))
}

fn hex_short(b: &[u8]) -> String {
    b.iter().take(40).map(|x| format!("{x:02x}")).collect()
}

/// Reads and decodes a typed value from committed state.
pub fn read<T: BorshDeserialize, R: StateReader + ?Sized>(
    reader: &R,
    key: &StateKey,
) -> Result<Option<T>, StorageError> {
    let k = key.encode();
    reader.get(&k)?.map(|v| decode(&k, &v)).transpose()
}

impl<'r, R: StateReader> BlockExecutor<'r, R> {
    /// Starts block `height`: loads parameters and releases stake whose unbonding matures now.
    pub fn begin(reader: &'r R, blobs: &'r dyn BlobSource, height: Height) -> Result<Self, StorageError> {
        let chain: ChainInfo = read(reader, &StateKey::Chain)?
            .ok_or_else(|| StorageError("state has no chain info: not initialised from a genesis".into()))?;
        let params: Params =
            read(reader, &StateKey::Params)?.ok_or_else(|| StorageError("state has no parameters".into()))?;
        let mut ex = BlockExecutor {
            reader,
            blobs,
            height,
            chain_id: chain.chain_id,
            params,
            block: WriteSet::new(),
            tx: WriteSet::new(),
            effects: BlockEffects::default(),
        };
        ex.release_unbonding()?;
        let released = ex.release_prepaid()?;
        ex.effects.block_events.extend(released);
        let expired = ex.release_expired_holds()?;
        ex.effects.block_events.extend(expired);
        let retired = ex.release_agents()?;
        ex.effects.block_events.extend(retired);
        ex.commit_tx_writes();
        Ok(ex)
    }

    /// Parameters in force for this block (a `SetParams` takes effect from the next block).
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The chain id transactions must carry.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// Transactions included so far.
    pub fn tx_count(&self) -> usize {
        self.effects.tx_ids.len()
    }

    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        if let Some(v) = self.tx.get(key) {
            return Ok(v.clone());
        }
        if let Some(v) = self.block.get(key) {
            return Ok(v.clone());
        }
        self.reader.get(key)
    }

    pub(crate) fn get<T: BorshDeserialize>(&self, key: &StateKey) -> Result<Option<T>, StorageError> {
        let k = key.encode();
        self.get_raw(&k)?.map(|v| decode(&k, &v)).transpose()
    }

    pub(crate) fn delete(&mut self, key: &StateKey) {
        self.tx.insert(key.encode(), None);
    }

    pub(crate) fn put<T: BorshSerialize>(&mut self, key: &StateKey, value: &T) {
        self.tx
            .insert(key.encode(), Some(borsh::to_vec(value).expect("encoding cannot fail")));
    }

    pub(crate) fn account(&self, a: &Address) -> Result<Option<Account>, StorageError> {
        self.get(&StateKey::Account(*a))
    }

    /// Appends `item` to maturity queue `q` at `height`: one key per entry and a length, so a
    /// block of many entries costs each its own write (never a rewrite of the whole queue).
    pub(crate) fn enqueue<T: BorshSerialize>(
        &mut self,
        q: DueQueue,
        height: Height,
        item: &T,
    ) -> Result<(), StorageError> {
        let count_key = StateKey::DueCount(q as u8, height);
        let n: u64 = self.get(&count_key)?.unwrap_or(0);
        self.put(&q.key(height, n), item);
        self.put(&count_key, &(n + 1));
        Ok(())
    }

    /// Takes every entry of maturity queue `q` at `height` (and forgets the queue).
    pub(crate) fn take_due<T: BorshDeserialize>(
        &mut self,
        q: DueQueue,
        height: Height,
    ) -> Result<Vec<T>, StorageError> {
        let count_key = StateKey::DueCount(q as u8, height);
        let Some(n) = self.get::<u64>(&count_key)? else {
            return Ok(vec![]);
        };
        let mut out = Vec::with_capacity(n as usize);
        for i in 0..n {
            let key = q.key(height, i);
            out.push(
                self.get(&key)?
                    .ok_or_else(|| StorageError(format!("maturity queue entry {i} at height {height} missing")))?,
            );
            self.delete(&key);
        }
        self.delete(&count_key);
        Ok(out)
    }

    fn commit_tx_writes(&mut self) {
        let tx = std::mem::take(&mut self.tx);
        self.block.extend(tx);
    }

    fn release_unbonding(&mut self) -> Result<(), StorageError> {
        let due: Vec<Address> = self.take_due(DueQueue::Unbonding, self.height)?;
        for addr in due {
            let mut acct = self
                .account(&addr)?
                .ok_or_else(|| StorageError(format!("unbonding queue names missing account {addr}")))?;
            let (ready, pending): (Vec<Unbonding>, Vec<Unbonding>) =
                acct.unbonding.drain(..).partition(|u| u.release_height <= self.height);
            acct.unbonding = pending;
            let amount: Amount = ready.iter().map(|u| u.amount).sum();
            if amount > 0 {
                acct.balance += amount;
                self.put(&StateKey::Account(addr), &acct);
                self.effects
                    .block_events
                    .push(Event::UnbondingReleased { account: addr, amount });
            }
        }
        Ok(())
    }

    /// Checks that do not depend on the signer's account: chain, size, amounts, parameter bounds.
    pub fn check_stateless(&self, ptx: &PreparedTx) -> Result<(), TxRejection> {
        stateless_checks(&self.chain_id, &self.params, ptx)
    }

    /// Includes a transaction whose signature the caller has verified. On `Err` nothing changed
    /// and the transaction must not be in the block.
    pub fn execute(&mut self, ptx: &PreparedTx) -> Result<(), TxRejection> {
        debug_assert!(self.tx.is_empty());
        self.check_stateless(ptx)?;
        let tx = &ptx.tx.tx;
        let mut acct = self
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
        let fee = ptx.fee(&self.params);
        if acct.balance < fee {
            return Err(TxRejection::CannotPayFee {
                fee,
                balance: acct.balance,
            });
        }
        // Payload checks that refuse inclusion outright (no fee), because a failure would publish
        // what must stay private.
        if let Payload::SettleInference { request_id, .. } = &tx.payload {
            crate::inference::settlement_admissible(self, &tx.signer, request_id)?;
        }
        // Included unless the node cannot read what it needs right now: then nothing of it stays
        // (fee included) and the transaction waits for a later block. Otherwise fee and nonce
        // always stick.
        acct.balance -= fee;
        acct.nonce += 1;
        self.put(&StateKey::Account(tx.signer), &acct);
        let treasury = treasury();
        let mut t = self.account(&treasury)?.unwrap_or_default();
        t.balance = t
            .balance
            .checked_add(fee)
            .ok_or_else(|| StorageError("treasury balance overflow: supply invariant broken".into()))?;
        self.put(&StateKey::Account(treasury), &t);
        let fee_writes = self.tx.clone();
        let mut events = vec![Event::FeePaid {
            payer: tx.signer,
            amount: fee,
        }];
        let status = match self.run_payload(&tx.signer, &tx.payload, &mut events)? {
            Ok(()) => {
                self.commit_tx_writes();
                TxStatus::Success
            }
            Err(failure) if failure.code == UNAVAILABLE => {
                self.tx.clear();
                return Err(TxRejection::Unavailable(failure.message));
            }
            Err(failure) => {
                self.tx = fee_writes;
                self.commit_tx_writes();
                events.truncate(1);
                TxStatus::Failed {
                    code: failure.code.into(),
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

    /// Runs a transaction's payload as if its fee had been paid, ignoring its nonce, and reports
    /// how it would end: `Ok(None)` success, `Ok(Some((code, message)))` a failure, `Err` a
    /// rejection. For admission's advisory dry run against a possibly older snapshot of state
    /// (where the nonce may not line up yet); nothing it does is kept.
    pub fn trial(&mut self, ptx: &PreparedTx) -> Result<Option<(String, String)>, TxRejection> {
        self.check_stateless(ptx)?;
        let tx = &ptx.tx.tx;
        if let Payload::SettleInference { request_id, .. } = &tx.payload {
            crate::inference::settlement_admissible(self, &tx.signer, request_id)?;
        }
        let mut acct = self.account(&tx.signer)?.unwrap_or_default();
        acct.balance = acct.balance.saturating_sub(ptx.fee(&self.params));
        self.put(&StateKey::Account(tx.signer), &acct);
        let mut events = Vec::new();
        let outcome = self.run_payload(&tx.signer, &tx.payload, &mut events)?;
        self.tx.clear();
        match outcome {
            Err(f) if f.code == UNAVAILABLE => Err(TxRejection::Unavailable(f.message)),
            other => Ok(other.err().map(|f| (f.code.to_string(), f.message))),
        }
    }

    fn run_payload(
        &mut self,
        signer: &Address,
        payload: &Payload,
        events: &mut Vec<Event>,
    ) -> Result<Result<(), Failure>, StorageError> {
        match payload {
            Payload::Transfer { to, amount } => {
                let mut from = self.account(signer)?.expect("signer account exists: fee was charged");
                if from.balance < *amount {
                    return Ok(Err(Failure::insufficient_balance(from.balance, *amount)));
                }
                from.balance -= amount;
                self.put(&StateKey::Account(*signer), &from);
                let mut dest = self.account(to)?.unwrap_or_default();
                let Some(b) = dest.balance.checked_add(*amount) else {
                    return Ok(Err(Failure::overflow()));
                };
                dest.balance = b;
                self.put(&StateKey::Account(*to), &dest);
                events.push(Event::Transfer {
                    from: *signer,
                    to: *to,
                    amount: *amount,
                });
            }
            Payload::Stake { amount } => {
                let mut a = self.account(signer)?.expect("signer account exists");
                if a.balance < *amount {
                    return Ok(Err(Failure::insufficient_balance(a.balance, *amount)));
                }
                a.balance -= amount;
                let Some(st) = a.staked.checked_add(*amount) else {
                    return Ok(Err(Failure::overflow()));
                };
                a.staked = st;
                self.put(&StateKey::Account(*signer), &a);
                events.push(Event::Staked {
                    account: *signer,
                    amount: *amount,
                });
            }
            Payload::Unstake { amount } => {
                let mut a = self.account(signer)?.expect("signer account exists");
                if a.staked < *amount {
                    return Ok(Err(Failure {
                        code: "insufficient_stake",
                        message: format!("staked {} is less than {amount}", a.staked),
                    }));
                }
                let Some(release_height) = self.height.checked_add(self.params.unbonding_period) else {
                    return Ok(Err(Failure::overflow()));
                };
                a.staked -= amount;
                a.unbonding.push(Unbonding {
                    amount: *amount,
                    release_height,
                });
                self.put(&StateKey::Account(*signer), &a);
                self.enqueue(DueQueue::Unbonding, release_height, signer)?;
                events.push(Event::UnbondingStarted {
                    account: *signer,
                    amount: *amount,
                    release_height,
                });
            }
            Payload::SetParams { update } => {
                let new = self.params.with(update);
                self.put(&StateKey::Params, &new);
                events.push(Event::ParamsChanged { by: *signer });
            }
            p if crate::inference::is_inference(p) => return self.run_inference(signer, p, events),
            p if crate::tasks::is_task(p) => return self.run_task(signer, p, events),
            p => return self.run_datanet(signer, p, events),
        }
        Ok(Ok(()))
    }

    /// Ends the block and hands back its effects.
    pub fn finish(mut self) -> BlockEffects {
        debug_assert!(self.tx.is_empty());
        self.effects.writes = std::mem::take(&mut self.block);
        self.effects
    }
}

impl<R: StateReader> StateReader for BlockExecutor<'_, R> {
    /// State as this transaction sees it: its own writes, then the block's, then committed state.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.get_raw(key)
    }
}

/// Checks of a transaction that need only the chain id and parameters.
pub fn stateless_checks(chain_id: &str, params: &Params, ptx: &PreparedTx) -> Result<(), TxRejection> {
    let tx = &ptx.tx.tx;
    if ptx.encoded_len > params.max_tx_bytes as usize {
        return Err(TxRejection::TooLarge {
            len: ptx.encoded_len,
            limit: params.max_tx_bytes,
        });
    }
    if tx.chain_id != chain_id {
        return Err(TxRejection::WrongChain {
            expected: chain_id.to_string(),
            got: tx.chain_id.chars().take(64).collect(),
        });
    }
    let required = ptx.fee(params);
    if tx.max_fee < required {
        return Err(TxRejection::FeeTooLow {
            required,
            max_fee: tx.max_fee,
        });
    }
    match &tx.payload {
        Payload::Transfer { to, amount } => {
            if *amount == 0 {
                return Err(TxRejection::ZeroAmount);
            }
            if *to == tx.signer {
                return Err(TxRejection::SelfTransfer);
            }
        }
        Payload::Stake { amount } | Payload::Unstake { amount } => {
            if *amount == 0 {
                return Err(TxRejection::ZeroAmount);
            }
        }
        Payload::SetParams { update } => {
            if tx.signer != params.authority {
                return Err(TxRejection::NotAuthority {
                    authority: params.authority,
                });
            }
            params.with(update).validate().map_err(TxRejection::InvalidParams)?;
        }
        p if crate::inference::is_inference(p) => crate::inference::stateless_checks(p, params)?,
        p if crate::tasks::is_task(p) => crate::tasks::stateless_checks(p, params)?,
        p => crate::datanet::stateless_checks(p, params)?,
    }
    Ok(())
}

/// The reserved failure code of a transaction this node cannot execute right now (its blob or
/// index is temporarily unreadable): [`BlockExecutor::execute`] leaves it out of the block
/// instead of failing it, since another node (or this one later) would succeed.
pub(crate) const UNAVAILABLE: &str = "unavailable";

/// What running a payload gives: a failure (fee and nonce only) or success; `Err` is storage.
pub(crate) type Outcome = Result<Result<(), Failure>, StorageError>;

/// The failure outcome with a stable code and a message.
pub(crate) fn fail(code: &'static str, message: impl Into<String>) -> Outcome {
    Ok(Err(Failure {
        code,
        message: message.into(),
    }))
}

/// Why an included transaction failed.
pub(crate) struct Failure {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn insufficient_balance(balance: Amount, amount: Amount) -> Failure {
        Failure {
            code: "insufficient_balance",
            message: format!("balance {balance} is less than {amount}"),
        }
    }
    fn overflow() -> Failure {
        Failure {
            code: "overflow",
            message: "amount overflows the recipient's balance".into(),
        }
    }
}
