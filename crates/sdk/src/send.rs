//! `send(key, payload)`: build, sign, submit and wait, with the outcome as a value or a typed
//! error carrying the ledger's failure code.

use crate::{Client, SdkError, SubmitOutcome};
use sinew_types::{Height, Keypair, Payload, Receipt, TxId, TxStatus};

/// A transaction committed successfully.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Committed {
    /// Its id.
    pub tx_id: TxId,
    /// The height of its block.
    pub height: Height,
    /// Its position in the block.
    pub index: u32,
    /// Its receipt (fee, events).
    pub receipt: Receipt,
}

impl Client {
    /// Signs `payload` with `key` (next nonce and current fee from the node), submits it, waits
    /// until it is committed, and returns where it landed with its receipt. A transaction that fails in its block is
    /// [`SdkError::Failed`] (with the ledger's code); one refused at admission is
    /// [`SdkError::Refused`] (see [`SdkError::failure`]); one dropped before inclusion is
    /// [`SdkError::Dropped`].
    pub fn send(&self, key: &Keypair, payload: Payload) -> Result<Committed, SdkError> {
        let tx = self.build(key, payload, None)?;
        let reply = self.submit(&tx, true)?;
        match reply.outcome {
            SubmitOutcome::Committed { height, index, receipt } => match &receipt.status {
                TxStatus::Success => Ok(Committed {
                    tx_id: reply.tx_id,
                    height,
                    index,
                    receipt,
                }),
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
            SubmitOutcome::Pending => Err(SdkError::Pending { tx: reply.tx_id }),
        }
    }
}
