//! Merkle proofs checked in Python with the ledger's own code: an account as a node reports it
//! is believed only if its proof holds against a state root (the node's, or one the caller
//! trusts, e.g. from a finalized header).

use crate::client::parse;
use crate::errors;
use pyo3::prelude::*;
use sinew_sdk::AccountView;
use sinew_state::{verify_proof, Account, StateKey, StateProof};
use sinew_types::Hash;

fn proof_error(message: String) -> PyErr {
    Python::attach(|py| errors::raise(py, "ProofError", &message, &[]))
}

fn unhex(what: &str, s: &str) -> PyResult<Vec<u8>> {
    hex::decode(s).map_err(|_| proof_error(format!("the proof's {what} is not hex")))
}

/// Checks the proof of an account answer (the JSON text of `GET /v1/accounts/{address}`)
/// against `root` (64 hex; default: the state root the answer names): the proof holds, it is
/// the proof of this address's account, and the account shown is the account proven. Returns
/// the proven account's JSON text; raises `ProofError` otherwise.
#[pyfunction]
#[pyo3(signature = (account_json, root=None))]
pub fn verify_account(account_json: &str, root: Option<&str>) -> PyResult<String> {
    let view: AccountView = parse("account answer", account_json)?;
    let root: Hash = match root {
        Some(r) => r
            .parse()
            .map_err(|_| errors::invalid(format!("root must be 64 hex characters, got {r:?}")))?,
        None => view.proof.state_root,
    };
    let p = &view.proof;
    let key = unhex("key", &p.key)?;
    if key != StateKey::Account(view.address).encode() {
        return Err(proof_error(format!(
            "the proof is not of account {}'s key",
            view.address
        )));
    }
    let value = p.value.as_deref().map(|v| unhex("value", v)).transpose()?;
    let proof = StateProof(unhex("proof", &p.proof)?);
    verify_proof(root, &key, value.as_deref(), &proof)
        .map_err(|e| proof_error(format!("the proof does not hold against state root {root}: {e}")))?;
    let proven: Account = match &value {
        Some(v) => borsh::from_slice(v).map_err(|_| proof_error("the proven value is not an account".into()))?,
        None => Account::default(),
    };
    if value.is_some() != view.exists || proven != view.account {
        return Err(proof_error(format!(
            "the account shown for {} is not the account proven",
            view.address
        )));
    }
    Ok(serde_json::to_string(&proven).expect("an account serialises"))
}
