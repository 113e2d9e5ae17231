//! How the state machine reads state, and the in-memory implementation used by tests and replay.

use crate::error::StorageError;
use crate::keys::StateKey;
use borsh::BorshDeserialize;
use std::collections::BTreeMap;

/// Changes to state: key to new value, `None` deletes. Ordered, so hashing it is deterministic.
pub type WriteSet = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Read access to committed state.
pub trait StateReader {
    /// The value under `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;
}

/// State held in memory: for tests, fuzzing and replaying a chain from genesis.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemState {
    /// All key-value pairs.
    pub map: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl MemState {
    /// Applies a write set.
    pub fn apply(&mut self, writes: &WriteSet) {
        for (k, v) in writes {
            match v {
                Some(v) => {
                    self.map.insert(k.clone(), v.clone());
                }
                None => {
                    self.map.remove(k);
                }
            }
        }
    }
}

impl StateReader for MemState {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.map.get(key).cloned())
    }
}

/// Reads and decodes a typed value from state.
pub fn read<T: BorshDeserialize, R: StateReader + ?Sized>(
    reader: &R,
    key: &StateKey,
) -> Result<Option<T>, StorageError> {
    let k = key.encode();
    reader.get(&k)?.map(|v| decode(&k, &v)).transpose()
}

fn decode<T: BorshDeserialize>(key: &[u8], bytes: &[u8]) -> Result<T, StorageError> {
    borsh::from_slice(bytes)
        .map_err(|e| StorageError::caused_by(&format!("corrupt value under key {}", hex_short(key)), e))
}

fn hex_short(b: &[u8]) -> String {
    b.iter().take(40).map(|x| format!("{x:02x}")).collect()
}

/// Committed state with the changes of executed, unfinalized blocks on top (oldest first): what
/// a block on an unfinalized parent reads.
pub struct Layered<'a, R: ?Sized> {
    base: &'a R,
    layers: Vec<&'a WriteSet>,
}

impl<'a, R: StateReader + ?Sized> Layered<'a, R> {
    /// `base` with `layers` (oldest first) written over it.
    pub fn new(base: &'a R, layers: Vec<&'a WriteSet>) -> Self {
        Layered { base, layers }
    }
}

impl<R: StateReader + ?Sized> StateReader for Layered<'_, R> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        match self.layers.iter().rev().find_map(|w| w.get(key)) {
            Some(v) => Ok(v.clone()),
            None => self.base.get(key),
        }
    }
}
