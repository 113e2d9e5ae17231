//! Transactions as validators pass them to each other. A client submits to one validator; that
//! validator admits the transaction and sends it on, once, to every other validator, which
//! admits it as it would a client's (never passing it further: the validator set is a full
//! mesh). So whoever leads next can include it.

use sinew_types::Hash;

/// What a validator made of a transaction a peer sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// Admitted into the pool.
    Admitted,
    /// Not admitted for a reason honest peers can run into (a nonce already used, a full pool).
    Refused(String),
    /// It names blobs this validator lacks: admit it again once they are fetched.
    NeedsBlobs(Vec<Hash>),
    /// Undecodable or wrongly signed: an honest validator never sends that (it checked before
    /// passing it on), so the sender is faulty.
    Malformed(String),
}

/// The node's side of transaction gossip.
pub trait TxGossip: Send + Sync + 'static {
    /// Transactions this validator's own clients submitted and it admitted since the last call,
    /// encoded, at most `max_bytes` in all (at least one if any wait).
    fn outgoing(&self, max_bytes: usize) -> Vec<Vec<u8>>;

    /// Transactions a peer sent, admitted as clients' would be (and never sent on).
    fn incoming(&self, txs: &[Vec<u8>]) -> Vec<Incoming>;
}
