//! `sinew._sinew.Client`: the transport under the typed Python client (`sinew.client`). It talks
//! to one node through the Rust SDK (so requests, errors and transaction building have one
//! implementation), releases the GIL while it waits, and hands JSON text to Python.

use crate::errors;
use crate::key::Key;
use pyo3::prelude::*;
use sinew_sdk::{Client as Sdk, EventFilter, SdkError};
use sinew_types::inference::Voucher;
use sinew_types::{Hash, Payload, SignedTransaction};
use std::sync::Mutex;

/// A connection to one node.
#[pyclass(frozen, module = "sinew._sinew")]
pub struct Client {
    sdk: Sdk,
}

/// Parses JSON text handed over by Python into `T`, or says what is wrong with it.
pub fn parse<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> PyResult<T> {
    serde_json::from_str(json).map_err(|e| errors::invalid(format!("{what}: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("answers serialise")
}

/// The JSON of a committed transaction: id, height, index and receipt.
pub fn committed_json(c: &sinew_sdk::Committed) -> String {
    to_json(&serde_json::json!({
        "tx_id": c.tx_id,
        "height": c.height,
        "index": c.index,
        "receipt": c.receipt,
    }))
}

impl Client {
    /// Runs a call with the GIL released, mapping its error to a Python exception.
    fn call<T: Send>(&self, py: Python<'_>, f: impl FnOnce(&Sdk) -> Result<T, SdkError> + Send) -> PyResult<T> {
        py.detach(|| f(&self.sdk)).map_err(errors::sdk)
    }

    /// The SDK client (for the other bindings).
    pub fn sdk(&self) -> &Sdk {
        &self.sdk
    }
}

#[pymethods]
impl Client {
    /// A client of the node at `url` (for example `http://127.0.0.1:8645`).
    #[new]
    fn new(url: &str) -> PyResult<Client> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(errors::invalid(format!(
                "node url must start with http:// or https://, got {url:?}"
            )));
        }
        Ok(Client { sdk: Sdk::new(url) })
    }

    /// The node's base URL.
    #[getter]
    fn url(&self) -> String {
        self.sdk.url().to_string()
    }

    /// GET `path` (with its query string); the answer's JSON text.
    fn get(&self, py: Python<'_>, path: &str) -> PyResult<String> {
        let v: serde_json::Value = self.call(py, |c| c.get(path))?;
        Ok(to_json(&v))
    }

    /// POST the JSON text `body` to `path`; the answer's JSON text.
    fn post(&self, py: Python<'_>, path: &str, body: &str) -> PyResult<String> {
        let body: serde_json::Value = parse("request body", body)?;
        let v: serde_json::Value = self.call(py, |c| c.post_json(path, &body))?;
        Ok(to_json(&v))
    }

    /// The node's Prometheus metrics (text).
    fn metrics(&self, py: Python<'_>) -> PyResult<String> {
        self.call(py, |c| c.metrics())
    }

    /// POSTs an OpenAI-style request (JSON text) to `path` with `api_key`, and the voucher
    /// header's value if given; the answer's JSON text.
    #[pyo3(signature = (path, api_key, body, voucher=None))]
    fn openai(&self, py: Python<'_>, path: &str, api_key: &str, body: &str, voucher: Option<&str>) -> PyResult<String> {
        let body: serde_json::Value = parse("request body", body)?;
        let voucher: Option<Voucher> = voucher
            .map(|v| {
                hex::decode(v)
                    .ok()
                    .and_then(|b| borsh::from_slice(&b).ok())
                    .ok_or_else(|| errors::invalid("voucher: not the hex of a voucher (use sinew.voucher_header)"))
            })
            .transpose()?;
        let v: serde_json::Value = self.call(py, |c| c.openai(path, api_key, &body, voucher.as_ref()))?;
        Ok(to_json(&v))
    }

    /// Signs the payload (JSON text, `{"module": ..., "type": ..., ...}`) with `key`, submits it
    /// and waits until it is committed. Returns the committed transaction's JSON; raises
    /// `TxFailed`, `TxRefused` or `TxDropped` with the ledger's code otherwise.
    fn send(&self, py: Python<'_>, key: &Key, payload: &str) -> PyResult<String> {
        let payload: Payload = parse("payload", payload)?;
        let done = self.call(py, |c| c.send(&key.inner, payload))?;
        Ok(committed_json(&done))
    }

    /// Builds and signs a transaction without submitting it (nonce from the node unless
    /// given); its JSON text.
    #[pyo3(signature = (key, payload, nonce=None))]
    fn build(&self, py: Python<'_>, key: &Key, payload: &str, nonce: Option<u64>) -> PyResult<String> {
        let payload: Payload = parse("payload", payload)?;
        let tx = self.call(py, |c| c.build(&key.inner, payload, nonce))?;
        Ok(to_json(&tx))
    }

    /// Submits a signed transaction (JSON text), waiting for its commit if `wait`.
    #[pyo3(signature = (tx, wait=true))]
    fn submit(&self, py: Python<'_>, tx: &str, wait: bool) -> PyResult<String> {
        let tx: SignedTransaction = parse("transaction", tx)?;
        let reply = self.call(py, |c| c.submit(&tx, wait))?;
        Ok(to_json(&reply))
    }

    /// Uploads a blob; `progress(n)` is called as each chunk of `n` bytes leaves. Its JSON
    /// (`blob`, `size`).
    #[pyo3(signature = (data, progress=None))]
    fn upload_blob(&self, py: Python<'_>, data: Vec<u8>, progress: Option<Py<PyAny>>) -> PyResult<String> {
        let len = data.len() as u64;
        let reader = Progress {
            inner: std::io::Cursor::new(data),
            callback: progress,
        };
        let stored = self.call(py, |c| c.upload_blob(reader, Some(len)))?;
        Ok(to_json(&stored))
    }

    /// A blob's bytes, refusing more than `max_bytes`.
    #[pyo3(signature = (blob, max_bytes=1u64 << 32))]
    fn blob(&self, py: Python<'_>, blob: &str, max_bytes: u64) -> PyResult<Vec<u8>> {
        let id: Hash = blob
            .parse()
            .map_err(|_| errors::invalid(format!("blob id must be 64 hex characters, got {blob:?}")))?;
        self.call(py, |c| c.blob_at_most(&id, max_bytes))
    }

    /// The event stream, filtered by the JSON text of an event filter.
    fn events(&self, py: Python<'_>, filter: &str) -> PyResult<EventStream> {
        let filter: EventFilter = parse("event filter", filter)?;
        let stream = self.call(py, |c| c.events(&filter))?;
        Ok(EventStream {
            inner: Mutex::new(stream),
        })
    }
}

/// A reader that reports progress to a Python callable.
struct Progress<R> {
    inner: R,
    callback: Option<Py<PyAny>>,
}

impl<R: std::io::Read> std::io::Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let (Some(cb), true) = (&self.callback, n > 0) {
            Python::attach(|py| cb.call1(py, (n,))).map_err(|e| std::io::Error::other(e.to_string()))?;
        }
        Ok(n)
    }
}

/// Events as they are committed: iterate to get each one's JSON text.
#[pyclass(module = "sinew._sinew")]
pub struct EventStream {
    inner: Mutex<sinew_sdk::EventStream>,
}

#[pymethods]
impl EventStream {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<String>> {
        let next = py.detach(|| self.inner.lock().expect("event stream lock").next());
        match next {
            None => Ok(None),
            Some(Ok(record)) => Ok(Some(to_json(&record))),
            Some(Err(e)) => Err(errors::sdk(e)),
        }
    }
}
