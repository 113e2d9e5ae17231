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
