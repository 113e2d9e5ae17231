//! A binary Merkle root over an ordered list of leaf hashes (transactions and receipts of a
//! block, contributions of a datanet version). Leaves and inner nodes are hashed under distinct
//! domain tags; an odd node is promoted. A [`Frontier`] gives the same root for a list that only
//! grows, keeping O(log n) hashes instead of every leaf.

use crate::Hash;

fn node(a: &Hash, b: &Hash) -> Hash {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(&a.0);
    buf[32..].copy_from_slice(&b.0);
    Hash::tagged(b"sinew/merkle-node", &buf)
}

fn leaf(l: &Hash) -> Hash {
    Hash::tagged(b"sinew/merkle-leaf", &l.0)
}

/// The roots of the perfect subtrees of an append-only leaf list, largest first, each with its
/// height. Pairing left to right and promoting an odd node (as [`root`] does) makes the tree of
/// n leaves these perfect subtrees (the binary digits of n) folded from the right.
#[derive(Clone, Debug, Default, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Frontier(pub Vec<(u32, Hash)>);

impl Frontier {
    /// Appends a leaf (O(log n) hashes).
    pub fn push(&mut self, l: &Hash) {
        let mut cur = (0u32, leaf(l));
        while let Some(&(h, top)) = self.0.last() {
            if h != cur.0 {
                break;
            }
            self.0.pop();
            cur = (h + 1, node(&top, &cur.1));
        }
        self.0.push(cur);
    }

    /// The root of every leaf pushed so far: equal to [`root`] of them.
    pub fn root(&self) -> Hash {
        let mut it = self.0.iter().rev();
        let Some(&(_, mut acc)) = it.next() else {
            return Hash::ZERO;
        };
        for (_, h) in it {
            acc = node(h, &acc);
        }
        acc
    }
}

/// The Merkle root of `leaves` in order; `Hash::ZERO` for an empty list.
pub fn root(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        return Hash::ZERO;
    }
    let mut level: Vec<Hash> = leaves.iter().map(leaf).collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [a, b] => node(a, b),
                [a] => *a,
                _ => unreachable!("chunks(2) yields one or two items"),
            })
            .collect();
    }
    level[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_depends_on_order_and_content() {
        let a = Hash::of(b"a");
        let b = Hash::of(b"b");
        let c = Hash::of(b"c");
        assert_eq!(root(&[]), Hash::ZERO);
        assert_ne!(root(&[a]), a, "a single leaf is still tagged");
        assert_ne!(root(&[a, b]), root(&[b, a]));
        assert_ne!(root(&[a, b, c]), root(&[a, b]));
        assert_eq!(root(&[a, b, c]), root(&[a, b, c]));
    }

    #[test]
    fn the_frontier_gives_the_same_root_at_every_length() {
        let mut f = Frontier::default();
        let mut leaves = Vec::new();
        assert_eq!(f.root(), root(&leaves));
        for i in 0..300u32 {
            let l = Hash::of(&i.to_le_bytes());
            f.push(&l);
            leaves.push(l);
            assert_eq!(f.root(), root(&leaves), "{} leaves", leaves.len());
            assert_eq!(f.0.len(), leaves.len().count_ones() as usize);
        }
    }
}
