//! Transaction gossip, the node's side: what this node admits from its own clients (API
//! submissions, the gateway's settlements) waits in an outbox until the validator sends it to
//! its peers; what peers send goes through the same admission as a client's, without ever
//! entering the outbox (the validator set is a full mesh: nothing is passed on twice).

use crate::mempool::AdmitError;
use crate::replica::NodeReplica;
use sinew_consensus::{Incoming, TxGossip};
use sinew_state::{Account, StateKey, TxRejection};
use sinew_types::SignedTransaction;

impl TxGossip for NodeReplica {
    fn outgoing(&self, max_bytes: usize) -> Vec<Vec<u8>> {
        self.node().outbox.take(max_bytes)
    }

    fn incoming(&self, txs: &[Vec<u8>]) -> Vec<Incoming> {
        let mut out = vec![Incoming::Admitted; txs.len()];
        let mut decoded = Vec::new();
        let mut at = Vec::new();
        let node = self.node();
        for (i, bytes) in txs.iter().enumerate() {
            match SignedTransaction::decode(bytes) {
                Ok(tx) => {
                    // Seen already (waiting, or its nonce used): refused before its signature
                    // costs anything, so replaying old transactions buys a peer nothing.
                    let id = tx.tx.id();
                    let used = node
                        .ledger
                        .latest::<Account>(&StateKey::Account(tx.tx.signer))
                        .ok()
                        .flatten()
                        .is_some_and(|a| tx.tx.nonce < a.nonce);
                    if used || node.admission.is_pending(&id) {
                        out[i] = Incoming::Refused(format!("transaction {id} is known already"));
                        continue;
                    }
                    decoded.push(tx);
                    at.push(i);
                }
                Err(e) => out[i] = Incoming::Malformed(e.to_string()),
            }
        }
        let admitted = node.submit_from_peer(decoded);
        for (i, (_, result)) in at.into_iter().zip(admitted) {
            out[i] = match result {
                Ok(_) => Incoming::Admitted,
                // What an honest validator refuses before sending: the sender is faulty. (Not
                // size: limits are parameters, which an honest peer may read a block apart.)
                Err(AdmitError::Rejected(e @ (TxRejection::BadSignature(_) | TxRejection::WrongChain { .. }))) => {
                    Incoming::Malformed(e.to_string())
                }
                Err(AdmitError::Rejected(TxRejection::MissingBlob(id))) => Incoming::NeedsBlobs(vec![id]),
                Err(e) => Incoming::Refused(e.to_string()),
            };
        }
        out
    }
}
