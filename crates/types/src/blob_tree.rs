//! A blob cut into pieces that can each be checked against the blob's id on arrival. A blob's id
//! is the BLAKE3 of its bytes; BLAKE3 is a tree, so the chaining values of aligned pieces merge
//! up to that very hash. A validator fetching a blob from peers first gets the pieces' chaining
//! values (checked at once by merging them into the id), then each piece (checked against its
//! chaining value): a peer sending one wrong byte is caught at that piece, not after the whole
//! blob, and nothing but the id needs to be trusted.

use crate::Hash;
use blake3::hazmat::{merge_subtrees_non_root, merge_subtrees_root, ChainingValue, HasherExt, Mode};

/// Bytes per piece: a power of two (so pieces are aligned BLAKE3 subtrees), small enough for one
/// network message.
pub const PIECE_LEN: u64 = 1 << 20;

/// Why a tree or a piece does not match a blob id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobTreeError {
    /// The tree does not match the blob's id (its bytes, or its chaining values merged).
    #[error("the tree does not match blob {0}")]
    WrongRoot(Hash),
    /// A one-piece blob was sent as pieces, or a piece longer than a piece.
    #[error("a malformed tree: {0}")]
    Malformed(&'static str),
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

/// What a validator sends for a blob's tree. Nothing in it is taken on trust: a blob of one piece
/// travels whole (checked against its id at once); a larger blob as the chaining values of its
/// pieces, which must merge into its id. The size is not part of it (a claimed size could not be
/// checked before the last piece): every piece but the last is exactly [`PIECE_LEN`] bytes, and
/// the last piece, whatever its length, is pinned by its chaining value.
#[derive(Debug, Clone, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub enum BlobTree {
    /// A blob of at most one piece: its bytes.
    Whole(Vec<u8>),
    /// The chaining values of a blob's pieces, in order (two or more).
    Pieces(Vec<[u8; 32]>),
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
    /// The tree of a blob of `size` bytes whose pieces `piece(i)` yields in order.
    pub fn build<E>(size: u64, mut piece: impl FnMut(u64) -> Result<Vec<u8>, E>) -> Result<BlobTree, E> {
        if size <= PIECE_LEN {
            return piece(0).map(BlobTree::Whole);
        }
        (0..piece_count(size))
            .map(|i| piece(i).map(|bytes| chaining_value(i, &bytes)))
            .collect::<Result<_, E>>()
            .map(BlobTree::Pieces)
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

    /// Pieces still to fetch after this tree (none for a whole blob).
    pub fn pieces(&self) -> u64 {
        match self {
            BlobTree::Whole(_) => 0,
            BlobTree::Pieces(cvs) => cvs.len() as u64,
        }
    }

    /// The most bytes the blob can have.
    pub fn max_size(&self) -> u64 {
        match self {
            BlobTree::Whole(b) => b.len() as u64,
            BlobTree::Pieces(cvs) => cvs.len() as u64 * PIECE_LEN,
        }
    }

    /// Checks the tree against the blob's id.
    pub fn check(&self, id: &Hash) -> Result<(), BlobTreeError> {
        match self {
            BlobTree::Whole(b) if b.len() as u64 > PIECE_LEN => {
                Err(BlobTreeError::Malformed("a whole blob over one piece"))
            }
            BlobTree::Whole(b) if Hash::of(b) != *id => Err(BlobTreeError::WrongRoot(*id)),
            BlobTree::Whole(_) => Ok(()),
            BlobTree::Pieces(cvs) if cvs.len() < 2 => Err(BlobTreeError::Malformed("a one-piece blob sent as pieces")),
            BlobTree::Pieces(cvs) if Hash(*merge(cvs, true).as_bytes()) != *id => Err(BlobTreeError::WrongRoot(*id)),
            BlobTree::Pieces(_) => Ok(()),
        }
    }

    /// Checks piece `index` of the blob whose (checked) tree this is: every piece but the last
    /// is a whole piece; the last is 1 to [`PIECE_LEN`] bytes; its chaining value matches.
    pub fn check_piece(&self, index: u64, bytes: &[u8]) -> Result<(), BlobTreeError> {
        let BlobTree::Pieces(cvs) = self else {
            return Err(BlobTreeError::NoSuchPiece { index, pieces: 0 });
        };
        let pieces = cvs.len() as u64;
        if index >= pieces {
            return Err(BlobTreeError::NoSuchPiece { index, pieces });
        }
        let len = bytes.len() as u64;
        let length_ok = if index + 1 < pieces {
            len == PIECE_LEN
        } else {
            (1..=PIECE_LEN).contains(&len)
        };
        if length_ok && chaining_value(index, bytes) == cvs[index as usize] {
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

/// Merges the chaining values of two or more pieces as BLAKE3 does: the left subtree takes the
/// largest power of two of pieces below their number (the same split as the largest power of two
/// of bytes below the blob's length, whatever the length of the last piece).
fn merge(cvs: &[ChainingValue], root: bool) -> blake3::Hash {
    debug_assert!(cvs.len() > 1);
    let left = (cvs.len() / 2 + cvs.len() % 2).next_power_of_two();
    let side = |cvs: &[ChainingValue]| {
        if cvs.len() == 1 {
            cvs[0]
        } else {
            *merge(cvs, false).as_bytes()
        }
    };
    let (l, r) = (side(&cvs[..left]), side(&cvs[left..]));
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
            9 * p,
        ] {
            let blob = bytes(len, len as u8);
            let id = Hash::of(&blob);
            let tree = BlobTree::of(&blob);
            assert_eq!(tree.check(&id), Ok(()), "size {len}");
            assert_eq!(tree.pieces() == 0, len <= p, "size {len}");
            for i in 0..tree.pieces() {
                let (start, n) = piece_range(len as u64, i);
                let piece = &blob[start as usize..(start + n) as usize];
                assert_eq!(tree.check_piece(i, piece), Ok(()), "size {len} piece {i}");
            }
        }
    }

    #[test]
    fn a_wrong_tree_or_piece_is_refused() {
        let p = PIECE_LEN as usize;
        let blob = bytes(3 * p + 10, 7);
        let id = Hash::of(&blob);
        let tree = BlobTree::of(&blob);
        let BlobTree::Pieces(cvs) = &tree else {
            panic!("four pieces")
        };
        // Another blob's tree, a changed hash, one hash fewer or more, a whole blob of another.
        assert_eq!(
            BlobTree::of(&bytes(3 * p + 10, 8)).check(&id),
            Err(BlobTreeError::WrongRoot(id))
        );
        let mut flipped = cvs.clone();
        flipped[2][0] ^= 1;
        assert_eq!(BlobTree::Pieces(flipped).check(&id), Err(BlobTreeError::WrongRoot(id)));
        assert_eq!(
            BlobTree::Pieces(cvs[..3].to_vec()).check(&id),
            Err(BlobTreeError::WrongRoot(id))
        );
        let mut more = cvs.clone();
        more.push(cvs[0]);
        assert_eq!(BlobTree::Pieces(more).check(&id), Err(BlobTreeError::WrongRoot(id)));
        assert!(matches!(
            BlobTree::Pieces(vec![cvs[0]]).check(&id),
            Err(BlobTreeError::Malformed(_))
        ));
        assert_eq!(
            BlobTree::Whole(b"not it".to_vec()).check(&id),
            Err(BlobTreeError::WrongRoot(id))
        );
        assert!(matches!(
            BlobTree::Whole(blob.clone()).check(&id),
            Err(BlobTreeError::Malformed(_))
        ));
        // A piece with one byte changed, cut short, past the end, or in the wrong place.
        let mut piece = blob[p..2 * p].to_vec();
        piece[5] ^= 1;
        assert_eq!(tree.check_piece(1, &piece), Err(BlobTreeError::BadPiece(1)));
        assert_eq!(
            tree.check_piece(1, &blob[p..2 * p - 1]),
            Err(BlobTreeError::BadPiece(1))
        );
        assert_eq!(
            tree.check_piece(4, b"x"),
            Err(BlobTreeError::NoSuchPiece { index: 4, pieces: 4 })
        );
        assert_eq!(tree.check_piece(0, &blob[p..2 * p]), Err(BlobTreeError::BadPiece(0)));
        // The last piece: its exact bytes only (longer, shorter or empty is refused).
        assert_eq!(tree.check_piece(3, &blob[3 * p..]), Ok(()));
        assert_eq!(
            tree.check_piece(3, &blob[3 * p..3 * p + 9]),
            Err(BlobTreeError::BadPiece(3))
        );
        assert_eq!(tree.check_piece(3, b""), Err(BlobTreeError::BadPiece(3)));
        // A whole blob is checked against its id; it has no pieces to ask for.
        let small = b"small blob".to_vec();
        assert_eq!(BlobTree::Whole(small.clone()).check(&Hash::of(&small)), Ok(()));
        assert!(BlobTree::Whole(small).check_piece(0, b"small blob").is_err());
    }
}
