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
//! - Prepaid balances cover what they promised (`withdrawing + held <= balance`), and what is
//!   held equals the live holds, per payer and per API key.

use crate::accounts::Account;
use crate::accounts::{agent_stakes, bond_escrow, prepaid_escrow, provider_delegations, rewards_pool, task_escrow};
use crate::datanet::Contribution;
use crate::inference::{ApiKey, Hold, Prepaid};
use crate::keys::StateKey;
use crate::reader::MemState;
use crate::tasks::{Agent, Task};
use sinew_types::datanet::ContributionStatus;
use sinew_types::task::{AgentStatus, TaskStatus};
use sinew_types::{Address, Amount, Hash};
use std::collections::BTreeMap;

fn decode<T: borsh::BorshDeserialize>(what: &str, v: &[u8]) -> Result<T, String> {
    borsh::from_slice(v).map_err(|e| format!("{what} does not decode: {e}"))
}

/// Checks the whole-ledger invariant; the first violation found, in words.
pub fn check_ledger(state: &MemState) -> Result<(), String> {
    let mut balances: BTreeMap<Address, Amount> = BTreeMap::new();
    let mut total: Amount = 0;
    let mut supply: Option<Amount> = None;
    let mut owed: BTreeMap<Address, Amount> = BTreeMap::new();
    let mut held_by_payer: BTreeMap<Address, Amount> = BTreeMap::new();
    let mut held_by_key: BTreeMap<Hash, Amount> = BTreeMap::new();
    let mut prepaid: BTreeMap<Address, Prepaid> = BTreeMap::new();
    let mut keys: BTreeMap<Hash, ApiKey> = BTreeMap::new();
    let mut add = |who: Address, amount: Amount| *owed.entry(who).or_default() += amount;
    for (k, v) in &state.map {
        let key: StateKey = decode("a state key", k)?;
        match key {
            StateKey::Supply => supply = Some(decode("supply", v)?),
            StateKey::Account(a) => {
                let acct: Account = decode("an account", v)?;
                total += acct.total();
                balances.insert(a, acct.balance);
            }
            StateKey::Contribution(..) => {
                let c: Contribution = decode("a contribution", v)?;
                if c.status == ContributionStatus::Pending {
                    add(bond_escrow(), c.bond);
                }
            }
            StateKey::Prepaid(a) => {
                let p: Prepaid = decode("a prepaid balance", v)?;
                add(prepaid_escrow(), p.balance);
                prepaid.insert(a, p);
            }
            StateKey::Rewards(_) => add(rewards_pool(), decode::<Amount>("rewards", v)?),
            StateKey::ProviderDelegators(_) => {
                let stakers: Vec<(Address, Amount)> = decode("stakers", v)?;
                add(provider_delegations(), stakers.iter().map(|s| s.1).sum());
            }
            StateKey::Task(_) => {
                let t: Task = decode("a task", v)?;
                if !matches!(t.status, TaskStatus::Completed | TaskStatus::Closed) {
                    let bond = if t.claimant.is_some() { t.bond } else { 0 };
                    let attested: Amount = t.attestations.iter().map(|a| a.3).sum();
                    add(task_escrow(), t.reward + t.forfeited + bond + attested);
                } else if t.claimant.is_some() && t.status == TaskStatus::Closed || !t.attestations.is_empty() {
                    return Err(format!("finished task {} still holds a claim or attestations", t.id));
                }
            }
            StateKey::Agent(_) => {
                let a: Agent = decode("an agent", v)?;
                match a.status {
                    AgentStatus::Active | AgentStatus::Retiring => add(agent_stakes(), a.stake),
                    AgentStatus::Retired if a.stake != 0 => {
                        return Err(format!("retired agent {} still has stake {}", a.address, a.stake))
                    }
                    AgentStatus::Retired => {}
                }
            }
            StateKey::Hold(_) => {
                let h: Hold = decode("a hold", v)?;
                *held_by_payer.entry(h.payer).or_default() += h.amount;
                *held_by_key.entry(h.api_key).or_default() += h.amount;
            }
            StateKey::ApiKey(h) => {
                keys.insert(h, decode("an API key", v)?);
            }
            _ => {}
        }
    }
    let supply = supply.ok_or("no supply recorded")?;
    if total != supply {
        return Err(format!("accounts hold {total}, the supply is {supply}"));
    }
    let modules = [
        ("datanet-bonds", bond_escrow()),
        ("inference-prepaid", prepaid_escrow()),
        ("rewards", rewards_pool()),
        ("provider-delegations", provider_delegations()),
        ("tasks", task_escrow()),
        ("agent-stakes", agent_stakes()),
    ];
    for (name, m) in modules {
        let has = balances.get(&m).copied().unwrap_or(0);
        let due = owed.get(&m).copied().unwrap_or(0);
        if has != due {
            return Err(format!("module account {name} holds {has} but owes {due}"));
        }
    }
    for (a, p) in &prepaid {
        if p.withdrawing.saturating_add(p.held) > p.balance {
            return Err(format!(
                "prepaid of {a}: withdrawing {} + held {} > balance {}",
                p.withdrawing, p.held, p.balance
            ));
        }
        let live = held_by_payer.get(a).copied().unwrap_or(0);
        if p.held != live {
            return Err(format!("prepaid of {a} says {} held, live holds are {live}", p.held));
        }
    }
    for (a, live) in &held_by_payer {
        if prepaid.get(a).map_or(0, |p| p.held) != *live {
            return Err(format!("holds of {a} without a prepaid balance"));
        }
    }
    for (h, k) in &keys {
        let live = held_by_key.get(h).copied().unwrap_or(0);
        if k.held != live {
            return Err(format!("API key {h} says {} held, live holds are {live}", k.held));
        }
    }
    Ok(())
}
