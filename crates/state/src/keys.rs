//! The layout of state: every value lives under a [`StateKey`].

use borsh::{BorshDeserialize, BorshSerialize};
use sinew_types::{Address, Hash, Height};

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
    /// The id the next datanet gets (value: `u64`).
    NextDatanetId,
    /// A datanet (value: `Datanet`).
    Datanet(u64),
    /// A contribution to a datanet, by its number there (value: `Contribution`).
    Contribution(u64, u64),
    /// Approved contributions of a datanet, in order of approval (value: `Vec<u64>`).
    DatanetApproved(u64),
    /// A published version of a datanet (value: `DatanetVersion`).
    DatanetVersion(u64, u64),
    /// A record's text hash in a datanet, for exact duplicates (value: `(u64, u32)`: contribution, index).
    DatanetRecord(u64, Hash),
    /// One LSH bucket of a datanet: band and band hash (value: `Vec<(u64, u32)>`: up to
    /// `LSH_BUCKET_CAP` records with that band hash, as contribution and record index).
    DatanetLsh(u64, u8, u64),
    /// A registered provider (value: `Provider`).
    Provider(Address),
    /// The id the next model gets (value: `u64`).
    NextModelId,
    /// A model (value: `Model`).
    Model(u64),
    /// A model's id by name hash, for unique names (value: `u64`).
    ModelName(Hash),
    /// Models built from a datanet (value: `Vec<u64>`, ascending).
    ModelsByDatanet(u64),
    /// An API key by its hash (value: `ApiKey`).
    ApiKey(Hash),
    /// A prepaid inference balance (value: `Prepaid`).
    Prepaid(Address),
    /// Accounts with prepaid withdrawals maturing at a height (value: `Vec<Address>`).
    PrepaidDue(Height),
    /// A settled request (value: `Settled`).
    Settled(Hash),
    /// Accrued, claimable rewards (value: `u128`).
    Rewards(Address),
    /// A registered agent (value: `Agent`).
    Agent(Address),
    /// Active agents advertising a capability, by BLAKE3 of its name (value: `Vec<Address>`, sorted).
    AgentsByCapability(Hash),
    /// An agent's track record (value: `Reputation`).
    Reputation(Address),
    /// A task (value: `Task`).
    Task(Hash),
    /// Agents whose retirement matures at a height (value: `Vec<Address>`).
    AgentDue(Height),
    /// Stakers of a provider and their stake (value: `Vec<(Address, u128)>`, sorted by address).
    ProviderDelegators(Address),
    /// Funds held for a reserved inference request (value: `Hold`).
    Hold(Hash),
    /// Holds expiring at a height (value: `Vec<Hash>`: request ids).
    HoldDue(Height),
    /// Models a provider serves (accepted), ascending (value: `Vec<u64>`).
    ProviderModels(Address),
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
