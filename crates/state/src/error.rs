//! Errors of the state machine.

use sinew_types::signing::SignatureError;
use sinew_types::{Address, Amount, Hash, Height, Nonce};

/// The storage behind [`crate::StateReader`] failed, or state broke an invariant the rules keep;
/// the node must stop, not guess. Carries the error that caused it, when there is one.
#[derive(Debug, Clone)]
pub struct StorageError {
    /// What failed.
    pub message: String,
    source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
}

impl StorageError {
    /// A failure described by `message` (an invariant the state broke).
    pub fn new(message: impl Into<String>) -> StorageError {
        StorageError {
            message: message.into(),
            source: None,
        }
    }

    /// `source` stopped `doing`.
    pub fn caused_by(doing: &str, source: impl std::error::Error + Send + Sync + 'static) -> StorageError {
        StorageError {
            message: format!("{doing}: {source}"),
            source: Some(std::sync::Arc::new(source)),
        }
    }
}

impl std::fmt::Display for StorageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "storage failure: {}", self.message)
    }
}

impl std::error::Error for StorageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Two storage errors are the same failure when they say the same thing.
impl PartialEq for StorageError {
    fn eq(&self, other: &Self) -> bool {
        self.message == other.message
    }
}

impl Eq for StorageError {}

/// Why a transaction may not be included in a block at all. A rejected transaction leaves no
/// trace: no fee, no nonce change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxRejection {
    /// The transaction names another chain.
    #[error("wrong chain id: expected {expected:?}, got {got:?}")]
    WrongChain {
        /// This chain.
        expected: String,
        /// The transaction's.
        got: String,
    },
    /// The encoding exceeds `max_tx_bytes`.
    #[error("transaction of {len} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Encoded size.
        len: usize,
        /// Limit.
        limit: u32,
    },
    /// The signature is missing, malformed or wrong.
    #[error("bad signature: {0}")]
    BadSignature(#[from] SignatureError),
    /// The nonce was already used (a replay).
    #[error("nonce {got} already used (replay): the account's next nonce is {expected}")]
    NonceTooLow {
        /// The account's next nonce.
        expected: Nonce,
        /// The transaction's.
        got: Nonce,
    },
    /// The nonce skips ahead of the account's next nonce.
    #[error("nonce {got} skips ahead: the account's next nonce is {expected}")]
    NonceGap {
        /// The account's next nonce.
        expected: Nonce,
        /// The transaction's.
        got: Nonce,
    },
    /// The signer has no account (so nothing to pay the fee with).
    #[error("unknown account {0}: it holds no tokens to pay a fee")]
    UnknownAccount(Address),
    /// `max_fee` is below the fee this transaction costs.
    #[error("fee too low: this transaction costs {required}, max_fee is {max_fee}")]
    FeeTooLow {
        /// What the transaction costs.
        required: Amount,
        /// What the signer allowed.
        max_fee: Amount,
    },
    /// The signer's balance cannot cover the fee.
    #[error("balance {balance} cannot pay the fee of {fee}")]
    CannotPayFee {
        /// The fee.
        fee: Amount,
        /// The balance.
        balance: Amount,
    },
    /// An amount of zero was given where a positive amount is required.
    #[error("amount must be positive")]
    ZeroAmount,
    /// A transfer to the sender itself.
    #[error("transfer to self is not allowed")]
    SelfTransfer,
    /// `SetParams` signed by someone other than the parameters' authority.
    #[error("only the parameters authority {authority} may change parameters")]
    NotAuthority {
        /// Who may.
        authority: Address,
    },
    /// `SetParams` would leave the parameters out of bounds.
    #[error("invalid parameters: {0}")]
    InvalidParams(String),
    /// A datanet transaction is malformed (name, license, rules, sizes...).
    #[error("invalid datanet transaction: {0}")]
    InvalidDatanet(String),
    /// An agent or task transaction is malformed.
    #[error("invalid task transaction: {0}")]
    InvalidTask(String),
    /// A model, provider, key or settlement transaction is malformed.
    #[error("invalid inference transaction: {0}")]
    InvalidInference(String),
    /// A settlement without a live reservation of its signer: never included, so its answer is
    /// never published unpaid.
    #[error("no reservation: {0}")]
    NoReservation(String),
    /// The signer's transaction with an earlier nonce was dropped, so this one can never be
    /// included (the mempool drops it rather than hold it for ever; re-sign and resend).
    #[error("dropped: the transaction with nonce {nonce} before it was dropped")]
    PredecessorDropped {
        /// The dropped predecessor's nonce.
        nonce: Nonce,
    },
    /// This node cannot read what the transaction needs right now (a blob or an index: full
    /// disk, too many open files); it stays waiting and is tried again.
    #[error("temporarily unavailable on this node: {0}")]
    Unavailable(String),
    /// It names a blob this node does not have: upload it first.
    #[error("blob {0} has not been uploaded to this node")]
    MissingBlob(sinew_types::Hash),
    /// It waited in the mempool longer than the node keeps transactions.
    #[error("dropped: waited longer than the mempool keeps transactions")]
    Expired,
    /// Reading state failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl TxRejection {
    /// A stable machine-readable code for APIs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            TxRejection::WrongChain { .. } => "wrong_chain",
            TxRejection::TooLarge { .. } => "too_large",
            TxRejection::BadSignature(_) => "bad_signature",
            TxRejection::NonceTooLow { .. } => "nonce_too_low",
            TxRejection::NonceGap { .. } => "nonce_gap",
            TxRejection::UnknownAccount(_) => "unknown_account",
            TxRejection::FeeTooLow { .. } => "fee_too_low",
            TxRejection::CannotPayFee { .. } => "cannot_pay_fee",
            TxRejection::ZeroAmount => "zero_amount",
            TxRejection::SelfTransfer => "self_transfer",
            TxRejection::NotAuthority { .. } => "not_authority",
            TxRejection::InvalidParams(_) => "invalid_params",
            TxRejection::InvalidDatanet(_) => "invalid_datanet",
            TxRejection::InvalidInference(_) => "invalid_inference",
            TxRejection::InvalidTask(_) => "invalid_task",
            TxRejection::NoReservation(_) => "no_reservation",
            TxRejection::PredecessorDropped { .. } => "predecessor_dropped",
            TxRejection::Expired => "expired",
            TxRejection::Unavailable(_) => "unavailable",
            TxRejection::MissingBlob(_) => "unknown_blob",
            TxRejection::Storage(_) => "storage",
        }
    }
}

/// Why a block is invalid. An invalid block changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// The block does not extend the current head.
    #[error("block {got} does not extend the head: expected height {expected_height} with parent {expected_parent}")]
    NotNext {
        /// Expected height.
        expected_height: Height,
        /// Expected parent hash.
        expected_parent: Hash,
        /// The block's height.
        got: Height,
    },
    /// The parent is neither the committed head nor an executed, unfinalized block (unknown, or
    /// on a branch finalization dropped).
    #[error("unknown parent {0}: neither the head nor a pending block")]
    UnknownParent(Hash),
    /// The block names another chain.
    #[error("block for chain {got:?} on chain {expected:?}")]
    WrongChain {
        /// This chain.
        expected: String,
        /// The block's.
        got: String,
    },
    /// A transaction in the block may not be included.
    #[error("transaction {index} is invalid: {rejection}")]
    InvalidTx {
        /// Position in the block.
        index: usize,
        /// Why.
        rejection: TxRejection,
    },
    /// More transactions than `max_block_txs`.
    #[error("block has {count} transactions, more than the limit of {limit}")]
    TooManyTxs {
        /// Count.
        count: usize,
        /// Limit.
        limit: u32,
    },
    /// More bytes of transactions than `max_block_bytes`.
    #[error("block has {bytes} bytes of transactions, more than the limit of {limit}")]
    TooLarge {
        /// Bytes.
        bytes: usize,
        /// Limit.
        limit: u32,
    },
    /// A header field disagrees with what executing the block gives.
    #[error("header {field} mismatch: header says {claimed}, execution gives {computed}")]
    HeaderMismatch {
        /// Which field.
        field: &'static str,
        /// What the header claims.
        claimed: String,
        /// What re-execution computed.
        computed: String,
    },
    /// Reading state failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl BlockError {
    /// The verdict on a block that failed to execute here: a missing blob is "not yet" (not the
    /// block's fault), any other rule broken is the block's fault; a storage error is ours and
    /// comes back as the error.
    pub fn verdict(self) -> Result<sinew_types::block::Verdict, StorageError> {
        use sinew_types::block::Verdict;
        match self {
            BlockError::InvalidTx {
                rejection: TxRejection::Unavailable(why),
                ..
            } => Ok(Verdict::NotReady(why)),
            BlockError::Storage(e)
            | BlockError::InvalidTx {
                rejection: TxRejection::Storage(e),
                ..
            } => Err(e),
            other => Ok(Verdict::Invalid(other.to_string())),
        }
    }
}
