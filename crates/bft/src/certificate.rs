//! Finalization certificates as a light client checks them: decode commonware's encoding (bounded
//! by the validator set), check a quorum of the genesis validators signed the finalization of the
//! proposal under this chain's namespace, and say which block it finalized. After that, the
//! block's header (whose hash is the certificate's payload) and its state root can be trusted.

use crate::block::hash_of;
use crate::keys::namespace;
use commonware_codec::Decode;
use commonware_consensus::simplex::scheme::ed25519::Scheme;
use commonware_consensus::simplex::types::Finalization;
use commonware_consensus::Viewable;
use commonware_cryptography::blake3::Digest;
use commonware_cryptography::ed25519::PublicKey;
use commonware_parallel::Sequential;
use commonware_utils::ordered::Set;
use sinew_types::{Address, Hash};

/// Why a certificate is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// The validator set is empty or names a key twice.
    #[error("the validator set is empty or names a key twice")]
    BadValidatorSet,
    /// The bytes are not a finalization certificate for a set of this size.
    #[error("not a finalization certificate: {0}")]
    Malformed(String),
    /// The signatures do not verify, are too few, or come from keys outside the set.
    #[error("the certificate's signatures do not show a quorum of this chain's validators finalized the block")]
    BadSignatures,
}

/// What a checked certificate finalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finalized {
    /// The finalized block's header hash.
    pub block_hash: Hash,
    /// The epoch of the finalizing view.
    pub epoch: u64,
    /// The finalizing view.
    pub view: u64,
    /// The view of the block's parent.
    pub parent_view: u64,
    /// The validators whose signatures it holds.
    pub signers: Vec<Address>,
}

/// Checks `bytes`, a finalization certificate, against `validators` of chain `chain_id`.
pub fn verify(chain_id: &str, validators: &[PublicKey], bytes: &[u8]) -> Result<Finalized, CertificateError> {
    let participants = Set::try_from(validators.to_vec()).map_err(|_| CertificateError::BadValidatorSet)?;
    if participants.is_empty() {
        return Err(CertificateError::BadValidatorSet);
    }
    let finalization =
        Finalization::<Scheme, Digest>::decode_cfg(bytes::Bytes::copy_from_slice(bytes), &participants.len())
            .map_err(|e| CertificateError::Malformed(e.to_string()))?;
    let scheme = Scheme::verifier(&namespace(chain_id), participants.clone());
    let mut rng = rand::rng();
    if !finalization.verify(&mut rng, &scheme, &Sequential) {
        return Err(CertificateError::BadSignatures);
    }
    let signers = finalization
        .certificate
        .signers
        .iter()
        .filter_map(|i| participants.get(i.get() as usize))
        .map(crate::keys::address)
        .collect();
    Ok(Finalized {
        block_hash: hash_of(&finalization.proposal.payload),
        epoch: finalization.proposal.round.epoch().get(),
        view: finalization.view().get(),
        parent_view: finalization.proposal.parent.get(),
        signers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys;
    use commonware_codec::Encode;
    use commonware_consensus::simplex::types::{Finalize, Proposal};
    use commonware_consensus::types::{Epoch, Round, View};
    use commonware_cryptography::Signer;
    use commonware_utils::iter::NonEmpty;
    use sinew_types::Keypair;

    const CHAIN: &str = "sinew-test";

    fn keypairs(tag: &str) -> Vec<Keypair> {
        (0..4).map(|i| Keypair::dev(&format!("{tag}-{i}"))).collect()
    }

    /// A finalization of `block` signed by `signers` (indexes into `set`, which orders them as
    /// the chain's validator set does).
    fn certificate(set: &[Keypair], signers: &[usize], chain: &str, block: Hash) -> Vec<u8> {
        let publics: Vec<PublicKey> = set.iter().map(|k| keys::private_key(k).public_key()).collect();
        let participants = Set::try_from(publics).unwrap();
        let proposal = Proposal::new(
            Round::new(Epoch::new(0), View::new(7)),
            View::new(6),
            crate::block::digest_of(&block),
        );
        let votes: Vec<Finalize<Scheme, Digest>> = signers
            .iter()
            .map(|&i| {
                let scheme =
                    Scheme::signer(&namespace(chain), participants.clone(), keys::private_key(&set[i])).unwrap();
                Finalize::sign(&scheme, proposal.clone()).unwrap()
            })
            .collect();
        let verifier = Scheme::verifier(&namespace(chain), participants);
        let mut it = votes.into_iter();
        let first = it.next().unwrap();
        Finalization::from_owned_finalizes(&verifier, NonEmpty::new(first, it), &Sequential)
            .unwrap()
            .encode()
            .to_vec()
    }

    /// `bytes` (a certificate) with only its first `keep` signatures: fewer than a quorum, which
    /// no honest assembly produces.
    fn shrink(bytes: &[u8], keep: usize) -> Vec<u8> {
        let mut f = Finalization::<Scheme, Digest>::decode_cfg(bytes::Bytes::copy_from_slice(bytes), &4).unwrap();
        let kept: Vec<_> = f.certificate.signers.iter().take(keep).collect();
        f.certificate.signers = commonware_cryptography::certificate::Signers::new(4, kept).unwrap();
        f.certificate.signatures.truncate(keep);
        f.encode().to_vec()
    }

    fn public(set: &[Keypair]) -> Vec<PublicKey> {
        set.iter().map(|k| keys::private_key(k).public_key()).collect()
    }

    #[test]
    fn a_quorum_certificate_verifies_and_names_its_block_and_signers() {
        let set = keypairs("v");
        let block = Hash::of(b"block 7");
        let done = verify(CHAIN, &public(&set), &certificate(&set, &[0, 1, 3], CHAIN, block)).unwrap();
        assert_eq!(done.block_hash, block);
        assert_eq!((done.epoch, done.view, done.parent_view), (0, 7, 6));
        assert_eq!(done.signers.len(), 3);
    }

    #[test]
    fn too_few_foreign_or_other_chain_signatures_are_refused() {
        let set = keypairs("v");
        let block = Hash::of(b"block 7");
        // Two of four is no quorum.
        let two = shrink(&certificate(&set, &[0, 1, 2], CHAIN, block), 2);
        assert_eq!(verify(CHAIN, &public(&set), &two), Err(CertificateError::BadSignatures));
        // Signed by another set of keys.
        let foreign = keypairs("other");
        assert_eq!(
            verify(CHAIN, &public(&set), &certificate(&foreign, &[0, 1, 2], CHAIN, block)),
            Err(CertificateError::BadSignatures)
        );
        // The right keys, for another chain.
        assert_eq!(
            verify(
                CHAIN,
                &public(&set),
                &certificate(&set, &[0, 1, 2], "another-chain", block)
            ),
            Err(CertificateError::BadSignatures)
        );
        // Garbage, a truncated certificate, an empty validator set.
        assert!(matches!(
            verify(CHAIN, &public(&set), b"junk"),
            Err(CertificateError::Malformed(_))
        ));
        let good = certificate(&set, &[0, 1, 2], CHAIN, block);
        assert!(matches!(
            verify(CHAIN, &public(&set), &good[..good.len() - 1]),
            Err(CertificateError::Malformed(_))
        ));
        assert_eq!(verify(CHAIN, &[], &good), Err(CertificateError::BadValidatorSet));
    }
}
