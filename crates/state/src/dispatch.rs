//! Where each payload goes: the envelope checks every transaction shares, then the module that
//! owns the payload. Every match here and in the modules is exhaustive with no wildcard arm, so
//! a new action does not compile until its module has said what it needs and what it does.

use crate::ctx::{Ctx, Outcome};
use crate::error::TxRejection;
use crate::reader::StateReader;
use crate::{datanet, inference, staking, tasks};
use sinew_types::tx::PreparedTx;
use sinew_types::{Address, Event, Params, Payload};

/// Checks of a transaction that need only the chain id and parameters: size, chain, fee cap, then
/// the payload's own bounds.
pub fn stateless_checks(chain_id: &str, params: &Params, ptx: &PreparedTx) -> Result<(), TxRejection> {
    let tx = &ptx.tx.tx;
    if ptx.encoded_len > params.max_tx_bytes as usize {
        return Err(TxRejection::TooLarge {
            len: ptx.encoded_len,
            limit: params.max_tx_bytes,
        });
    }
    if tx.chain_id != chain_id {
        return Err(TxRejection::WrongChain {
            expected: chain_id.to_string(),
            got: tx.chain_id.chars().take(64).collect(),
        });
    }
    let required = ptx.fee(params);
    if tx.max_fee < required {
        return Err(TxRejection::FeeTooLow {
            required,
            max_fee: tx.max_fee,
        });
    }
    match &tx.payload {
        Payload::Staking(p) => staking::check(&tx.signer, p, params),
        Payload::Datanet(p) => datanet::check(p),
        Payload::Inference(p) => inference::check(p, params),
        Payload::Tasks(p) => tasks::check(p, params),
    }
}

/// Runs a payload whose fee is paid: the owning module's action.
pub(crate) fn run_payload<R: StateReader>(
    ctx: &mut Ctx<'_, R>,
    signer: &Address,
    payload: &Payload,
    events: &mut Vec<Event>,
) -> Outcome {
    match payload {
        Payload::Staking(p) => ctx.run_staking(signer, p, events),
        Payload::Datanet(p) => ctx.run_datanet(signer, p, events),
        Payload::Inference(p) => ctx.run_inference(signer, p, events),
        Payload::Tasks(p) => ctx.run_task(signer, p, events),
    }
}
