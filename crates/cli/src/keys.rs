//! `sinew keys`: create, list and show keys, and loading them for other commands (asking for
//! the passphrase of an encrypted one). The file format lives in `sinew_sdk::keystore`.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use sinew_sdk::Keystore;
use sinew_types::{Address, Keypair};
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

/// `~/.sinew/keys` (or `./.sinew/keys` without a home).
pub fn default_dir() -> PathBuf {
    Keystore::default_dir()
}

/// The passphrase: SINEW_PASSPHRASE, or asked on the terminal.
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

/// Writes key `name` in `dir` (encrypted with `pass` if given); never overwrites.
pub fn save(dir: &Path, name: &str, key: &Keypair, pass: Option<&str>) -> Result<PathBuf> {
    Ok(Keystore::new(dir).save(name, key, pass)?)
}

/// Loads key `name` from `dir`, asking for its passphrase if it is encrypted.
pub fn load(dir: &Path, name: &str) -> Result<Keypair> {
    let ks = Keystore::new(dir);
    let pass = if ks.is_encrypted(name)? {
        Some(passphrase(false)?)
    } else {
        None
    };
    Ok(ks.load(name, pass.as_deref())?)
}

/// An address given as 64 hex characters or as the name of a key in `dir`.
pub fn resolve_address(dir: &Path, s: &str) -> Result<Address> {
    Keystore::new(dir)
        .resolve_address(s)
        .with_context(|| format!("{s:?} is neither a 64-hex address nor a key name"))
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
            let ks = Keystore::new(dir);
            for name in ks.names()? {
                let lock = if ks.is_encrypted(&name)? { "(encrypted)" } else { "" };
                println!("{:<20} {} {lock}", name, ks.address(&name)?);
            }
        }
        KeysCmd::Show { name } => println!("{}", resolve_address(dir, &name)?),
    }
    Ok(())
}
