//! Rust errors as the `sinew.errors` exceptions (defined in Python, so that they can also be
//! `ValueError`, `ConnectionError` or `LookupError` and be caught as such), each carrying the
//! fields a caller acts on: the HTTP status and error code of a refusal, the ledger's failure
//! code and transaction id of a failed transaction.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use sinew_sdk::{KeystoreError, SdkError};

/// An exception of `sinew.errors` by class name, with `message` and attributes.
pub fn raise(py: Python<'_>, class: &str, message: &str, attrs: &[(&str, Py<PyAny>)]) -> PyErr {
    let made = (|| -> PyResult<PyErr> {
        let cls = py.import("sinew.errors")?.getattr(class)?;
        let kwargs = PyDict::new(py);
        for (k, v) in attrs {
            kwargs.set_item(*k, v)?;
        }
        let exc = cls.call((message,), Some(&kwargs))?;
        Ok(PyErr::from_value(exc))
    })();
    made.unwrap_or_else(|e| PyRuntimeError::new_err(format!("{message} (and sinew.errors failed: {e})")))
}

/// Malformed input, refused before anything was sent: `sinew.errors.InvalidInput`.
pub fn invalid(message: impl AsRef<str>) -> PyErr {
    Python::attach(|py| raise(py, "InvalidInput", message.as_ref(), &[]))
}

/// An SDK error as the matching exception.
pub fn sdk(e: SdkError) -> PyErr {
    Python::attach(|py| {
        let s = |v: &str| v.into_pyobject(py).expect("str").into_any().unbind();
        let message = e.to_string();
        match &e {
            SdkError::Api {
                status,
                code,
                message: m,
            } => {
                let class = if *status == 404 { "NotFound" } else { "NodeError" };
                let status = status.into_pyobject(py).expect("int").into_any().unbind();
                raise(
                    py,
                    class,
                    &message,
                    &[("status", status), ("code", s(code)), ("detail", s(m))],
                )
            }
            SdkError::Transport(_) => raise(py, "Unreachable", &message, &[]),
            SdkError::Decode(_) => raise(py, "NodeError", &message, &[("code", s("bad_answer"))]),
            SdkError::Failed { tx, code, message: m } => raise(
                py,
                "TxFailed",
                &message,
                &[
                    ("tx_id", s(&tx.to_string())),
                    ("code", s(code.code())),
                    ("detail", s(m)),
                ],
            ),
            SdkError::Refused { tx, code, message: m } => raise(
                py,
                "TxRefused",
                &message,
                &[("tx_id", s(&tx.to_string())), ("code", s(code)), ("detail", s(m))],
            ),
            SdkError::Pending { tx } => raise(
                py,
                "TxPending",
                &message,
                &[
                    ("tx_id", s(&tx.to_string())),
                    ("code", s("pending")),
                    ("detail", s("may still commit")),
                ],
            ),
            SdkError::Dropped { tx, code, reason } => raise(
                py,
                "TxDropped",
                &message,
                &[("tx_id", s(&tx.to_string())), ("code", s(code)), ("detail", s(reason))],
            ),
        }
    })
}

/// A key file error as `sinew.errors.KeyFileError`.
pub fn keystore(e: KeystoreError) -> PyErr {
    Python::attach(|py| raise(py, "KeyFileError", &e.to_string(), &[]))
}
