//! Admission: a submitted transaction passes a pipeline of named stages before it enters the
//! mempool, cheapest first, so a stranger's flood costs the node as little as possible:
//! signatures (batch-verified on the spare cores), cheap checks against the in-memory state (chain,
//! size, fee, the signer's nonce and balance, the mempool's own refusals), then the costly part
//! (keeping the blobs it names; ingesting a contribution next in line, or dry-running a cheap
//! payload), and finally entry into the pool.

use crate::fanout::FanOut;
use crate::ledger::Ledger;
use crate::mempool::{AdmitError, Mempool, MempoolConfig};
use crate::metrics::Metrics;
use parking_lot::{Condvar, Mutex};
use sinew_state::{read, stateless_checks, Account, StateKey, StateReader, TxRejection};
use sinew_types::payload::{Contribute, DatanetTx, InferenceTx, PostTask, StakingTx, TaskTx};
use sinew_types::signing::verify_many_on;
use sinew_types::tx::PreparedTx;
use sinew_types::wire::SubmitOutcome;
use sinew_types::{Amount, Params, Payload, SignedTransaction, TxId};
use tokio::sync::oneshot;

type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// What admission answers for each submitted transaction: its id, and a receiver of its fate
/// (when watched) or why it was refused.
pub type Admitted = (TxId, Result<Option<oneshot::Receiver<SubmitOutcome>>, AdmitError>);

/// Payloads the node dry-runs at admission, so one that would only fail is refused for free:
/// those whose outcome depends on more than a balance but whose check costs only a few state
/// reads. Payloads that make the ledger ingest, attribute or recompute are never dry-run: a
/// stranger could otherwise have the node do that work for free, again and again. They pay for
/// their work (`Payload::work_units`) even when they fail.
fn needs_dry_run(p: &Payload) -> bool {
    !matches!(
        p,
        Payload::Staking(StakingTx::Transfer(_))
            | Payload::Staking(StakingTx::Stake(_))
            | Payload::Staking(StakingTx::Unstake(_))
            | Payload::Staking(StakingTx::SetParams(_))
            | Payload::Datanet(DatanetTx::Contribute(_))
            | Payload::Inference(InferenceTx::SettleInference(_))
            | Payload::Tasks(TaskTx::SubmitResult(_))
            | Payload::Tasks(TaskTx::Challenge(_))
            | Payload::Datanet(DatanetTx::ExpireContribution(_))
    ) && !matches!(p, Payload::Tasks(TaskTx::PostTask(PostTask { kind, .. })) if sinew_types::task::recomputable(kind))
}

/// What the cheap admission checks learned of a transaction's signer.
struct Checked {
    nonce: u64,
    balance: Amount,
    fee: Amount,
    next_in_line: bool,
}

/// A counting semaphore for blocking threads.
struct Slots {
    free: Mutex<usize>,
    cv: Condvar,
}

/// A held slot; released on drop.
struct Slot<'a>(&'a Slots);

impl Slots {
    fn new(n: usize) -> Slots {
        Slots {
            free: Mutex::new(n),
            cv: Condvar::new(),
        }
    }

    fn acquire(&self) -> Slot<'_> {
        let mut free = self.free.lock();
        while *free == 0 {
            self.cv.wait(&mut free);
        }
        *free -= 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock() += 1;
        self.0.cv.notify_one();
    }
}

/// The mempool and the transactions between it and durability.
pub(crate) struct Admission {
    pub(crate) pool: Mutex<Mempool>,
    /// Signalled when transactions enter the pool (the orderer waits on it).
    pub(crate) pool_cv: Condvar,
    /// Concurrent signature verifications and costly checks allowed (cores - 1, at least 1).
    slots: Slots,
    /// Transactions in a block that is executed but not yet durable.
    inflight: Mutex<HashSet<TxId>>,
}

/// The ledger, fan-out and metrics admission works with.
pub(crate) struct Context<'a> {
    pub ledger: &'a Ledger,
    pub fanout: &'a FanOut,
    pub metrics: &'a Metrics,
}

impl Admission {
    /// An empty mempool with `config`.
    pub(crate) fn new(config: MempoolConfig) -> Admission {
        let spare = std::thread::available_parallelism().map_or(1, |n| n.get());
        Admission {
            pool: Mutex::new(Mempool::new(config)),
            pool_cv: Condvar::new(),
            slots: Slots::new(spare.saturating_sub(1).max(1)),
            inflight: Mutex::default(),
        }
    }

    /// Runs the admission pipeline over `txs`. With `watch`, each admitted transaction gets a
    /// receiver that resolves when it is committed or dropped. `dry_run`: refuse what would
    /// only fail (off for the node's own transactions, whose outcome the caller handles).
    pub(crate) fn submit(
        &self,
        cx: &Context,
        txs: Vec<SignedTransaction>,
        watch: bool,
        dry_run: bool,
    ) -> Vec<Admitted> {
        let prepared: Vec<PreparedTx> = txs.into_iter().map(|t| t.prepare()).collect();
        let signed = self.verify_signatures(&prepared);
        let checked = self.cheap_checks(cx.ledger, &prepared, signed);
        let checked: Vec<_> = prepared
            .iter()
            .zip(checked)
            .map(|(ptx, c)| c.and_then(|c| self.costly_checks(cx.ledger, ptx, c, dry_run)))
            .collect();
        self.enter_pool(cx, prepared, checked, watch)
    }

    /// Stage 1: signatures, batch-verified. Verification is the heaviest step of admission; it
    /// may take only the spare cores, so block production (one core) is never starved.
    fn verify_signatures(&self, prepared: &[PreparedTx]) -> Vec<Result<(), AdmitError>> {
        let items: Vec<_> = prepared.iter().map(|p| p.sig_item()).collect();
        let _permit = self.slots.acquire();
        verify_many_on(&items, 1)
            .into_iter()
            .map(|r| r.map_err(|e| TxRejection::from(e).into()))
            .collect()
    }

    /// Stage 2: checks against the in-memory state tree (no disk reads, a short read lock).
    fn cheap_checks(
        &self,
        ledger: &Ledger,
        prepared: &[PreparedTx],
        signed: Vec<Result<(), AdmitError>>,
    ) -> Vec<Result<Checked, AdmitError>> {
        let params = ledger.params();
        let chain = ledger.chain.read();
        prepared
            .iter()
            .zip(signed)
            .map(|(ptx, sig)| sig.and_then(|()| self.cheap_check(chain.tree(), ledger.chain_id(), &params, ptx)))
            .collect()
    }

    /// Chain, size and fee; the signer's account, nonce and balance; the mempool's refusals.
    fn cheap_check(
        &self,
        state: &dyn StateReader,
        chain_id: &str,
        params: &Params,
        ptx: &PreparedTx,
    ) -> Result<Checked, AdmitError> {
        stateless_checks(chain_id, params, ptx)?;
        let signer = ptx.tx.tx.signer;
        let nonce = ptx.tx.tx.nonce;
        let acct: Account = read(state, &StateKey::Account(signer))
            .map_err(TxRejection::from)?
            .ok_or(TxRejection::UnknownAccount(signer))?;
        if nonce < acct.nonce {
            return Err(TxRejection::NonceTooLow {
                expected: acct.nonce,
                got: nonce,
            }
            .into());
        }
        let fee = ptx.fee(params);
        if acct.balance < fee {
            return Err(TxRejection::CannotPayFee {
                fee,
                balance: acct.balance,
            }
            .into());
        }
        let (taken, queued) = {
            let pool = self.pool.lock();
            if pool.contains(&ptx.id) {
                return Err(AdmitError::Duplicate(ptx.id));
            }
            pool.queued(&signer, nonce)
        };
        if taken {
            return Err(AdmitError::NonceTaken(nonce));
        }
        Ok(Checked {
            nonce: acct.nonce,
            balance: acct.balance,
            fee,
            // Next in line for its signer: nothing can take its fee away before it executes, so
            // work done for it now is paid for.
            next_in_line: nonce == acct.nonce && queued == 0,
        })
    }

    /// Stage 3, holding no lock block production needs, one at a time per spare core: the
    /// blobs the transaction names are kept; a contribution next in line for its signer gets
    /// its blob ingested (cached, so the block does not wait; it pays for the work, failing or
    /// not); cheap payloads are dry-run against the durable snapshot.
    fn costly_checks(
        &self,
        ledger: &Ledger,
        ptx: &PreparedTx,
        c: Checked,
        dry_run: bool,
    ) -> Result<Checked, AdmitError> {
        let payload = &ptx.tx.tx.payload;
        keep_named_blobs(ledger, payload)?;
        if let Payload::Datanet(DatanetTx::Contribute(Contribute { blob, format, .. })) = payload {
            if c.next_in_line {
                let _slot = self.slots.acquire();
                let _ = sinew_state::BlobSource::records(&ledger.blobs, blob, format);
            }
        } else if dry_run && needs_dry_run(payload) && ptx.tx.tx.nonce == c.nonce {
            let _slot = self.slots.acquire();
            ledger.dry_run(ptx)?;
        }
        Ok(c)
    }

    /// Stage 4: into the pool (and the waiters), unless it is already in flight.
    fn enter_pool(
        &self,
        cx: &Context,
        prepared: Vec<PreparedTx>,
        checked: Vec<Result<Checked, AdmitError>>,
        watch: bool,
    ) -> Vec<Admitted> {
        let mut out = Vec::with_capacity(prepared.len());
        let mut pool = self.pool.lock();
        let inflight = self.inflight.lock();
        for (ptx, check) in prepared.into_iter().zip(checked) {
            let id = ptx.id;
            let result = check.and_then(|c| {
                if inflight.contains(&id) {
                    return Err(AdmitError::Duplicate(id));
                }
                let rx = watch.then(|| cx.fanout.watch(id));
                pool.admit(ptx, c.nonce, c.balance, c.fee).inspect_err(|_| {
                    if watch {
                        cx.fanout.unwatch(&id);
                    }
                })?;
                Ok(rx)
            });
            match &result {
                Ok(_) => cx.metrics.txs_admitted.inc(),
                Err(_) => cx.metrics.txs_refused.inc(),
            };
            out.push((id, result));
        }
        cx.metrics.mempool_size.set(pool.len() as i64);
        drop(inflight);
        drop(pool);
        self.pool_cv.notify_all();
        out
    }

    /// Whether transaction `id` is in a block applied but not yet durable.
    pub(crate) fn is_inflight(&self, id: &TxId) -> bool {
        self.inflight.lock().contains(id)
    }

    /// Whether `id` waits in the pool or is in a block not yet durable.
    pub(crate) fn is_pending(&self, id: &TxId) -> bool {
        self.pool.lock().contains(id) || self.inflight.lock().contains(id)
    }

    /// Waiting transactions.
    pub(crate) fn pending(&self) -> usize {
        self.pool.lock().len()
    }

    /// A block is executed and applied in memory, not yet durable: its transactions leave the
    /// mempool and count as in flight until [`Admission::end_inflight`].
    pub(crate) fn begin_inflight(&self, included: &[TxId], dropped: &[(TxId, TxRejection)], metrics: &Metrics) {
        let mut pool = self.pool.lock();
        pool.included(included.iter().copied());
        pool.remove(dropped.iter().map(|(id, _)| *id));
        metrics.mempool_size.set(pool.len() as i64);
        self.inflight.lock().extend(included.iter().copied());
    }

    /// A block's transactions are durable.
    pub(crate) fn end_inflight(&self, included: &[TxId]) {
        let mut inflight = self.inflight.lock();
        for id in included {
            inflight.remove(id);
        }
    }
}

/// Blobs a transaction names are kept for good from now on (durably, before the transaction
/// can be included); one the ledger must read has to be here already.
fn keep_named_blobs(ledger: &Ledger, payload: &Payload) -> Result<(), AdmitError> {
    for (blob, required) in payload.blobs() {
        match ledger.blobs.store.pin(&blob) {
            Ok(()) => {}
            Err(sinew_store::BlobError::NotFound(_)) if required => {
                return Err(AdmitError::Rejected(TxRejection::MissingBlob(blob)))
            }
            Err(sinew_store::BlobError::NotFound(_)) => {}
            Err(e) => {
                return Err(AdmitError::Rejected(TxRejection::Unavailable(format!(
                    "cannot keep blob {blob}: {e}"
                ))))
            }
        }
    }
    Ok(())
}
