//! `sinew.Key`: an ed25519 signing key, generated, derived, or loaded from the CLI's key files
//! exactly as `sinew keys` writes them (passphrase-encrypted ones too).

use crate::errors;
use pyo3::prelude::*;
use sinew_sdk::Keystore;
use sinew_types::Keypair;
use std::path::{Path, PathBuf};

/// A signing key. Its secret never leaves this object except through `save`.
#[pyclass(frozen, module = "sinew")]
pub struct Key {
    pub(crate) inner: Keypair,
}

/// The bytes `Key.sign` signs: a domain tag no ledger message starts with, the length, the message.
fn statement(message: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(24 + message.len());
    m.extend_from_slice(b"sinew/statement/v1");
    m.extend_from_slice(&(message.len() as u64).to_le_bytes());
    m.extend_from_slice(message);
    m
}

/// The keystore and key name a `name_or_path` means: a path to a `.json` key file, or the name
/// of a key in `keystore` (default: the CLI's keystore).
fn locate(name_or_path: &str, keystore: Option<PathBuf>) -> (Keystore, String) {
    let p = Path::new(name_or_path);
    if name_or_path.ends_with(".json") || p.components().count() > 1 {
        let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
        let name = p.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_string();
        return (Keystore::new(dir), name);
    }
    let ks = keystore
        .map(Keystore::new)
        .unwrap_or_else(|| Keystore::new(Keystore::default_dir()));
    (ks, name_or_path.to_string())
}

#[pymethods]
impl Key {
    /// A new random key.
    #[staticmethod]
    fn generate() -> Key {
        Key {
            inner: Keypair::generate(),
        }
    }

    /// The key of a 32-byte seed given as 64 hex characters.
    #[staticmethod]
    fn from_seed(seed_hex: &str) -> PyResult<Key> {
        let seed = sinew_types::hash::parse_hex32(seed_hex)
            .map_err(|e| errors::invalid(format!("seed: {e} (expected 64 hex characters)")))?;
        Ok(Key {
            inner: Keypair::from_seed(&seed),
        })
    }

    /// The publicly known dev key of `label` (`sinew devnet` funds `devnet-0`, `devnet-1`, ...).
    /// Never hold value with it.
    #[staticmethod]
    fn dev(label: &str) -> Key {
        Key {
            inner: Keypair::dev(label),
        }
    }

    /// Loads a key file: a path (`keys/dev0.json`) or a key name in `keystore` (default: the
    /// CLI's keystore). An encrypted file needs `passphrase`.
    #[staticmethod]
    #[pyo3(signature = (name_or_path, passphrase=None, keystore=None))]
    fn load(name_or_path: &str, passphrase: Option<&str>, keystore: Option<PathBuf>) -> PyResult<Key> {
        let (ks, name) = locate(name_or_path, keystore);
        let inner = ks.load(&name, passphrase).map_err(errors::keystore)?;
        Ok(Key { inner })
    }

    /// Writes this key as `name` in `keystore` (default: the CLI's), encrypted with `passphrase`
    /// if given; never overwrites. Returns the file's path.
    #[pyo3(signature = (name, passphrase=None, keystore=None))]
    fn save(&self, name: &str, passphrase: Option<&str>, keystore: Option<PathBuf>) -> PyResult<PathBuf> {
        let ks = keystore
            .map(Keystore::new)
            .unwrap_or_else(|| Keystore::new(Keystore::default_dir()));
        ks.save(name, &self.inner, passphrase).map_err(errors::keystore)
    }

    /// The account address (hex of the public key).
    #[getter]
    fn address(&self) -> String {
        self.inner.address().to_string()
    }

    /// A signature (64 bytes) of `message` as an off-ledger statement: the bytes signed are a
    /// domain tag, the length and the message, so nothing signed here can ever be a transaction
    /// or a voucher, whatever bytes someone asks this key to sign.
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.inner.sign_bytes(&statement(message)).0.to_vec()
    }

    /// Whether `signature` is `address`'s signature of `message` made by `Key.sign`.
    #[staticmethod]
    fn verify(address: &str, message: &[u8], signature: &[u8]) -> PyResult<bool> {
        let signer: sinew_types::Address = address
            .parse()
            .map_err(|_| errors::invalid(format!("address must be 64 hex characters, got {address:?}")))?;
        let Ok(sig) = <[u8; 64]>::try_from(signature) else {
            return Ok(false);
        };
        let msg = statement(message);
        let item = sinew_types::signing::SigItem {
            message: &msg,
            signature: &sinew_types::SignatureBytes(sig),
            signer: &signer,
        };
        Ok(sinew_types::signing::verify_one(&item).is_ok())
    }

    fn __repr__(&self) -> String {
        format!("Key(address='{}')", self.inner.address())
    }
}
