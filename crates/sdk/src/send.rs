//! `send(key, payload)`: build, sign, submit and wait, with the outcome as a value or a typed
//! error carrying the ledger's failure code.

use crate::{Client, SdkError, SubmitOutcome};
use sinew_types::{Keypair, Payload, Receipt, TxStatus};

impl Client {
    /// Signs `payload` with `key` (next nonce and current fee from the node), submits it, waits
    /// until it is committed, and returns its receipt. A transaction that fails in its block is
    /// [`SdkError::Failed`] (with the ledger's code); one refused at admission is
    /// [`SdkError::Refused`] (see [`SdkError::failure`]); one dropped before inclusion is
    /// [`SdkError::Dropped`].
    pub fn send(&self, key: &Keypair, payload: Payload) -> Result<Receipt, SdkError> {
        let tx = self.build(key, payload, None)?;
        let reply = self.submit(&tx, true)?;
        match reply.outcome {
            SubmitOutcome::Committed { receipt, .. } => match &receipt.status {
                TxStatus::Success => Ok(receipt),
                TxStatus::Failed { code, message } => Err(SdkError::Failed {
                    tx: reply.tx_id,
                    code: *code,
                    message: message.clone(),
                }),
            },
            SubmitOutcome::Refused { error } => Err(SdkError::Refused {
                tx: reply.tx_id,
                code: error.code,
                message: error.message,
            }),
            SubmitOutcome::Dropped { code, reason } => Err(SdkError::Dropped {
                tx: reply.tx_id,
                code,
                reason,
            }),
            other => Err(SdkError::Decode(format!("a waited submission answered {other:?}"))),
        }
    }
}
