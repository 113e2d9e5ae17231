//! The agent registry: registering, updating and retiring agents; stakes held in the agent
//! stakes account until retirement matures; the capability index; reputations.

use crate::accounts::agent_stakes;
use crate::ctx::{fail, Ctx, DueQueue, Outcome};
use crate::error::StorageError;
use crate::keys::StateKey;
use crate::reader::StateReader;
use sinew_types::event::TaskEvent;
use sinew_types::failure::{LedgerFailure, TaskFailure};
use sinew_types::payload::{RegisterAgent, UpdateAgent};
use sinew_types::records::{capability_hash, Agent, Reputation};
use sinew_types::task::AgentStatus;
use sinew_types::{Address, Event};

impl<R: StateReader> Ctx<'_, R> {
    pub(super) fn agent(&self, a: &Address) -> Result<Option<Agent>, StorageError> {
        self.get(&StateKey::Agent(*a))
    }

    fn rep(&self, a: &Address) -> Result<Reputation, StorageError> {
        Ok(self.get(&StateKey::Reputation(*a))?.unwrap_or_default())
    }

    pub(super) fn update_rep(&mut self, a: &Address, f: impl FnOnce(&mut Reputation)) -> Result<(), StorageError> {
        let mut r = self.rep(a)?;
        f(&mut r);
        self.put(&StateKey::Reputation(*a), &r);
        Ok(())
    }

    pub(super) fn release_claim(&mut self, a: &Address) -> Result<(), StorageError> {
        if let Some(mut ag) = self.agent(a)? {
            ag.active_claims = ag.active_claims.saturating_sub(1);
            self.put(&StateKey::Agent(*a), &ag);
        }
        Ok(())
    }

    /// Adds (or removes) the agent under each capability: one key per pair and a count per
    /// capability, so registering costs the same whatever the number of agents.
    fn index_capabilities(&mut self, a: &Address, caps: &[String], add: bool) -> Result<(), StorageError> {
        for c in caps {
            let h = capability_hash(c);
            let key = StateKey::AgentsByCapability(h, *a);
            let present = self.get::<()>(&key)?.is_some();
            if present == add {
                continue;
            }
            let count_key = StateKey::CapabilityAgents(h);
            let n: u64 = self.get(&count_key)?.unwrap_or(0);
            if add {
                self.put(&key, &());
                self.put(&count_key, &(n + 1));
            } else {
                self.delete(&key);
                if n <= 1 {
                    self.delete(&count_key);
                } else {
                    self.put(&count_key, &(n - 1));
                }
            }
        }
        Ok(())
    }

    /// Releases retired agents' stake maturing at this height.
    pub(crate) fn release_agents(&mut self) -> Result<Vec<Event>, StorageError> {
        let due: Vec<Address> = self.take_due(DueQueue::Agent, self.height)?;
        let mut events = Vec::new();
        for a in due {
            let Some(mut ag) = self.agent(&a)? else { continue };
            if ag.status != AgentStatus::Retiring || ag.release_height > self.height {
                continue;
            }
            self.pay_out(&agent_stakes(), &a, ag.stake)?;
            ag.stake = 0;
            ag.status = AgentStatus::Retired;
            self.put(&StateKey::Agent(a), &ag);
            events.push(Event::Tasks(TaskEvent::AgentChanged {
                agent: a,
                status: AgentStatus::Retired,
            }));
        }
        Ok(events)
    }

    /// `RegisterAgent`.
    pub(super) fn register_agent(&mut self, signer: &Address, tx: &RegisterAgent, events: &mut Vec<Event>) -> Outcome {
        let name = &tx.name;
        let capabilities = &tx.capabilities;
        let endpoint = &tx.endpoint;
        let stake = &tx.stake;
        if self.agent(signer)?.is_some_and(|a| a.status != AgentStatus::Retired) {
            return fail(
                LedgerFailure::AlreadyRegistered,
                format!("{signer} is already an agent"),
            );
        }
        let need = self.params().min_agent_stake;
        if *stake < need {
            return fail(
                LedgerFailure::InsufficientStake,
                format!("an agent must stake at least {need}"),
            );
        }
        self.move_tokens(signer, &agent_stakes(), *stake)?;
        self.index_capabilities(signer, capabilities, true)?;
        let a = Agent {
            address: *signer,
            name: name.to_string(),
            capabilities: capabilities.to_vec(),
            endpoint: endpoint.to_string(),
            stake: *stake,
            status: AgentStatus::Active,
            release_height: 0,
            active_claims: 0,
            registered_at: self.height,
        };
        self.put(&StateKey::Agent(*signer), &a);
        events.push(Event::Tasks(TaskEvent::AgentChanged {
            agent: *signer,
            status: AgentStatus::Active,
        }));
        Ok(())
    }

    /// `UpdateAgent`.
    pub(super) fn update_agent(&mut self, signer: &Address, tx: &UpdateAgent, events: &mut Vec<Event>) -> Outcome {
        let capabilities = &tx.capabilities;
        let endpoint = &tx.endpoint;
        let add_stake = &tx.add_stake;
        let Some(mut a) = self.agent(signer)?.filter(|a| a.status == AgentStatus::Active) else {
            return fail(TaskFailure::UnknownAgent, format!("{signer} is not an active agent"));
        };
        if *add_stake > 0 {
            self.move_tokens(signer, &agent_stakes(), *add_stake)?;
            a.stake += add_stake;
        }
        if let Some(c) = capabilities {
            let old = a.capabilities.clone();
            self.index_capabilities(signer, &old, false)?;
            self.index_capabilities(signer, c, true)?;
            a.capabilities = c.clone();
        }
        if let Some(e) = endpoint {
            a.endpoint = e.clone();
        }
        self.put(&StateKey::Agent(*signer), &a);
        events.push(Event::Tasks(TaskEvent::AgentChanged {
            agent: *signer,
            status: a.status,
        }));
        Ok(())
    }

    /// `RetireAgent`.
    pub(super) fn retire_agent(&mut self, signer: &Address, events: &mut Vec<Event>) -> Outcome {
        let Some(mut a) = self.agent(signer)?.filter(|a| a.status == AgentStatus::Active) else {
            return fail(TaskFailure::UnknownAgent, format!("{signer} is not an active agent"));
        };
        if a.active_claims > 0 {
            return fail(
                TaskFailure::HasClaims,
                format!("{} claimed tasks are still open", a.active_claims),
            );
        }
        let release = self.height + self.params().unbonding_period;
        a.status = AgentStatus::Retiring;
        a.release_height = release;
        let caps = a.capabilities.clone();
        self.index_capabilities(signer, &caps, false)?;
        self.put(&StateKey::Agent(*signer), &a);
        self.enqueue(DueQueue::Agent, release, signer)?;
        events.push(Event::Tasks(TaskEvent::AgentChanged {
            agent: *signer,
            status: AgentStatus::Retiring,
        }));
        Ok(())
    }
}
