//! The gateway's own transactions: reservations, settlements and releases signed with the
//! provider's key, each with the next free nonce, waited for with a deadline, and re-signed when
//! the mempool drops them behind a lost predecessor (a nonce gap never wedges the gateway).

use super::handle::{latest, CommitWatch, LedgerHandle};
use super::{Gateway, GatewayError};
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
pub(super) fn retryable(code: &str) -> bool {
    matches!(code, "nonce_gap" | "predecessor_dropped" | "nonce_too_low")
}

impl Gateway {
    /// Signs and admits one of the gateway's transactions with the next free nonce of the
    /// provider's account. `dry_run`: refuse at admission what would only fail.
    pub(super) fn submit_own(
        &self,
        ledger: &dyn LedgerHandle,
        payload: &Payload,
        dry_run: bool,
    ) -> Result<(TxId, CommitWatch), GatewayError> {
        let _serial = self.nonce_lock.lock();
        let signer = self.provider();
        for _ in 0..4 {
            // The pool first, then the tree: a transaction leaves the pool only after the tree
            // holds it, so one of the two always accounts for it.
            let pooled = ledger.pooled_next_nonce(&signer);
            let committed = latest::<Account>(ledger, &StateKey::Account(signer))?.map_or(0, |a| a.nonce);
            let nonce = pooled.unwrap_or(0).max(committed);
            let signed = sign_with_fee(&self.key, ledger.chain_id(), nonce, payload.clone(), &ledger.params());
            let (id, result) = ledger.submit_watched(signed, dry_run);
            match result {
                Ok(rx) => return Ok((id, rx)),
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
        ledger: &dyn LedgerHandle,
        payload: &Payload,
        dry_run: bool,
        deadline: Instant,
    ) -> Result<(TxId, Receipt), GatewayError> {
        loop {
            let (id, rx) = self.submit_own(ledger, payload, dry_run)?;
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
    pub(super) fn release_soon(&self, ledger: &dyn LedgerHandle, request_id: sinew_types::Hash) {
        let payload: Payload = ReleaseHold { request_id }.into();
        if let Err(e) = self.submit_own(ledger, &payload, false) {
            tracing::warn!("could not release the hold of request {request_id}: {e}");
        }
    }

    /// Whether the provider can pay the fees of `pending` more transactions of the given size.
    pub(super) fn provider_can_pay(
        &self,
        ledger: &dyn LedgerHandle,
        pending: u64,
        tx_bytes: usize,
    ) -> Result<bool, GatewayError> {
        let balance = latest::<Account>(ledger, &StateKey::Account(self.provider()))?.map_or(0, |a| a.balance);
        let fee = ledger.params().fee_for(tx_bytes);
        Ok(balance >= fee.saturating_mul(u128::from(pending)))
    }
}

/// A deadline `ms` milliseconds from now.
pub(super) fn deadline_in(ms: u64) -> Instant {
    Instant::now() + Duration::from_millis(ms)
}
