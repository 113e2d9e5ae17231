//! An account as a node reports it (`GET /v1/accounts/{address}`), believed only if its Merkle
//! proof holds against a state root the reader trusts and proves exactly the account shown: what
//! every client (the CLI, the Python package, the MCP server) checks before it shows a balance.

use crate::{verify_proof, Account, StateKey, StateProof};
use sinew_types::wire::AccountView;
use sinew_types::{Address, Hash};

/// Why an account answer is not believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountProofError {
    /// A hex field of the proof does not decode.
    #[error("the proof's {0} is not hex")]
    NotHex(&'static str),
    /// The proof is of another state key than this address's account.
    #[error("the proof is not of account {0}'s key")]
    WrongKey(Address),
    /// The proof does not hold against the root.
    #[error("the proof does not hold against state root {root}: {reason}")]
    DoesNotHold {
        /// The root checked against.
        root: Hash,
        /// Why.
        reason: String,
    },
    /// The proven value is not an encoded account.
    #[error("the proven value is not an account")]
    NotAnAccount,
    /// The account shown differs from the account proven.
    #[error("the account shown for {0} is not the account proven")]
    Mismatch(Address),
}

/// The proven account of `view`, checked against `root` (the state root the answer names, when
/// the caller trusts nothing better).
pub fn verify_account_view(view: &AccountView, root: Hash) -> Result<Account, AccountProofError> {
    let p = &view.proof;
    let unhex = |what, s: &str| hex::decode(s).map_err(|_| AccountProofError::NotHex(what));
    let key = unhex("key", &p.key)?;
    if key != StateKey::Account(view.address).encode() {
        return Err(AccountProofError::WrongKey(view.address));
    }
    let value = p.value.as_deref().map(|v| unhex("value", v)).transpose()?;
    let proof = StateProof(unhex("proof", &p.proof)?);
    verify_proof(root, &key, value.as_deref(), &proof).map_err(|e| AccountProofError::DoesNotHold {
        root,
        reason: e.to_string(),
    })?;
    let proven: Account = match &value {
        Some(v) => borsh::from_slice(v).map_err(|_| AccountProofError::NotAnAccount)?,
        None => Account::default(),
    };
    if value.is_some() != view.exists || proven != view.account {
        return Err(AccountProofError::Mismatch(view.address));
    }
    Ok(proven)
}
