//! What a transaction does: a payload enum grouped by the state-machine module that owns it
//! (staking, datanets, inference, tasks), with one named struct per action.
//!
//! The state machine dispatches on this enum with exhaustive matches, so a new action does not
//! compile until every module has said what it means. Wire forms: borsh (the module's tag, the
//! action's tag, then the action's fields; new actions are appended to their module, never
//! reordered) and JSON (`{"module": "staking", "type": "transfer", "to": ..., "amount": "5"}`).

pub mod datanet;
pub mod inference;
pub mod staking;
pub mod tasks;

pub use datanet::*;
pub use inference::*;
pub use staking::*;
pub use tasks::*;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// What a transaction does, by the module that owns it.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "module", rename_all = "snake_case")]
pub enum Payload {
    /// Tokens, stake and governance parameters.
    Staking(StakingTx),
    /// Datanets: contributions, curation, versions.
    Datanet(DatanetTx),
    /// Providers, models, API keys, prepaid balances, reservations and settlements.
    Inference(InferenceTx),
    /// Agents and tasks.
    Tasks(TaskTx),
}

/// Work units of a transaction that makes the ledger recompute a result (a seeded answer of up
/// to 1,024 tokens, or an attribution): what `PostTask` of a recomputable kind, `SubmitResult`
/// and `Challenge` pay for, whether or not this one needs it.
pub const RECOMPUTE_WORK_UNITS: u64 = 1_024;

impl Payload {
    /// The most work executing this payload can cause beyond reading and writing a few values,
    /// in units priced by `Params::fee_per_work_unit`: a function of the payload alone, so
    /// anyone can compute a transaction's fee before signing it. A contribution pays per KiB
    /// ingested and per record indexed; a settlement per 64 bytes attributed; anything that may
    /// recompute a task result pays for the longest recomputation.
    pub fn work_units(&self) -> u64 {
        match self {
            Payload::Staking(tx) => tx.work_units(),
            Payload::Datanet(tx) => tx.work_units(),
            Payload::Inference(tx) => tx.work_units(),
            Payload::Tasks(tx) => tx.work_units(),
        }
    }

    /// The blobs this payload names, each with whether the ledger reads it when executing
    /// (then every validator must hold it before it can judge the block; the others are kept
    /// for readers but never block execution).
    pub fn blobs(&self) -> Vec<(crate::Hash, bool)> {
        match self {
            Payload::Datanet(DatanetTx::Contribute(Contribute { blob, .. })) => vec![(*blob, true)],
            Payload::Tasks(TaskTx::PostTask(PostTask { spec, kind, .. })) => {
                vec![(*spec, crate::task::recomputable(kind))]
            }
            Payload::Inference(InferenceTx::RegisterModel(RegisterModel { info, .. })) => {
                info.adapter_blob.iter().map(|b| (*b, false)).collect()
            }
            _ => vec![],
        }
    }

    /// A short stable name for logs, metrics and filters (the action's JSON `type`).
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::Staking(tx) => tx.kind(),
            Payload::Datanet(tx) => tx.kind(),
            Payload::Inference(tx) => tx.kind(),
            Payload::Tasks(tx) => tx.kind(),
        }
    }
}

/// `From<Action> for Payload` for each of a module's actions, so a payload is written
/// `Transfer { to, amount }.into()`.
macro_rules! into_payload {
    ($module:ident, $tx:ident: $($action:ident),+) => {
        $(
            impl From<$action> for crate::Payload {
                fn from(a: $action) -> Self {
                    crate::Payload::$module($tx::$action(a))
                }
            }
        )+
    };
}
pub(crate) use into_payload;
