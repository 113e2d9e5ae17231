//! The transaction context every module works through: reads that see this transaction's writes,
//! then the block's, then committed state; writes kept per transaction (so a failure drops them
//! whole); token moves between accounts and module accounts; the maturity queues; and the outcome
//! of a payload. Modules depend on this file only, never on the executor or on each other's
//! internals.

use crate::accounts::Account;
use crate::blobs::{BlobSource, BlobSourceError};
use crate::error::StorageError;
use crate::keys::{ChainInfo, StateKey};
use crate::reader::{read, StateReader, WriteSet};
use borsh::{BorshDeserialize, BorshSerialize};
use sinew_types::failure::{FailureCode, LedgerFailure};
use sinew_types::{Address, Amount, Height, Params};

/// What running a payload (or a step of it) gives: `Ok` success, or the reason it stopped.
pub(crate) type Outcome<T = ()> = Result<T, Halt>;

/// Why a payload stopped before its end.
#[derive(Debug)]
pub(crate) enum Halt {
    /// A rule refused it: the transaction is included, fee and nonce only.
    Fail(Failure),
    /// This node cannot execute it right now (a blob or index it needs is missing or unreadable
    /// here): the executor leaves it out of the block instead of failing it, since another node
    /// (or this one later) would succeed.
    Unavailable(String),
    /// Storage trouble or a broken invariant: execution stops.
    Storage(StorageError),
}

impl From<StorageError> for Halt {
    fn from(e: StorageError) -> Halt {
        Halt::Storage(e)
    }
}

impl Halt {
    /// The same halt, with a failure re-coded as `code` and its message prefixed by `what` (a
    /// token move the action names itself: "cannot pay the bond" rather than "insufficient
    /// balance").
    pub(crate) fn recode(self, code: impl Into<FailureCode>, what: &str) -> Halt {
        match self {
            Halt::Fail(f) => Halt::Fail(Failure {
                code: code.into(),
                message: format!("{what}: {}", f.message),
            }),
            other => other,
        }
    }
}

/// Why an included transaction failed: a stable code (the wire contract) and a message of ours.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: FailureCode,
    pub(crate) message: String,
}

/// Stops a payload with a failure: a stable code and a message.
pub(crate) fn fail<T>(code: impl Into<FailureCode>, message: impl Into<String>) -> Outcome<T> {
    Err(Halt::Fail(Failure {
        code: code.into(),
        message: message.into(),
    }))
}

/// The failure of a move from a balance that holds less than it.
pub(crate) fn insufficient_balance<T>(balance: Amount, amount: Amount) -> Outcome<T> {
    fail(
        LedgerFailure::InsufficientBalance,
        format!("balance {balance} is less than {amount}"),
    )
}

/// The failure of an amount that would overflow.
pub(crate) fn overflow<T>() -> Outcome<T> {
    fail(LedgerFailure::Overflow, "amount overflows the recipient's balance")
}

/// The stateless rule every amount a payload moves shares: it is positive.
pub(crate) fn nonzero(amount: Amount) -> Result<(), crate::error::TxRejection> {
    if amount == 0 {
        return Err(crate::error::TxRejection::ZeroAmount);
    }
    Ok(())
}

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

/// State as one transaction of a block sees and changes it.
pub(crate) struct Ctx<'r, R: StateReader> {
    reader: &'r R,
    pub(crate) blobs: &'r dyn BlobSource,
    pub(crate) height: Height,
    chain_id: String,
    params: Params,
    block: WriteSet,
    tx: WriteSet,
}

impl<'r, R: StateReader> Ctx<'r, R> {
    /// A context for block `height` over committed state.
    pub(crate) fn new(reader: &'r R, blobs: &'r dyn BlobSource, height: Height) -> Result<Self, StorageError> {
        let chain: ChainInfo = read(reader, &StateKey::Chain)?
            .ok_or_else(|| StorageError::new("state has no chain info: not initialised from a genesis"))?;
        let params: Params =
            read(reader, &StateKey::Params)?.ok_or_else(|| StorageError::new("state has no parameters"))?;
        Ok(Ctx {
            reader,
            blobs,
            height,
            chain_id: chain.chain_id,
            params,
            block: WriteSet::new(),
            tx: WriteSet::new(),
        })
    }

    /// Parameters in force for this block (a `SetParams` takes effect from the next block).
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The chain id transactions must carry.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
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
        read(self, key)
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

    /// This transaction's writes so far (to keep only the fee's when the payload fails).
    pub(crate) fn tx_writes(&self) -> WriteSet {
        self.tx.clone()
    }

    /// Replaces this transaction's writes.
    pub(crate) fn set_tx_writes(&mut self, writes: WriteSet) {
        self.tx = writes;
    }

    /// Makes this transaction's writes part of the block.
    pub(crate) fn commit_tx_writes(&mut self) {
        let tx = std::mem::take(&mut self.tx);
        self.block.extend(tx);
    }

    /// Whether this transaction has written nothing yet.
    pub(crate) fn tx_is_empty(&self) -> bool {
        self.tx.is_empty()
    }

    /// The block's writes, when it ends.
    pub(crate) fn into_writes(self) -> WriteSet {
        debug_assert!(self.tx.is_empty(), "a transaction's writes were left uncommitted");
        self.block
    }

    /// Moves `amount` from `from`'s balance to `to`'s: a failure (nothing moved) when `from` holds
    /// less.
    pub(crate) fn move_tokens(&mut self, from: &Address, to: &Address, amount: Amount) -> Outcome {
        if amount == 0 {
            return Ok(());
        }
        let mut a = self.account(from)?.unwrap_or_default();
        if a.balance < amount {
            return insufficient_balance(a.balance, amount);
        }
        #[cfg(debug_assertions)]
        let before = a.balance + self.account(to)?.map_or(0, |b| b.balance) * u128::from(from != to);
        a.balance -= amount;
        self.put(&StateKey::Account(*from), &a);
        let mut b = self.account(to)?.unwrap_or_default();
        b.balance = b
            .balance
            .checked_add(amount)
            .ok_or_else(|| StorageError::new("balance overflow: supply invariant broken"))?;
        self.put(&StateKey::Account(*to), &b);
        #[cfg(debug_assertions)]
        {
            let after = self.account(from)?.map_or(0, |a| a.balance)
                + self.account(to)?.map_or(0, |b| b.balance) * u128::from(from != to);
            debug_assert_eq!(before, after, "a move neither creates nor destroys tokens");
        }
        Ok(())
    }

    /// Pays `amount` out of module account `from` to `to`. A module account that cannot pay what
    /// its records owe means the ledger is broken: execution stops.
    pub(crate) fn pay_out(&mut self, from: &Address, to: &Address, amount: Amount) -> Result<(), StorageError> {
        debug_assert!(
            crate::accounts::is_module(from),
            "only module accounts pay out without their owner's signature"
        );
        match self.move_tokens(from, to, amount) {
            Ok(()) => Ok(()),
            Err(Halt::Fail(f)) => Err(StorageError::new(format!(
                "module account {from} cannot pay {amount}: {}; solvency invariant broken",
                f.message
            ))),
            Err(Halt::Storage(e)) => Err(e),
            Err(Halt::Unavailable(m)) => Err(StorageError::new(m)),
        }
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
                    .ok_or_else(|| StorageError::new(format!("maturity queue entry {i} at height {height} missing")))?,
            );
            self.delete(&key);
        }
        self.delete(&count_key);
        Ok(out)
    }
}

impl<R: StateReader> StateReader for Ctx<'_, R> {
    /// State as this transaction sees it: its own writes, then the block's, then committed state.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.get_raw(key)
    }
}

impl BlobSourceError {
    /// How a transaction that needed the blob stops: a failure coded `code` with a stable
    /// message, unavailable here (the executor leaves the transaction out), or a storage error
    /// that stops execution.
    pub(crate) fn halt<T>(self, code: impl Into<FailureCode>) -> Outcome<T> {
        match self {
            BlobSourceError::Storage(e) => Err(Halt::Storage(StorageError::new(e))),
            BlobSourceError::Unavailable(e) => Err(Halt::Unavailable(e)),
            // A blob this node lacks is not a fact about the transaction (another node, or this
            // one later, has it): the transaction waits. Admission refuses a transaction naming
            // a blob the node never had.
            e @ BlobSourceError::NotFound(_) => Err(Halt::Unavailable(e.to_string())),
            e @ BlobSourceError::Ingest(_) => fail(code, e.to_string()),
        }
    }
}
