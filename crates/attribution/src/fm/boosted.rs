//! Rank over a sequence of symbols (below 257) in little space: fixed-block compression
//! boosting. The sequence is cut into blocks of 2^16; each block gets a Huffman-shaped wavelet
//! tree of its own symbol counts (in a BWT, a block's symbols are those of similar contexts, so
//! its zero-order entropy is close to the text's high-order entropy), over one pool of bits.
//! Cumulative counts of every symbol before each block make rank global.

use super::bits::RankBits;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Symbols: 0 (the sentinel) and 1 + byte.
pub const SIGMA: usize = 257;
/// Symbols per block.
const BLOCK: usize = 1 << 16;
const LEAF: u16 = u16::MAX;

/// An internal node of a block's tree.
#[derive(Clone, Copy, Debug)]
struct Node {
    /// Where its bits start in the pool.
    start: u64,
    /// Ones in the pool before them.
    ones_before: u64,
    /// Children for bit 0 and bit 1 (`LEAF`: a symbol).
    child: [u16; 2],
}

/// One block's code and tree.
#[derive(Clone, Debug)]
struct Block {
    /// Each symbol's path from the root, bit d of the code at depth d.
    code: Vec<u32>,
    /// Its length (0: absent from the block, or the block's only symbol).
    len: Vec<u8>,
    /// The block's only symbol, if it has one.
    only: Option<u16>,
    nodes: Vec<Node>,
}

/// Rank and access over a symbol sequence.
pub struct Boosted {
    len: usize,
    blocks: Vec<Block>,
    /// For block b, symbol c: occurrences of c before the block, at `b * SIGMA + c`.
    before: Vec<u32>,
    pool: RankBits,
}

/// A symbol and its path from the root of a Huffman tree (false: left).
type Path = (u16, Vec<bool>);

/// Huffman code lengths and paths for the symbols with nonzero counts; deterministic (ties by
/// node number).
fn huffman(counts: &[u64]) -> (Vec<Path>, Vec<[usize; 2]>) {
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
                paths.push((present[node] as u16, path));
            } else {
                for (bit, &ch) in children[node - k].iter().enumerate() {
                    let mut p = path.clone();
                    p.push(bit == 1);
                    stack.push((ch, p));
                }
            }
        }
    }
    (paths, children)
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
fn build_block(chunk: &[u16]) -> (Block, Vec<u64>, usize) {
    let mut counts = vec![0u64; SIGMA];
    for &s in chunk {
        counts[s as usize] += 1;
    }
    let (paths, _) = huffman(&counts);
    let mut code = vec![0u32; SIGMA];
    let mut len = vec![0u8; SIGMA];
    for (s, p) in &paths {
        len[*s as usize] = p.len() as u8;
        code[*s as usize] = p.iter().enumerate().fold(0u32, |acc, (d, &b)| acc | (b as u32) << d);
    }
    let only = (paths.is_empty() && !chunk.is_empty()).then(|| chunk[0]);
    let mut nodes: Vec<Node> = Vec::new();
    let mut node_bits: Vec<Vec<bool>> = Vec::new();
    if only.is_none() && !chunk.is_empty() {
        let new_node = |nodes: &mut Vec<Node>, node_bits: &mut Vec<Vec<bool>>| {
            nodes.push(Node {
                start: 0,
                ones_before: 0,
                child: [LEAF; 2],
            });
            node_bits.push(Vec::new());
            (nodes.len() - 1) as u16
        };
        new_node(&mut nodes, &mut node_bits);
        // Each symbol's nodes from the root, found once per block (on its first occurrence).
        let mut route: Vec<Vec<u16>> = vec![Vec::new(); SIGMA];
        for &s in chunk {
            let (c, l) = (code[s as usize], len[s as usize]);
            if route[s as usize].is_empty() {
                let mut at = 0u16;
                let mut r = vec![0u16];
                for d in 0..l.saturating_sub(1) {
                    let bit = ((c >> d) & 1) as usize;
                    let next = match nodes[at as usize].child[bit] {
                        LEAF => {
                            let n = new_node(&mut nodes, &mut node_bits);
                            nodes[at as usize].child[bit] = n;
                            n
                        }
                        n => n,
                    };
                    r.push(next);
                    at = next;
                }
                route[s as usize] = r;
            }
            for (d, &n) in route[s as usize].iter().enumerate() {
                node_bits[n as usize].push((c >> d) & 1 == 1);
            }
        }
    }
    let mut words: Vec<u64> = Vec::new();
    let mut bits = 0usize;
    for (n, b) in nodes.iter_mut().zip(&node_bits) {
        n.start = bits as u64;
        for &x in b {
            if bits % 64 == 0 {
                words.push(0);
            }
            if x {
                *words.last_mut().expect("pushed") |= 1 << (bits % 64);
            }
            bits += 1;
        }
    }
    (Block { code, len, only, nodes }, words, bits)
}

impl Boosted {
    /// The structure over `seq` (every symbol below [`SIGMA`]): blocks built on every core, then
    /// their bits laid end to end in one pool.
    pub fn new(seq: &[u16]) -> Boosted {
        let chunks: Vec<&[u16]> = seq.chunks(BLOCK).collect();
        let built = crate::parallel::map(&chunks, |chunk| build_block(chunk));
        let mut blocks = Vec::with_capacity(built.len());
        let mut before = Vec::with_capacity(built.len() * SIGMA);
        let mut running = vec![0u32; SIGMA];
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
            blocks,
            before,
            pool,
        }
    }

    /// Occurrences of `c` in positions `[0, i)`.
    pub fn rank(&self, c: u16, i: usize) -> usize {
        if i == self.len && i % BLOCK == 0 && i > 0 {
            // Past the last block: its count plus the last block's whole count.
            return self.rank(c, i - 1) + (self.access(i - 1) == c) as usize;
        }
        let (b, mut pos) = (i / BLOCK, i % BLOCK);
        let base = self.before[b * SIGMA + c as usize] as usize;
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
            let ones = self.pool.rank1(n.start as usize + pos) - n.ones_before as usize;
            let bit = (code >> d) & 1;
            pos = if bit == 1 { ones } else { pos - ones };
            if d + 1 < l {
                at = n.child[bit as usize] as usize;
            }
        }
        base + pos
    }

    /// The symbol at `i`.
    pub fn access(&self, i: usize) -> u16 {
        self.access_rank(i).0
    }

    /// The symbol at `i` and its occurrences in `[0, i)` (what LF needs), in one descent.
    pub fn access_rank(&self, i: usize) -> (u16, usize) {
        let (b, mut pos) = (i / BLOCK, i % BLOCK);
        let blk = &self.blocks[b];
        if let Some(only) = blk.only {
            return (only, self.before[b * SIGMA + only as usize] as usize + pos);
        }
        let mut at = 0usize;
        let mut code = 0u32;
        let mut d = 0u8;
        loop {
            let n = &blk.nodes[at];
            let bit = self.pool.get(n.start as usize + pos);
            let ones = self.pool.rank1(n.start as usize + pos) - n.ones_before as usize;
            pos = if bit { ones } else { pos - ones };
            code |= (bit as u32) << d;
            d += 1;
            let next = n.child[bit as usize];
            if next == LEAF {
                break;
            }
            at = next as usize;
        }
        let s = (0..SIGMA)
            .find(|&s| blk.len[s] == d && blk.code[s] == code)
            .expect("a leaf is a symbol") as u16;
        (s, self.before[b * SIGMA + s as usize] as usize + pos)
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

    #[test]
    fn rank_and_access_match_counting() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let seq: Vec<u16> = (0..(3 * BLOCK + 1234))
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                match i / BLOCK {
                    0 => (x % 5) as u16 + 1,
                    1 => 7,
                    _ => (x % 250) as u16 + (x % 3 == 0) as u16 * 6,
                }
            })
            .collect();
        let b = Boosted::new(&seq);
        let mut counts = vec![0usize; SIGMA];
        for (i, &s) in seq.iter().enumerate() {
            if i % 97 == 0 || i % BLOCK < 3 {
                for c in [0u16, 1, 3, 7, 100, 255, 256] {
                    assert_eq!(b.rank(c, i), counts[c as usize], "rank({c}, {i})");
                }
                assert_eq!(b.access_rank(i), (s, counts[s as usize]), "at {i}");
            }
            counts[s as usize] += 1;
        }
        for c in 0..SIGMA as u16 {
            assert_eq!(b.rank(c, seq.len()), counts[c as usize]);
        }
    }
}
