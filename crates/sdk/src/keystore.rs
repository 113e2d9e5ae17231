//! Key files: one JSON file per key (`<name>.json`, mode 0600), the secret in hex or encrypted
//! with a passphrase (Argon2id, then ChaCha20-Poly1305). The CLI writes them; the SDK (and the
//! Python package on it) loads them as they are.

use argon2::Argon2;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sinew_types::{Address, Keypair};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a key could not be saved or loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// Names are letters, digits, '-' and '_'.
    #[error("key name {0:?} must be letters, digits, '-' or '_'")]
    BadName(String),
    /// No such key file.
    #[error("no key {name:?} in {dir}")]
    NotFound {
        /// The key's name.
        name: String,
        /// Where it was looked for.
        dir: PathBuf,
    },
    /// The key file exists already (keys are never overwritten).
    #[error("{0} exists already")]
    Exists(PathBuf),
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a key file, or is inconsistent.
    #[error("{path} is not a valid key file: {why}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The key is encrypted and no passphrase was given.
    #[error("key {0:?} is encrypted: a passphrase is needed")]
    NeedsPassphrase(String),
    /// The passphrase does not open the key.
    #[error("wrong passphrase for key {0:?}")]
    WrongPassphrase(String),
    /// Key derivation or encryption failed.
    #[error("key encryption: {0}")]
    Crypto(String),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    name: String,
    address: Address,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encrypted: Option<Encrypted>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Encrypted {
    kdf: String,
    salt: String,
    nonce: String,
    ciphertext: String,
}

/// A directory of key files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keystore {
    dir: PathBuf,
}

impl Keystore {
    /// The key files in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Keystore {
        Keystore { dir: dir.into() }
    }

    /// `~/.sinew/keys` (or `./.sinew/keys` without a home).
    pub fn default_dir() -> PathBuf {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".sinew")
            .join("keys")
    }

    /// Its directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, name: &str) -> Result<PathBuf, KeystoreError> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(KeystoreError::BadName(name.into()));
        }
        Ok(self.dir.join(format!("{name}.json")))
    }

    /// Writes key `name` (encrypted with `pass` if given), mode 0600; never overwrites.
    pub fn save(&self, name: &str, key: &Keypair, pass: Option<&str>) -> Result<PathBuf, KeystoreError> {
        let path = self.path_of(name)?;
        let io = |source| KeystoreError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let (secret, encrypted) = match pass {
            None => (Some(hex::encode(key.seed())), None),
            Some(p) => (None, Some(encrypt(p, &key.seed())?)),
        };
        let file = KeyFile {
            name: name.into(),
            address: key.address(),
            secret,
            encrypted,
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => KeystoreError::Exists(path.clone()),
            _ => io(e),
        })?;
        let text = serde_json::to_string_pretty(&file).expect("a key file serialises");
        f.write_all(text.as_bytes()).and_then(|()| f.sync_all()).map_err(io)?;
        Ok(path)
    }

    /// Loads key `name`; an encrypted one needs `pass`.
    pub fn load(&self, name: &str, pass: Option<&str>) -> Result<Keypair, KeystoreError> {
        let (path, file) = self.read(name)?;
        let corrupt = |why: &str| KeystoreError::Corrupt {
            path: path.clone(),
            why: why.into(),
        };
        let seed: Vec<u8> = match (&file.secret, &file.encrypted) {
            (Some(s), None) => hex::decode(s).map_err(|_| corrupt("the secret is not hex"))?,
            (None, Some(e)) => {
                let pass = pass.ok_or_else(|| KeystoreError::NeedsPassphrase(name.into()))?;
                decrypt(pass, e, name).map_err(|e| match e {
                    KeystoreError::Corrupt { why, .. } => corrupt(&why),
                    other => other,
                })?
            }
            _ => return Err(corrupt("it must hold exactly one of secret or encrypted")),
        };
        let seed: [u8; 32] = seed.try_into().map_err(|_| corrupt("the secret must be 32 bytes"))?;
        let key = Keypair::from_seed(&seed);
        if key.address() != file.address {
            return Err(corrupt("its secret does not match its address"));
        }
        Ok(key)
    }

    /// Whether key `name` is encrypted.
    pub fn is_encrypted(&self, name: &str) -> Result<bool, KeystoreError> {
        Ok(self.read(name)?.1.encrypted.is_some())
    }

    /// The address of key `name` (no passphrase needed).
    pub fn address(&self, name: &str) -> Result<Address, KeystoreError> {
        Ok(self.read(name)?.1.address)
    }

    /// An address given as 64 hex characters or as the name of a key.
    pub fn resolve_address(&self, s: &str) -> Result<Address, KeystoreError> {
        match s.parse() {
            Ok(a) => Ok(a),
            Err(_) => self.address(s),
        }
    }

    /// The names of the keys, sorted.
    pub fn names(&self) -> Result<Vec<String>, KeystoreError> {
        let io = |source| KeystoreError::Io {
            path: self.dir.clone(),
            source,
        };
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(e)),
        };
        let mut names = Vec::new();
        for e in entries {
            let p = e.map_err(io)?.path();
            if p.extension().is_some_and(|x| x == "json") {
                if let Some(stem) = p.file_stem().and_then(|s| s.to_str()) {
                    names.push(stem.to_string());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    fn read(&self, name: &str) -> Result<(PathBuf, KeyFile), KeystoreError> {
        let path = self.path_of(name)?;
        let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => KeystoreError::NotFound {
                name: name.into(),
                dir: self.dir.clone(),
            },
            _ => KeystoreError::Io {
                path: path.clone(),
                source: e,
            },
        })?;
        let file = serde_json::from_str(&text).map_err(|e| KeystoreError::Corrupt {
            path: path.clone(),
            why: e.to_string(),
        })?;
        Ok((path, file))
    }
}

fn derive(pass: &str, salt: &[u8]) -> Result<[u8; 32], KeystoreError> {
    let mut key = [0u8; 32];
    Argon2::default()
        .hash_password_into(pass.as_bytes(), salt, &mut key)
        .map_err(|e| KeystoreError::Crypto(e.to_string()))?;
    Ok(key)
}

fn encrypt(pass: &str, seed: &[u8]) -> Result<Encrypted, KeystoreError> {
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let cipher = ChaCha20Poly1305::new(&derive(pass, &salt)?.into());
    let ct = cipher
        .encrypt(Nonce::from_slice(&nonce), seed)
        .map_err(|_| KeystoreError::Crypto("encryption failed".into()))?;
    Ok(Encrypted {
        kdf: "argon2id".into(),
        salt: hex::encode(salt),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ct),
    })
}

fn decrypt(pass: &str, e: &Encrypted, name: &str) -> Result<Vec<u8>, KeystoreError> {
    let corrupt = |why: &str| KeystoreError::Corrupt {
        path: PathBuf::new(),
        why: why.into(),
    };
    let hex = |s: &str, what: &str| hex::decode(s).map_err(|_| corrupt(&format!("{what} is not hex")));
    let (salt, nonce, ct) = (
        hex(&e.salt, "salt")?,
        hex(&e.nonce, "nonce")?,
        hex(&e.ciphertext, "ciphertext")?,
    );
    if nonce.len() != 12 {
        return Err(corrupt("the nonce must be 12 bytes"));
    }
    let cipher = ChaCha20Poly1305::new(&derive(pass, &salt)?.into());
    cipher
        .decrypt(Nonce::from_slice(&nonce), ct.as_slice())
        .map_err(|_| KeystoreError::WrongPassphrase(name.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_plain_and_encrypted_and_refuse_what_they_should() {
        let dir = tempfile::tempdir().unwrap();
        let ks = Keystore::new(dir.path());
        let (a, b) = (Keypair::generate(), Keypair::generate());
        let plain = ks.save("plain", &a, None).unwrap();
        ks.save("locked", &b, Some("hunter2")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let locked = std::fs::read_to_string(dir.path().join("locked.json")).unwrap();
        assert!(
            !locked.contains(&hex::encode(b.seed())),
            "the secret is not stored in clear"
        );
        assert_eq!(ks.load("plain", None).unwrap().address(), a.address());
        assert_eq!(ks.load("locked", Some("hunter2")).unwrap().address(), b.address());
        assert!(matches!(
            ks.load("locked", None),
            Err(KeystoreError::NeedsPassphrase(_))
        ));
        assert!(matches!(
            ks.load("locked", Some("wrong")),
            Err(KeystoreError::WrongPassphrase(_))
        ));
        assert!(matches!(ks.save("plain", &b, None), Err(KeystoreError::Exists(_))));
        assert!(matches!(ks.load("../etc", None), Err(KeystoreError::BadName(_))));
        assert!(matches!(ks.load("absent", None), Err(KeystoreError::NotFound { .. })));
        assert_eq!(ks.names().unwrap(), ["locked", "plain"]);
        assert_eq!(ks.resolve_address("locked").unwrap(), b.address());
        assert_eq!(ks.resolve_address(&a.address().to_string()).unwrap(), a.address());
        assert!(ks.is_encrypted("locked").unwrap() && !ks.is_encrypted("plain").unwrap());
        // A file whose secret does not match its address is refused.
        let text = std::fs::read_to_string(dir.path().join("plain.json")).unwrap();
        let forged = text.replace(&a.address().to_string(), &b.address().to_string());
        std::fs::write(dir.path().join("forged.json"), forged).unwrap();
        assert!(matches!(ks.load("forged", None), Err(KeystoreError::Corrupt { .. })));
    }
}
