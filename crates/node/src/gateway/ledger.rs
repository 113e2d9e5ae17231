//! The gateway's own transactions: reservations, settlements and releases signed with the
//! provider's key, each with the next free nonce, waited for with a deadline, and re-signed when
//! the mempool drops them behind a lost predecessor (a nonce gap never wedges the gateway).

use super::{Gateway, GatewayError};
use crate::core::Node;
use crate::mempool::AdmitError;
use sinew_state::{Account, StateKey};
use sinew_types::payload::ReleaseHold;
use sinew_types::tx::sign_with_fee;
use sinew_types::wire::SubmitOutcome;
use sinew_types::{Payload, Receipt, TxId, TxStatus};
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

/// Resolves when a submitted transaction is committed or dropped.
pub(super) type CommitWatch = tokio::sync::oneshot::Receiver<SubmitOutcome>;

struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `f` on this (blocking) thread until it is ready or `deadline` passes.
pub(super) fn block_on_until<F: Future>(f: F, deadline: Instant) -> Option<F::Output> {
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return Some(v);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        std::thread::park_timeout(deadline - now);
    }
}

/// Drop codes after which the same transaction, re-signed with a fresh nonce, may go through.
fn retryable(code: &str) -> bool {
    matches!(code, "nonce_gap" | "predecessor_dropped" | "nonce_too_low")
}

impl Node {
    /// Signs and admits one of the gateway's transactions with the next free nonce of the
    /// provider's account. `dry_run`: refuse at admission what would only fail.
    pub(super) fn submit_own(
        &self,
        g: &Gateway,
        payload: &Payload,
        dry_run: bool,
    ) -> Result<(TxId, CommitWatch), GatewayError> {
        let _serial = g.nonce_lock.lock();
        let signer = g.provider();
        for _ in 0..4 {
            // The pool first, then the tree: a transaction leaves the pool only after the tree
            // holds it, so one of the two always accounts for it.
            let pooled = self.pool.lock().next_nonce(&signer);
            let committed = self
                .latest::<Account>(&StateKey::Account(signer))?
                .map_or(0, |a| a.nonce);
            let nonce = pooled.unwrap_or(0).max(committed);
            let signed = sign_with_fee(&g.key, self.chain_id(), nonce, payload.clone(), &self.params());
            let mut out = self.submit_with(vec![signed], true, dry_run);
            let (id, result) = out.pop().expect("one result per transaction");
            match result {
                Ok(rx) => return Ok((id, rx.expect("own transactions are watched"))),
                Err(AdmitError::NonceTaken(_)) => continue,
                Err(AdmitError::Rejected(sinew_state::TxRejection::NonceTooLow { .. })) => continue,
                Err(AdmitError::WouldFail { code, message }) => {
                    return Err(GatewayError::Ledger {
                        code: code.to_string(),
                        message,
                    })
                }
                Err(e) => {
                    return Err(GatewayError::Ledger {
                        code: e.code().to_string(),
                        message: e.to_string(),
                    })
                }
            }
        }
        Err(GatewayError::Internal(
            "could not find a free nonce for the gateway's transaction".into(),
        ))
    }

    /// Waits for an admitted transaction until `deadline`: its receipt, or why it never made it.
    pub(super) fn await_own(&self, rx: CommitWatch, deadline: Instant) -> Result<Receipt, GatewayError> {
        match block_on_until(rx, deadline) {
            None => Err(GatewayError::Timeout(
                "the ledger did not commit the gateway's transaction in time".into(),
            )),
            Some(Ok(SubmitOutcome::Committed { receipt, .. })) => Ok(receipt),
            Some(Ok(SubmitOutcome::Dropped { code, reason })) => Err(GatewayError::Ledger { code, message: reason }),
            Some(other) => Err(GatewayError::Internal(format!("unexpected outcome {other:?}"))),
        }
    }

    /// Submits `payload` and waits for it to commit successfully, re-signing it if it was dropped
    /// behind a lost predecessor. A failure in the block comes back as [`GatewayError::Ledger`].
    pub(super) fn commit_own(
        &self,
        g: &Gateway,
        payload: &Payload,
        dry_run: bool,
        deadline: Instant,
    ) -> Result<(TxId, Receipt), GatewayError> {
        loop {
            let (id, rx) = self.submit_own(g, payload, dry_run)?;
            match self.await_own(rx, deadline) {
                Ok(r) => {
                    return match r.status {
                        TxStatus::Success => Ok((id, r)),
                        TxStatus::Failed { code, message } => Err(GatewayError::Ledger {
                            code: code.to_string(),
                            message: message.clone(),
                        }),
                    }
                }
                Err(GatewayError::Ledger { code, .. }) if retryable(&code) && Instant::now() < deadline => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Gives a reservation up, without waiting (the ledger also releases it at its expiry).
    pub(super) fn release_soon(&self, g: &Gateway, request_id: sinew_types::Hash) {
        let payload: Payload = ReleaseHold { request_id }.into();
        if let Err(e) = self.submit_own(g, &payload, false) {
            tracing::warn!("could not release the hold of request {request_id}: {e}");
        }
    }

    /// Whether the provider can pay the fees of `pending` more transactions of the given size.
    pub(super) fn provider_can_pay(&self, g: &Gateway, pending: u64, tx_bytes: usize) -> Result<bool, GatewayError> {
        let balance = self
            .latest::<Account>(&StateKey::Account(g.provider()))?
            .map_or(0, |a| a.balance);
        let fee = self.params().fee_for(tx_bytes);
        Ok(balance >= fee.saturating_mul(u128::from(pending)))
    }
}

/// A deadline `ms` milliseconds from now.
pub(super) fn deadline_in(ms: u64) -> Instant {
    Instant::now() + Duration::from_millis(ms)
}
