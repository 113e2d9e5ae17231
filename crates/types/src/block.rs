//! Blocks: an ordered batch of transactions with a header that commits to their effect.

use crate::{encoding, Address, Hash, Height, SignedTransaction};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// What a block commits to. Its hash names the block.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct BlockHeader {
    /// Chain the block belongs to.
    pub chain_id: String,
    /// Height; genesis is 0.
    pub height: Height,
    /// Hash of the previous block's header (zero for genesis).
    pub parent: Hash,
    /// Proposer's clock when proposing, in ms since the Unix epoch. Informational only: `apply`
    /// never reads it.
    pub timestamp_ms: u64,
    /// Who proposed the block.
    pub proposer: Address,
    /// Number of transactions.
    pub tx_count: u32,
    /// Merkle root of the transaction ids in order.
    pub tx_root: Hash,
    /// Merkle root of the transactions' signatures in order ([`signatures_root`]): ids hash
    /// the unsigned transaction, so without this the block's hash would not commit to every
    /// byte of the block (a signature can be re-made for the same transaction).
    pub sig_root: Hash,
    /// Merkle root of the receipts in order.
    pub receipts_root: Hash,
    /// Root of the state Merkle tree after applying this block.
    pub state_root: Hash,
    /// The consensus round the block was proposed in, when validators agree on it (BFT); `None`
    /// for genesis and for blocks of the single-node sequencer. With it the block names the
    /// context it was proposed for, so a validator that missed the proposal can still check it.
    /// The proposer of a BFT block is the round's leader.
    pub round: Option<ConsensusRound>,
}

/// Where in consensus a block was proposed: epoch, view, and the view of the parent it builds
/// on (views without a block may lie between them).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct ConsensusRound {
    /// Validator-set epoch.
    pub epoch: u64,
    /// The view the block was proposed in.
    pub view: u64,
    /// The view the parent block was proposed in (0 for genesis).
    pub parent_view: u64,
}

impl BlockHeader {
    /// The block hash: BLAKE3 of the header's canonical encoding.
    pub fn hash(&self) -> Hash {
        Hash::of(&encoding::encode(self))
    }
}

/// A header and its transactions.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// The transactions, in execution order.
    pub txs: Vec<SignedTransaction>,
}

/// What re-executing a block from another validator found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every header field matches our own execution; the block is kept pending.
    Valid,
    /// The block breaks a rule (a deterministic fault): never valid, whoever asks again.
    Invalid(String),
    /// Something the block needs is not here yet (a blob still on its way): ask again later.
    /// Never a reason to refuse: another validator holding the blob would accept the block.
    NotReady(String),
}

/// The Merkle root of the transactions' signatures, in order.
pub fn signatures_root(txs: &[SignedTransaction]) -> Hash {
    let leaves: Vec<Hash> = txs
        .iter()
        .map(|t| Hash::tagged(b"sinew/signature", &t.signature.0))
        .collect();
    crate::merkle::root(&leaves)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Transfer;
    use crate::{Keypair, Transaction};

    #[test]
    fn the_signatures_root_commits_to_every_signature_byte() {
        let k = Keypair::dev("sig-root");
        let tx = Transaction {
            chain_id: "c".into(),
            signer: k.address(),
            nonce: 0,
            max_fee: 1,
            payload: Transfer {
                to: k.address(),
                amount: 1,
            }
            .into(),
        };
        let signed = k.sign(tx);
        let mut other = signed.clone();
        other.signature.0[63] ^= 1;
        assert_eq!(signed.tx.id(), other.tx.id(), "the id ignores the signature");
        assert_ne!(
            signatures_root(std::slice::from_ref(&signed)),
            signatures_root(&[other])
        );
        assert_eq!(signatures_root(&[]), crate::merkle::root(&[]));
    }
}
