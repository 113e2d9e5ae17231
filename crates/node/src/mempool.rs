//! The mempool: signature-checked transactions waiting for a block, in per-signer nonce queues
//! and arrival order, with duplicate detection and size limits.

use sinew_state::TxRejection;
use sinew_types::tx::PreparedTx;
use sinew_types::{Address, Nonce, TxId};
use std::collections::BTreeMap;

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
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig {
            max_txs: 200_000,
            max_per_signer: 4_096,
            max_nonce_gap: 4_096,
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
    /// It would be included but fail (paying a fee for nothing), for this reason.
    #[error("{message}")]
    WouldFail {
        /// The failure code.
        code: String,
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
            AdmitError::Rejected(r) => r.code(),
            AdmitError::WouldFail { code, .. } => code,
        }
    }
}

/// Waiting transactions.
#[derive(Default)]
pub struct Mempool {
    config: MempoolConfig,
    by_id: HashMap<TxId, u64>,
    by_signer: HashMap<Address, BTreeMap<Nonce, u64>>,
    by_arrival: BTreeMap<u64, Arc<PreparedTx>>,
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

    /// The nonce after `signer`'s highest waiting one, if any waits.
    pub fn next_nonce(&self, signer: &Address) -> Option<Nonce> {
        self.by_signer
            .get(signer)
            .and_then(|q| q.keys().next_back())
            .map(|n| n + 1)
    }

    /// Adds a transaction whose signature and stateless checks passed. `account_nonce` is the
    /// signer's next nonce in committed state.
    pub fn admit(&mut self, ptx: PreparedTx, account_nonce: Nonce) -> Result<(), AdmitError> {
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
        self.by_id.insert(ptx.id, seq);
        self.by_arrival.insert(seq, Arc::new(ptx));
        Ok(())
    }

    /// Up to `max` transactions to try in the next block: arrival order, each signer's nonces
    /// contiguous from its lowest waiting nonce.
    pub fn candidates(&self, max: usize) -> Vec<Arc<PreparedTx>> {
        let mut next: HashMap<Address, Nonce> = HashMap::default();
        let mut out = Vec::with_capacity(max.min(self.by_arrival.len()));
        for ptx in self.by_arrival.values() {
            if out.len() >= max {
                break;
            }
            let tx = &ptx.tx.tx;
            let expected = *next.entry(tx.signer).or_insert_with(|| {
                *self.by_signer[&tx.signer]
                    .keys()
                    .next()
                    .expect("queue of a waiting tx is not empty")
            });
            if tx.nonce == expected {
                next.insert(tx.signer, expected + 1);
                out.push(ptx.clone());
            }
        }
        out
    }

    /// Removes transactions (included in a block or dropped).
    pub fn remove(&mut self, ids: impl IntoIterator<Item = TxId>) {
        for id in ids {
            let Some(seq) = self.by_id.remove(&id) else {
                continue;
            };
            let ptx = self.by_arrival.remove(&seq).expect("indexes agree");
            let signer = ptx.tx.tx.signer;
            if let Some(q) = self.by_signer.get_mut(&signer) {
                q.remove(&ptx.tx.tx.nonce);
                if q.is_empty() {
                    self.by_signer.remove(&signer);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sinew_types::{Keypair, Payload, Transaction};

    fn tx(k: &Keypair, nonce: u64) -> PreparedTx {
        k.sign(Transaction {
            chain_id: "c".into(),
            signer: k.address(),
            nonce,
            max_fee: 1,
            payload: Payload::Stake { amount: 1 },
        })
        .prepare()
    }

    #[test]
    fn queues_by_nonce_and_refuses_duplicates_and_overflow() {
        let a = Keypair::dev("a");
        let b = Keypair::dev("b");
        let mut m = Mempool::new(MempoolConfig {
            max_txs: 5,
            max_per_signer: 3,
            max_nonce_gap: 10,
        });
        m.admit(tx(&a, 1), 0).unwrap();
        m.admit(tx(&b, 0), 0).unwrap();
        m.admit(tx(&a, 0), 0).unwrap();
        assert_eq!(m.admit(tx(&a, 0), 0), Err(AdmitError::Duplicate(tx(&a, 0).id)));
        assert!(matches!(
            m.admit(tx(&a, 11), 0),
            Err(AdmitError::NonceTooFarAhead { .. })
        ));
        assert!(matches!(
            m.admit(tx(&Keypair::dev("c"), 0), 1),
            Err(AdmitError::Rejected(TxRejection::NonceTooLow { .. }))
        ));
        m.admit(tx(&a, 2), 0).unwrap();
        assert!(matches!(m.admit(tx(&a, 3), 0), Err(AdmitError::SignerFull(3))));
        m.admit(tx(&b, 1), 0).unwrap();
        assert!(matches!(m.admit(tx(&b, 2), 0), Err(AdmitError::Full(5))));
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
        m.remove(first.iter().map(|c| c.2));
        let second: Vec<_> = pick(&m).iter().map(|(s, n, _)| (*s, *n)).collect();
        assert_eq!(second, vec![(a.address(), 1), (a.address(), 2)]);
        assert_eq!(m.candidates(1).len(), 1, "the limit holds");
        let ids: Vec<TxId> = m.by_id.keys().copied().collect();
        m.remove(ids);
        assert!(m.is_empty());
        assert!(m.by_signer.is_empty());
    }
}
