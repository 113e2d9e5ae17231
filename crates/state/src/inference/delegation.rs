//! Stake behind providers and the rewards it earns: delegation, undelegation (unbonding like own
//! stake), the provider's exact split with its stakers, claiming accrued rewards.

use crate::accounts::{provider_delegations, rewards_pool};
use crate::ctx::{fail, Ctx, DueQueue, Outcome};
use crate::error::StorageError;
use crate::keys::StateKey;
use crate::reader::StateReader;
use sinew_types::amount::Amount;
use sinew_types::event::InferenceEvent;
use sinew_types::failure::{InferenceFailure, LedgerFailure};
use sinew_types::inference::split_exact;
use sinew_types::params::bounds::MAX_FEE_PARAM;
use sinew_types::payload::{DelegateToProvider, UndelegateFromProvider};
use sinew_types::records::Delegation;
use sinew_types::records::Provider;
use sinew_types::{Address, Event};

/// Most stakers one provider may have (each settlement credits all of them).
pub const MAX_DELEGATORS: usize = 64;

/// Splits `amount` between a provider (weight: its own stake) and its stakers (weights: their
/// stake), exactly (largest remainder; weights scaled to 40 bits to stay within the split's
/// bound, ties to the provider then to lower addresses).
pub fn provider_split(amount: Amount, own: Amount, stakers: &[Delegation]) -> Vec<Amount> {
    let weights: Vec<u128> = std::iter::once(own).chain(stakers.iter().map(|s| s.amount)).collect();
    let max = weights.iter().copied().max().unwrap_or(0);
    let shift = (128 - max.leading_zeros()).saturating_sub(40);
    let scaled: Vec<u128> = weights.iter().map(|w| w >> shift).collect();
    if scaled.iter().all(|w| *w == 0) {
        // No stake anywhere: everything to the provider.
        let mut v = vec![0; weights.len()];
        v[0] = amount;
        return v;
    }
    split_exact(amount, &scaled)
}

impl<R: StateReader> Ctx<'_, R> {
    /// Moves delegated stake out of the delegation pool into `who`'s unbonding stake.
    fn unbond_delegation(&mut self, who: &Address, amount: Amount) -> Result<(), StorageError> {
        let release_height = self.height.saturating_add(self.params().unbonding_period);
        let mut pool = self.account(&provider_delegations())?.unwrap_or_default();
        pool.balance = pool
            .balance
            .checked_sub(amount)
            .ok_or_else(|| StorageError::new("delegation pool is short: supply invariant broken"))?;
        self.put(&StateKey::Account(provider_delegations()), &pool);
        let mut a = self.account(who)?.unwrap_or_default();
        a.unbonding.push(crate::accounts::Unbonding { amount, release_height });
        self.put(&StateKey::Account(*who), &a);
        self.enqueue(DueQueue::Unbonding, release_height, who)
    }

    /// `DelegateToProvider`.
    pub(super) fn delegate_to_provider(
        &mut self,
        signer: &Address,
        tx: &DelegateToProvider,
        events: &mut Vec<Event>,
    ) -> Outcome {
        let provider = &tx.provider;
        let amount = &tx.amount;
        if self.get::<Provider>(&StateKey::Provider(*provider))?.is_none() {
            return fail(
                InferenceFailure::UnknownProvider,
                format!("{provider} is not a registered provider"),
            );
        }
        if provider == signer {
            return fail(
                InferenceFailure::SelfDelegation,
                "a provider stakes for itself with Stake",
            );
        }
        let key = StateKey::ProviderDelegators(*provider);
        let mut stakers: Vec<Delegation> = self.get(&key)?.unwrap_or_default();
        let at = self.staker_slot(&mut stakers, signer, provider, *amount, events)?;
        let Some(total) = stakers[at].amount.checked_add(*amount).filter(|t| *t <= MAX_FEE_PARAM) else {
            return fail(LedgerFailure::Overflow, "stake would exceed 2^96");
        };
        self.move_tokens(signer, &provider_delegations(), *amount)?;
        stakers[at].amount = total;
        self.put(&key, &stakers);
        events.push(Event::Inference(InferenceEvent::Delegation {
            delegator: *signer,
            provider: *provider,
            amount: *amount,
            delegate: true,
        }));
        Ok(())
    }

    /// Where `signer`'s delegation sits in a provider's sorted stakers, inserting it if new.
    /// When the list is full, the smallest stake makes room for a larger one (and unbonds), so
    /// dust delegations cannot lock real stakers out.
    fn staker_slot(
        &mut self,
        stakers: &mut Vec<Delegation>,
        signer: &Address,
        provider: &Address,
        amount: Amount,
        events: &mut Vec<Event>,
    ) -> Outcome<usize> {
        let fresh = Delegation {
            staker: *signer,
            amount: 0,
        };
        match stakers.binary_search_by(|s| s.staker.cmp(signer)) {
            Ok(i) => return Ok(i),
            Err(i) if stakers.len() < MAX_DELEGATORS => {
                stakers.insert(i, fresh);
                return Ok(i);
            }
            Err(_) => {}
        }
        let (smallest, _) = stakers
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| (s.amount, s.staker))
            .expect("a full list is not empty");
        if stakers[smallest].amount >= amount {
            return fail(
                InferenceFailure::TooManyStakers,
                format!(
                    "a provider has at most {MAX_DELEGATORS} stakers; delegate more than the smallest stake {} to take its place",
                    stakers[smallest].amount
                ),
            );
        }
        let evicted = stakers.remove(smallest);
        self.unbond_delegation(&evicted.staker, evicted.amount)?;
        events.push(Event::Inference(InferenceEvent::Delegation {
            delegator: evicted.staker,
            provider: *provider,
            amount: evicted.amount,
            delegate: false,
        }));
        let i = stakers.binary_search_by(|s| s.staker.cmp(signer)).unwrap_err();
        stakers.insert(i, fresh);
        Ok(i)
    }

    /// `UndelegateFromProvider`.
    pub(super) fn undelegate_from_provider(
        &mut self,
        signer: &Address,
        tx: &UndelegateFromProvider,
        events: &mut Vec<Event>,
    ) -> Outcome {
        let provider = &tx.provider;
        let amount = &tx.amount;
        let key = StateKey::ProviderDelegators(*provider);
        let mut stakers: Vec<Delegation> = self.get(&key)?.unwrap_or_default();
        let Ok(at) = stakers.binary_search_by(|s| s.staker.cmp(signer)) else {
            return fail(
                InferenceFailure::NoStake,
                format!("{signer} has no stake with {provider}"),
            );
        };
        if stakers[at].amount < *amount {
            return fail(
                LedgerFailure::InsufficientStake,
                format!("staked {} with this provider", stakers[at].amount),
            );
        }
        stakers[at].amount -= amount;
        if stakers[at].amount == 0 {
            stakers.remove(at);
        }
        if stakers.is_empty() {
            self.delete(&key);
        } else {
            self.put(&key, &stakers);
        }
        self.unbond_delegation(signer, *amount)?;
        events.push(Event::Inference(InferenceEvent::Delegation {
            delegator: *signer,
            provider: *provider,
            amount: *amount,
            delegate: false,
        }));
        Ok(())
    }

    /// `ClaimRewards`.
    pub(super) fn claim_rewards(&mut self, signer: &Address, events: &mut Vec<Event>) -> Outcome {
        let amount: Amount = self.get(&StateKey::Rewards(*signer))?.unwrap_or(0);
        if amount == 0 {
            return fail(InferenceFailure::NothingToClaim, "no rewards have accrued");
        }
        self.delete(&StateKey::Rewards(*signer));
        self.pay_out(&rewards_pool(), signer, amount)?;
        events.push(Event::Inference(InferenceEvent::RewardsClaimed {
            account: *signer,
            amount,
        }));
        Ok(())
    }
}
