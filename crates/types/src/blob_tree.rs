//! A blob cut into pieces that can each be checked against the blob's id on arrival. A blob's id
//! is the BLAKE3 of its bytes; BLAKE3 is a tree, so the chaining values of aligned pieces merge
//! up to that very hash. A validator fetching a blob from peers first gets the pieces' chaining
//! values (checked at once by merging them into the id), then each piece (checked against its
//! chaining value): a peer sending one wrong byte is caught at that piece, not after the whole
//! blob, and nothing but the id needs to be trusted.

use crate::Hash;
use blake3::hazmat::{left_subtree_len, merge_subtrees_non_root, merge_subtrees_root, ChainingValue, HasherExt, Mode};

/// Bytes per piece: a power of two (so pieces are aligned BLAKE3 subtrees), small enough for one
/// network message.
pub const PIECE_LEN: u64 = 1 << 20;

/// Why a tree or a piece does not match a blob id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobTreeError {
    /// The tree's chaining values do not merge into the blob's id.
    #[error("the piece hashes do not merge into blob {0}")]
    WrongRoot(Hash),
    /// The tree has the wrong number of chaining values for its size.
    #[error("a tree of a {size}-byte blob needs {expected} piece hashes, got {got}")]
    WrongShape {
        /// The blob size the tree claims.
        size: u64,
        /// Chaining values needed.
        expected: u64,
        /// Chaining values given.
        got: u64,
    },
    /// The piece index is past the blob's end.
    #[error("piece {index} is past the end of a blob of {pieces} pieces")]
    NoSuchPiece {
        /// The index asked for.
        index: u64,
        /// Pieces in the blob.
        pieces: u64,
    },
    /// The piece has the wrong length or the wrong bytes.
    #[error("piece {0} does not match its hash")]
    BadPiece(u64),
}

/// A blob's size and the chaining value of each of its pieces (none when the blob fits in one
/// piece: that piece is checked against the id itself).
#[derive(Debug, Clone, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct BlobTree {
    /// The blob's size in bytes.
    pub size: u64,
    /// Chaining values of the pieces, in order.
    pub pieces: Vec<[u8; 32]>,
}

/// Pieces in a blob of `size` bytes (an empty blob is one empty piece).
pub fn piece_count(size: u64) -> u64 {
    size.div_ceil(PIECE_LEN).max(1)
}

/// Where piece `index` of a blob of `size` bytes starts, and its length.
pub fn piece_range(size: u64, index: u64) -> (u64, u64) {
    let start = index * PIECE_LEN;
    (start, size.saturating_sub(start).min(PIECE_LEN))
}

impl BlobTree {
    /// The tree of a blob whose pieces `piece(i)` yields in order (read from a file or memory).
    pub fn build<E>(size: u64, mut piece: impl FnMut(u64) -> Result<Vec<u8>, E>) -> Result<BlobTree, E> {
        let pieces = if size <= PIECE_LEN {
            Vec::new()
        } else {
            (0..piece_count(size))
                .map(|i| piece(i).map(|bytes| chaining_value(i, &bytes)))
                .collect::<Result<_, E>>()?
        };
        Ok(BlobTree { size, pieces })
    }

    /// The tree of a blob held in memory.
    pub fn of(bytes: &[u8]) -> BlobTree {
        let size = bytes.len() as u64;
        let tree: Result<_, std::convert::Infallible> = BlobTree::build(size, |i| {
            let (start, len) = piece_range(size, i);
            Ok(bytes[start as usize..(start + len) as usize].to_vec())
        });
        tree.unwrap_or_else(|never| match never {})
    }

    /// Checks the tree against the blob's id: its shape fits its size and its chaining values
    /// merge into `id`.
    pub fn check(&self, id: &Hash) -> Result<(), BlobTreeError> {
        let expected = if self.size <= PIECE_LEN {
            0
        } else {
            piece_count(self.size)
        };
        if self.pieces.len() as u64 != expected {
            return Err(BlobTreeError::WrongShape {
                size: self.size,
                expected,
                got: self.pieces.len() as u64,
            });
        }
        if expected > 0 && Hash(*merge(&self.pieces, self.size, true).as_bytes()) != *id {
            return Err(BlobTreeError::WrongRoot(*id));
        }
        Ok(())
    }

    /// Checks piece `index` of the blob `id` (whose tree this is, already checked).
    pub fn check_piece(&self, id: &Hash, index: u64, bytes: &[u8]) -> Result<(), BlobTreeError> {
        let pieces = piece_count(self.size);
        if index >= pieces {
            return Err(BlobTreeError::NoSuchPiece { index, pieces });
        }
        let (_, len) = piece_range(self.size, index);
        let ok = bytes.len() as u64 == len
            && if self.pieces.is_empty() {
                Hash::of(bytes) == *id
            } else {
                chaining_value(index, bytes) == self.pieces[index as usize]
            };
        if ok {
            Ok(())
        } else {
            Err(BlobTreeError::BadPiece(index))
        }
    }
}

/// The chaining value of piece `index` (a blob of more than one piece).
fn chaining_value(index: u64, bytes: &[u8]) -> ChainingValue {
    let mut h = blake3::Hasher::new();
    h.set_input_offset(index * PIECE_LEN);
    h.update(bytes);
    h.finalize_non_root()
}

/// Merges the chaining values of the pieces covering `len` bytes as BLAKE3 does: the left
/// subtree takes the largest power of two of bytes below `len`.
fn merge(cvs: &[ChainingValue], len: u64, root: bool) -> blake3::Hash {
    debug_assert!(len > PIECE_LEN && cvs.len() > 1);
    let left_len = left_subtree_len(len);
    let left_pieces = (left_len / PIECE_LEN) as usize;
    let side = |cvs: &[ChainingValue], len: u64| {
        if len <= PIECE_LEN {
            cvs[0]
        } else {
            *merge(cvs, len, false).as_bytes()
        }
    };
    let l = side(&cvs[..left_pieces], left_len);
    let r = side(&cvs[left_pieces..], len - left_len);
    if root {
        merge_subtrees_root(&l, &r, Mode::Hash)
    } else {
        blake3::Hash::from(merge_subtrees_non_root(&l, &r, Mode::Hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pseudo-random bytes: no two pieces alike.
    fn bytes(len: usize, seed: u8) -> Vec<u8> {
        let mut out = vec![0; len];
        blake3::Hasher::new().update(&[seed]).finalize_xof().fill(&mut out);
        out
    }

    #[test]
    fn trees_merge_into_the_blake3_of_the_blob_for_every_shape() {
        let p = PIECE_LEN as usize;
        for len in [
            0,
            1,
            1024,
            p - 1,
            p,
            p + 1,
            2 * p,
            2 * p + 1,
            3 * p - 5,
            4 * p,
            5 * p + 77,
        ] {
            let blob = bytes(len, len as u8);
            let id = Hash::of(&blob);
            let tree = BlobTree::of(&blob);
            assert_eq!(tree.check(&id), Ok(()), "size {len}");
            for i in 0..piece_count(len as u64) {
                let (start, n) = piece_range(len as u64, i);
                let piece = &blob[start as usize..(start + n) as usize];
                assert_eq!(tree.check_piece(&id, i, piece), Ok(()), "size {len} piece {i}");
            }
        }
    }

    #[test]
    fn a_wrong_tree_or_piece_is_refused() {
        let p = PIECE_LEN as usize;
        let blob = bytes(3 * p + 10, 7);
        let id = Hash::of(&blob);
        let tree = BlobTree::of(&blob);
        // Another blob's tree, a tree with a piece hash changed, a tree of the wrong shape.
        let other = BlobTree::of(&bytes(3 * p + 10, 8));
        assert_eq!(other.check(&id), Err(BlobTreeError::WrongRoot(id)));
        let mut flipped = tree.clone();
        flipped.pieces[2][0] ^= 1;
        assert_eq!(flipped.check(&id), Err(BlobTreeError::WrongRoot(id)));
        let mut short = tree.clone();
        short.pieces.pop();
        assert!(matches!(
            short.check(&id),
            Err(BlobTreeError::WrongShape {
                expected: 4,
                got: 3,
                ..
            })
        ));
        let mut resized = tree.clone();
        resized.size = 10;
        assert!(matches!(
            resized.check(&id),
            Err(BlobTreeError::WrongShape { expected: 0, .. })
        ));
        // A piece with one byte changed, cut short, or past the end.
        let mut piece = blob[p..2 * p].to_vec();
        piece[5] ^= 1;
        assert_eq!(tree.check_piece(&id, 1, &piece), Err(BlobTreeError::BadPiece(1)));
        assert_eq!(
            tree.check_piece(&id, 1, &blob[p..2 * p - 1]),
            Err(BlobTreeError::BadPiece(1))
        );
        assert_eq!(
            tree.check_piece(&id, 4, b""),
            Err(BlobTreeError::NoSuchPiece { index: 4, pieces: 4 })
        );
        // A piece in the wrong place (right bytes, wrong index) is refused too.
        assert_eq!(
            tree.check_piece(&id, 0, &blob[p..2 * p]),
            Err(BlobTreeError::BadPiece(0))
        );
        // A one-piece blob is checked against its id.
        let small = b"small blob".to_vec();
        let small_tree = BlobTree::of(&small);
        assert_eq!(
            small_tree.check_piece(&Hash::of(&small), 0, b"small blub"),
            Err(BlobTreeError::BadPiece(0))
        );
    }
}
