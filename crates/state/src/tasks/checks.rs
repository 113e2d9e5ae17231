//! What a task or agent payload must satisfy before it may be in a block: bounds every node
//! checks without reading state.

use crate::error::TxRejection;
use sinew_types::amount::Amount;
use sinew_types::params::bounds::MAX_FEE_PARAM;
use sinew_types::payload::TaskTx;
use sinew_types::task::{recomputable, Verification, MAX_ATTESTATIONS};
use sinew_types::Params;

fn check_capabilities(caps: &[String]) -> Result<(), TxRejection> {
    let mut sorted: Vec<&String> = caps.iter().collect();
    sorted.sort();
    sorted.dedup();
    if caps.is_empty()
        || caps.len() > 16
        || sorted.len() != caps.len()
        || caps.iter().any(|c| c.is_empty() || c.len() > 64)
    {
        return invalid("1 to 16 distinct capabilities of 1 to 64 bytes");
    }
    Ok(())
}

/// A stateless refusal of a task payload.
fn invalid(message: impl Into<String>) -> Result<(), TxRejection> {
    Err(TxRejection::InvalidTask(message.into()))
}

/// Checks of `RegisterAgent` that need no state.
fn check_register_agent(name: &str, capabilities: &[String], endpoint: &str, stake: Amount) -> Result<(), TxRejection> {
    if name.trim().is_empty() || name.len() > 64 {
        return invalid("agent name must be 1 to 64 bytes");
    }
    check_capabilities(capabilities)?;
    if endpoint.len() > 256 {
        return invalid("endpoint must be at most 256 bytes");
    }
    if stake > MAX_FEE_PARAM {
        return invalid("stake too large");
    }
    Ok(())
}

/// Checks of `UpdateAgent` that need no state.
fn check_update_agent(
    capabilities: &Option<Vec<String>>,
    endpoint: &Option<String>,
    add_stake: Amount,
) -> Result<(), TxRejection> {
    if let Some(c) = capabilities {
        check_capabilities(c)?;
    }
    if endpoint.as_ref().is_some_and(|e| e.len() > 256) {
        return invalid("endpoint must be at most 256 bytes");
    }
    if add_stake > MAX_FEE_PARAM {
        return invalid("stake too large");
    }
    Ok(())
}

/// Checks of `PostTask` that need no state: kind, amounts, claim window, and a verification the
/// kind allows with bounds every node agrees on.
fn check_post_task(
    kind: &str,
    reward: Amount,
    claim_window: u64,
    bond: Amount,
    verification: &Verification,
    params: &Params,
) -> Result<(), TxRejection> {
    if kind.is_empty() || kind.len() > 64 {
        return invalid("task kind must be 1 to 64 bytes");
    }
    if reward == 0 {
        return Err(TxRejection::ZeroAmount);
    }
    if reward > MAX_FEE_PARAM || bond > MAX_FEE_PARAM {
        return invalid("reward and bond must be at most 2^96");
    }
    if claim_window < params.min_claim_window || claim_window > 1_000_000 {
        return invalid(format!(
            "claim window must be within {}..=1000000 blocks (a claimant needs time to work)",
            params.min_claim_window
        ));
    }
    check_verification(kind, verification)
}

/// A task's verification rule is one the ledger can enforce for its kind.
fn check_verification(kind: &str, verification: &Verification) -> Result<(), TxRejection> {
    match verification {
        Verification::Recompute if !recomputable(kind) => {
            invalid("only sinew/attribution and sinew/inference tasks can be recomputed by the ledger")
        }
        Verification::Poster { window } | Verification::Quorum { window, .. }
            if *window == 0 || *window > 1_000_000 =>
        {
            invalid("verification window must be within 1..=1000000 blocks")
        }
        Verification::Quorum {
            min_verifiers,
            slash_bps,
            bond,
            min_stake,
            ..
        } if *min_verifiers == 0
            || *min_verifiers as usize > MAX_ATTESTATIONS
            || *slash_bps > 10_000
            || *bond > MAX_FEE_PARAM
            || *min_stake > MAX_FEE_PARAM =>
        {
            invalid("quorum needs 1 to 100 verifiers, slash_bps at most 10000, bond and stake at most 2^96")
        }
        Verification::Recompute | Verification::Poster { .. } | Verification::Quorum { .. } => Ok(()),
    }
}

/// Checks of `Challenge` that need no state.
fn check_challenge(bond: Amount) -> Result<(), TxRejection> {
    if bond == 0 {
        return invalid("a challenge needs a bond");
    }
    if bond > MAX_FEE_PARAM {
        return invalid("bond too large");
    }
    Ok(())
}

/// Checks of a tasks payload that need no state.
pub(crate) fn check(tx: &TaskTx, params: &Params) -> Result<(), TxRejection> {
    match tx {
        TaskTx::RegisterAgent(t) => check_register_agent(&t.name, &t.capabilities, &t.endpoint, t.stake),
        TaskTx::UpdateAgent(t) => check_update_agent(&t.capabilities, &t.endpoint, t.add_stake),
        TaskTx::PostTask(t) => check_post_task(&t.kind, t.reward, t.claim_window, t.bond, &t.verification, params),
        TaskTx::Challenge(t) => check_challenge(t.bond),
        // Every rule of these needs state.
        TaskTx::RetireAgent
        | TaskTx::ClaimTask(_)
        | TaskTx::SubmitResult(_)
        | TaskTx::CancelTask(_)
        | TaskTx::ReviewResult(_)
        | TaskTx::Attest(_)
        | TaskTx::FinalizeTask(_) => Ok(()),
    }
}
