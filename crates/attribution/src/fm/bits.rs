//! A bit vector with constant-time rank: 64-bit words, a u64 count every 2^16 bits and a u16
//! count (relative to it) every 512 bits, about 3.3% over the bits.

/// Bits with rank support.
#[derive(Clone, Debug, Default)]
pub struct RankBits {
    words: Vec<u64>,
    len: usize,
    big: Vec<u64>,
    small: Vec<u16>,
}

impl RankBits {
    /// Bits from an iterator of booleans.
    pub fn from_bits(bits: impl IntoIterator<Item = bool>) -> RankBits {
        let mut words = Vec::new();
        let mut len = 0usize;
        for b in bits {
            if len % 64 == 0 {
                words.push(0u64);
            }
            if b {
                *words.last_mut().expect("pushed") |= 1 << (len % 64);
            }
            len += 1;
        }
        RankBits::from_words(words, len)
    }

    /// Bits given as words (bit i is bit i % 64 of word i / 64).
    pub fn from_words(words: Vec<u64>, len: usize) -> RankBits {
        let mut big = Vec::with_capacity(len / 65536 + 1);
        let mut small = Vec::with_capacity(len / 512 + 1);
        let mut total = 0u64;
        let mut since_big = 0u64;
        for (i, w) in words.iter().enumerate() {
            if i % 1024 == 0 {
                big.push(total);
                since_big = 0;
            }
            if i % 8 == 0 {
                small.push(since_big as u16);
            }
            let c = w.count_ones() as u64;
            total += c;
            since_big += c;
        }
        // Counts for the position one past the last word, so that rank at the very end works
        // whatever the length.
        let end = words.len();
        if end % 1024 == 0 {
            big.push(total);
            since_big = 0;
        }
        if end % 8 == 0 {
            small.push(since_big as u16);
        }
        RankBits { words, len, big, small }
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bit `i`.
    pub fn get(&self, i: usize) -> bool {
        self.words[i / 64] >> (i % 64) & 1 == 1
    }

    /// Ones in bits `[0, i)`.
    pub fn rank1(&self, i: usize) -> usize {
        if i == 0 {
            return 0;
        }
        let w = i / 64;
        let mut r = self.big[w / 1024] + self.small[w / 8] as u64;
        for x in &self.words[w / 8 * 8..w] {
            r += x.count_ones() as u64;
        }
        if i % 64 != 0 {
            r += (self.words[w] & ((1u64 << (i % 64)) - 1)).count_ones() as u64;
        }
        r as usize
    }

    /// The bits as words.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// Heap bytes.
    pub fn bytes(&self) -> usize {
        self.words.len() * 8 + self.big.len() * 8 + self.small.len() * 2
    }
}

/// A sparse set of positions with membership and rank: per block of 2^16 positions, the sorted
/// low 16 bits of its members and the members before it. Two bytes per member (the FM-index marks
/// one row in 64: 0.03 bytes per row, against 0.13 for a plain bit vector with rank).
#[derive(Clone, Debug, Default)]
pub struct SparseMarks {
    /// Members before each block, and one past the last block.
    before: Vec<u32>,
    low: Vec<u16>,
}

impl SparseMarks {
    /// The set of `members` (increasing) within `0..len`.
    pub fn from_sorted(members: impl IntoIterator<Item = usize>, len: usize) -> SparseMarks {
        let blocks = len.div_ceil(1 << 16);
        let mut before = Vec::with_capacity(blocks + 1);
        let mut low = Vec::new();
        for m in members {
            while before.len() <= m >> 16 {
                before.push(low.len() as u32);
            }
            low.push(m as u16);
        }
        while before.len() <= blocks {
            before.push(low.len() as u32);
        }
        SparseMarks { before, low }
    }

    /// Whether `i` is a member, and the members below it.
    pub fn find(&self, i: usize) -> (bool, usize) {
        let b = i >> 16;
        let (from, to) = (self.before[b] as usize, self.before[b + 1] as usize);
        let block = &self.low[from..to];
        match block.binary_search(&(i as u16)) {
            Ok(k) => (true, from + k),
            Err(k) => (false, from + k),
        }
    }

    /// The set from its parts (as [`SparseMarks::before`] and [`SparseMarks::low`] give them),
    /// if they hold together: counts that only grow up to the members given, each block's
    /// members increasing.
    pub fn from_parts(before: Vec<u32>, low: Vec<u16>) -> Option<SparseMarks> {
        let sound = before.first() == Some(&0)
            && before.last().map(|&l| l as usize) == Some(low.len())
            && before.iter().all(|&b| b as usize <= low.len())
            && before
                .windows(2)
                .all(|w| w[0] <= w[1] && low[w[0] as usize..w[1] as usize].windows(2).all(|p| p[0] < p[1]));
        sound.then_some(SparseMarks { before, low })
    }

    /// Members before each block, and one past the last block.
    pub fn before(&self) -> &[u32] {
        &self.before
    }

    /// Each member's low 16 bits, in order.
    pub fn low(&self) -> &[u16] {
        &self.low
    }

    /// Blocks of 2^16 positions covered.
    pub fn blocks(&self) -> usize {
        self.before.len().saturating_sub(1)
    }

    /// Members.
    pub fn members(&self) -> usize {
        self.low.len()
    }

    /// The members, in order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.before.windows(2).enumerate().flat_map(move |(b, w)| {
            self.low[w[0] as usize..w[1] as usize]
                .iter()
                .map(move |&l| b << 16 | l as usize)
        })
    }

    /// Heap bytes.
    pub fn bytes(&self) -> usize {
        self.before.len() * 4 + self.low.len() * 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_marks_answer_membership_and_rank() {
        let len = 300_000;
        let members: Vec<usize> = (0..len).filter(|i| (i * 2_654_435_761) % 97 < 2).collect();
        let m = SparseMarks::from_sorted(members.iter().copied(), len);
        let mut below = 0;
        for i in 0..len {
            let is = members.binary_search(&i).is_ok();
            assert_eq!(m.find(i), (is, below), "at {i}");
            below += is as usize;
        }
        assert!(m.bytes() < members.len() * 2 + 64);
    }

    #[test]
    fn rank_counts_ones_before_every_position() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let bits: Vec<bool> = (0..200_000)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if i > 100_000 {
                    x % 7 == 0
                } else {
                    x % 2 == 0
                }
            })
            .collect();
        let r = RankBits::from_bits(bits.iter().copied());
        // Lengths that end on a word, a count block or a big block rank at their end too.
        for len in [64, 512, 65_536, 65_600] {
            let ones: usize = bits[..len].iter().filter(|b| **b).count();
            assert_eq!(
                RankBits::from_bits(bits[..len].iter().copied()).rank1(len),
                ones,
                "length {len}"
            );
        }
        let mut ones = 0;
        for (i, b) in bits.iter().enumerate() {
            assert_eq!(r.rank1(i), ones, "at {i}");
            assert_eq!(r.get(i), *b);
            ones += *b as usize;
        }
        assert_eq!(r.rank1(bits.len()), ones);
    }
}
