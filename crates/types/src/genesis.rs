//! Genesis: the document that defines a chain's starting point, and the height-0 header that
//! commits to it. (The state it writes is the state machine's business: `sinew_state::genesis`.)

use crate::amount::{self, Amount};
use crate::{Address, BlockHeader, Hash, Params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// An account funded at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    /// The account.
    pub address: Address,
    /// Its starting balance.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub balance: Amount,
}

/// A validator named at genesis: a consensus key, kept apart from funded accounts (a validator
/// key signs votes, never transactions, so it holds no funds a compromise could take).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenesisValidator {
    /// Its ed25519 public key.
    pub key: Address,
    /// A name for people (1 to 64 printable characters).
    pub name: String,
}

/// Most validators a genesis may name.
pub const MAX_VALIDATORS: usize = 256;

/// Everything that defines a chain's starting point. Total supply is the sum of the balances and
/// never changes afterwards.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The chain id every transaction must carry (1 to 64 printable ASCII characters).
    pub chain_id: String,
    /// Genesis time, ms since the Unix epoch (informational).
    pub timestamp_ms: u64,
    /// Starting parameters.
    pub params: Params,
    /// Funded accounts.
    pub accounts: Vec<GenesisAccount>,
    /// The validators that order and finalize blocks (none: the single-node sequencer).
    #[serde(default)]
    pub validators: Vec<GenesisValidator>,
}

/// Why a genesis document is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid genesis: {0}")]
pub struct GenesisError(pub String);

impl Genesis {
    /// Checks the document: chain id, parameters, distinct accounts, supply within 128 bits.
    pub fn validate(&self) -> Result<Amount, GenesisError> {
        let id = &self.chain_id;
        if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(GenesisError(format!(
                "chain id {id:?} must be 1 to 64 printable ASCII characters"
            )));
        }
        self.params.validate().map_err(GenesisError)?;
        let mut seen = BTreeSet::new();
        let mut supply: Amount = 0;
        for a in &self.accounts {
            if !seen.insert(a.address) {
                return Err(GenesisError(format!("account {} is listed twice", a.address)));
            }
            supply = supply
                .checked_add(a.balance)
                .ok_or_else(|| GenesisError("total supply overflows 128 bits".into()))?;
        }
        self.validate_validators(&seen)?;
        Ok(supply)
    }

    /// Validators: at most [`MAX_VALIDATORS`], distinct keys, named, and none a funded account.
    fn validate_validators(&self, funded: &BTreeSet<Address>) -> Result<(), GenesisError> {
        if self.validators.len() > MAX_VALIDATORS {
            return Err(GenesisError(format!(
                "{} validators, more than {MAX_VALIDATORS}",
                self.validators.len()
            )));
        }
        let mut keys = BTreeSet::new();
        for v in &self.validators {
            if v.name.is_empty() || v.name.len() > 64 || v.name.chars().any(char::is_control) {
                return Err(GenesisError(format!(
                    "validator name {:?} must be 1 to 64 printable characters",
                    v.name
                )));
            }
            if !keys.insert(v.key) {
                return Err(GenesisError(format!("validator key {} is listed twice", v.key)));
            }
            if funded.contains(&v.key) {
                return Err(GenesisError(format!(
                    "validator {} ({}) is also a funded account: a validator key must hold no funds",
                    v.name, v.key
                )));
            }
        }
        Ok(())
    }

    /// The genesis block header for a given initial state root.
    pub fn header(&self, state_root: Hash) -> BlockHeader {
        BlockHeader {
            chain_id: self.chain_id.clone(),
            height: 0,
            parent: Hash::ZERO,
            timestamp_ms: self.timestamp_ms,
            proposer: Address::default(),
            tx_count: 0,
            tx_root: Hash::ZERO,
            sig_root: Hash::ZERO,
            receipts_root: Hash::ZERO,
            state_root,
            round: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Keypair;

    fn genesis(validators: Vec<GenesisValidator>) -> Genesis {
        let funded = Keypair::dev("funded").address();
        Genesis {
            chain_id: "c".into(),
            timestamp_ms: 0,
            params: Params::default_for(funded),
            accounts: vec![GenesisAccount {
                address: funded,
                balance: 10,
            }],
            validators,
        }
    }

    fn validator(seed: &str, name: &str) -> GenesisValidator {
        GenesisValidator {
            key: Keypair::dev(seed).address(),
            name: name.into(),
        }
    }

    #[test]
    fn validator_keys_are_distinct_named_and_never_funded_accounts() {
        assert!(genesis(vec![validator("v0", "alpha"), validator("v1", "beta")])
            .validate()
            .is_ok());
        assert!(
            genesis(vec![]).validate().is_ok(),
            "no validators: the single-node sequencer"
        );
        let funded = genesis(vec![validator("funded", "rich")]).validate().unwrap_err();
        assert!(funded.0.contains("also a funded account"), "{funded}");
        let twice = genesis(vec![validator("v0", "a"), validator("v0", "b")])
            .validate()
            .unwrap_err();
        assert!(twice.0.contains("listed twice"), "{twice}");
        let unnamed = genesis(vec![validator("v0", "")]).validate().unwrap_err();
        assert!(unnamed.0.contains("printable"), "{unnamed}");
        let many = (0..=MAX_VALIDATORS).map(|i| validator(&format!("v{i}"), "v")).collect();
        assert!(genesis(many).validate().unwrap_err().0.contains("more than"));
    }
}
