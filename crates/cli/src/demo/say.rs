//! How the demo speaks: numbered steps, and transactions that must succeed.

use anyhow::{bail, Result};
use sinew_sdk::{Client, Committed, SdkError};
use sinew_types::{Keypair, Payload};

/// Prints a step's title.
pub fn step(title: &str) {
    println!("\n== {title}");
}

/// Sends a transaction that must commit successfully; the error says why not, with its code.
pub fn committed(c: &Client, key: &Keypair, payload: Payload) -> Result<Committed> {
    match c.send(key, payload) {
        Ok(done) => Ok(done),
        Err(SdkError::Failed { code, message, .. }) => bail!("{message} ({code})"),
        Err(SdkError::Refused { code, message, .. }) => bail!("{message} ({code})"),
        Err(SdkError::Dropped { code, reason, .. }) => bail!("{reason} ({code})"),
        Err(e) => Err(e.into()),
    }
}
