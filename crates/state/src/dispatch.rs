//! Where each payload goes: one exhaustive match per question (what it needs before inclusion,
//! what it does), so a new payload variant does not compile until every module has said what it
//! means for it. No wildcard arms: a payload reaches exactly the module that owns it.

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
    payload_checks(&tx.signer, &tx.payload, params)
}

/// The payload's stateless bounds, by the module that owns it.
fn payload_checks(signer: &Address, payload: &Payload, params: &Params) -> Result<(), TxRejection> {
    match payload {
        Payload::Transfer { to, amount } => staking::check_transfer(signer, to, *amount),
        Payload::Stake { amount } | Payload::Unstake { amount } => staking::check_amount(*amount),
        Payload::SetParams { update } => staking::check_set_params(signer, update, params),
        Payload::RegisterProvider { name, endpoint } => inference::check_register_provider(name, endpoint),
        Payload::RegisterModel {
            info, split, pricing, ..
        } => inference::check_register_model(info, split, pricing, params),
        Payload::UpdateModel { pricing, status, .. } => inference::check_update_model(pricing, status),
        Payload::RegisterApiKey { scope, .. } => inference::check_register_api_key(scope),
        Payload::DepositPrepaid { amount }
        | Payload::WithdrawPrepaid { amount }
        | Payload::DelegateToProvider { amount, .. }
        | Payload::UndelegateFromProvider { amount, .. } => staking::check_amount(*amount),
        Payload::SettleInference { answer, .. } => inference::check_settle_inference(answer, params),
        Payload::ReserveInference {
            api_key,
            request_id,
            model,
            prompt_hash,
            input_tokens,
            max_output_tokens,
            max_fee,
            voucher,
        } => inference::check_reserve_inference(&inference::Reservation {
            api_key,
            request_id,
            model,
            prompt_hash,
            input_tokens,
            max_output_tokens,
            max_fee,
            voucher,
        }),
        Payload::RegisterAgent {
            name,
            capabilities,
            endpoint,
            stake,
        } => tasks::check_register_agent(name, capabilities, endpoint, *stake),
        Payload::UpdateAgent {
            capabilities,
            endpoint,
            add_stake,
        } => tasks::check_update_agent(capabilities, endpoint, *add_stake),
        Payload::PostTask {
            kind,
            reward,
            claim_window,
            bond,
            verification,
            ..
        } => tasks::check_post_task(kind, *reward, *claim_window, *bond, verification, params),
        Payload::Challenge { bond, .. } => tasks::check_challenge(*bond),
        Payload::CreateDatanet { info, rules } => datanet::check_create_datanet(info, rules),
        Payload::Contribute {
            size,
            record_count,
            metadata,
            format,
            ..
        } => datanet::check_contribute(*size, *record_count, metadata, format),
        Payload::Review { approve, reason, .. } => datanet::check_review(*approve, reason),
        Payload::UpdateDatanetInfo { description, tags, .. } => datanet::check_update_datanet_info(description, tags),
        // Payloads whose every rule needs state.
        Payload::RevokeApiKey { .. }
        | Payload::ClaimRewards
        | Payload::ReleaseHold { .. }
        | Payload::ServeModel { .. }
        | Payload::RetireAgent
        | Payload::ClaimTask { .. }
        | Payload::SubmitResult { .. }
        | Payload::CancelTask { .. }
        | Payload::ReviewResult { .. }
        | Payload::Attest { .. }
        | Payload::FinalizeTask { .. }
        | Payload::PublishVersion { .. }
        | Payload::ExpireContribution { .. } => Ok(()),
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
        Payload::Transfer { to, amount } => ctx.transfer(signer, to, amount, events),
        Payload::Stake { amount } => ctx.stake(signer, amount, events),
        Payload::Unstake { amount } => ctx.unstake(signer, amount, events),
        Payload::SetParams { update } => ctx.set_params(signer, update, events),
        Payload::RegisterProvider { name, endpoint } => ctx.register_provider(signer, name, endpoint, events),
        Payload::RegisterModel {
            info,
            provider,
            pricing,
            split,
        } => ctx.register_model(signer, info, provider, pricing, split, events),
        Payload::UpdateModel { model, pricing, status } => ctx.update_model(signer, model, pricing, status, events),
        Payload::RegisterApiKey { key_hash, scope } => ctx.register_api_key(signer, key_hash, scope, events),
        Payload::RevokeApiKey { key_hash } => ctx.revoke_api_key(signer, key_hash, events),
        Payload::DepositPrepaid { amount } => ctx.deposit_prepaid(signer, amount, events),
        Payload::WithdrawPrepaid { amount } => ctx.withdraw_prepaid(signer, amount, events),
        Payload::ReserveInference {
            api_key,
            request_id,
            model,
            prompt_hash,
            input_tokens,
            max_output_tokens,
            max_fee,
            voucher,
        } => {
            let r = inference::Reservation {
                api_key,
                request_id,
                model,
                prompt_hash,
                input_tokens,
                max_output_tokens,
                max_fee,
                voucher,
            };
            ctx.reserve(signer, &r, events)
        }
        Payload::SettleInference {
            request_id,
            answer,
            receipt,
        } => ctx.settle(signer, request_id, answer, receipt, events),
        Payload::ReleaseHold { request_id } => ctx.release_hold_by_provider(signer, request_id, events),
        Payload::ServeModel { model, serve } => ctx.serve_model(signer, model, serve, events),
        Payload::DelegateToProvider { provider, amount } => ctx.delegate_to_provider(signer, provider, amount, events),
        Payload::UndelegateFromProvider { provider, amount } => {
            ctx.undelegate_from_provider(signer, provider, amount, events)
        }
        Payload::ClaimRewards => ctx.claim_rewards(signer, events),
        Payload::RegisterAgent {
            name,
            capabilities,
            endpoint,
            stake,
        } => ctx.register_agent(signer, name, capabilities, endpoint, stake, events),
        Payload::UpdateAgent {
            capabilities,
            endpoint,
            add_stake,
        } => ctx.update_agent(signer, capabilities, endpoint, add_stake, events),
        Payload::RetireAgent => ctx.retire_agent(signer, events),
        Payload::PostTask {
            kind,
            spec,
            reward,
            deadline,
            claim_window,
            bond,
            verification,
            parent,
        } => ctx.post_task(
            signer,
            kind,
            spec,
            *reward,
            (*deadline, *claim_window, *bond),
            verification,
            parent,
            events,
        ),
        Payload::ClaimTask { task } => ctx.claim(signer, task, events),
        Payload::SubmitResult { task, result } => ctx.submit_result(signer, task, result, events),
        Payload::CancelTask { task } => ctx.cancel_task(signer, task, events),
        Payload::ReviewResult { task, accept } => ctx.review_result(signer, task, accept, events),
        Payload::Attest { task, approve } => ctx.attest(signer, task, approve, events),
        Payload::Challenge { task, bond } => ctx.challenge(signer, task, *bond, events),
        Payload::FinalizeTask { task } => ctx.finalize(signer, task, events),
        Payload::CreateDatanet { info, rules } => ctx.create_datanet(signer, info, rules, events),
        Payload::Contribute {
            datanet,
            blob,
            size,
            format,
            record_count,
            records_root,
            metadata,
        } => ctx.contribute(
            signer,
            *datanet,
            blob,
            *size,
            format,
            *record_count,
            records_root,
            metadata,
            events,
        ),
        Payload::Review {
            datanet,
            contribution,
            approve,
            reason,
        } => ctx.review(signer, *datanet, *contribution, *approve, reason, events),
        Payload::PublishVersion { datanet } => ctx.publish(signer, *datanet, events),
        Payload::ExpireContribution { datanet, contribution } => ctx.expire(*datanet, *contribution, events),
        Payload::UpdateDatanetInfo {
            datanet,
            description,
            tags,
            open,
        } => ctx.update_datanet_info(signer, datanet, description, tags, open),
    }
}
