//! Transactions: the signed envelope and the payloads later features extend.

use crate::amount::{self, Amount};
use crate::datanet::{BlobId, DatanetId, DatanetInfo, DatanetRules, Format};
use crate::encoding::{decode, encode};
use crate::inference::{KeyScope, ModelId, ModelInfo, ModelStatus, Pricing, Split, Voucher};
use crate::signing::{verify_one, SigItem, SignatureBytes, SignatureError};
use crate::task::{TaskId, Verification};
use crate::{Address, DecodeError, Hash, Nonce, ParamsUpdate};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// A transaction id: BLAKE3 of the canonical encoding of the unsigned transaction.
pub type TxId = Hash;

/// Hard upper bound on an encoded signed transaction, checked before decoding.
/// (The governance parameter `max_tx_bytes` may only be lower.)
pub const MAX_TX_BYTES_HARD: usize = 1 << 20;

/// What a transaction does. New variants are appended, never reordered, so encodings stay valid.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Payload {
    /// Move tokens from the signer to another account.
    Transfer {
        /// Recipient.
        to: Address,
        /// Base units to move; must be positive.
        #[serde(with = "amount::as_string")]
        amount: Amount,
    },
    /// Bond tokens from the signer's balance as stake.
    Stake {
        /// Base units to bond; must be positive.
        #[serde(with = "amount::as_string")]
        amount: Amount,
    },
    /// Start unbonding stake; it returns to the balance after the unbonding period.
    Unstake {
        /// Base units to unbond; must be positive.
        #[serde(with = "amount::as_string")]
        amount: Amount,
    },
    /// Change governance parameters; only the parameters' authority may sign it.
    SetParams {
        /// The fields to change.
        update: ParamsUpdate,
    },
    /// Create a datanet owned by the signer.
    CreateDatanet {
        /// Name, description, license, tags.
        info: DatanetInfo,
        /// Curation, bonds, fees, duplicate policy.
        rules: DatanetRules,
    },
    /// Contribute an uploaded blob's records to a datanet; locks the datanet's bond.
    Contribute {
        /// The datanet.
        datanet: DatanetId,
        /// The blob (uploaded to the node first).
        blob: BlobId,
        /// Its size in bytes.
        size: u64,
        /// How it is cut into records.
        format: Format,
        /// How many records that gives.
        record_count: u32,
        /// Merkle root of the records' hashes, in order.
        records_root: Hash,
        /// Free-form description (source, file name...), at most 1 KiB.
        metadata: String,
    },
    /// Approve or reject a pending contribution (owner, or a staked reviewer's vote).
    Review {
        /// The datanet.
        datanet: DatanetId,
        /// The contribution's number in the datanet.
        contribution: u64,
        /// Approve (true) or reject (false).
        approve: bool,
        /// Why (required to reject), at most 1 KiB.
        reason: String,
    },
    /// Publish an immutable version over every approved contribution so far (owner only).
    PublishVersion {
        /// The datanet.
        datanet: DatanetId,
    },
    /// Change a datanet's description, tags, or whether it takes contributions (owner only).
    UpdateDatanetInfo {
        /// The datanet.
        datanet: DatanetId,
        /// New description.
        description: Option<String>,
        /// New tags.
        tags: Option<Vec<String>>,
        /// Open (true) or closed (false) to contributions.
        open: Option<bool>,
    },
    /// Register the signer as an inference provider (its own stake backs it).
    RegisterProvider {
        /// Display name, 1 to 64 bytes.
        name: String,
        /// Where it serves: `builtin` (the infini-gram model in every Sinew gateway) or the base
        /// URL of an OpenAI-compatible server (llama.cpp, vLLM, Ollama).
        endpoint: String,
    },
    /// Register a model owned by the signer, served by a registered provider.
    RegisterModel {
        /// Name, lineage, tokenizer.
        info: ModelInfo,
        /// The provider serving it.
        provider: Address,
        /// Prices.
        pricing: Pricing,
        /// How fees are split.
        split: Split,
    },
    /// Change a model's prices or status (owner only).
    UpdateModel {
        /// The model.
        model: ModelId,
        /// New prices.
        pricing: Option<Pricing>,
        /// New status (a retired model cannot come back).
        status: Option<ModelStatus>,
    },
    /// Bind an API key (by its BLAKE3 hash) to the signer's prepaid balance, for the providers
    /// and models the signer chose, with a per-request cap and a spend limit.
    RegisterApiKey {
        /// BLAKE3 of the key.
        key_hash: Hash,
        /// What the key may be charged for.
        scope: KeyScope,
    },
    /// Revoke one of the signer's API keys.
    RevokeApiKey {
        /// BLAKE3 of the key.
        key_hash: Hash,
    },
    /// Move tokens from the balance to the prepaid inference balance (held in escrow).
    DepositPrepaid {
        /// Base units.
        #[serde(with = "amount::as_string")]
        amount: Amount,
    },
    /// Ask for prepaid tokens back; they return after the unbonding period (answers served
    /// meanwhile can still be settled from them).
    WithdrawPrepaid {
        /// Base units.
        #[serde(with = "amount::as_string")]
        amount: Amount,
    },
    /// Settle one answer against its reservation: the fee (prices and prompt tokens fixed by the
    /// reservation, answer tokens recounted from the answer) is charged from the held amount and
    /// split; the rest of the hold returns. Signed by the provider that reserved;
    /// `apply` recomputes the attribution and refuses a receipt that differs. Without a live
    /// reservation the settlement is not included at all (so the answer is never published).
    SettleInference {
        /// The reserved request.
        request_id: Hash,
        /// The answer text.
        answer: String,
        /// Digest of the attribution receipt of the answer against the model's datanets.
        receipt: Hash,
    },
    /// Move accrued rewards (contributor shares) to the balance.
    ClaimRewards,
    /// Register the signer as an agent, locking `stake`.
    RegisterAgent {
        /// Display name, 1 to 64 bytes.
        name: String,
        /// Tags and task kinds it takes (1 to 16, each 1 to 64 bytes).
        capabilities: Vec<String>,
        /// Where it can be reached (URL or free text), at most 256 bytes.
        endpoint: String,
        /// Base units locked as stake.
        #[serde(with = "amount::as_string")]
        stake: Amount,
    },
    /// Change an agent's capabilities or endpoint, or add stake.
    UpdateAgent {
        /// New capabilities.
        capabilities: Option<Vec<String>>,
        /// New endpoint.
        endpoint: Option<String>,
        /// Stake to add.
        #[serde(with = "amount::as_string")]
        add_stake: Amount,
    },
    /// Stop taking work; the stake returns after the unbonding period.
    RetireAgent,
    /// Post a task, or top up the reward of the identical open task (same kind and spec).
    PostTask {
        /// Task kind (`sinew/attribution`, `sinew/inference`, or one some agent advertises).
        kind: String,
        /// The spec: BLAKE3 of its blob.
        spec: Hash,
        /// Reward, escrowed now.
        #[serde(with = "amount::as_string")]
        reward: Amount,
        /// Last height for a result.
        deadline: u64,
        /// Blocks a claimant is exclusive before another agent may take over.
        claim_window: u64,
        /// Bond a claimant locks.
        #[serde(with = "amount::as_string")]
        bond: Amount,
        /// How the result is checked.
        verification: Verification,
        /// The task this one is a sub-task of.
        parent: Option<TaskId>,
    },
    /// Claim a task (an agent able to do its kind), locking the bond.
    ClaimTask {
        /// The task.
        task: TaskId,
    },
    /// Submit the result of a claimed task.
    SubmitResult {
        /// The task.
        task: TaskId,
        /// The result: BLAKE3 of its blob (for built-in kinds, the recomputable digest).
        result: Hash,
    },
    /// Cancel an unclaimed task (its poster); every funder is refunded.
    CancelTask {
        /// The task.
        task: TaskId,
    },
    /// The poster accepts or rejects a submitted result (poster verification).
    ReviewResult {
        /// The task.
        task: TaskId,
        /// Accept (pay now) or reject (reopen).
        accept: bool,
    },
    /// A staked verifier attests a submitted result (quorum verification), locking the bond.
    Attest {
        /// The task.
        task: TaskId,
        /// Whether the result is right.
        approve: bool,
    },
    /// Dispute a submitted result during its window, locking `bond`; the ledger recomputes it.
    /// The loser pays the winner.
    Challenge {
        /// The task.
        task: TaskId,
        /// Bond (at least the task's claimant bond).
        #[serde(with = "amount::as_string")]
        bond: Amount,
    },
    /// Settle a task whose window has passed, or that expired: pay, return or slash bonds,
    /// update reputations. Anyone may send it.
    FinalizeTask {
        /// The task.
        task: TaskId,
    },
    /// Stake tokens behind an inference provider: its share of every answer's fee is split with
    /// its stakers by stake, into their claimable rewards.
    DelegateToProvider {
        /// The provider.
        provider: Address,
        /// Base units.
        #[serde(with = "amount::as_string")]
        amount: Amount,
    },
    /// Withdraw stake from a provider; it unbonds like own stake.
    UndelegateFromProvider {
        /// The provider.
        provider: Address,
        /// Base units.
        #[serde(with = "amount::as_string")]
        amount: Amount,
    },
    /// Hold the most a request can cost from the payer's prepaid balance before the provider
    /// answers it (signed by the model's provider, within the API key's scope). The hold is
    /// settled, released by the provider, or released by the ledger when it expires; meanwhile
    /// the payer can neither withdraw nor spend it elsewhere.
    ReserveInference {
        /// The caller's API key hash.
        api_key: Hash,
        /// Unique per request (a request is reserved and settled once).
        request_id: Hash,
        /// The model.
        model: ModelId,
        /// BLAKE3 of the prompt as received.
        prompt_hash: Hash,
        /// Prompt tokens in the model's tokenizer (the provider's count; bounded by `max_fee`).
        input_tokens: u64,
        /// Most answer tokens.
        max_output_tokens: u64,
        /// The most the request may cost: what the gateway quoted and the caller accepted.
        #[serde(with = "amount::as_string")]
        max_fee: Amount,
        /// The payer's signed consent, required by keys registered with a voucher key.
        voucher: Option<Voucher>,
    },
    /// Release a reservation the provider will not settle (the request failed).
    ReleaseHold {
        /// The reserved request.
        request_id: Hash,
    },
    /// Close a contribution left unreviewed for `pending_expiry_blocks` (anyone): its bond is
    /// returned in full and its records no longer block the same records from others.
    ExpireContribution {
        /// The datanet.
        datanet: DatanetId,
        /// The contribution's number in the datanet.
        contribution: u64,
    },
    /// A provider accepts to serve a model that names it (`serve: true`), or stops serving it.
    /// Until accepted, a model takes no requests.
    ServeModel {
        /// The model.
        model: ModelId,
        /// Serve it or not.
        serve: bool,
    },
}

/// Work units of a transaction that makes the ledger recompute a result (a seeded answer of up
/// to 1,024 tokens, or an attribution): what `PostTask` of a recomputable kind, `SubmitResult`
/// and `Challenge` pay for, whether or not this one needs it.
pub const RECOMPUTE_WORK_UNITS: u64 = 1_024;

impl Payload {
    /// The most work executing this payload can cause beyond reading and writing a few values,
    /// in units priced by `Params::fee_per_work_unit`: a function of the payload alone, so
    /// anyone can compute a transaction's fee before signing it. A contribution pays per KiB
    /// ingested and per record indexed; a settlement per 64 bytes attributed; anything that may
    /// recompute a task result pays for the longest recomputation.
    pub fn work_units(&self) -> u64 {
        match self {
            Payload::Contribute { size, record_count, .. } => {
                size.div_ceil(1024).saturating_add(u64::from(*record_count))
            }
            Payload::SettleInference { answer, .. } => (answer.len() as u64).div_ceil(64),
            Payload::PostTask { kind, .. } if crate::task::recomputable(kind) => RECOMPUTE_WORK_UNITS,
            Payload::SubmitResult { .. } | Payload::Challenge { .. } => RECOMPUTE_WORK_UNITS,
            // Re-reads the contribution's records to free them.
            Payload::ExpireContribution { .. } => RECOMPUTE_WORK_UNITS,
            _ => 0,
        }
    }

    /// A short stable name for logs, metrics and filters.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::Transfer { .. } => "transfer",
            Payload::Stake { .. } => "stake",
            Payload::Unstake { .. } => "unstake",
            Payload::SetParams { .. } => "set_params",
            Payload::CreateDatanet { .. } => "create_datanet",
            Payload::Contribute { .. } => "contribute",
            Payload::Review { .. } => "review",
            Payload::PublishVersion { .. } => "publish_version",
            Payload::UpdateDatanetInfo { .. } => "update_datanet_info",
            Payload::RegisterProvider { .. } => "register_provider",
            Payload::RegisterModel { .. } => "register_model",
            Payload::UpdateModel { .. } => "update_model",
            Payload::RegisterApiKey { .. } => "register_api_key",
            Payload::RevokeApiKey { .. } => "revoke_api_key",
            Payload::DepositPrepaid { .. } => "deposit_prepaid",
            Payload::WithdrawPrepaid { .. } => "withdraw_prepaid",
            Payload::SettleInference { .. } => "settle_inference",
            Payload::ClaimRewards => "claim_rewards",
            Payload::RegisterAgent { .. } => "register_agent",
            Payload::UpdateAgent { .. } => "update_agent",
            Payload::RetireAgent => "retire_agent",
            Payload::PostTask { .. } => "post_task",
            Payload::ClaimTask { .. } => "claim_task",
            Payload::SubmitResult { .. } => "submit_result",
            Payload::CancelTask { .. } => "cancel_task",
            Payload::ReviewResult { .. } => "review_result",
            Payload::Attest { .. } => "attest",
            Payload::Challenge { .. } => "challenge",
            Payload::FinalizeTask { .. } => "finalize_task",
            Payload::DelegateToProvider { .. } => "delegate_to_provider",
            Payload::UndelegateFromProvider { .. } => "undelegate_from_provider",
            Payload::ReserveInference { .. } => "reserve_inference",
            Payload::ReleaseHold { .. } => "release_hold",
            Payload::ServeModel { .. } => "serve_model",
            Payload::ExpireContribution { .. } => "expire_contribution",
        }
    }
}

/// The unsigned transaction: what the signer commits to.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transaction {
    /// The chain this transaction is valid on; stops replay across chains.
    pub chain_id: String,
    /// The account that signs and pays.
    pub signer: Address,
    /// Must equal the signer's current nonce: no replay, no gaps.
    pub nonce: Nonce,
    /// The most the signer agrees to pay in fees.
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
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
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
    use crate::Keypair;

    fn sample(k: &Keypair, nonce: u64) -> SignedTransaction {
        k.sign(Transaction {
            chain_id: "test".into(),
            signer: k.address(),
            nonce,
            max_fee: 10,
            payload: Payload::Transfer {
                to: Address([7; 32]),
                amount: 5,
            },
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
    }
}
