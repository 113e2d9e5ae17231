//! ed25519 keys, signatures and (parallel, batched) signature verification.
//!
//! Verification follows ZIP-215 (the `ed25519-zebra` crate): single and batch verification
//! accept exactly the same signatures, so every node reaches the same verdict however it groups
//! a block's signatures into batches. Batch verification draws random coefficients; they only
//! guard soundness (a forged batch passes with probability 2^-128) and never change a verdict on
//! valid input.

use crate::{Address, SignedTransaction, Transaction};
use borsh::{BorshDeserialize, BorshSerialize};
use ed25519_zebra::{batch, Signature, SigningKey, VerificationKey, VerificationKeyBytes};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A 64-byte ed25519 signature as carried in a transaction, shown as hex.
#[derive(Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SignatureBytes(pub [u8; 64]);

impl fmt::Debug for SignatureBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sig({})", hex::encode(self.0))
    }
}

impl Serialize for SignatureBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for SignatureBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as Deserialize>::deserialize(d)?;
        let mut out = [0u8; 64];
        hex::decode_to_slice(&s, &mut out)
            .map_err(|_| serde::de::Error::custom("signature must be 128 hex characters (64 bytes)"))?;
        Ok(SignatureBytes(out))
    }
}

/// A signing key and its address. Secret material is zeroized on drop.
#[derive(Clone)]
pub struct Keypair {
    signing: SigningKey,
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret.
        write!(f, "Keypair({})", self.address())
    }
}

impl Keypair {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Keypair {
        Keypair {
            signing: SigningKey::new(rand::rngs::OsRng),
        }
    }

    /// A key from a 32-byte secret seed (used for key files and deterministic dev accounts).
    pub fn from_seed(seed: &[u8; 32]) -> Keypair {
        Keypair {
            signing: SigningKey::from(*seed),
        }
    }

    /// A deterministic, publicly known development key: never use it for real funds.
    pub fn dev(label: &str) -> Keypair {
        Keypair::from_seed(&crate::Hash::tagged(b"sinew/dev-key", label.as_bytes()).0)
    }

    /// The secret seed (to be written to a key file).
    pub fn seed(&self) -> [u8; 32] {
        self.signing.into()
    }

    /// The account address this key signs for.
    pub fn address(&self) -> Address {
        Address(VerificationKeyBytes::from(&self.signing).into())
    }

    /// Signs arbitrary bytes (vouchers and other off-chain authorizations; callers tag the
    /// message with its purpose so a signature never means two things).
    pub fn sign_bytes(&self, message: &[u8]) -> SignatureBytes {
        SignatureBytes(self.signing.sign(message).to_bytes())
    }

    /// Signs a transaction's canonical encoding.
    pub fn sign(&self, tx: Transaction) -> SignedTransaction {
        let msg = crate::encoding::encode(&tx);
        let sig = self.signing.sign(&msg);
        SignedTransaction {
            tx,
            signature: SignatureBytes(sig.to_bytes()),
        }
    }
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The signer bytes are not a valid ed25519 point.
    #[error("signer is not a valid ed25519 public key")]
    BadPublicKey,
    /// The signature does not verify for this message and key.
    #[error("signature does not verify")]
    Invalid,
}

/// One item to verify: message, signature and claimed signer.
pub struct SigItem<'a> {
    /// Signed bytes.
    pub message: &'a [u8],
    /// Signature bytes.
    pub signature: &'a SignatureBytes,
    /// Signer public key bytes.
    pub signer: &'a Address,
}

/// Verifies one signature.
pub fn verify_one(item: &SigItem<'_>) -> Result<(), SignatureError> {
    let key = VerificationKey::try_from(item.signer.0).map_err(|_| SignatureError::BadPublicKey)?;
    let sig = Signature::from_bytes(&item.signature.0);
    key.verify(&sig, item.message).map_err(|_| SignatureError::Invalid)
}

fn verify_chunk(items: &[SigItem<'_>]) -> Vec<Result<(), SignatureError>> {
    if items.len() > 1 {
        let mut verifier = batch::Verifier::new();
        for it in items {
            let sig = Signature::from_bytes(&it.signature.0);
            verifier.queue((VerificationKeyBytes::from(it.signer.0), sig, it.message));
        }
        if verifier.verify(rand::thread_rng()).is_ok() {
            return vec![Ok(()); items.len()];
        }
    }
    // Some item is bad (or the batch is a single item): find which, one by one.
    items.iter().map(verify_one).collect()
}

/// Verifies many signatures, batched and spread over the available cores.
/// Returns one result per item, in order.
pub fn verify_many(items: &[SigItem<'_>]) -> Vec<Result<(), SignatureError>> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    verify_many_on(items, threads)
}

/// Verifies many signatures, batched, on at most `threads` threads (the caller's included).
/// Returns one result per item, in order.
pub fn verify_many_on(items: &[SigItem<'_>], threads: usize) -> Vec<Result<(), SignatureError>> {
    const MIN_CHUNK: usize = 64;
    if items.len() < 2 * MIN_CHUNK || threads <= 1 {
        return verify_chunk(items);
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items.chunks(chunk).map(|c| s.spawn(move || verify_chunk(c))).collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("signature verification thread panicked"))
            .collect()
    })
}
