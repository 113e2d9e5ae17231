//! The layout of state: every value lives under a [`StateKey`].

use borsh::{BorshDeserialize, BorshSerialize};
use sinew_types::{Address, Height};

/// A key in the state map. Variants are appended as features grow, never reordered: the encoded
/// key is what the state tree commits to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
pub enum StateKey {
    /// Chain identity: chain id (value: `ChainInfo`).
    Chain,
    /// Governance parameters (value: `Params`).
    Params,
    /// Total token supply, fixed at genesis (value: `u128`).
    Supply,
    /// An account (value: `Account`).
    Account(Address),
    /// Accounts with unbonding stake maturing at a height (value: `Vec<Address>`).
    UnbondingDue(Height),
}

impl StateKey {
    /// The canonical key bytes.
    pub fn encode(&self) -> Vec<u8> {
        borsh::to_vec(self).expect("encoding a key cannot fail")
    }
}

/// Chain identity kept in state.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ChainInfo {
    /// The chain id every transaction must carry.
    pub chain_id: String,
}
