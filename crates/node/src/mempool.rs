//! The mempool: signature-checked transactions waiting for a block, in per-signer nonce queues
//! and arrival order, with duplicate detection and size limits.
//!
//! What a stranger can make it hold is bounded by what they can pay: a signer's waiting
//! transactions never cost more in fees than its balance, nonces may run only so far ahead, and
//! nothing waits longer than `max_wait_ms` (a transaction behind a nonce that never comes, or
//! behind one that was dropped, does not sit there for ever).

use sinew_state::TxRejection;
use sinew_types::tx::PreparedTx;
use sinew_types::{Address, Amount, Nonce, TxId};
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

/// Hash maps keyed by ids and addresses: foldhash, randomly seeded per process.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
use std::sync::Arc;

/// Mempool limits.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MempoolConfig {
    /// Most transactions waiting in total.
    pub max_txs: usize,
    /// Most transactions waiting per signer.
    pub max_per_signer: usize,
    /// How far past the account's next nonce a waiting transaction may be.
    pub max_nonce_gap: u64,
    /// Longest a transaction may wait for a block, in milliseconds.
    pub max_wait_ms: u64,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig {
            max_txs: 200_000,
            max_per_signer: 1_024,
            max_nonce_gap: 1_024,
            max_wait_ms: 60_000,
        }
    }
}

/// Why the mempool refused a transaction. Nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmitError {
    /// The same transaction is already waiting.
    #[error("transaction {0} is already pending")]
    Duplicate(TxId),
    /// Another transaction with this signer and nonce is already waiting.
    #[error("nonce {0} of this signer is already taken by a pending transaction")]
    NonceTaken(Nonce),
    /// The mempool is full.
    #[error("mempool is full ({0} transactions); retry later")]
    Full(usize),
    /// The signer has too many waiting transactions.
    #[error("signer has {0} pending transactions, the most allowed; retry later")]
    SignerFull(usize),
    /// The nonce is too far ahead of the account's next nonce.
    #[error("nonce {got} is more than {max_gap} ahead of the account's next nonce {expected}")]
    NonceTooFarAhead {
        /// The account's next nonce.
        expected: Nonce,
        /// The transaction's.
        got: Nonce,
        /// Allowed distance.
        max_gap: u64,
    },
    /// The state machine would reject it.
    #[error(transparent)]
    Rejected(#[from] TxRejection),
    /// The signer's balance cannot pay the fees of all its waiting transactions and this one.
    #[error(
        "the fees of this signer's waiting transactions ({pending}) and this one would exceed its balance {balance}"
    )]
    CannotPayPending {
        /// Fees of what already waits, plus this one's.
        pending: Amount,
        /// The balance.
        balance: Amount,
    },
    /// It would be included but fail (paying a fee for nothing), for this reason.
    #[error("{message}")]
    WouldFail {
        /// The rule that would refuse it.
        code: sinew_types::FailureCode,
        /// Why.
        message: String,
    },
}

impl AdmitError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &str {
        match self {
            AdmitError::Duplicate(_) => "duplicate",
            AdmitError::NonceTaken(_) => "nonce_taken",
            AdmitError::Full(_) => "mempool_full",
            AdmitError::SignerFull(_) => "signer_full",
            AdmitError::NonceTooFarAhead { .. } => "nonce_too_far_ahead",
            AdmitError::CannotPayPending { .. } => "cannot_pay_pending",
            AdmitError::Rejected(r) => r.code(),
            AdmitError::WouldFail { code, .. } => code.code(),
        }
    }
}

/// Waiting transactions.
#[derive(Default)]
pub struct Mempool {
    config: MempoolConfig,
    /// Arrival sequence and fee of each waiting transaction.
    by_id: HashMap<TxId, (u64, Amount)>,
    by_signer: HashMap<Address, BTreeMap<Nonce, u64>>,
    by_arrival: BTreeMap<u64, Arc<PreparedTx>>,
    /// Arrival times in arrival order (entries of removed transactions are skipped lazily).
    arrived: VecDeque<(u64, Instant)>,
    /// Fees of each signer's waiting transactions.
    pending_fees: HashMap<Address, Amount>,
    /// Each waiting signer's next nonce in state (learned at admission, advanced by inclusion):
    /// only a signer whose lowest waiting nonce is this one has anything to offer a block.
    account_nonces: HashMap<Address, Nonce>,
    next_seq: u64,
}

impl Mempool {
    /// An empty mempool.
    pub fn new(config: MempoolConfig) -> Mempool {
        Mempool {
            config,
            ..Default::default()
        }
    }

    /// Waiting transactions.
    pub fn len(&self) -> usize {
        self.by_arrival.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.by_arrival.is_empty()
    }

    /// Whether `id` waits.
    pub fn contains(&self, id: &TxId) -> bool {
        self.by_id.contains_key(id)
    }

    /// Whether `tx` waits here with the very same signature bytes (so its signature was checked
    /// at admission and need not be checked again in a block).
    pub fn holds_verified(&self, tx: &PreparedTx) -> bool {
        self.by_id
            .get(&tx.id)
            .and_then(|(seq, _)| self.by_arrival.get(seq))
            .is_some_and(|held| held.tx.signature == tx.tx.signature)
    }

    /// The nonce after `signer`'s highest waiting one, if any waits.
    pub fn next_nonce(&self, signer: &Address) -> Option<Nonce> {
        self.by_signer
            .get(signer)
            .and_then(|q| q.keys().next_back())
            .map(|n| n + 1)
    }

    /// Adds a transaction whose signature and stateless checks passed. `account_nonce` and
    /// `balance` are the signer's in committed state; `fee` is what this transaction costs.
    pub fn admit(
        &mut self,
        ptx: PreparedTx,
        account_nonce: Nonce,
        balance: Amount,
        fee: Amount,
    ) -> Result<(), AdmitError> {
        let tx = &ptx.tx.tx;
        if self.by_id.contains_key(&ptx.id) {
            return Err(AdmitError::Duplicate(ptx.id));
        }
        if tx.nonce < account_nonce {
            return Err(TxRejection::NonceTooLow {
                expected: account_nonce,
                got: tx.nonce,
            }
            .into());
        }
        if tx.nonce - account_nonce > self.config.max_nonce_gap {
            return Err(AdmitError::NonceTooFarAhead {
                expected: account_nonce,
                got: tx.nonce,
                max_gap: self.config.max_nonce_gap,
            });
        }
        if self.by_arrival.len() >= self.config.max_txs {
            return Err(AdmitError::Full(self.by_arrival.len()));
        }
        let pending = self
            .pending_fees
            .get(&tx.signer)
            .copied()
            .unwrap_or(0)
            .saturating_add(fee);
        if pending > balance {
            return Err(AdmitError::CannotPayPending { pending, balance });
        }
        let queue = self.by_signer.entry(tx.signer).or_default();
        if queue.contains_key(&tx.nonce) {
            return Err(AdmitError::NonceTaken(tx.nonce));
        }
        if queue.len() >= self.config.max_per_signer {
            return Err(AdmitError::SignerFull(queue.len()));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        queue.insert(tx.nonce, seq);
        self.pending_fees.insert(tx.signer, pending);
        let known = self.account_nonces.entry(tx.signer).or_insert(account_nonce);
        *known = (*known).max(account_nonce);
        self.by_id.insert(ptx.id, (seq, fee));
        self.by_arrival.insert(seq, Arc::new(ptx));
        self.arrived.push_back((seq, Instant::now()));
        // Forget arrival times of transactions already gone (mostly the oldest): the queue
        // stays the size of the pool, not of the traffic.
        while let Some(&(front, _)) = self.arrived.front() {
            if self.by_arrival.contains_key(&front) {
                break;
            }
            self.arrived.pop_front();
        }
        Ok(())
    }

    /// Whether `signer` has a transaction waiting with `nonce`, and how many it has waiting.
    pub fn queued(&self, signer: &Address, nonce: Nonce) -> (bool, usize) {
        self.by_signer
            .get(signer)
            .map_or((false, 0), |q| (q.contains_key(&nonce), q.len()))
    }

    /// Waiting transactions of the same signer with a higher nonce than each of `dropped`: they
    /// can never be included now that their predecessor is gone.
    pub fn successors(&self, dropped: &[TxId]) -> Vec<(TxId, Nonce)> {
        let mut out = Vec::new();
        for id in dropped {
            let Some(ptx) = self.by_id.get(id).and_then(|s| self.by_arrival.get(&s.0)) else {
                continue;
            };
            let (signer, nonce) = (ptx.tx.tx.signer, ptx.tx.tx.nonce);
            if let Some(q) = self.by_signer.get(&signer) {
                for (_, seq) in q.range(nonce + 1..) {
                    out.push((self.by_arrival[seq].id, nonce));
                }
            }
        }
        out.sort_unstable();
        out.dedup_by_key(|o| o.0);
        out
    }

    /// Transactions that have waited longer than `max_wait_ms` at `now`.
    pub fn expired(&mut self, now: Instant) -> Vec<TxId> {
        let max = Duration::from_millis(self.config.max_wait_ms);
        let mut out = Vec::new();
        while let Some(&(seq, at)) = self.arrived.front() {
            if now.saturating_duration_since(at) <= max {
                break;
            }
            self.arrived.pop_front();
            if let Some(ptx) = self.by_arrival.get(&seq) {
                out.push(ptx.id);
            }
        }
        out
    }

    /// Up to `max` transactions to try in the next block: arrival order, each signer's nonces
    /// contiguous from its lowest waiting nonce.
    /// Transactions whose nonce is ahead of their signer's next one are never offered (a flood of
    /// them costs a block nothing and cannot crowd honest transactions out); they wait for the
    /// missing nonce or expire.
    pub fn candidates(&self, max: usize) -> Vec<Arc<PreparedTx>> {
        let mut next: HashMap<Address, Nonce> = HashMap::default();
        let mut out = Vec::with_capacity(max.min(self.by_arrival.len()));
        for ptx in self.by_arrival.values() {
            if out.len() >= max {
                break;
            }
            let tx = &ptx.tx.tx;
            let expected = *next.entry(tx.signer).or_insert_with(|| {
                self.account_nonces.get(&tx.signer).copied().unwrap_or_else(|| {
                    *self.by_signer[&tx.signer]
                        .keys()
                        .next()
                        .expect("queue of a waiting tx is not empty")
                })
            });
            if tx.nonce == expected {
                next.insert(tx.signer, expected + 1);
                out.push(ptx.clone());
            }
        }
        out
    }

    /// Removes transactions included in a block: their signers' next nonces advance.
    pub fn included(&mut self, ids: impl IntoIterator<Item = TxId>) {
        for id in ids {
            let Some(ptx) = self.by_id.get(&id).and_then(|(seq, _)| self.by_arrival.get(seq)) else {
                continue;
            };
            let (signer, nonce) = (ptx.tx.tx.signer, ptx.tx.tx.nonce);
            let known = self.account_nonces.entry(signer).or_insert(nonce + 1);
            *known = (*known).max(nonce + 1);
            self.remove([id]);
        }
    }

    /// Removes transactions (included in a block or dropped).
    pub fn remove(&mut self, ids: impl IntoIterator<Item = TxId>) {
        for id in ids {
            let Some((seq, fee)) = self.by_id.remove(&id) else {
                continue;
            };
            let ptx = self.by_arrival.remove(&seq).expect("indexes agree");
            let signer = ptx.tx.tx.signer;
            if let Some(p) = self.pending_fees.get_mut(&signer) {
                *p = p.saturating_sub(fee);
                if *p == 0 {
                    self.pending_fees.remove(&signer);
                }
            }
            if let Some(q) = self.by_signer.get_mut(&signer) {
                q.remove(&ptx.tx.tx.nonce);
                if q.is_empty() {
                    self.by_signer.remove(&signer);
                    self.account_nonces.remove(&signer);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sinew_types::payload::Stake;
    use sinew_types::{Keypair, Transaction};

    fn tx(k: &Keypair, nonce: u64) -> PreparedTx {
        k.sign(Transaction {
            chain_id: "c".into(),
            signer: k.address(),
            nonce,
            max_fee: 1,
            payload: Stake { amount: 1 }.into(),
        })
        .prepare()
    }

    #[test]
    fn only_the_same_signature_bytes_count_as_verified() {
        let a = Keypair::dev("a");
        let mut m = Mempool::new(MempoolConfig::default());
        let held = tx(&a, 0);
        m.admit(held.clone(), 0, 1_000_000, 1).unwrap();
        assert!(m.holds_verified(&held));
        // The same content with other signature bytes: checked again in a block.
        let mut forged = held.clone();
        forged.tx.signature.0[0] ^= 1;
        assert_eq!(forged.id, held.id);
        assert!(!m.holds_verified(&forged));
        assert!(!m.holds_verified(&tx(&a, 1)), "not waiting at all");
    }

    #[test]
    fn queues_by_nonce_and_refuses_duplicates_and_overflow() {
        let a = Keypair::dev("a");
        let b = Keypair::dev("b");
        let mut m = Mempool::new(MempoolConfig {
            max_txs: 5,
            max_per_signer: 3,
            max_nonce_gap: 10,
            max_wait_ms: 60_000,
        });
        let rich = 1_000_000;
        m.admit(tx(&a, 1), 0, rich, 1).unwrap();
        m.admit(tx(&b, 0), 0, rich, 1).unwrap();
        m.admit(tx(&a, 0), 0, rich, 1).unwrap();
        assert_eq!(m.admit(tx(&a, 0), 0, rich, 1), Err(AdmitError::Duplicate(tx(&a, 0).id)));
        assert!(matches!(
            m.admit(tx(&a, 11), 0, rich, 1),
            Err(AdmitError::NonceTooFarAhead { .. })
        ));
        assert!(matches!(
            m.admit(tx(&Keypair::dev("c"), 0), 1, rich, 1),
            Err(AdmitError::Rejected(TxRejection::NonceTooLow { .. }))
        ));
        m.admit(tx(&a, 2), 0, rich, 1).unwrap();
        assert!(matches!(m.admit(tx(&a, 3), 0, rich, 1), Err(AdmitError::SignerFull(3))));
        m.admit(tx(&b, 1), 0, rich, 1).unwrap();
        assert!(matches!(m.admit(tx(&b, 2), 0, rich, 1), Err(AdmitError::Full(5))));
        // Arrival order, but a's nonce 1 arrived before nonce 0: it waits for the next block.
        let pick = |m: &Mempool| {
            m.candidates(10)
                .iter()
                .map(|p| (p.tx.tx.signer, p.tx.tx.nonce, p.id))
                .collect::<Vec<_>>()
        };
        let first = pick(&m);
        let got: Vec<_> = first.iter().map(|(s, n, _)| (*s, *n)).collect();
        assert_eq!(got, vec![(b.address(), 0), (a.address(), 0), (b.address(), 1)]);
        m.included(first.iter().map(|c| c.2));
        let second: Vec<_> = pick(&m).iter().map(|(s, n, _)| (*s, *n)).collect();
        assert_eq!(second, vec![(a.address(), 1), (a.address(), 2)]);
        assert_eq!(m.candidates(1).len(), 1, "the limit holds");
        let ids: Vec<TxId> = m.by_id.keys().copied().collect();
        m.remove(ids);
        assert!(m.is_empty());
        assert!(m.by_signer.is_empty());
        assert!(m.pending_fees.is_empty());
        assert!(m.account_nonces.is_empty());
    }

    #[test]
    fn transactions_ahead_of_their_nonce_are_never_offered() {
        let honest = Keypair::dev("honest");
        let flood = Keypair::dev("flood");
        let mut m = Mempool::new(MempoolConfig::default());
        // The flood arrives first: nonces 1..100 of an account whose next nonce is 0.
        for n in 1..100 {
            m.admit(tx(&flood, n), 0, 1_000_000, 1).unwrap();
        }
        m.admit(tx(&honest, 0), 0, 1_000_000, 1).unwrap();
        let c = m.candidates(10);
        assert_eq!(c.len(), 1, "only the honest transaction is offered");
        assert_eq!(c[0].tx.tx.signer, honest.address());
        // Once the missing nonce arrives it is offered; once it is included, the rest in order.
        m.included([c[0].id]);
        m.admit(tx(&flood, 0), 0, 1_000_000, 1).unwrap();
        let c = m.candidates(1_000);
        assert_eq!(c.len(), 1);
        m.included([c[0].id]);
        let c = m.candidates(1_000);
        assert_eq!(c.len(), 99);
        assert!(c.iter().enumerate().all(|(i, p)| p.tx.tx.nonce == i as u64 + 1));
    }

    #[test]
    fn a_signer_cannot_queue_more_fees_than_it_holds() {
        let a = Keypair::dev("a");
        let mut m = Mempool::new(MempoolConfig::default());
        for n in 0..5 {
            m.admit(tx(&a, n), 0, 500, 100).unwrap();
        }
        assert!(matches!(
            m.admit(tx(&a, 5), 0, 500, 100),
            Err(AdmitError::CannotPayPending {
                pending: 600,
                balance: 500
            })
        ));
        // Once one leaves (included), there is room again.
        m.remove([tx(&a, 0).id]);
        m.admit(tx(&a, 5), 1, 500, 100).unwrap();
    }

    #[test]
    fn successors_of_a_dropped_transaction_and_stale_ones_are_found() {
        let a = Keypair::dev("a");
        let b = Keypair::dev("b");
        let mut m = Mempool::new(MempoolConfig {
            max_wait_ms: 0,
            ..MempoolConfig::default()
        });
        for n in 0..4 {
            m.admit(tx(&a, n), 0, 1_000, 1).unwrap();
        }
        m.admit(tx(&b, 0), 0, 1_000, 1).unwrap();
        let s: Vec<TxId> = m.successors(&[tx(&a, 1).id]).into_iter().map(|s| s.0).collect();
        let mut want = vec![tx(&a, 2).id, tx(&a, 3).id];
        want.sort();
        assert_eq!(s, want);
        assert!(m.successors(&[tx(&b, 0).id]).is_empty());
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(m.expired(Instant::now()).len(), 5);
        assert!(m.expired(Instant::now()).is_empty(), "each is reported once");
    }
}
