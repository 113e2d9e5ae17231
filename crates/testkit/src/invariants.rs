//! The whole-ledger invariant: every token is somewhere it is owed. Checked after every block by
//! the property tests and the fuzz targets, whatever the transactions did.
//!
//! - Supply is conserved: the accounts (balances, stake, unbonding) hold exactly the genesis
//!   supply.
//! - Every module account holds exactly what it owes, no more (stranded) and no less (short):
//!   `datanet-bonds` the bonds of pending contributions; `inference-prepaid` every prepaid
//!   balance; `rewards` every claimable reward; `provider-delegations` every stake behind a
//!   provider; `tasks` the reward, forfeited bonds, claimant bond and attestation bonds of every
//!   unfinished task; `agent-stakes` the stake of every agent not yet retired.
//! - Nothing is paid twice: a request is held or settled, never both.
//! - Prepaid balances cover what they promised (`withdrawing + held <= balance`), and what is
//!   held equals the live holds, per payer and per API key.

use sinew_state::accounts::{
    agent_stakes, bond_escrow, prepaid_escrow, provider_delegations, rewards_pool, task_escrow,
};
use sinew_state::{Account, Agent, ApiKey, Contribution, Hold, MemState, Prepaid, StateKey, Task};
use sinew_types::datanet::ContributionStatus;
use sinew_types::records::Delegation;
use sinew_types::task::{AgentStatus, TaskStatus};
use sinew_types::{Address, Amount, Hash};
use std::collections::{BTreeMap, BTreeSet};

fn decode<T: borsh::BorshDeserialize>(what: &str, v: &[u8]) -> Result<T, String> {
    borsh::from_slice(v).map_err(|e| format!("{what} does not decode: {e}"))
}

/// Checks the whole-ledger invariant; the first violation found, in words.
pub fn check_ledger(state: &MemState) -> Result<(), String> {
    let mut t = Tally::default();
    for (k, v) in &state.map {
        t.visit(decode("a state key", k)?, v)?;
    }
    t.check_supply()?;
    t.check_module_accounts()?;
    t.check_holds()?;
    t.check_paid_once()
}

/// What the records say, gathered in one pass over state.
#[derive(Default)]
struct Tally {
    /// Every account's balance.
    balances: BTreeMap<Address, Amount>,
    /// Every token in accounts (balance, stake, unbonding).
    total: Amount,
    /// The supply genesis recorded.
    supply: Option<Amount>,
    /// What each module account's records owe.
    owed: BTreeMap<Address, Amount>,
    /// Live holds per payer.
    held_by_payer: BTreeMap<Address, Amount>,
    /// Live holds per API key.
    held_by_key: BTreeMap<Hash, Amount>,
    /// Prepaid balances.
    prepaid: BTreeMap<Address, Prepaid>,
    /// API keys.
    keys: BTreeMap<Hash, ApiKey>,
    /// Requests with a live hold.
    holds: BTreeSet<Hash>,
    /// Requests settled.
    settled: BTreeSet<Hash>,
}

impl Tally {
    fn owe(&mut self, module: Address, amount: Amount) {
        *self.owed.entry(module).or_default() += amount;
    }

    /// Adds one state entry to the tally (and refuses a record that is wrong on its own).
    fn visit(&mut self, key: StateKey, v: &[u8]) -> Result<(), String> {
        match key {
            StateKey::Supply => self.supply = Some(decode("supply", v)?),
            StateKey::Account(a) => {
                let acct: Account = decode("an account", v)?;
                self.total += acct.total();
                self.balances.insert(a, acct.balance);
            }
            StateKey::Contribution(..) => {
                let c: Contribution = decode("a contribution", v)?;
                if c.status == ContributionStatus::Pending {
                    self.owe(bond_escrow(), c.bond);
                }
            }
            StateKey::Prepaid(a) => {
                let p: Prepaid = decode("a prepaid balance", v)?;
                self.owe(prepaid_escrow(), p.balance);
                self.prepaid.insert(a, p);
            }
            StateKey::Rewards(_) => self.owe(rewards_pool(), decode::<Amount>("rewards", v)?),
            StateKey::ProviderDelegators(_) => {
                let stakers: Vec<Delegation> = decode("stakers", v)?;
                self.owe(provider_delegations(), stakers.iter().map(|s| s.amount).sum());
            }
            StateKey::Task(_) => self.visit_task(decode("a task", v)?)?,
            StateKey::Agent(_) => {
                let a: Agent = decode("an agent", v)?;
                match a.status {
                    AgentStatus::Active | AgentStatus::Retiring => self.owe(agent_stakes(), a.stake),
                    AgentStatus::Retired if a.stake != 0 => {
                        return Err(format!("retired agent {} still has stake {}", a.address, a.stake))
                    }
                    AgentStatus::Retired => {}
                }
            }
            StateKey::Settled(r) => {
                self.settled.insert(r);
            }
            StateKey::Hold(r) => {
                self.holds.insert(r);
                let h: Hold = decode("a hold", v)?;
                *self.held_by_payer.entry(h.payer).or_default() += h.amount;
                *self.held_by_key.entry(h.api_key).or_default() += h.amount;
            }
            StateKey::ApiKey(h) => {
                self.keys.insert(h, decode("an API key", v)?);
            }
            _ => {}
        }
        Ok(())
    }

    /// An unfinished task owes its reward, forfeited bonds, claimant bond and attestation bonds;
    /// a finished one holds no claim and no attestation.
    fn visit_task(&mut self, t: Task) -> Result<(), String> {
        if !matches!(t.status, TaskStatus::Completed | TaskStatus::Closed) {
            let bond = if t.claimant.is_some() { t.bond } else { 0 };
            let attested: Amount = t.attestations.iter().map(|a| a.bond).sum();
            self.owe(task_escrow(), t.reward + t.forfeited + bond + attested);
        } else if t.claimant.is_some() && t.status == TaskStatus::Closed || !t.attestations.is_empty() {
            return Err(format!("finished task {} still holds a claim or attestations", t.id));
        }
        Ok(())
    }

    /// The accounts hold exactly the supply.
    fn check_supply(&self) -> Result<(), String> {
        let supply = self.supply.ok_or("no supply recorded")?;
        if self.total != supply {
            return Err(format!("accounts hold {}, the supply is {supply}", self.total));
        }
        Ok(())
    }

    /// Each module account holds exactly what its records owe.
    fn check_module_accounts(&self) -> Result<(), String> {
        let modules = [
            ("datanet-bonds", bond_escrow()),
            ("inference-prepaid", prepaid_escrow()),
            ("rewards", rewards_pool()),
            ("provider-delegations", provider_delegations()),
            ("tasks", task_escrow()),
            ("agent-stakes", agent_stakes()),
        ];
        for (name, m) in modules {
            let has = self.balances.get(&m).copied().unwrap_or(0);
            let due = self.owed.get(&m).copied().unwrap_or(0);
            if has != due {
                return Err(format!("module account {name} holds {has} but owes {due}"));
            }
        }
        Ok(())
    }

    /// Prepaid balances cover what they promised, and what they (and API keys) say is held
    /// equals the live holds.
    /// Nothing is paid twice: a request is held or settled, never both (a settled request that
    /// still held funds could be charged again).
    fn check_paid_once(&self) -> Result<(), String> {
        match self.holds.intersection(&self.settled).next() {
            Some(r) => Err(format!("request {r} is settled and still holds funds")),
            None => Ok(()),
        }
    }

    fn check_holds(&self) -> Result<(), String> {
        for (a, p) in &self.prepaid {
            if p.withdrawing.saturating_add(p.held) > p.balance {
                return Err(format!(
                    "prepaid of {a}: withdrawing {} + held {} > balance {}",
                    p.withdrawing, p.held, p.balance
                ));
            }
            let live = self.held_by_payer.get(a).copied().unwrap_or(0);
            if p.held != live {
                return Err(format!("prepaid of {a} says {} held, live holds are {live}", p.held));
            }
        }
        for (a, live) in &self.held_by_payer {
            if self.prepaid.get(a).map_or(0, |p| p.held) != *live {
                return Err(format!("holds of {a} without a prepaid balance"));
            }
        }
        for (h, k) in &self.keys {
            let live = self.held_by_key.get(h).copied().unwrap_or(0);
            if k.held != live {
                return Err(format!("API key {h} says {} held, live holds are {live}", k.held));
            }
        }
        Ok(())
    }
}
