//! Accounts (balances, stake and nonces; the record lives in `sinew_types::records`) and the
//! module accounts: the ledger's own accounts
//! that hold what its records owe (bonds, prepaid balances, rewards, delegations, task escrow,
//! agent stake). Every module account is named here, once.

pub use sinew_types::records::{Account, Unbonding};
use sinew_types::Address;

/// The treasury: fees, platform fees, slashed contribution bonds, bonds forfeited on refunded
/// tasks. It owes nobody.
pub fn treasury() -> Address {
    Address::module("treasury")
}

/// Holds the bonds of pending contributions (owes each its bond).
pub fn bond_escrow() -> Address {
    Address::module("datanet-bonds")
}

/// Holds prepaid inference balances (owes each payer its balance).
pub fn prepaid_escrow() -> Address {
    Address::module("inference-prepaid")
}

/// Holds accrued, unclaimed rewards (owes each account its rewards).
pub fn rewards_pool() -> Address {
    Address::module("rewards")
}

/// Holds stake delegated to providers (owes each staker its stake).
pub fn provider_delegations() -> Address {
    Address::module("provider-delegations")
}

/// Holds task rewards and every bond on tasks (owes what unfinished tasks hold).
pub fn task_escrow() -> Address {
    Address::module("tasks")
}

/// Holds agents' stake (owes each agent not yet retired its stake).
pub fn agent_stakes() -> Address {
    Address::module("agent-stakes")
}

/// Whether `a` is one of the module accounts above (they pay out by the rules of their module,
/// never by a signature).
pub fn is_module(a: &Address) -> bool {
    [
        treasury(),
        bond_escrow(),
        prepaid_escrow(),
        rewards_pool(),
        provider_delegations(),
        task_escrow(),
        agent_stakes(),
    ]
    .contains(a)
}
