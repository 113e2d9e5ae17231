//! The dev genesis tests start from, and the sums the supply invariant compares.

use sinew_state::{Account, Genesis, GenesisAccount, MemState, StateKey};
use sinew_types::{Address, Keypair, Params};

/// Sum of everything every account holds.
pub fn total_held(state: &MemState) -> u128 {
    let prefix = StateKey::Account(Address::default()).kind_prefix();
    state
        .map
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(_, v)| borsh::from_slice::<Account>(v).expect("account decodes").total())
        .sum()
}

/// The fixed supply recorded at genesis.
pub fn supply(state: &MemState) -> u128 {
    sinew_state::read(state, &StateKey::Supply)
        .unwrap()
        .expect("supply is set")
}

/// A small test chain: `n` dev accounts funded with `balance` each; the first is the authority.
pub fn test_genesis(n: usize, balance: u128) -> (Genesis, Vec<Keypair>) {
    let keys: Vec<Keypair> = (0..n).map(|i| Keypair::dev(&format!("fuzz-{i}"))).collect();
    let mut params = Params::default_for(keys[0].address());
    params.unbonding_period = 3;
    params.min_claim_window = 4;
    let genesis = Genesis {
        chain_id: "sinew-test".into(),
        timestamp_ms: 0,
        params,
        accounts: keys
            .iter()
            .map(|k| GenesisAccount {
                address: k.address(),
                balance,
            })
            .collect(),
        validators: vec![],
    };
    (genesis, keys)
}
