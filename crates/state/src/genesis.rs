//! The state a genesis document writes. The document itself is a wire type
//! (`sinew_types::genesis`): clients read it without the state machine.

use crate::accounts::Account;
use crate::keys::{ChainInfo, StateKey};
use crate::reader::WriteSet;
pub use sinew_types::genesis::{Genesis, GenesisAccount, GenesisError, GenesisValidator};
use sinew_types::records::Validator;

/// The initial state `genesis` defines (after checking the document).
pub fn genesis_writes(genesis: &Genesis) -> Result<WriteSet, GenesisError> {
    let supply = genesis.validate()?;
    let mut w = WriteSet::new();
    let mut put = |k: StateKey, v: Vec<u8>| {
        w.insert(k.encode(), Some(v));
    };
    put(
        StateKey::Chain,
        borsh::to_vec(&ChainInfo {
            chain_id: genesis.chain_id.clone(),
        })
        .unwrap(),
    );
    put(StateKey::Params, borsh::to_vec(&genesis.params).unwrap());
    put(StateKey::Supply, borsh::to_vec(&supply).unwrap());
    for a in &genesis.accounts {
        let acct = Account {
            balance: a.balance,
            ..Default::default()
        };
        put(StateKey::Account(a.address), borsh::to_vec(&acct).unwrap());
    }
    if !genesis.validators.is_empty() {
        let set: Vec<Validator> = genesis
            .validators
            .iter()
            .enumerate()
            .map(|(i, v)| Validator {
                index: i as u32,
                key: v.key,
                name: v.name.clone(),
            })
            .collect();
        put(StateKey::Validators, borsh::to_vec(&set).unwrap());
    }
    Ok(w)
}
