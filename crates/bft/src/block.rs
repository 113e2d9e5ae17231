//! Our block as commonware's [`Block`]: its digest is our header hash (BLAKE3 of the header's
//! canonical encoding, which commits to every transaction and signature through `tx_root` and
//! `sig_root`), its parent our header's parent, its height ours. On the wire it is our canonical
//! borsh encoding behind a length; decoding is bounded by the chain's block byte cap and accepts
//! only the canonical encoding (`encode(decode(bytes)) == bytes`), as commonware requires.

use crate::keys;
use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error as CodecError, RangeCfg, Read, Write};
use commonware_consensus::simplex::types::Context;
use commonware_consensus::types::{Epoch, Height as BftHeight, Round, View};
use commonware_consensus::{Block, BoundedBlock, CertifiableBlock, Heightable};
use commonware_cryptography::blake3::Digest;
use commonware_cryptography::ed25519::{PrivateKey, PublicKey};
use commonware_cryptography::{Digested, Digestible, Signer};
use sinew_types::{encoding, Block as SinewBlock, Hash};
use std::sync::{Arc, LazyLock};

/// The consensus context a block was proposed in, as commonware names it.
pub type BftContext = Context<Digest, PublicKey>;

/// A Sinew block with its encoding and digest computed once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BftBlock {
    block: Arc<SinewBlock>,
    bytes: Arc<Vec<u8>>,
    digest: Hash,
    context: BftContext,
}

/// How a block is read from untrusted bytes: at most this many bytes of block (the ledger's
/// `max_block_bytes` plus room for the header and envelopes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockCfg {
    /// Most bytes a block's encoding may have.
    pub max_bytes: usize,
}

impl BftBlock {
    /// Wraps a block (its encoding and hash computed here).
    pub fn new(block: SinewBlock) -> BftBlock {
        let bytes = encoding::encode(&block);
        let digest = block.header.hash();
        let context = context_of(&block);
        BftBlock {
            block: Arc::new(block),
            bytes: Arc::new(bytes),
            digest,
            context,
        }
    }

    /// The block.
    pub fn block(&self) -> &SinewBlock {
        &self.block
    }

    /// The block paired with its digest, as marshal passes blocks around.
    pub fn digested(self) -> Digested<BftBlock> {
        let digest = self.digest();
        Digested::precomputed(self, digest)
    }

    /// Its header hash (its digest, as ours).
    pub fn hash(&self) -> Hash {
        self.digest
    }
}

/// Our hash as commonware's BLAKE3 digest (the same 32 bytes).
pub fn digest_of(h: &Hash) -> Digest {
    Digest(h.0)
}

/// Our header hash of a commonware digest (the inverse of [`digest_of`]).
pub fn hash_of(d: &Digest) -> Hash {
    Hash(d.0)
}

impl Digestible for BftBlock {
    type Digest = Digest;

    fn digest(&self) -> Digest {
        digest_of(&self.digest)
    }
}

impl Heightable for BftBlock {
    fn height(&self) -> BftHeight {
        BftHeight::new(self.block.header.height)
    }
}

impl Block for BftBlock {
    fn parent(&self) -> Digest {
        digest_of(&self.block.header.parent)
    }
}

/// Stands in for the leader of blocks proposed outside consensus (genesis, single-node blocks):
/// a fixed key no validator holds, so such a context never matches a real round's.
static NO_LEADER: LazyLock<PublicKey> = LazyLock::new(|| PrivateKey::from_seed(0).public_key());

/// The context a block's header names: its round, its proposer as the round's leader, and its
/// parent with the parent's view.
fn context_of(block: &SinewBlock) -> BftContext {
    let h = &block.header;
    let round = h.round.unwrap_or_default();
    BftContext {
        round: Round::new(Epoch::new(round.epoch), View::new(round.view)),
        leader: keys::public_key(&h.proposer)
            .filter(|_| h.round.is_some())
            .unwrap_or_else(|| NO_LEADER.clone()),
        parent: (View::new(round.parent_view), digest_of(&h.parent)),
    }
}

impl CertifiableBlock for BftBlock {
    type Context = BftContext;

    fn context(&self) -> BftContext {
        self.context.clone()
    }
}

impl BoundedBlock for BftBlock {
    fn max_encode_size(cfg: &BlockCfg) -> usize {
        // The encoding behind a varint length of at most five bytes.
        cfg.max_bytes + 5
    }
}

impl Write for BftBlock {
    fn write(&self, buf: &mut impl BufMut) {
        self.bytes.as_slice().write(buf);
    }
}

impl EncodeSize for BftBlock {
    fn encode_size(&self) -> usize {
        self.bytes.as_slice().encode_size()
    }
}

impl Read for BftBlock {
    type Cfg = BlockCfg;

    fn read_cfg(buf: &mut impl Buf, cfg: &BlockCfg) -> Result<Self, CodecError> {
        let bytes = Vec::<u8>::read_cfg(buf, &(RangeCfg::new(..=cfg.max_bytes), ()))?;
        let block: SinewBlock = encoding::decode(&bytes, cfg.max_bytes)
            .map_err(|_| CodecError::Invalid("sinew block", "not a block's canonical encoding"))?;
        let wrapped = BftBlock::new(block);
        if *wrapped.bytes != bytes {
            return Err(CodecError::Invalid("sinew block", "not the canonical encoding"));
        }
        Ok(wrapped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{Decode, Encode};
    use sinew_types::payload::Transfer;
    use sinew_types::{BlockHeader, Keypair, Transaction};

    fn block() -> SinewBlock {
        let k = Keypair::dev("bft-block");
        let tx = k.sign(Transaction {
            chain_id: "c".into(),
            signer: k.address(),
            nonce: 0,
            max_fee: 1,
            payload: Transfer {
                to: k.address(),
                amount: 7,
            }
            .into(),
        });
        SinewBlock {
            header: BlockHeader {
                chain_id: "c".into(),
                height: 5,
                parent: Hash::of(b"parent"),
                timestamp_ms: 1,
                proposer: k.address(),
                tx_count: 1,
                tx_root: Hash::of(b"txs"),
                sig_root: Hash::of(b"sigs"),
                receipts_root: Hash::of(b"receipts"),
                state_root: Hash::of(b"state"),
                round: None,
            },
            txs: vec![tx],
        }
    }

    const CFG: BlockCfg = BlockCfg { max_bytes: 1 << 20 };

    #[test]
    fn the_digest_height_and_parent_are_ours_and_the_encoding_round_trips() {
        let b = BftBlock::new(block());
        assert_eq!(b.digest().0, b.block().header.hash().0);
        assert_eq!(b.height().get(), 5);
        assert_eq!(b.parent().0, Hash::of(b"parent").0);
        let bytes = b.encode();
        assert_eq!(bytes.len(), b.encode_size());
        let back = BftBlock::decode_cfg(bytes.to_vec(), &CFG).unwrap();
        assert_eq!(back, b);
    }

    #[test]
    fn oversized_garbled_and_non_canonical_encodings_are_refused() {
        let b = BftBlock::new(block());
        let bytes = b.encode();
        let small = BlockCfg { max_bytes: 64 };
        assert!(BftBlock::decode_cfg(bytes.to_vec(), &small).is_err(), "over the cap");
        let mut garbled = bytes.to_vec();
        let last = garbled.len() - 1;
        garbled[last] ^= 0xff;
        garbled.truncate(last - 3);
        assert!(BftBlock::decode_cfg(garbled, &CFG).is_err(), "truncated");
        // Trailing bytes inside the length are not a block.
        let mut inner = b.bytes.to_vec();
        inner.push(0);
        let padded = inner.encode();
        assert!(BftBlock::decode_cfg(padded.to_vec(), &CFG).is_err(), "not canonical");
    }
}
