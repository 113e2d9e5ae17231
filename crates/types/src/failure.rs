//! Why an included transaction failed: a stable code per rule, grouped by the module whose rule
//! refused it. The code is the wire contract (receipts carry it, clients branch on it); the
//! message beside it is for people. Codes are unique across modules, so the JSON form is the code
//! alone.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A data-less enum of failure codes with `code()` and the list of all of them.
macro_rules! failure_codes {
    ($(#[$m:meta])* $name:ident { $( $(#[$vm:meta])* $variant:ident = $code:literal, )+ }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
        pub enum $name {
            $( $(#[$vm])* $variant, )+
        }

        impl $name {
            /// Every code of this group, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }
        }

        impl From<$name> for FailureCode {
            fn from(f: $name) -> FailureCode {
                FailureCode::$name(f)
            }
        }

        impl PartialEq<$name> for FailureCode {
            fn eq(&self, other: &$name) -> bool {
                *self == FailureCode::from(*other)
            }
        }
    };
}

failure_codes! {
    /// Rules every module shares: balances, stake, ownership, timing.
    LedgerFailure {
        /// The signer (or a payer) holds less than the action moves.
        InsufficientBalance = "insufficient_balance",
        /// Less is staked than the action needs or takes back.
        InsufficientStake = "insufficient_stake",
        /// An amount or count would overflow.
        Overflow = "overflow",
        /// Only the owner of the datanet or model may do this.
        NotOwner = "not_owner",
        /// The signer may not act on its own work or claim (a contributor reviewing its own contribution, a claimant challenging itself).
        Conflict = "conflict",
        /// The window for this has not opened yet.
        TooEarly = "too_early",
        /// The signer is already registered (as a provider or an agent).
        AlreadyRegistered = "already_registered",
    }
}

failure_codes! {
    /// Datanets: contributions, curation, versions.
    DatanetFailure {
        /// The contribution was already approved, rejected or expired.
        AlreadyDecided = "already_decided",
        /// This reviewer already voted on the contribution.
        AlreadyVoted = "already_voted",
        /// The blob does not parse in the stated format.
        BadBlob = "bad_blob",
        /// The blob's records differ from the claimed count or Merkle root.
        BlobMismatch = "blob_mismatch",
        /// The contributor cannot lock the datanet's bond.
        CannotPayBond = "cannot_pay_bond",
        /// The owner cannot pay the publish fee.
        CannotPayPublishFee = "cannot_pay_publish_fee",
        /// The datanet takes no contributions.
        DatanetClosed = "datanet_closed",
        /// A record is already in the datanet.
        DuplicateRecord = "duplicate_record",
        /// A record nearly duplicates one in the datanet, and the datanet refuses those.
        NearDuplicate = "near_duplicate",
        /// The signer is not a staked reviewer of the datanet.
        NotReviewer = "not_reviewer",
        /// No approved contribution since the last version.
        NothingApproved = "nothing_approved",
        /// An open datanet approves contributions on arrival: there is nothing to review.
        OpenDatanet = "open_datanet",
        /// The contribution or version exceeds its size limit.
        TooLarge = "too_large",
        /// The version would exceed what one index can hold.
        TooLargeToIndex = "too_large_to_index",
        /// No such contribution.
        UnknownContribution = "unknown_contribution",
        /// No such datanet.
        UnknownDatanet = "unknown_datanet",
        /// The contribution has all the votes it can hold.
        VotesFull = "votes_full",
    }
}

failure_codes! {
    /// Providers, models, API keys, prepaid balances, reservations and settlements.
    InferenceFailure {
        /// The API key is already revoked.
        AlreadyRevoked = "already_revoked",
        /// The voucher is not signed by the key's voucher key.
        BadVoucher = "bad_voucher",
        /// A datanet version in the model's lineage cannot be indexed.
        IndexUnavailable = "index_unavailable",
        /// The payer's available prepaid balance cannot cover the hold or withdrawal.
        InsufficientPrepaid = "insufficient_prepaid",
        /// An API key with this hash is already registered.
        KeyExists = "key_exists",
        /// The model takes no requests (paused, retired, or not accepted by its provider).
        ModelUnavailable = "model_unavailable",
        /// Another model has this name.
        NameTaken = "name_taken",
        /// No live reservation of this request by the signer.
        NoHold = "no_hold",
        /// The signer has no stake behind this provider.
        NoStake = "no_stake",
        /// The API key has no voucher key to check a voucher against.
        NoVoucherKey = "no_voucher_key",
        /// Only the model's provider may do this.
        NotProvider = "not_provider",
        /// No accrued rewards.
        NothingToClaim = "nothing_to_claim",
        /// The API key does not allow this provider or model.
        OutOfScope = "out_of_scope",
        /// The request may cost more than the key's per-request cap.
        OverRequestCap = "over_request_cap",
        /// The request may cost more than the voucher allows.
        OverVoucher = "over_voucher",
        /// At current prices the request may cost more than the quote the caller accepted.
        PriceChanged = "price_changed",
        /// The attribution receipt differs from the ledger's recomputation.
        ReceiptMismatch = "receipt_mismatch",
        /// This request id was already reserved.
        RequestExists = "request_exists",
        /// The model is retired.
        Retired = "retired",
        /// The API key is revoked.
        RevokedKey = "revoked_key",
        /// A provider cannot delegate to itself.
        SelfDelegation = "self_delegation",
        /// The key's spend limit would be exceeded.
        SpendLimit = "spend_limit",
        /// The provider has as many stakers as it can hold.
        TooManyStakers = "too_many_stakers",
        /// The answer has more tokens than reserved.
        TooManyTokens = "too_many_tokens",
        /// The update changes nothing.
        Unchanged = "unchanged",
        /// A datanet version in the lineage does not exist.
        UnknownDatanetVersion = "unknown_datanet_version",
        /// No such API key.
        UnknownKey = "unknown_key",
        /// No such model.
        UnknownModel = "unknown_model",
        /// No such provider.
        UnknownProvider = "unknown_provider",
        /// The voucher is past its last height.
        VoucherExpired = "voucher_expired",
        /// The API key pays only for requests with a voucher.
        VoucherRequired = "voucher_required",
    }
}

failure_codes! {
    /// Agents and tasks.
    TaskFailure {
        /// This verifier already attested the result.
        AlreadyAttested = "already_attested",
        /// Another agent holds the claim.
        AlreadyClaimed = "already_claimed",
        /// The task is completed or closed.
        AlreadyFinal = "already_final",
        /// The spec is not what the task kind asks for.
        BadSpec = "bad_spec",
        /// The claim bond is larger than the reward.
        BondExceedsReward = "bond_exceeds_reward",
        /// The challenge bond is below the claimant's bond.
        BondTooSmall = "bond_too_small",
        /// The task's deadline has passed.
        DeadlinePassed = "deadline_passed",
        /// The agent still holds claims.
        HasClaims = "has_claims",
        /// The agent does not advertise the task's kind.
        NotCapable = "not_capable",
        /// Only the current claimant may do this.
        NotClaimant = "not_claimant",
        /// No result is open to review, attestation or challenge.
        NotInReview = "not_in_review",
        /// The task is not open.
        NotOpen = "not_open",
        /// Only the task's poster may do this.
        NotPoster = "not_poster",
        /// Only results the ledger can recompute can be challenged.
        NotRecomputable = "not_recomputable",
        /// The verifier holds less stake than the task requires.
        NotStaked = "not_staked",
        /// The poster cannot work on or verify its own task.
        PosterTask = "poster_task",
        /// The task has all the attestations it can hold.
        QuorumFull = "quorum_full",
        /// The task has been rejected as many times as it may be.
        RejectionsExhausted = "rejections_exhausted",
        /// The parent task is finished.
        TaskFinished = "task_finished",
        /// An identical task is open with other terms.
        TermsDiffer = "terms_differ",
        /// The task has as many funders as it can hold.
        TooManyFunders = "too_many_funders",
        /// The signer is not an active agent.
        UnknownAgent = "unknown_agent",
        /// No active agent takes this kind of task.
        UnknownKind = "unknown_kind",
        /// No such parent task.
        UnknownParent = "unknown_parent",
        /// No such task.
        UnknownTask = "unknown_task",
        /// The task is not verified this way.
        WrongMode = "wrong_mode",
    }
}

/// Why an included transaction failed, by the module whose rule refused it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
#[allow(clippy::enum_variant_names)]
pub enum FailureCode {
    /// A rule every module shares.
    LedgerFailure(LedgerFailure),
    /// A datanet rule.
    DatanetFailure(DatanetFailure),
    /// An inference rule.
    InferenceFailure(InferenceFailure),
    /// An agent or task rule.
    TaskFailure(TaskFailure),
}

impl FailureCode {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            FailureCode::LedgerFailure(f) => f.code(),
            FailureCode::DatanetFailure(f) => f.code(),
            FailureCode::InferenceFailure(f) => f.code(),
            FailureCode::TaskFailure(f) => f.code(),
        }
    }

    /// Every failure code.
    pub fn all() -> impl Iterator<Item = FailureCode> {
        let ledger = LedgerFailure::ALL.iter().map(|f| FailureCode::from(*f));
        let datanet = DatanetFailure::ALL.iter().map(|f| FailureCode::from(*f));
        let inference = InferenceFailure::ALL.iter().map(|f| FailureCode::from(*f));
        let tasks = TaskFailure::ALL.iter().map(|f| FailureCode::from(*f));
        ledger.chain(datanet).chain(inference).chain(tasks)
    }

    /// The failure with this code, if there is one.
    pub fn from_code(code: &str) -> Option<FailureCode> {
        FailureCode::all().find(|f| f.code() == code)
    }
}

impl fmt::Display for FailureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for FailureCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for FailureCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = <String as Deserialize>::deserialize(d)?;
        FailureCode::from_code(&code).ok_or_else(|| serde::de::Error::custom(format!("unknown failure code {code:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_round_trip() {
        let all: Vec<FailureCode> = FailureCode::all().collect();
        let mut codes: Vec<&str> = all.iter().map(|f| f.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len(), "a code is used by two failures");
        for f in all {
            assert!(f.code().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{f}");
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.code()));
            assert_eq!(serde_json::from_str::<FailureCode>(&json).unwrap(), f);
            assert_eq!(
                crate::encoding::decode::<FailureCode>(&crate::encoding::encode(&f), 16).unwrap(),
                f
            );
        }
        assert!(serde_json::from_str::<FailureCode>("\"no_such_code\"").is_err());
    }
}
