//! Key files: one JSON file per key, mode 0600, optionally encrypted with a passphrase
//! (Argon2id key derivation, ChaCha20-Poly1305).

use anyhow::{bail, Context, Result};
use argon2::Argon2;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use clap::Subcommand;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sinew_types::{Address, Keypair};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Key commands.
#[derive(Subcommand)]
pub enum KeysCmd {
    /// Create a key.
    New {
        /// Name of the key file.
        name: String,
        /// Encrypt the key with a passphrase (from SINEW_PASSPHRASE or a prompt).
        #[arg(long)]
        encrypt: bool,
    },
    /// List keys.
    List,
    /// Show a key's address.
    Show {
        /// Key name.
        name: String,
    },
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

/// `~/.sinew/keys` (or `./.sinew/keys` without a home).
pub fn default_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".sinew")
        .join("keys")
}

fn path_of(dir: &Path, name: &str) -> Result<PathBuf> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        bail!("key name {name:?} must be letters, digits, '-' or '_'");
    }
    Ok(dir.join(format!("{name}.json")))
}

fn passphrase(confirm: bool) -> Result<String> {
    if let Ok(p) = std::env::var("SINEW_PASSPHRASE") {
        return Ok(p);
    }
    let p = rpassword::prompt_password("passphrase: ").context("reading passphrase")?;
    if confirm && rpassword::prompt_password("again: ")? != p {
        bail!("passphrases differ");
    }
    Ok(p)
}

fn derive(pass: &str, salt: &[u8]) -> Result<[u8; 32]> {
    let mut key = [0u8; 32];
    Argon2::default()
        .hash_password_into(pass.as_bytes(), salt, &mut key)
        .map_err(|e| anyhow::anyhow!("key derivation: {e}"))?;
    Ok(key)
}

/// Writes a key file with 0600 permissions; refuses to overwrite.
pub fn save(dir: &Path, name: &str, key: &Keypair, pass: Option<&str>) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = path_of(dir, name)?;
    let (secret, encrypted) = match pass {
        None => (Some(hex::encode(key.seed())), None),
        Some(p) => {
            let mut salt = [0u8; 16];
            let mut nonce = [0u8; 12];
            rand::rngs::OsRng.fill_bytes(&mut salt);
            rand::rngs::OsRng.fill_bytes(&mut nonce);
            let cipher = ChaCha20Poly1305::new(&derive(p, &salt)?.into());
            let ct = cipher
                .encrypt(Nonce::from_slice(&nonce), key.seed().as_slice())
                .map_err(|_| anyhow::anyhow!("encryption failed"))?;
            (
                None,
                Some(Encrypted {
                    kdf: "argon2id".into(),
                    salt: hex::encode(salt),
                    nonce: hex::encode(nonce),
                    ciphertext: hex::encode(ct),
                }),
            )
        }
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
    let mut f = opts
        .open(&path)
        .with_context(|| format!("creating {} (does the key exist already?)", path.display()))?;
    f.write_all(serde_json::to_string_pretty(&file)?.as_bytes())?;
    f.sync_all()?;
    Ok(path)
}

/// Loads a key by name (asking for the passphrase if it is encrypted).
pub fn load(dir: &Path, name: &str) -> Result<Keypair> {
    load_with(dir, name, None)
}

/// Loads a key by name with a given passphrase (or from SINEW_PASSPHRASE or a prompt).
pub fn load_with(dir: &Path, name: &str, pass: Option<&str>) -> Result<Keypair> {
    let path = path_of(dir, name)?;
    let text = std::fs::read_to_string(&path).with_context(|| format!("no key {name:?} in {}", dir.display()))?;
    let file: KeyFile = serde_json::from_str(&text).with_context(|| format!("{} is not a key file", path.display()))?;
    let seed: Vec<u8> = match (&file.secret, &file.encrypted) {
        (Some(s), None) => hex::decode(s).context("secret is not hex")?,
        (None, Some(e)) => {
            let pass = match pass {
                Some(p) => p.to_string(),
                None => passphrase(false)?,
            };
            let cipher = ChaCha20Poly1305::new(&derive(&pass, &hex::decode(&e.salt)?)?.into());
            cipher
                .decrypt(
                    Nonce::from_slice(&hex::decode(&e.nonce)?),
                    hex::decode(&e.ciphertext)?.as_slice(),
                )
                .map_err(|_| anyhow::anyhow!("wrong passphrase for key {name:?}"))?
        }
        _ => bail!("{} must hold exactly one of secret or encrypted", path.display()),
    };
    let seed: [u8; 32] = seed
        .try_into()
        .map_err(|_| anyhow::anyhow!("secret must be 32 bytes"))?;
    let key = Keypair::from_seed(&seed);
    if key.address() != file.address {
        bail!(
            "key file {} is inconsistent: its secret does not match its address",
            path.display()
        );
    }
    Ok(key)
}

/// Resolves an address given as hex or as the name of a key file.
pub fn resolve_address(dir: &Path, s: &str) -> Result<Address> {
    if let Ok(a) = s.parse() {
        return Ok(a);
    }
    let text = std::fs::read_to_string(path_of(dir, s)?)
        .with_context(|| format!("{s:?} is neither a 64-hex address nor a key name"))?;
    Ok(serde_json::from_str::<KeyFile>(&text)?.address)
}

/// Runs a key command.
pub fn run(cmd: KeysCmd, dir: &Path) -> Result<()> {
    match cmd {
        KeysCmd::New { name, encrypt } => {
            let key = Keypair::generate();
            let pass = if encrypt { Some(passphrase(true)?) } else { None };
            let path = save(dir, &name, &key, pass.as_deref())?;
            println!("{}  {}", key.address(), path.display());
        }
        KeysCmd::List => {
            let mut names: Vec<_> = std::fs::read_dir(dir)
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|x| x == "json"))
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            for p in names {
                if let Ok(f) = serde_json::from_str::<KeyFile>(&std::fs::read_to_string(&p)?) {
                    println!(
                        "{:<20} {} {}",
                        f.name,
                        f.address,
                        if f.encrypted.is_some() { "(encrypted)" } else { "" }
                    );
                }
            }
        }
        KeysCmd::Show { name } => println!("{}", resolve_address(dir, &name)?),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_roundtrip_plain_and_encrypted_with_private_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let k = Keypair::generate();
        let p = save(dir.path(), "plain", &k, None).unwrap();
        assert_eq!(load(dir.path(), "plain").unwrap().address(), k.address());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(save(dir.path(), "plain", &k, None).is_err(), "never overwrites");
        save(dir.path(), "locked", &k, Some("hunter2")).unwrap();
        let text = std::fs::read_to_string(dir.path().join("locked.json")).unwrap();
        assert!(
            !text.contains(&hex::encode(k.seed())),
            "the secret is not stored in clear"
        );
        assert_eq!(
            load_with(dir.path(), "locked", Some("hunter2")).unwrap().address(),
            k.address()
        );
        assert!(load_with(dir.path(), "locked", Some("wrong"))
            .unwrap_err()
            .to_string()
            .contains("wrong passphrase"));
        assert!(save(dir.path(), "../escape", &k, None).is_err());
        assert_eq!(resolve_address(dir.path(), "locked").unwrap(), k.address());
    }
}
