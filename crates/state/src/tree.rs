//! The state tree: a Jellyfish Merkle tree (the `jmt` crate) over every state key, hashed with
//! BLAKE3. Its root goes into each block header; [`StateTree::prove`] gives a proof of any key's
//! value (or absence) that [`verify_proof`] checks against that root with no other trust.
//!
//! Nodes live in memory. The root of a key set does not depend on history, so on start the node
//! rebuilds the tree from its flat state and checks the root against the last header. The last
//! `retain` versions stay provable; older nodes are pruned.

use crate::reader::WriteSet;
use borsh::{BorshDeserialize, BorshSerialize};
use jmt::proof::SparseMerkleProof;
use jmt::storage::{LeafNode, NibblePath, Node, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{JellyfishMerkleTree, KeyHash, OwnedValue, RootHash, SimpleHasher, Version};
use sinew_types::Hash;
use std::collections::BTreeMap;

/// BLAKE3 as the tree's hash function.
#[derive(Clone)]
pub struct Blake3Hasher(blake3::Hasher);

impl SimpleHasher for Blake3Hasher {
    fn new() -> Self {
        Blake3Hasher(blake3::Hasher::new())
    }
    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
    fn finalize(self) -> [u8; 32] {
        *self.0.finalize().as_bytes()
    }
}

type Jmt<'a> = JellyfishMerkleTree<'a, StateTree, Blake3Hasher>;

/// Errors from the state tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// The requested version was pruned or never existed.
    #[error("no state tree at height {0}: proofs are kept only for recent heights")]
    UnknownVersion(u64),
    /// The tree library failed (a bug or corrupted nodes).
    #[error("state tree failure: {0}")]
    Internal(String),
}

/// A proof that a key has a value (or none) under a state root.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct StateProof(pub Vec<u8>);

/// Why a proof does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid state proof: {0}")]
pub struct ProofError(pub String);

/// The empty nibble path (the root's). jmt builds it only internally, so decode it from its
/// canonical encoding: zero nibbles, zero bytes.
static EMPTY_PATH: std::sync::LazyLock<NibblePath> =
    std::sync::LazyLock::new(|| borsh::from_slice(&[0u8; 12]).expect("empty nibble path decodes"));

fn root_key(version: Version) -> NodeKey {
    NodeKey::new(version, EMPTY_PATH.clone())
}

fn key_hash(key: &[u8]) -> KeyHash {
    KeyHash::with::<Blake3Hasher>(key)
}

/// Checks that under state root `root`, `key` holds `value` (`None`: the key is absent).
pub fn verify_proof(root: Hash, key: &[u8], value: Option<&[u8]>, proof: &StateProof) -> Result<(), ProofError> {
    let p: SparseMerkleProof<Blake3Hasher> =
        borsh::from_slice(&proof.0).map_err(|e| ProofError(format!("malformed proof: {e}")))?;
    p.verify(RootHash(root.0), key_hash(key), value)
        .map_err(|e| ProofError(e.to_string()))
}

/// A change to the tree computed but not yet applied.
pub struct PendingTree {
    version: Version,
    root: Hash,
    batch: TreeUpdateBatch,
}

impl PendingTree {
    /// The state root this change leads to.
    pub fn root(&self) -> Hash {
        self.root
    }
}

/// Hash maps keyed by tree nodes: foldhash (fast, randomly seeded per process, so crafted keys
/// cannot target its buckets). Never iterated in anything hashed.
type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// The in-memory Jellyfish Merkle tree of all state.
#[derive(Default)]
pub struct StateTree {
    nodes: FastMap<NodeKey, Node>,
    values: FastMap<KeyHash, BTreeMap<Version, Option<OwnedValue>>>,
    /// Nodes that newer versions replaced, by the version that replaced them.
    stale_nodes: BTreeMap<Version, Vec<NodeKey>>,
    /// Value versions that newer versions replaced: (replacing version) -> (key, replaced version).
    stale_values: BTreeMap<Version, Vec<(KeyHash, Version)>>,
    latest: Option<Version>,
    retain: u64,
}

impl StateTree {
    /// An empty tree keeping `retain` (at least 1) versions provable.
    pub fn new(retain: u64) -> StateTree {
        StateTree {
            retain: retain.max(1),
            ..Default::default()
        }
    }

    /// A tree holding exactly `entries` at `version` (used on start, from the flat state).
    pub fn rebuild(
        entries: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>,
        version: Version,
        retain: u64,
    ) -> Result<StateTree, TreeError> {
        let mut t = StateTree::new(retain);
        if version > 0 {
            // jmt builds version v on the root of v - 1: start from an empty root there.
            t.nodes.insert(root_key(version - 1), Node::Null);
            t.latest = Some(version - 1);
        }
        let writes: WriteSet = entries.into_iter().map(|(k, v)| (k, Some(v))).collect();
        let pending = t.compute(version, &writes)?;
        t.apply(pending);
        Ok(t)
    }

    /// The newest version (block height) in the tree.
    pub fn latest(&self) -> Option<Version> {
        self.latest
    }

    /// Computes the root after applying `writes` at `version`, without changing the tree.
    pub fn compute(&self, version: Version, writes: &WriteSet) -> Result<PendingTree, TreeError> {
        self.compute_on(&[], version, writes)
    }

    /// Computes the root after applying `writes` at `version` on top of `ancestors` (computed,
    /// not yet applied changes, oldest first, each on the one before): how a block on an
    /// unfinalized parent gets its state root. The tree does not change.
    pub fn compute_on(
        &self,
        ancestors: &[&PendingTree],
        version: Version,
        writes: &WriteSet,
    ) -> Result<PendingTree, TreeError> {
        TreeView {
            base: self,
            layers: ancestors,
        }
        .compute(version, writes)
    }

    /// Applies a computed change and prunes versions older than the retention window.
    pub fn apply(&mut self, pending: PendingTree) {
        let PendingTree { version, batch, .. } = pending;
        for (k, n) in batch.node_batch.nodes() {
            self.nodes.insert(k.clone(), n.clone());
        }
        for ((v, kh), value) in batch.node_batch.values() {
            let versions = self.values.entry(*kh).or_default();
            if let Some((&prev, _)) = versions.iter().next_back() {
                self.stale_values.entry(*v).or_default().push((*kh, prev));
            }
            versions.insert(*v, value.clone());
        }
        for s in batch.stale_node_index_batch {
            self.stale_nodes
                .entry(s.stale_since_version)
                .or_default()
                .push(s.node_key);
        }
        self.latest = Some(version);
        self.prune();
    }

    fn prune(&mut self) {
        let Some(latest) = self.latest else { return };
        // Oldest version that must stay provable.
        let oldest = latest.saturating_sub(self.retain - 1);
        while let Some((&v, _)) = self.stale_nodes.first_key_value() {
            if v > oldest {
                break;
            }
            for k in self.stale_nodes.remove(&v).unwrap_or_default() {
                self.nodes.remove(&k);
            }
        }
        while let Some((&v, _)) = self.stale_values.first_key_value() {
            if v > oldest {
                break;
            }
            for (kh, prev) in self.stale_values.remove(&v).unwrap_or_default() {
                if let Some(versions) = self.values.get_mut(&kh) {
                    versions.remove(&prev);
                    if versions.len() == 1
                        && matches!(versions.values().next(), Some(None))
                        && *versions.keys().next().unwrap() <= oldest
                    {
                        self.values.remove(&kh);
                    }
                }
            }
        }
    }

    /// The root at `version`.
    pub fn root(&self, version: Version) -> Result<Hash, TreeError> {
        if !self.nodes.contains_key(&root_key(version)) {
            return Err(TreeError::UnknownVersion(version));
        }
        let root = Jmt::new(self)
            .get_root_hash(version)
            .map_err(|e| TreeError::Internal(e.to_string()))?;
        Ok(Hash(root.0))
    }

    /// The value of `key` at `version` and a proof of it against that version's root.
    pub fn prove(&self, key: &[u8], version: Version) -> Result<(Option<Vec<u8>>, StateProof), TreeError> {
        if !self.nodes.contains_key(&root_key(version)) {
            return Err(TreeError::UnknownVersion(version));
        }
        let (value, proof) = Jmt::new(self)
            .get_with_proof(key_hash(key), version)
            .map_err(|e| TreeError::Internal(e.to_string()))?;
        Ok((value, StateProof(borsh::to_vec(&proof).expect("encoding cannot fail"))))
    }

    /// Nodes held in memory (for metrics).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

/// The committed tree with computed, unapplied changes on top (oldest first): what a block on an
/// unfinalized parent reads.
struct TreeView<'a> {
    base: &'a StateTree,
    layers: &'a [&'a PendingTree],
}

impl TreeView<'_> {
    /// The newest version visible.
    fn latest(&self) -> Option<Version> {
        self.layers.last().map(|p| p.version).or(self.base.latest)
    }

    fn node(&self, key: &NodeKey) -> Option<Node> {
        self.layers
            .iter()
            .rev()
            .find_map(|p| p.batch.node_batch.get_node(key))
            .or_else(|| self.base.nodes.get(key))
            .cloned()
    }

    /// Computes the root after applying `writes` at `version` on this view.
    fn compute(&self, version: Version, writes: &WriteSet) -> Result<PendingTree, TreeError> {
        if self.latest().is_none() && version != 0 {
            return Err(TreeError::Internal(format!(
                "an empty tree starts at version 0, not {version}; use rebuild"
            )));
        }
        if let Some(l) = self.latest() {
            if version <= l {
                return Err(TreeError::Internal(format!("version {version} is not after {l}")));
            }
        }
        let jmt = JellyfishMerkleTree::<_, Blake3Hasher>::new(self);
        let set: Vec<(KeyHash, Option<OwnedValue>)> = writes.iter().map(|(k, v)| (key_hash(k), v.clone())).collect();
        let (root, batch) = if set.is_empty() {
            // jmt needs at least one change per version: re-put the root unchanged.
            self.copy_root(version)?
        } else if set.iter().all(|(_, v)| v.is_some()) {
            // Upserts only: jmt's batched insertion builds each new node once per block.
            let upserts = set.into_iter().map(|(k, v)| (k, v.expect("checked"))).collect();
            let (roots, batch) = jmt
                .batch_put_value_sets(vec![upserts], None, version)
                .map_err(|e| TreeError::Internal(e.to_string()))?;
            (roots[0], batch)
        } else {
            // Deletions need the key-at-a-time path; the tree's shape, and so its root, is the same.
            jmt.put_value_set(set, version)
                .map_err(|e| TreeError::Internal(e.to_string()))?
        };
        Ok(PendingTree {
            version,
            root: Hash(root.0),
            batch,
        })
    }

    fn copy_root(&self, version: Version) -> Result<(RootHash, TreeUpdateBatch), TreeError> {
        let mut batch = TreeUpdateBatch::default();
        let root = match self.latest() {
            None => Jmt::EMPTY_ROOT,
            Some(l) => {
                let node = self.node(&root_key(l)).ok_or(TreeError::UnknownVersion(l))?;
                let hash = JellyfishMerkleTree::<_, Blake3Hasher>::new(self)
                    .get_root_hash(l)
                    .map_err(|e| TreeError::Internal(e.to_string()))?;
                batch.node_batch.insert_node(root_key(version), node);
                hash
            }
        };
        if self.latest().is_none() {
            batch.node_batch.insert_node(root_key(version), Node::Null);
        }
        Ok((root, batch))
    }
}

impl TreeReader for TreeView<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        Ok(self.node(node_key))
    }

    fn get_value_option(&self, max_version: Version, key_hash: KeyHash) -> anyhow::Result<Option<OwnedValue>> {
        for p in self.layers.iter().rev().filter(|p| p.version <= max_version) {
            if let Some(v) = p.batch.node_batch.values().get(&(p.version, key_hash)) {
                return Ok(v.clone());
            }
        }
        self.base.get_value_option(max_version, key_hash)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("state tree restore is not supported; rebuild from flat state instead")
    }
}

impl TreeReader for StateTree {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        Ok(self.nodes.get(node_key).cloned())
    }

    fn get_value_option(&self, max_version: Version, key_hash: KeyHash) -> anyhow::Result<Option<OwnedValue>> {
        Ok(self
            .values
            .get(&key_hash)
            .and_then(|vs| vs.range(..=max_version).next_back())
            .and_then(|(_, v)| v.clone()))
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("state tree restore is not supported; rebuild from flat state instead")
    }
}

/// The tree doubles as the fastest view of the latest committed state: every value is already
/// in memory, keyed by the hash of its key.
impl crate::reader::StateReader for StateTree {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, crate::error::StorageError> {
        let Some(latest) = self.latest else { return Ok(None) };
        self.get_value_option(latest, key_hash(key))
            .map_err(|e| crate::error::StorageError::new(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(pairs: &[(&str, Option<&str>)]) -> WriteSet {
        pairs
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec())))
            .collect()
    }

    #[test]
    fn changes_computed_on_unapplied_ancestors_equal_applying_them_in_turn() {
        let steps = [
            ws(&[("a", Some("1")), ("b", Some("2")), ("c", Some("3"))]),
            ws(&[("b", None), ("d", Some("4"))]),
            ws(&[]),
            ws(&[("a", None), ("c", Some("5")), ("e", Some("6"))]),
            ws(&[("d", None), ("e", None)]),
        ];
        let mut base = StateTree::new(10);
        base.apply(base.compute(0, &ws(&[("z", Some("0"))])).unwrap());
        // Linear: each step applied before the next is computed.
        let mut linear = StateTree::new(10);
        linear.apply(linear.compute(0, &ws(&[("z", Some("0"))])).unwrap());
        let mut roots = Vec::new();
        for (i, w) in steps.iter().enumerate() {
            let p = linear.compute(i as u64 + 1, w).unwrap();
            roots.push(p.root());
            linear.apply(p);
        }
        // Overlay: every step computed on the unapplied ones before it, then all applied.
        let mut pending: Vec<PendingTree> = Vec::new();
        for (i, w) in steps.iter().enumerate() {
            let layers: Vec<&PendingTree> = pending.iter().collect();
            let p = base.compute_on(&layers, i as u64 + 1, w).unwrap();
            assert_eq!(p.root(), roots[i], "step {i} on its unapplied ancestors");
            pending.push(p);
        }
        for p in pending {
            base.apply(p);
        }
        for (i, r) in roots.iter().enumerate() {
            assert_eq!(base.root(i as u64 + 1).unwrap(), *r);
        }
        use crate::reader::StateReader;
        assert_eq!(base.get(b"c").unwrap(), Some(b"5".to_vec()));
        assert_eq!(base.get(b"a").unwrap(), None, "deleted on the overlay, deleted after");
    }

    #[test]
    fn root_is_a_function_of_content_not_history() {
        let mut a = StateTree::new(10);
        let p = a.compute(0, &ws(&[("x", Some("1")), ("y", Some("2"))])).unwrap();
        a.apply(p);
        let p = a.compute(1, &ws(&[("x", Some("3")), ("z", Some("4"))])).unwrap();
        a.apply(p);
        let p = a.compute(2, &ws(&[("z", None)])).unwrap();
        let root3 = p.root();
        a.apply(p);
        let b = StateTree::rebuild(
            vec![(b"x".to_vec(), b"3".to_vec()), (b"y".to_vec(), b"2".to_vec())],
            7,
            10,
        )
        .unwrap();
        assert_eq!(b.root(7).unwrap(), root3);
        assert_eq!(a.root(2).unwrap(), root3);
        assert_ne!(a.root(1).unwrap(), root3);
    }

    #[test]
    fn proofs_verify_and_reject_lies() {
        let mut t = StateTree::new(10);
        let p = t
            .compute(0, &ws(&[("a", Some("1")), ("b", Some("2")), ("c", Some("3"))]))
            .unwrap();
        t.apply(p);
        let root = t.root(0).unwrap();
        let (v, proof) = t.prove(b"b", 0).unwrap();
        assert_eq!(v.as_deref(), Some(&b"2"[..]));
        verify_proof(root, b"b", Some(b"2"), &proof).unwrap();
        assert!(verify_proof(root, b"b", Some(b"9"), &proof).is_err());
        assert!(verify_proof(root, b"b", None, &proof).is_err());
        assert!(verify_proof(Hash([1; 32]), b"b", Some(b"2"), &proof).is_err());
        let (v, proof) = t.prove(b"missing", 0).unwrap();
        assert_eq!(v, None);
        verify_proof(root, b"missing", None, &proof).unwrap();
        assert!(verify_proof(root, b"missing", Some(b"1"), &proof).is_err());
        assert!(verify_proof(root, b"b", Some(b"2"), &StateProof(vec![1, 2, 3])).is_err());
    }

    #[test]
    fn empty_blocks_keep_the_root_and_old_versions_are_pruned() {
        let mut t = StateTree::new(3);
        let p = t.compute(0, &WriteSet::new()).unwrap();
        assert_eq!(p.root(), Hash(Jmt::EMPTY_ROOT.0));
        t.apply(p);
        for v in 1..=10u64 {
            let p = t.compute(v, &ws(&[("k", Some(&v.to_string()))])).unwrap();
            t.apply(p);
        }
        let p = t.compute(11, &WriteSet::new()).unwrap();
        assert_eq!(p.root(), t.root(10).unwrap());
        t.apply(p);
        assert!(t.root(9).is_ok());
        assert!(matches!(t.prove(b"k", 5), Err(TreeError::UnknownVersion(5))));
        let (v, _) = t.prove(b"k", 9).unwrap();
        assert_eq!(v.as_deref(), Some(&b"9"[..]));
        let (v, _) = t.prove(b"k", 11).unwrap();
        assert_eq!(v.as_deref(), Some(&b"10"[..]));
        assert!(
            t.node_count() < 20,
            "pruning keeps memory bounded: {} nodes",
            t.node_count()
        );
    }
}
