//! What an inference payload must satisfy before it may be in a block: bounds every node checks
//! without reading state.

use crate::ctx::nonzero;
use crate::error::TxRejection;
use sinew_attribution::Tokenizer;
use sinew_types::inference::{KeyScope, ModelInfo, ModelStatus, Pricing, Split};
use sinew_types::params::bounds::MAX_FEE_PARAM;
use sinew_types::payload::{
    DelegateToProvider, DepositPrepaid, InferenceTx, ReserveInference, UndelegateFromProvider, WithdrawPrepaid,
};
use sinew_types::Params;

const MAX_NAME: usize = 64;

const MAX_DATANETS: usize = 8;

/// A stateless refusal of an inference payload.
fn invalid(message: impl Into<String>) -> Result<(), TxRejection> {
    Err(TxRejection::InvalidInference(message.into()))
}

/// Checks of `RegisterProvider` that need no state.
fn check_register_provider(name: &str, endpoint: &str) -> Result<(), TxRejection> {
    if name.trim().is_empty() || name.len() > MAX_NAME {
        return invalid("provider name must be 1 to 64 bytes");
    }
    let url = endpoint.starts_with("http://") || endpoint.starts_with("https://");
    if !(endpoint == "builtin" || url) || endpoint.len() > 256 {
        return invalid("endpoint must be \"builtin\" or an http(s) URL of at most 256 bytes");
    }
    Ok(())
}

/// Checks of `RegisterModel` that need no state: names, lineage, tokenizer, split and prices.
fn check_register_model(
    info: &ModelInfo,
    split: &Split,
    pricing: &Pricing,
    params: &Params,
) -> Result<(), TxRejection> {
    let name_ok = |n: &str, max: usize| {
        !n.is_empty() && n.len() <= max && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:/-@".contains(&b))
    };
    if !name_ok(&info.name, MAX_NAME) {
        return invalid("model name must be 1 to 64 bytes of letters, digits and ._:/-@");
    }
    if !name_ok(&info.base_model, 128) || info.adapter.as_ref().is_some_and(|a| !name_ok(a, 128)) {
        return invalid("base model and adapter names must be 1 to 128 bytes of letters, digits and ._:/-@");
    }
    if info.datanets.is_empty() || info.datanets.len() > MAX_DATANETS {
        return invalid(format!("a model is built from 1 to {MAX_DATANETS} datanet versions"));
    }
    let mut seen = info.datanets.clone();
    seen.sort_unstable();
    seen.dedup_by_key(|d| d.0);
    if seen.len() != info.datanets.len() {
        return invalid("each datanet may appear once in a model's lineage");
    }
    if let Err(e) = info.tokenizer.parse::<Tokenizer>() {
        return invalid(e.to_string());
    }
    if !split.is_whole() {
        return invalid("split must sum to 10000 basis points");
    }
    if split.contributors_bps < params.min_contributors_bps {
        return invalid(format!(
            "contributors must get at least {} basis points",
            params.min_contributors_bps
        ));
    }
    check_pricing(pricing)
}

/// Checks of `UpdateModel` that need no state.
fn check_update_model(pricing: &Option<Pricing>, status: &Option<ModelStatus>) -> Result<(), TxRejection> {
    if pricing.is_none() && status.is_none() {
        return invalid("nothing to update");
    }
    pricing.as_ref().map_or(Ok(()), check_pricing)
}

/// Checks of `RegisterApiKey` that need no state: the scope's limits are in range.
fn check_register_api_key(scope: &KeyScope) -> Result<(), TxRejection> {
    scope.check(MAX_FEE_PARAM).map_err(TxRejection::InvalidInference)
}

/// Checks of `SettleInference` that need no state: the answer fits the record cap.
fn check_settle_inference(answer: &str, params: &Params) -> Result<(), TxRejection> {
    if answer.len() > params.max_answer_bytes as usize {
        return invalid(format!("answer exceeds {} bytes", params.max_answer_bytes));
    }
    Ok(())
}

/// Checks of `ReserveInference` that need no state: token counts, the fee cap, and that a
/// voucher is for this very request.
fn check_reserve_inference(r: &ReserveInference) -> Result<(), TxRejection> {
    if r.input_tokens > u64::from(u32::MAX) || r.max_output_tokens > u64::from(u32::MAX) {
        return invalid("token counts must be below 2^32");
    }
    if r.max_output_tokens == 0 {
        return invalid("a request may produce at least one token");
    }
    if r.max_fee == 0 || r.max_fee > MAX_FEE_PARAM {
        return invalid(format!("max_fee must be within 1..={MAX_FEE_PARAM}"));
    }
    if let Some(v) = &r.voucher {
        if v.request_id != r.request_id || v.model != r.model {
            return invalid("the voucher is for another request or model");
        }
    }
    Ok(())
}

fn check_pricing(p: &Pricing) -> Result<(), TxRejection> {
    if p.input_per_1k > MAX_FEE_PARAM || p.output_per_1k > MAX_FEE_PARAM {
        return Err(TxRejection::InvalidInference(format!(
            "prices must be at most {MAX_FEE_PARAM}"
        )));
    }
    Ok(())
}

/// Checks of a inference payload that need no state.
pub(crate) fn check(tx: &InferenceTx, params: &Params) -> Result<(), TxRejection> {
    match tx {
        InferenceTx::RegisterProvider(t) => check_register_provider(&t.name, &t.endpoint),
        InferenceTx::RegisterModel(t) => check_register_model(&t.info, &t.split, &t.pricing, params),
        InferenceTx::UpdateModel(t) => check_update_model(&t.pricing, &t.status),
        InferenceTx::RegisterApiKey(t) => check_register_api_key(&t.scope),
        InferenceTx::DepositPrepaid(DepositPrepaid { amount })
        | InferenceTx::WithdrawPrepaid(WithdrawPrepaid { amount })
        | InferenceTx::DelegateToProvider(DelegateToProvider { amount, .. })
        | InferenceTx::UndelegateFromProvider(UndelegateFromProvider { amount, .. }) => nonzero(*amount),
        InferenceTx::ReserveInference(t) => check_reserve_inference(t),
        InferenceTx::SettleInference(t) => check_settle_inference(&t.answer, params),
        // Every rule of these needs state.
        InferenceTx::RevokeApiKey(_)
        | InferenceTx::ReleaseHold(_)
        | InferenceTx::ServeModel(_)
        | InferenceTx::ClaimRewards => Ok(()),
    }
}
