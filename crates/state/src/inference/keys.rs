//! API keys bound to a payer's prepaid balance, and the prepaid balance itself: deposits, and
//! withdrawals that mature after the unbonding period.

use crate::accounts::prepaid_escrow;
use crate::ctx::{fail, Ctx, DueQueue, Outcome};
use crate::error::StorageError;
use crate::keys::StateKey;
use crate::reader::StateReader;
use sinew_types::event::InferenceEvent;
use sinew_types::failure::{InferenceFailure, LedgerFailure};
use sinew_types::payload::{DepositPrepaid, RegisterApiKey, RevokeApiKey, WithdrawPrepaid};
use sinew_types::records::{ApiKey, Prepaid};
use sinew_types::{Address, Event};

impl<R: StateReader> Ctx<'_, R> {
    /// Releases prepaid withdrawals maturing at this block's height.
    pub(crate) fn release_prepaid(&mut self) -> Result<Vec<Event>, StorageError> {
        let due: Vec<Address> = self.take_due(DueQueue::Prepaid, self.height)?;
        let mut events = Vec::new();
        for who in due {
            let mut p: Prepaid = self.get(&StateKey::Prepaid(who))?.unwrap_or_default();
            if p.withdrawing == 0 || p.release_height > self.height {
                continue;
            }
            let amount = p.withdrawing.min(p.balance);
            p.balance -= amount;
            p.withdrawing = 0;
            self.put(&StateKey::Prepaid(who), &p);
            self.pay_out(&prepaid_escrow(), &who, amount)?;
            events.push(Event::Inference(InferenceEvent::Prepaid {
                account: who,
                amount,
                deposit: false,
            }));
        }
        Ok(events)
    }

    /// `RegisterApiKey`.
    pub(super) fn register_api_key(
        &mut self,
        signer: &Address,
        tx: &RegisterApiKey,
        events: &mut Vec<Event>,
    ) -> Outcome {
        let key_hash = &tx.key_hash;
        let scope = &tx.scope;
        if self.get::<ApiKey>(&StateKey::ApiKey(*key_hash))?.is_some() {
            return fail(
                InferenceFailure::KeyExists,
                "this API key is already registered (keys are never reused)",
            );
        }
        let k = ApiKey {
            account: *signer,
            scope: scope.clone(),
            spent: 0,
            held: 0,
            revoked: false,
            created_at: self.height,
        };
        self.put(&StateKey::ApiKey(*key_hash), &k);
        events.push(Event::Inference(InferenceEvent::ApiKeyChanged {
            account: *signer,
            key_hash: *key_hash,
            revoked: false,
        }));
        Ok(())
    }

    /// `RevokeApiKey`.
    pub(super) fn revoke_api_key(&mut self, signer: &Address, tx: &RevokeApiKey, events: &mut Vec<Event>) -> Outcome {
        let key_hash = &tx.key_hash;
        let mut k = match self.get::<ApiKey>(&StateKey::ApiKey(*key_hash))? {
            Some(k) if k.account == *signer => k,
            _ => return fail(InferenceFailure::UnknownKey, "no such API key of the signer"),
        };
        if k.revoked {
            return fail(InferenceFailure::AlreadyRevoked, "the API key is already revoked");
        }
        k.revoked = true;
        self.put(&StateKey::ApiKey(*key_hash), &k);
        events.push(Event::Inference(InferenceEvent::ApiKeyChanged {
            account: *signer,
            key_hash: *key_hash,
            revoked: true,
        }));
        Ok(())
    }

    /// `DepositPrepaid`.
    pub(super) fn deposit_prepaid(
        &mut self,
        signer: &Address,
        tx: &DepositPrepaid,
        events: &mut Vec<Event>,
    ) -> Outcome {
        let amount = &tx.amount;
        self.move_tokens(signer, &prepaid_escrow(), *amount)?;
        let mut p: Prepaid = self.get(&StateKey::Prepaid(*signer))?.unwrap_or_default();
        p.balance += amount;
        self.put(&StateKey::Prepaid(*signer), &p);
        events.push(Event::Inference(InferenceEvent::Prepaid {
            account: *signer,
            amount: *amount,
            deposit: true,
        }));
        Ok(())
    }

    /// `WithdrawPrepaid`.
    pub(super) fn withdraw_prepaid(
        &mut self,
        signer: &Address,
        tx: &WithdrawPrepaid,
        events: &mut Vec<Event>,
    ) -> Outcome {
        let amount = &tx.amount;
        let mut p: Prepaid = self.get(&StateKey::Prepaid(*signer))?.unwrap_or_default();
        if p.available() < *amount {
            return fail(
                InferenceFailure::InsufficientPrepaid,
                format!("prepaid balance available {} is less than {amount}", p.available()),
            );
        }
        let Some(release_height) = self.height.checked_add(self.params().unbonding_period) else {
            return fail(LedgerFailure::Overflow, "release height overflows");
        };
        p.withdrawing += amount;
        p.release_height = release_height;
        self.put(&StateKey::Prepaid(*signer), &p);
        self.enqueue(DueQueue::Prepaid, release_height, signer)?;
        events.push(Event::Inference(InferenceEvent::PrepaidWithdrawalStarted {
            account: *signer,
            amount: *amount,
            release_height,
        }));
        Ok(())
    }
}
