//! Every client command sends its transaction the same way: signed with the next nonce and the
//! current fee, submitted, waited for until durable, and reported. A refusal, a drop or a
//! failure in the block is an error (non-zero exit, the ledger's code on stderr).

use anyhow::{bail, Result};
use sinew_sdk::{Client, Committed, SdkError};
use sinew_types::{Keypair, Payload};

/// Sends `payload` signed by `key`; prints `TX committed at height H: success (fee F)`.
pub fn send(c: &Client, key: &Keypair, payload: Payload) -> Result<Committed> {
    match c.send(key, payload) {
        Ok(done) => {
            println!(
                "{} committed at height {}: success (fee {})",
                done.tx_id, done.height, done.receipt.fee
            );
            Ok(done)
        }
        Err(SdkError::Failed { tx, code, message }) => bail!("transaction {tx} failed ({code}): {message}"),
        Err(SdkError::Refused { tx, code, message }) => bail!("transaction {tx} refused ({code}): {message}"),
        Err(SdkError::Dropped { tx, code, reason }) => bail!("transaction {tx} dropped ({code}): {reason}"),
        Err(e) => Err(e.into()),
    }
}
