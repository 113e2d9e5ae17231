//! Per-request vouchers: the payer's signed consent to one request (its id, model and most fee),
//! sent to the gateway in the `sinew-voucher` header; API keys registered to require vouchers
//! accept nothing else.

use crate::errors;
use crate::key::Key;
use pyo3::prelude::*;
use sinew_types::inference::Voucher;
use sinew_types::Hash;

fn hash_arg(what: &str, s: &str) -> PyResult<Hash> {
    s.parse()
        .map_err(|_| errors::invalid(format!("{what} must be 64 hex characters, got {s:?}")))
}

/// The value of the `sinew-voucher` header: a voucher signed by `key` (the API key's voucher
/// key) for the API key whose BLAKE3 hash is `api_key_hash`. `request_id` (64 hex) makes it
/// single use; `max_fee` is an int of base units.
#[pyfunction]
pub fn voucher_header(
    key: &Key,
    chain_id: &str,
    api_key_hash: &str,
    request_id: &str,
    model: u64,
    max_fee: u128,
    valid_until: u64,
) -> PyResult<String> {
    let api_key = hash_arg("api_key_hash", api_key_hash)?;
    let request_id = hash_arg("request_id", request_id)?;
    let v = Voucher::sign(&key.inner, chain_id, &api_key, request_id, model, max_fee, valid_until);
    Ok(hex::encode(borsh::to_vec(&v).expect("a voucher encodes")))
}

/// The hash under which an API key is registered (what `RegisterApiKey` names).
#[pyfunction]
pub fn api_key_hash(api_key: &str) -> String {
    sinew_types::records::api_key_hash(api_key).to_string()
}
