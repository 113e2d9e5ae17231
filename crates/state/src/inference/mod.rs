//! Payable inference in the state machine: providers, models with lineage (served only with
//! their provider's consent), API keys scoped by their payer, prepaid balances, and the two steps
//! of a paid answer: a reservation that holds the most the request can cost (within the key's
//! scope: provider, model, per-request cap, spend limit, voucher), then a settlement that charges
//! the actual fee from the hold and splits it (`settle.rs`).
//!
//! Fee of an answer: `ceil((input_tokens * input_per_1k + output_tokens * output_per_1k) / 1000)`
//! plus the platform fee (to the treasury), at the prices in force when the request was reserved;
//! answer tokens are recounted by the ledger from the answer. The rest is split by the model's
//! basis points between owner, provider and contributors (largest remainder, so the parts sum
//! exactly). The provider's part is split again between the provider (weight: its own stake) and
//! the accounts that staked behind it (`DelegateToProvider`, at most 64), by stake, into the
//! stakers' claimable rewards. The contributors' part is split by the attribution weights (parts
//! per million, largest remainder) and accrues to each contribution's contributor as claimable
//! rewards. With no matching span it goes to the owners of the model's datanets, in proportion to
//! the bytes of the versions the model was built from: the curators whose data the model was
//! built from, the nearest thing to "the contributors" an unattributed answer has (a model owner
//! who adds a token datanet of its own to the lineage earns a token share).
//!
//! # Money
//!
//! - `DepositPrepaid` moves balance into the prepaid escrow; `WithdrawPrepaid` marks it for
//!   return after the unbonding period (what is held for a request cannot be withdrawn).
//! - A reservation holds from the payer's prepaid balance; a settlement pays the fee out of the
//!   hold (platform fee to the treasury, owner and provider shares to their balances, stakers'
//!   and contributors' shares to the rewards pool as claimable rewards) and returns the rest.
//! - `DelegateToProvider` moves balance into the provider delegations account;
//!   `UndelegateFromProvider` unbonds it like own stake; `ClaimRewards` pays the rewards pool out.
//!
//! # Where each rule lives
//!
//! - `records.rs`: providers, models, API keys and prepaid balances as stored.
//! - `checks.rs`: what a payload must satisfy before it may be in a block.
//! - `registry.rs`: providers, models and a provider's consent to serve a model.
//! - `keys.rs`: API keys and prepaid balances.
//! - `delegation.rs`: stake behind providers, the provider's split, claimable rewards.
//! - `corpus.rs`: the corpus a model answers from and an answer's attribution receipt.
//! - `settle.rs`: reservations, settlements, released and expired holds.

mod checks;
mod corpus;
mod registry;
mod settle;

pub(crate) use checks::check;
pub use corpus::{answer_receipt, model_corpus, version_contents, version_contributions, version_root, ModelCorpus};
pub use delegation::{provider_split, MAX_DELEGATORS};
pub(crate) use settle::settlement_admissible;
pub use sinew_types::records::{api_key_hash, model_name_hash, ApiKey, Model, Prepaid, Provider};
pub use sinew_types::records::{Hold, Settled};
mod delegation;
mod keys;

use crate::ctx::{Ctx, Outcome};
use crate::reader::StateReader;
use sinew_types::payload::InferenceTx;
use sinew_types::{Address, Event};

impl<R: StateReader> Ctx<'_, R> {
    /// Runs a inference payload whose fee is paid.
    pub(crate) fn run_inference(&mut self, signer: &Address, tx: &InferenceTx, events: &mut Vec<Event>) -> Outcome {
        match tx {
            InferenceTx::RegisterProvider(t) => self.register_provider(signer, t, events),
            InferenceTx::RegisterModel(t) => self.register_model(signer, t, events),
            InferenceTx::UpdateModel(t) => self.update_model(signer, t, events),
            InferenceTx::RegisterApiKey(t) => self.register_api_key(signer, t, events),
            InferenceTx::RevokeApiKey(t) => self.revoke_api_key(signer, t, events),
            InferenceTx::DepositPrepaid(t) => self.deposit_prepaid(signer, t, events),
            InferenceTx::WithdrawPrepaid(t) => self.withdraw_prepaid(signer, t, events),
            InferenceTx::ReserveInference(t) => self.reserve(signer, t, events),
            InferenceTx::SettleInference(t) => self.settle(signer, t, events),
            InferenceTx::ReleaseHold(t) => self.release_hold_by_provider(signer, t, events),
            InferenceTx::ServeModel(t) => self.serve_model(signer, t, events),
            InferenceTx::DelegateToProvider(t) => self.delegate_to_provider(signer, t, events),
            InferenceTx::UndelegateFromProvider(t) => self.undelegate_from_provider(signer, t, events),
            InferenceTx::ClaimRewards => self.claim_rewards(signer, events),
        }
    }
}
