//! Rank over a sequence of symbols in little space: Huffman-shaped wavelet trees over one pool of
//! bits. Byte-level sequences (257 symbols) use fixed-block compression boosting: the sequence is
//! cut into blocks of 2^16, each with a tree of its own symbol counts (in a BWT a block's symbols
//! are those of similar contexts, so its zero-order entropy is close to the text's high-order
//! entropy), and cumulative counts of every symbol before each block make rank global. Larger
//! alphabets (byte-pair token ids) get one tree over the whole sequence, since per-block tables
//! of every symbol would outweigh the bits.

use super::bits::RankBits;
use super::codec::{bad, Reader, Writer};
use crate::IndexError;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The byte-level alphabet: 0 (the sentinel) and 1 + byte.
pub const SIGMA: usize = 257;
/// Symbols per block for byte-level sequences.
const BLOCK: usize = 1 << 16;
/// A child that is a leaf: this bit set, the symbol in the others.
const LEAF: u32 = 1 << 31;
/// A child not yet made (while a tree is built).
const UNSET: u32 = u32::MAX;

/// An internal node of a block's tree.
#[derive(Clone, Copy, Debug)]
struct Node {
    /// Where its bits start in the pool.
    start: u64,
    /// Ones in the pool before them.
    ones_before: u64,
    /// Children for bit 0 and bit 1: another node, or `LEAF | symbol`.
    child: [u32; 2],
}

/// One block's code and tree.
#[derive(Clone, Debug)]
struct Block {
    /// Each symbol's path from the root, bit d of the code at depth d.
    code: Vec<u32>,
    /// Its length (0: absent from the block, or the block's only symbol).
    len: Vec<u8>,
    /// The block's only symbol, if it has one.
    only: Option<u32>,
    nodes: Vec<Node>,
}

/// Rank, access and distinct symbols over a symbol sequence.
pub struct Boosted {
    len: usize,
    /// Symbols in the alphabet.
    sigma: usize,
    /// Symbols per block.
    block: usize,
    blocks: Vec<Block>,
    /// For block b, symbol c: occurrences of c before the block, at `b * sigma + c`.
    before: Vec<u32>,
    pool: RankBits,
}

/// A symbol and its path from the root of a Huffman tree (false: left).
type Path = (u32, Vec<bool>);

/// Huffman paths of at most 32 bits for the symbols with nonzero counts; deterministic (ties by
/// node number). Counts skewed enough for a longer code (more than Fibonacci(34) symbols, and
/// only in large blocks) are flattened until none is.
fn huffman(counts: &[u64]) -> Vec<Path> {
    let mut counts = counts.to_vec();
    loop {
        let paths = huffman_unlimited(&counts);
        if paths.iter().all(|(_, p)| p.len() <= 32) {
            return paths;
        }
        for c in counts.iter_mut().filter(|c| **c > 0) {
            *c = *c / 2 + 1;
        }
    }
}

/// Huffman paths for the symbols with nonzero counts, of any length.
fn huffman_unlimited(counts: &[u64]) -> Vec<Path> {
    let present: Vec<usize> = (0..counts.len()).filter(|&c| counts[c] > 0).collect();
    // Nodes 0..k are the symbols; merges append internal nodes.
    let k = present.len();
    let mut heap: BinaryHeap<Reverse<(u64, usize)>> = present
        .iter()
        .enumerate()
        .map(|(i, &c)| Reverse((counts[c], i)))
        .collect();
    let mut children: Vec<[usize; 2]> = Vec::new();
    while heap.len() > 1 {
        let Reverse((a, x)) = heap.pop().expect("two");
        let Reverse((b, y)) = heap.pop().expect("two");
        children.push([x, y]);
        heap.push(Reverse((a + b, k + children.len() - 1)));
    }
    // Paths: walk down from the root (the last internal node).
    let mut paths: Vec<Path> = Vec::with_capacity(k);
    if k > 1 {
        let mut stack = vec![(k + children.len() - 1, Vec::new())];
        while let Some((node, path)) = stack.pop() {
            if node < k {
                paths.push((present[node] as u32, path));
            } else {
                for (bit, &ch) in children[node - k].iter().enumerate() {
                    let mut p = path.clone();
                    p.push(bit == 1);
                    stack.push((ch, p));
                }
            }
        }
    }
    paths
}

/// Appends the first `count` bits of `src` to the `len` bits held in `dst`.
fn append_bits(dst: &mut Vec<u64>, len: usize, src: &[u64], count: usize) {
    let shift = len % 64;
    for (i, &w) in src.iter().enumerate() {
        let remaining = count - i * 64;
        let w = if remaining < 64 {
            w & ((1u64 << remaining) - 1)
        } else {
            w
        };
        if shift == 0 {
            dst.push(w);
        } else {
            *dst.last_mut().expect("a partial word") |= w << shift;
            if remaining > 64 - shift {
                dst.push(w >> (64 - shift));
            }
        }
    }
}

/// One block's code and tree, with its nodes' bits (node starts relative to the block) as words
/// and their count. Nodes are numbered in order of first visit, so the layout is deterministic.
fn build_block(chunk: &[u32], sigma: usize) -> (Block, Vec<u64>, usize) {
    let mut counts = vec![0u64; sigma];
    for &s in chunk {
        counts[s as usize] += 1;
    }
    let paths = huffman(&counts);
    drop(counts);
    let mut code = vec![0u32; sigma];
    let mut len = vec![0u8; sigma];
    for (s, p) in &paths {
        len[*s as usize] = p.len() as u8;
        code[*s as usize] = p.iter().enumerate().fold(0u32, |acc, (d, &b)| acc | (b as u32) << d);
    }
    let only = (paths.is_empty() && !chunk.is_empty()).then(|| chunk[0]);
    let mut nodes: Vec<Node> = Vec::new();
    let mut node_bits: Vec<PackedBits> = Vec::new();
    if only.is_none() && !chunk.is_empty() {
        let new_node = |nodes: &mut Vec<Node>, node_bits: &mut Vec<PackedBits>| {
            nodes.push(Node {
                start: 0,
                ones_before: 0,
                child: [UNSET; 2],
            });
            node_bits.push(PackedBits::default());
            (nodes.len() - 1) as u32
        };
        new_node(&mut nodes, &mut node_bits);
        // Each symbol's nodes from the root, found once (on its first occurrence).
        let mut route: Vec<Vec<u32>> = vec![Vec::new(); sigma];
        for &s in chunk {
            let (c, l) = (code[s as usize], len[s as usize]);
            if route[s as usize].is_empty() {
                let mut at = 0u32;
                let mut r = vec![0u32];
                for d in 0..l - 1 {
                    let bit = ((c >> d) & 1) as usize;
                    let next = match nodes[at as usize].child[bit] {
                        UNSET => {
                            let n = new_node(&mut nodes, &mut node_bits);
                            nodes[at as usize].child[bit] = n;
                            n
                        }
                        n => n,
                    };
                    r.push(next);
                    at = next;
                }
                nodes[at as usize].child[((c >> (l - 1)) & 1) as usize] = LEAF | s;
                route[s as usize] = r;
            }
            for (d, &n) in route[s as usize].iter().enumerate() {
                node_bits[n as usize].push((c >> d) & 1 == 1);
            }
        }
    }
    let mut words: Vec<u64> = Vec::new();
    let mut bits = 0usize;
    for (n, b) in nodes.iter_mut().zip(node_bits) {
        n.start = bits as u64;
        append_bits(&mut words, bits, &b.words, b.len);
        bits += b.len;
    }
    (Block { code, len, only, nodes }, words, bits)
}

/// Checks a decoded block's tree against its bits and sets the ones before each node: every
/// node's bits lie inside the pool (lengths follow from the root's, the block's length), and
/// every symbol's code leads from the root to its own leaf. So no query reads past the bits.
fn check_tree(blk: &mut Block, block_len: usize, pool: &RankBits) -> Result<(), IndexError> {
    if blk.only.is_some() {
        return Ok(());
    }
    let mut lens: Vec<Option<usize>> = vec![None; blk.nodes.len()];
    lens[0] = Some(block_len);
    for i in 0..blk.nodes.len() {
        let Some(len) = lens[i] else {
            return Err(bad("a tree node no other node leads to"));
        };
        let n = &mut blk.nodes[i];
        let start = n.start as usize;
        if start.checked_add(len).is_none_or(|end| end > pool.len()) {
            return Err(bad("a tree node's bits run past the pool"));
        }
        n.ones_before = pool.rank1(start) as u64;
        let ones = pool.rank1(start + len) - n.ones_before as usize;
        for (child, count) in n.child.into_iter().zip([len - ones, ones]) {
            if child & LEAF == 0 {
                if lens[child as usize].is_some() {
                    return Err(bad("a tree node two others lead to"));
                }
                lens[child as usize] = Some(count);
            }
        }
    }
    for (s, (&code, &l)) in blk.code.iter().zip(&blk.len).enumerate() {
        let mut at = 0usize;
        for d in 0..l {
            let next = blk.nodes[at].child[((code >> d) & 1) as usize];
            match (d + 1 == l, next & LEAF != 0) {
                (true, true) if (next & !LEAF) as usize == s => {}
                (false, false) => at = next as usize,
                _ => return Err(bad("a symbol's code does not lead to its leaf")),
            }
        }
    }
    Ok(())
}

/// Bits packed in words as they are pushed (a tree node's bits while a block is built: one bit
/// per symbol passing through it, not a byte).
#[derive(Default)]
struct PackedBits {
    words: Vec<u64>,
    len: usize,
}

impl PackedBits {
    fn push(&mut self, bit: bool) {
        if self.len % 64 == 0 {
            self.words.push(0);
        }
        if bit {
            *self.words.last_mut().expect("pushed") |= 1 << (self.len % 64);
        }
        self.len += 1;
    }
}

impl Boosted {
    /// The structure over `seq`, every symbol below `sigma` (below 2^31 - 1): for the byte-level
    /// alphabet, blocks built on every core, their bits laid end to end in one pool; for larger
    /// ones, one tree.
    pub fn new(seq: &[u32], sigma: usize) -> Boosted {
        let block = if sigma <= SIGMA { BLOCK } else { seq.len().max(1) };
        let chunks: Vec<&[u32]> = seq.chunks(block).collect();
        let built = crate::parallel::map(&chunks, |chunk| build_block(chunk, sigma));
        let mut blocks = Vec::with_capacity(built.len());
        let mut before = Vec::with_capacity(built.len() * sigma);
        let mut running = vec![0u32; sigma];
        let mut words: Vec<u64> = Vec::new();
        let mut bits = 0usize;
        for (chunk, (mut block, block_words, block_bits)) in chunks.iter().zip(built) {
            before.extend_from_slice(&running);
            for &s in *chunk {
                running[s as usize] += 1;
            }
            for n in &mut block.nodes {
                n.start += bits as u64;
            }
            append_bits(&mut words, bits, &block_words, block_bits);
            bits += block_bits;
            blocks.push(block);
        }
        let pool = RankBits::from_words(words, bits);
        for b in &mut blocks {
            for n in &mut b.nodes {
                n.ones_before = pool.rank1(n.start as usize) as u64;
            }
        }
        Boosted {
            len: seq.len(),
            sigma,
            block,
            blocks,
            before,
            pool,
        }
    }

    /// Ones among the first `pos` bits of node `n`.
    fn ones(&self, n: &Node, pos: usize) -> usize {
        self.pool.rank1(n.start as usize + pos) - n.ones_before as usize
    }

    /// Occurrences of `c` in positions `[0, i)`.
    pub fn rank(&self, c: u32, i: usize) -> usize {
        if c as usize >= self.sigma {
            return 0;
        }
        if i == self.len && i % self.block == 0 && i > 0 {
            // Past the last block: its count plus the last block's whole count.
            return self.rank(c, i - 1) + (self.access(i - 1) == c) as usize;
        }
        let (b, mut pos) = (i / self.block, i % self.block);
        let base = self.before[b * self.sigma + c as usize] as usize;
        if pos == 0 {
            return base;
        }
        let blk = &self.blocks[b];
        if let Some(only) = blk.only {
            return base + if only == c { pos } else { 0 };
        }
        let l = blk.len[c as usize];
        if l == 0 {
            return base;
        }
        let code = blk.code[c as usize];
        let mut at = 0usize;
        for d in 0..l {
            let n = &blk.nodes[at];
            let ones = self.ones(n, pos);
            let bit = (code >> d) & 1;
            pos = if bit == 1 { ones } else { pos - ones };
            if d + 1 < l {
                at = n.child[bit as usize] as usize;
            }
        }
        base + pos
    }

    /// The symbol at `i`.
    pub fn access(&self, i: usize) -> u32 {
        self.access_rank(i).0
    }

    /// The symbol at `i` and its occurrences in `[0, i)` (what LF needs), in one descent.
    pub fn access_rank(&self, i: usize) -> (u32, usize) {
        let (b, mut pos) = (i / self.block, i % self.block);
        let blk = &self.blocks[b];
        let before = |s: u32| self.before[b * self.sigma + s as usize] as usize;
        if let Some(only) = blk.only {
            return (only, before(only) + pos);
        }
        let mut at = 0usize;
        loop {
            let n = &blk.nodes[at];
            let bit = self.pool.get(n.start as usize + pos);
            let ones = self.ones(n, pos);
            pos = if bit { ones } else { pos - ones };
            let next = n.child[bit as usize];
            if next & LEAF != 0 {
                let s = next & !LEAF;
                return (s, before(s) + pos);
            }
            at = next as usize;
        }
    }

    /// The symbols at positions `[lo, hi)`, decoded in order with one cursor per tree node
    /// (each node's bits are read in sequence: no rank per symbol). For bulk reads.
    pub fn symbols(&self, lo: usize, hi: usize) -> Vec<u32> {
        let mut out = Vec::with_capacity(hi.saturating_sub(lo));
        let mut at = lo;
        while at < hi {
            let b = at / self.block;
            let end = hi.min((b + 1) * self.block);
            self.symbols_in_block(b, at - b * self.block, end - b * self.block, &mut out);
            at = end;
        }
        out
    }

    /// [`Boosted::symbols`] within block `b`, from offset `lo` to `hi` in it.
    fn symbols_in_block(&self, b: usize, lo: usize, hi: usize, out: &mut Vec<u32>) {
        let blk = &self.blocks[b];
        if let Some(only) = blk.only {
            out.extend(std::iter::repeat_n(only, hi - lo));
            return;
        }
        // Each node's cursor: the block positions before `lo` that pass through it (children
        // come after their parent in node order).
        let mut cursor = vec![0usize; blk.nodes.len()];
        cursor[0] = lo;
        for i in 0..blk.nodes.len() {
            let n = &blk.nodes[i];
            let ones = self.ones(n, cursor[i]);
            for (child, count) in n.child.iter().zip([cursor[i] - ones, ones]) {
                if child & LEAF == 0 {
                    cursor[*child as usize] = count;
                }
            }
        }
        for _ in lo..hi {
            let mut at = 0usize;
            loop {
                let n = &blk.nodes[at];
                let bit = self.pool.get(n.start as usize + cursor[at]);
                cursor[at] += 1;
                let next = n.child[bit as usize];
                if next & LEAF != 0 {
                    out.push(next & !LEAF);
                    break;
                }
                at = next as usize;
            }
        }
    }

    /// Each symbol occurring in positions `[lo, hi)` with its count there, sorted by symbol. Within
    /// one block, a walk of the tree's branches that hold positions of the range; across blocks,
    /// two ranks per symbol (only the byte-level alphabet has several blocks).
    pub fn distinct(&self, lo: usize, hi: usize) -> Vec<(u32, usize)> {
        if hi <= lo {
            return vec![];
        }
        let b = lo / self.block;
        if (hi - 1) / self.block != b {
            return (0..self.sigma as u32)
                .filter_map(|c| {
                    let n = self.rank(c, hi) - self.rank(c, lo);
                    (n > 0).then_some((c, n))
                })
                .collect();
        }
        let blk = &self.blocks[b];
        let (lo, hi) = (lo - b * self.block, hi - b * self.block);
        if let Some(only) = blk.only {
            return vec![(only, hi - lo)];
        }
        let mut out = Vec::new();
        let mut stack = vec![(0u32, lo, hi)];
        while let Some((at, lo, hi)) = stack.pop() {
            let n = &blk.nodes[at as usize];
            let (ones_lo, ones_hi) = (self.ones(n, lo), self.ones(n, hi));
            for (child, (l, h)) in n.child.iter().zip([(lo - ones_lo, hi - ones_hi), (ones_lo, ones_hi)]) {
                if h > l {
                    match child & LEAF {
                        0 => stack.push((*child, l, h)),
                        _ => out.push((child & !LEAF, h - l)),
                    }
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// Symbols in the sequence.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the sequence is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Symbols in the alphabet.
    pub fn sigma(&self) -> usize {
        self.sigma
    }

    /// Writes the structure (not the ones before each node: they are recomputed).
    pub(crate) fn encode(&self, w: &mut Writer) {
        w.u64(self.len as u64);
        w.u64(self.sigma as u64);
        w.u64(self.block as u64);
        w.u64(self.blocks.len() as u64);
        for b in &self.blocks {
            w.u32s(&b.code);
            w.bytes(&b.len);
            w.u8(b.only.is_some() as u8);
            w.u32(b.only.unwrap_or(0));
            w.u64(b.nodes.len() as u64);
            for n in &b.nodes {
                w.u64(n.start);
                w.u32(n.child[0]);
                w.u32(n.child[1]);
            }
        }
        w.u32s(&self.before);
        self.pool.encode(w);
    }

    /// Reads what [`Boosted::encode`] wrote, refusing parts that do not fit together (so that no
    /// query can index out of bounds).
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Boosted, IndexError> {
        let (len, sigma, block, count) = (r.usize()?, r.usize()?, r.usize()?, r.usize()?);
        if block == 0 || sigma == 0 || sigma >= LEAF as usize || count != len.div_ceil(block) {
            return Err(bad("the transform's blocks do not cover it"));
        }
        // Each block takes at least 29 bytes, each node 16: nothing is allocated for more parts
        // than the file could hold.
        if count > r.remaining() / 29 {
            return Err(bad("more blocks than the file holds"));
        }
        let mut blocks = Vec::with_capacity(count);
        for _ in 0..count {
            let code = r.u32s()?;
            let lens = r.bytes()?;
            let (has_only, only) = (r.u8()?, r.u32()?);
            let nodes_count = r.usize()?;
            if nodes_count > r.remaining() / 16 {
                return Err(bad("more tree nodes than the file holds"));
            }
            let mut nodes = Vec::with_capacity(nodes_count);
            for _ in 0..nodes_count {
                let (start, c0, c1) = (r.u64()?, r.u32()?, r.u32()?);
                nodes.push(Node {
                    start,
                    ones_before: 0,
                    child: [c0, c1],
                });
            }
            let child_ok = |i: usize, c: u32| match c & LEAF {
                0 => (c as usize) > i && (c as usize) < nodes.len(),
                _ => ((c & !LEAF) as usize) < sigma,
            };
            let sound = has_only <= 1
                && code.len() == sigma
                && lens.len() == sigma
                && lens.iter().all(|&l| l <= 32)
                && (has_only == 0 || only < sigma as u32)
                && (has_only == 1 || !nodes.is_empty())
                && nodes
                    .iter()
                    .enumerate()
                    .all(|(i, n)| child_ok(i, n.child[0]) && child_ok(i, n.child[1]));
            if !sound {
                return Err(bad("a block's tree is malformed"));
            }
            blocks.push(Block {
                code,
                len: lens,
                only: (has_only == 1).then_some(only),
                nodes,
            });
        }
        let before = r.u32s()?;
        let pool = RankBits::decode(r)?;
        if count.checked_mul(sigma) != Some(before.len()) {
            return Err(bad("the counts before each block are missing"));
        }
        // Counts before each block only grow, and stay within the sequence.
        for b in 1..count {
            let (prev, this) = (&before[(b - 1) * sigma..b * sigma], &before[b * sigma..(b + 1) * sigma]);
            if prev.iter().zip(this).any(|(p, t)| p > t || *t as usize > len) {
                return Err(bad("the counts before each block do not add up"));
            }
        }
        for (b, blk) in blocks.iter_mut().enumerate() {
            let block_len = block.min(len - b * block);
            check_tree(blk, block_len, &pool)?;
        }
        Ok(Boosted {
            len,
            sigma,
            block,
            blocks,
            before,
            pool,
        })
    }

    /// Heap bytes.
    pub fn bytes(&self) -> usize {
        self.pool.bytes()
            + self.before.len() * 4
            + self
                .blocks
                .iter()
                .map(|b| b.code.len() * 4 + b.len.len() + b.nodes.len() * 24)
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sequence of `len` symbols below `sigma`, skewed, with a run of one symbol in its second
    /// block of 2^16.
    fn sequence(len: usize, sigma: u32) -> Vec<u32> {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        (0..len)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                match i / BLOCK {
                    0 => (x % 5) as u32 + 1,
                    1 => 7,
                    _ => ((x % u64::from(sigma - 7)) as u32 >> (x % 9)) + (x % 3 == 0) as u32 * 6,
                }
            })
            .collect()
    }

    fn check(seq: &[u32], sigma: usize, probes: &[u32]) {
        let b = Boosted::new(seq, sigma);
        let mut counts = vec![0usize; sigma];
        for (i, &s) in seq.iter().enumerate() {
            if i % 97 == 0 || i % BLOCK < 3 {
                for &c in probes {
                    assert_eq!(b.rank(c, i), counts[c as usize], "rank({c}, {i})");
                }
                assert_eq!(b.access_rank(i), (s, counts[s as usize]), "at {i}");
            }
            counts[s as usize] += 1;
        }
        for c in 0..sigma as u32 {
            assert_eq!(b.rank(c, seq.len()), counts[c as usize]);
        }
        assert_eq!(b.symbols(0, seq.len()), seq);
        assert_eq!(b.symbols(BLOCK - 5, BLOCK + 77), &seq[BLOCK - 5..BLOCK + 77]);
        assert_eq!(b.symbols(1234, 1234), Vec::<u32>::new());
        for (lo, hi) in [
            (0, seq.len()),
            (5, 900),
            (BLOCK - 3, BLOCK + 40),
            (BLOCK + 1, 2 * BLOCK),
            (seq.len() - 10, seq.len()),
            (7, 7),
        ] {
            let mut expected = std::collections::BTreeMap::new();
            for &s in &seq[lo..hi] {
                *expected.entry(s).or_insert(0usize) += 1;
            }
            assert_eq!(
                b.distinct(lo, hi),
                expected.into_iter().collect::<Vec<_>>(),
                "[{lo}, {hi})"
            );
        }
    }

    #[test]
    fn rank_access_and_distinct_match_counting_for_bytes() {
        check(
            &sequence(3 * BLOCK + 1234, SIGMA as u32),
            SIGMA,
            &[0, 1, 3, 7, 100, 255, 256],
        );
    }

    #[test]
    fn rank_access_and_distinct_match_counting_for_large_alphabets() {
        check(
            &sequence(3 * BLOCK + 1234, 100_003),
            100_003,
            &[0, 1, 3, 7, 100, 255, 256, 70_000, 100_002],
        );
    }

    #[test]
    fn codes_stay_within_32_bits_on_fibonacci_counts() {
        // Fibonacci counts give the deepest Huffman tree: 40 symbols would need a 39-bit code.
        let mut counts = vec![1u64, 1];
        while counts.len() < 40 {
            counts.push(counts[counts.len() - 1] + counts[counts.len() - 2]);
        }
        assert!(huffman_unlimited(&counts).iter().any(|(_, p)| p.len() > 32));
        let paths = huffman(&counts);
        assert_eq!(paths.len(), 40);
        assert!(paths.iter().all(|(_, p)| p.len() <= 32));
        // Still a prefix code: no path is a prefix of another.
        for (a, pa) in &paths {
            for (b, pb) in &paths {
                assert!(a == b || !pb.starts_with(pa), "{a} prefixes {b}");
            }
        }
    }
}
