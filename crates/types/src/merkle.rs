//! A binary Merkle root over an ordered list of leaf hashes (transactions and receipts of a
//! block). Leaves and inner nodes are hashed under distinct domain tags; an odd node is promoted.

use crate::Hash;

/// The Merkle root of `leaves` in order; `Hash::ZERO` for an empty list.
pub fn root(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        return Hash::ZERO;
    }
    let mut level: Vec<Hash> = leaves
        .iter()
        .map(|l| Hash::tagged(b"sinew/merkle-leaf", &l.0))
        .collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [a, b] => {
                    let mut buf = [0u8; 64];
                    buf[..32].copy_from_slice(&a.0);
                    buf[32..].copy_from_slice(&b.0);
                    Hash::tagged(b"sinew/merkle-node", &buf)
                }
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
}
