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

    /// An ed25519 signature of `message` (64 bytes).
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.inner.sign_bytes(message).0.to_vec()
    }

    fn __repr__(&self) -> String {
        format!("Key(address='{}')", self.inner.address())
    }
}
