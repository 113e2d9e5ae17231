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
        Ok(supply)
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
        }
    }
}
