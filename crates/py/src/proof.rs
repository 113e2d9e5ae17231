//! Merkle proofs checked in Python with the ledger's own code: an account as a node reports it
//! is believed only if its proof holds against a state root (the node's, or one the caller
//! trusts, e.g. from a finalized header).

use crate::client::parse;
use crate::errors;
use pyo3::prelude::*;
use sinew_sdk::AccountView;
use sinew_state::verify_account_view;
use sinew_types::Hash;

fn proof_error(message: String) -> PyErr {
    Python::attach(|py| errors::raise(py, "ProofError", &message, &[]))
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
    let proven = verify_account_view(&view, root).map_err(|e| proof_error(e.to_string()))?;
    Ok(serde_json::to_string(&proven).expect("an account serialises"))
}
