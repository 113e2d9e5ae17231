//! Our keys as commonware's: a validator's consensus key is an ed25519 key, the same 32 bytes
//! whether Sinew (an [`Address`]) or commonware (a [`PublicKey`]) holds it.

use commonware_codec::{DecodeExt, Encode};
use commonware_cryptography::ed25519::{PrivateKey, PublicKey};
use sinew_types::{Address, Keypair};

/// A validator's consensus key (ed25519), for crates that must hold one without naming
/// commonware.
pub type ValidatorKey = PublicKey;

/// A Sinew address as a commonware public key; `None` when the bytes are not a valid point.
pub fn public_key(address: &Address) -> Option<PublicKey> {
    PublicKey::decode(address.0.to_vec()).ok()
}

/// A commonware public key as a Sinew address.
pub fn address(key: &PublicKey) -> Address {
    let bytes = key.encode();
    let mut out = [0u8; 32];
    out.copy_from_slice(&bytes[..32]);
    Address(out)
}

/// A Sinew keypair as a commonware signing key (same seed, same public key).
pub fn private_key(keypair: &Keypair) -> PrivateKey {
    PrivateKey::decode(keypair.seed().to_vec()).expect("any 32 bytes are an ed25519 seed")
}

/// Domain separation for every consensus signature: a vote for one chain is never a vote for
/// another.
pub fn namespace(chain_id: &str) -> Vec<u8> {
    format!("sinew/consensus/{chain_id}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_cryptography::Signer;

    #[test]
    fn a_key_is_the_same_key_on_both_sides() {
        let k = Keypair::dev("validator-0");
        let sk = private_key(&k);
        assert_eq!(address(&sk.public_key()), k.address());
        assert_eq!(public_key(&k.address()), Some(sk.public_key()));
    }
}
