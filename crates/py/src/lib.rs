//! The native half of the `sinew` Python package (`sinew._sinew`): the SDK's transport and
//! transaction building, key files, Merkle proofs, contribution ingestion, vouchers and the
//! attribution engine, all from the Rust crates the node runs, so Python and the ledger can
//! never disagree on an encoding, a signature or an attribution. The typed client, the
//! exceptions and the helpers live in Python (`python/sinew`).

mod client;
mod datanet;
mod engine;
mod errors;
mod key;
mod proof;
mod voucher;

use pyo3::prelude::*;

/// The payload JSON schema (every transaction the ledger accepts), as JSON text.
#[pyfunction]
fn payload_schema() -> String {
    serde_json::to_string(&schemars::schema_for!(sinew_types::Payload)).expect("a schema serialises")
}

/// Every route of the node's API: (name, method, path template).
#[pyfunction]
fn routes() -> Vec<(String, &'static str, &'static str)> {
    sinew_types::api::Route::ALL
        .iter()
        .map(|r| {
            let (method, path) = r.endpoint();
            (format!("{r:?}"), method.name(), path)
        })
        .collect()
}

/// The native module.
#[pymodule]
fn _sinew(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<key::Key>()?;
    m.add_class::<client::Client>()?;
    m.add_class::<client::EventStream>()?;
    m.add_class::<engine::Engine>()?;
    m.add_function(wrap_pyfunction!(proof::verify_account, m)?)?;
    m.add_function(wrap_pyfunction!(datanet::ingest, m)?)?;
    m.add_function(wrap_pyfunction!(datanet::pdf_text, m)?)?;
    m.add_function(wrap_pyfunction!(datanet::format_for, m)?)?;
    m.add_function(wrap_pyfunction!(voucher::voucher_header, m)?)?;
    m.add_function(wrap_pyfunction!(voucher::api_key_hash, m)?)?;
    m.add_function(wrap_pyfunction!(payload_schema, m)?)?;
    m.add_function(wrap_pyfunction!(routes, m)?)?;
    Ok(())
}
