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
    /// An account with unbonding stake maturing at a height, by position in that height's queue
    /// (value: `Address`; the queue's length is under `DueCount`).
    UnbondingDue(Height, u64),
    /// The id the next datanet gets (value: `u64`).
    NextDatanetId,
    /// A datanet (value: `Datanet`).
    Datanet(u64),
    /// A contribution to a datanet, by its number there (value: `Contribution`).
    Contribution(u64, u64),
    /// The `n`-th approved contribution of a datanet, in order of approval (value: `u64`, its
    /// number; the count is the datanet's `approved`).
    DatanetApproved(u64, u64),
    /// A published version of a datanet (value: `DatanetVersion`).
    DatanetVersion(u64, u64),
    /// A record's text hash in a datanet, for exact duplicates (value: `(u64, u32)`: contribution, index).
    DatanetRecord(u64, Hash),
    /// A group of LSH buckets of a datanet: band, prefix length in bits and the prefix of the band
    /// hash (value: `Vec<(u64, u64, u32)>`: band hash, contribution, record index, sorted; at most
    /// `LSH_BUCKET_CAP` records per band hash and `GROUP_CAP` per group). Which prefix length holds
    /// a hash is under `DatanetLshLayout`.
    DatanetLsh(u64, u8, u8, u64),
    /// A registered provider (value: `Provider`).
    Provider(Address),
    /// The id the next model gets (value: `u64`).
    NextModelId,
    /// A model (value: `Model`).
    Model(u64),
    /// A model's id by name hash, for unique names (value: `u64`).
    ModelName(Hash),
    /// A model built from a datanet (value: `()`): one key per pair, listed by prefix.
    ModelsByDatanet(u64, u64),
    /// An API key by its hash (value: `ApiKey`).
    ApiKey(Hash),
    /// A prepaid inference balance (value: `Prepaid`).
    Prepaid(Address),
    /// An account with a prepaid withdrawal maturing at a height, by position (value: `Address`).
    PrepaidDue(Height, u64),
    /// A settled request (value: `Settled`).
    Settled(Hash),
    /// Accrued, claimable rewards (value: `u128`).
    Rewards(Address),
    /// A registered agent (value: `Agent`).
    Agent(Address),
    /// An active agent advertising a capability (BLAKE3 of its name) (value: `()`): one key per
    /// pair, listed by prefix; the count is under `CapabilityAgents`.
    AgentsByCapability(Hash, Address),
    /// An agent's track record (value: `Reputation`).
    Reputation(Address),
    /// A task (value: `Task`).
    Task(Hash),
    /// An agent whose retirement matures at a height, by position (value: `Address`).
    AgentDue(Height, u64),
    /// Stakers of a provider and their stake (value: `Vec<(Address, u128)>`, sorted by address).
    ProviderDelegators(Address),
    /// Funds held for a reserved inference request (value: `Hold`).
    Hold(Hash),
    /// A hold expiring at a height, by position (value: `Hash`: the request id).
    HoldDue(Height, u64),
    /// A model a provider serves (accepted) (value: `()`): one key per pair, listed by prefix.
    ProviderModels(Address, u64),
    /// Length of a maturity queue at a height (value: `u64`): queue (see `DueQueue`), height.
    DueCount(u8, Height),
    /// Agents advertising a capability (value: `u64`).
    CapabilityAgents(Hash),
    /// The Merkle frontier of a datanet's approved contributions (value: `Vec<(u32, Hash)>`: the
    /// roots of its perfect subtrees, largest first), so a version's root costs O(log n).
    DatanetFrontier(u64),
    /// The validator set, in index order (value: `Vec<Validator>`; absent: the single-node
    /// sequencer orders blocks).
    Validators,
    /// How deep a datanet's LSH bucket groups have split (value: `LshLayout`; absent: one group
    /// per band).
    DatanetLshLayout(u64),
}

impl StateKey {
    /// The canonical key bytes.
    pub fn encode(&self) -> Vec<u8> {
        borsh::to_vec(self).expect("encoding a key cannot fail")
    }

    /// The prefix every key of this kind starts with (its variant tag): scan it to list all
    /// accounts, all tasks, all models. The other fields of `self` do not matter.
    pub fn kind_prefix(&self) -> Vec<u8> {
        self.encode()[..1].to_vec()
    }

    /// The prefix shared by keys of this kind with the same first field: scan it to list a
    /// datanet's contributions, a datanet's models, a provider's models, the agents of a
    /// capability. Kinds of one field (or none) have no narrower prefix than their kind.
    pub fn owner_prefix(&self) -> Vec<u8> {
        let first = match self {
            StateKey::Contribution(d, _)
            | StateKey::DatanetApproved(d, _)
            | StateKey::DatanetVersion(d, _)
            | StateKey::DatanetRecord(d, _)
            | StateKey::DatanetLsh(d, ..)
            | StateKey::ModelsByDatanet(d, _)
            | StateKey::UnbondingDue(d, _)
            | StateKey::PrepaidDue(d, _)
            | StateKey::AgentDue(d, _)
            | StateKey::HoldDue(d, _) => borsh::to_vec(d),
            StateKey::ProviderModels(a, _) => borsh::to_vec(a),
            StateKey::AgentsByCapability(h, _) => borsh::to_vec(h),
            StateKey::DueCount(q, _) => borsh::to_vec(q),
            _ => return self.kind_prefix(),
        }
        .expect("encoding a key cannot fail");
        [self.kind_prefix(), first].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_select_a_kind_and_an_owner() {
        let a = StateKey::Contribution(7, 3).encode();
        assert!(a.starts_with(&StateKey::Contribution(7, 0).owner_prefix()));
        assert!(!a.starts_with(&StateKey::Contribution(8, 0).owner_prefix()));
        assert!(a.starts_with(&StateKey::Contribution(0, 0).kind_prefix()));
        assert!(!a.starts_with(&StateKey::Datanet(7).kind_prefix()));
        let p = Address([9; 32]);
        let m = StateKey::ProviderModels(p, 5).encode();
        assert_eq!(StateKey::ProviderModels(p, 0).owner_prefix().len(), 33);
        assert!(m.starts_with(&StateKey::ProviderModels(p, 0).owner_prefix()));
        assert!(!m.starts_with(&StateKey::ProviderModels(Address([8; 32]), 0).owner_prefix()));
        assert_eq!(
            StateKey::Task(Hash::default()).owner_prefix(),
            StateKey::Task(Hash::default()).kind_prefix()
        );
    }
}

/// Chain identity kept in state.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ChainInfo {
    /// The chain id every transaction must carry.
    pub chain_id: String,
}

/// How far a datanet's LSH bucket groups have split (linear hashing): groups of prefixes below
/// `next` have `depth + 1` bits, the others `depth` bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LshLayout {
    /// Bits of the band hash that every group's prefix has at least.
    pub depth: u8,
    /// Groups of `depth` bits before this prefix have split into two of `depth + 1` bits.
    pub next: u64,
    /// Entries in all groups of all bands.
    pub entries: u64,
}
