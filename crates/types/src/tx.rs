//! Transactions: the signed envelope around a [`Payload`].

use crate::amount::{self, Amount};
use crate::encoding::{decode, encode};
use crate::signing::{verify_one, SigItem, SignatureBytes, SignatureError};
use crate::{Address, DecodeError, Hash, Nonce, Payload};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// A transaction id: BLAKE3 of the canonical encoding of the unsigned transaction.
pub type TxId = Hash;

/// Hard upper bound on an encoded signed transaction, checked before decoding.
/// (The governance parameter `max_tx_bytes` may only be lower.)
pub const MAX_TX_BYTES_HARD: usize = 1 << 20;

/// The unsigned transaction: what the signer commits to.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Transaction {
    /// The chain this transaction is valid on; stops replay across chains.
    pub chain_id: String,
    /// The account that signs and pays.
    pub signer: Address,
    /// Must equal the signer's current nonce: no replay, no gaps.
    pub nonce: Nonce,
    /// The most the signer agrees to pay in fees.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub max_fee: Amount,
    /// What to do.
    pub payload: Payload,
}

impl Transaction {
    /// The canonical encoding (what is signed and hashed).
    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }

    /// The transaction id.
    pub fn id(&self) -> TxId {
        Hash::of(&self.encode())
    }
}

/// A transaction with its signature: the unit clients submit and blocks carry.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct SignedTransaction {
    /// The signed content.
    pub tx: Transaction,
    /// ed25519 signature by `tx.signer` over `tx`'s canonical encoding.
    pub signature: SignatureBytes,
}

impl SignedTransaction {
    /// Decodes one signed transaction from untrusted bytes.
    pub fn decode(bytes: &[u8]) -> Result<SignedTransaction, DecodeError> {
        decode(bytes, MAX_TX_BYTES_HARD)
    }

    /// The canonical encoding of the signed transaction.
    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }

    /// Verifies the signature alone (prefer [`crate::signing::verify_many`] for many).
    pub fn verify_signature(&self) -> Result<(), SignatureError> {
        let msg = self.tx.encode();
        verify_one(&SigItem {
            message: &msg,
            signature: &self.signature,
            signer: &self.tx.signer,
        })
    }

    /// Precomputes the id and encoded size once, for the mempool and the state machine.
    pub fn prepare(self) -> PreparedTx {
        let unsigned = self.tx.encode();
        let id = Hash::of(&unsigned);
        // borsh: signed = unsigned bytes followed by the 64-byte signature.
        let encoded_len = unsigned.len() + 64;
        PreparedTx {
            tx: self,
            id,
            encoded_len,
            unsigned,
        }
    }
}

/// A signed transaction with its id, its size and its signed bytes computed once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedTx {
    /// The transaction.
    pub tx: SignedTransaction,
    /// Its id.
    pub id: TxId,
    /// Bytes of its canonical signed encoding (fees are charged per byte).
    pub encoded_len: usize,
    /// The signed message (canonical encoding of the unsigned transaction).
    pub unsigned: Vec<u8>,
}

impl PreparedTx {
    /// The fee this transaction costs under `params`: its size and the work it causes.
    pub fn fee(&self, params: &crate::Params) -> Amount {
        params.fee_with_work(self.encoded_len, self.tx.tx.payload.work_units())
    }

    /// The item to hand to batch signature verification.
    pub fn sig_item(&self) -> SigItem<'_> {
        SigItem {
            message: &self.unsigned,
            signature: &self.tx.signature,
            signer: &self.tx.tx.signer,
        }
    }
}

/// Signs a transaction whose `max_fee` is exactly the fee it costs under `params`.
pub fn sign_with_fee(
    key: &crate::Keypair,
    chain_id: &str,
    nonce: Nonce,
    payload: Payload,
    params: &crate::Params,
) -> SignedTransaction {
    let mut tx = Transaction {
        chain_id: chain_id.to_string(),
        signer: key.address(),
        nonce,
        max_fee: 0,
        payload,
    };
    // The encoding's length does not depend on max_fee's value (a fixed 16 bytes).
    let len = tx.encode().len() + 64;
    tx.max_fee = params.fee_with_work(len, tx.payload.work_units());
    key.sign(tx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Transfer;
    use crate::Keypair;

    fn sample(k: &Keypair, nonce: u64) -> SignedTransaction {
        k.sign(Transaction {
            chain_id: "test".into(),
            signer: k.address(),
            nonce,
            max_fee: 10,
            payload: Transfer {
                to: Address([7; 32]),
                amount: 5,
            }
            .into(),
        })
    }

    #[test]
    fn encoding_roundtrips_and_is_canonical() {
        let k = Keypair::dev("a");
        let s = sample(&k, 3);
        let bytes = s.encode();
        assert_eq!(SignedTransaction::decode(&bytes).unwrap(), s);
        let p = s.clone().prepare();
        assert_eq!(p.encoded_len, bytes.len());
        assert_eq!(p.id, s.tx.id());
    }

    #[test]
    fn truncated_and_trailing_bytes_are_rejected() {
        let bytes = sample(&Keypair::dev("a"), 0).encode();
        for cut in 0..bytes.len() {
            assert!(
                SignedTransaction::decode(&bytes[..cut]).is_err(),
                "prefix of {cut} bytes decoded"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            SignedTransaction::decode(&longer),
            Err(DecodeError::Malformed(_))
        ));
    }

    #[test]
    fn unknown_payload_tag_is_rejected() {
        let s = sample(&Keypair::dev("a"), 0);
        let mut bytes = s.encode();
        // chain_id (4 + 4 bytes) + signer 32 + nonce 8 + max_fee 16 = payload tag offset.
        let tag_at = 4 + s.tx.chain_id.len() + 32 + 8 + 16;
        assert_eq!(bytes[tag_at], 0, "transfer is tag 0");
        bytes[tag_at] = 200;
        assert!(matches!(
            SignedTransaction::decode(&bytes),
            Err(DecodeError::Malformed(_))
        ));
    }

    #[test]
    fn oversized_input_is_rejected_before_decoding() {
        let big = vec![0u8; MAX_TX_BYTES_HARD + 1];
        assert!(matches!(
            SignedTransaction::decode(&big),
            Err(DecodeError::TooLarge { .. })
        ));
    }

    #[test]
    fn signature_checks() {
        let k = Keypair::dev("a");
        let mut s = sample(&k, 1);
        assert!(s.verify_signature().is_ok());
        s.tx.nonce = 2;
        assert_eq!(s.verify_signature(), Err(SignatureError::Invalid));
        let mut s = sample(&k, 1);
        s.tx.signer = Address([0; 32]); // small-order point encoding
        assert!(s.verify_signature().is_err());
    }

    #[test]
    fn batch_verification_finds_the_bad_ones() {
        let keys: Vec<Keypair> = (0..300).map(|i| Keypair::dev(&i.to_string())).collect();
        let mut txs: Vec<PreparedTx> = keys.iter().map(|k| sample(k, 0).prepare()).collect();
        txs[17].tx.signature.0[0] ^= 1;
        txs[250].tx.signature = txs[251].tx.signature;
        let items: Vec<_> = txs.iter().map(|t| t.sig_item()).collect();
        let results = crate::signing::verify_many(&items);
        let bad: Vec<usize> = results
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_err())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(bad, vec![17, 250]);
    }

    #[test]
    fn json_form_roundtrips_and_rejects_unknown_fields() {
        let s = sample(&Keypair::dev("a"), 0);
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("\"type\":\"transfer\""));
        assert!(json.contains("\"amount\":\"5\""));
        assert_eq!(serde_json::from_str::<SignedTransaction>(&json).unwrap(), s);
        let bad = json.replacen("\"nonce\"", "\"nonse\"", 1);
        assert!(serde_json::from_str::<SignedTransaction>(&bad).is_err());
        // The payload's own fields are checked too: an unknown one, a wrong module or a wrong
        // action is refused, never ignored.
        assert!(json.contains("\"module\":\"staking\""));
        for bad in [
            json.replacen("\"amount\"", "\"amount_\"", 1),
            json.replacen("\"amount\":\"5\"", "\"amount\":\"5\",\"memo\":\"x\"", 1),
            json.replacen("\"module\":\"staking\"", "\"module\":\"tasks\"", 1),
            json.replacen("\"type\":\"transfer\"", "\"type\":\"stake\"", 1),
        ] {
            assert!(serde_json::from_str::<SignedTransaction>(&bad).is_err(), "{bad}");
        }
    }
}
