//! Distinct text of any size, generated deterministically for benchmarks: documents of
//! sentences over a 40,000-word vocabulary drawn by Zipf's law (the word frequencies of natural
//! language), each document from its own seed, so that 1 GB holds no copied stretch longer than
//! chance makes and the same arguments give the same bytes on every machine.

/// A small, fast generator (xorshift64*), seeded per document.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // SplitMix64 of the seed, so neighbouring seeds start far apart (never zero).
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "an", "el", "or", "is", "um", "be", "da", "fe", "go", "hu", "ja",
    "ki", "la", "ma", "no", "pe", "qu", "re", "si", "to", "ur", "va", "we", "xi", "yo", "ze", "ch", "th", "st", "tr",
    "pl", "gr",
];

/// The vocabulary and the cumulative Zipf weights to draw from it.
pub struct Language {
    words: Vec<String>,
    /// Cumulative weights scaled to 2^32.
    cumulative: Vec<u64>,
}

impl Language {
    /// A language of `n` words (one to four syllables, frequent words short).
    pub fn new(n: usize) -> Language {
        let mut rng = Rng::new(0x5eed);
        let mut seen = std::collections::BTreeSet::new();
        let mut words = Vec::with_capacity(n);
        while words.len() < n {
            let syllables = 1 + (words.len() > 60) as u64 + (words.len() > 2_000) as u64 + rng.below(2);
            let w: String = (0..syllables)
                .map(|_| SYLLABLES[rng.below(SYLLABLES.len() as u64) as usize])
                .collect();
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        // Zipf with exponent 1: weight of rank r is 1/r.
        let weights: Vec<f64> = (1..=n).map(|r| 1.0 / r as f64).collect();
        let total: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                acc += w / total;
                (acc * 4_294_967_296.0) as u64
            })
            .collect();
        Language { words, cumulative }
    }

    fn word(&self, rng: &mut Rng) -> &str {
        let x = rng.next() >> 32;
        let i = self.cumulative.partition_point(|&c| c <= x).min(self.words.len() - 1);
        &self.words[i]
    }

    /// Document `seed`: about `bytes` bytes of sentences.
    pub fn document(&self, seed: u64, bytes: usize) -> String {
        let mut rng = Rng::new(seed);
        let mut out = String::with_capacity(bytes + 200);
        while out.len() < bytes {
            let words = 5 + rng.below(20);
            for i in 0..words {
                let w = self.word(&mut rng);
                if i == 0 {
                    let mut c = w.chars();
                    if let Some(f) = c.next() {
                        out.extend(f.to_uppercase());
                        out.push_str(c.as_str());
                    }
                } else {
                    out.push(' ');
                    if rng.below(40) == 0 {
                        out.push_str(&(rng.below(10_000)).to_string());
                        out.push(' ');
                    }
                    out.push_str(w);
                }
                if i + 1 < words && rng.below(12) == 0 {
                    out.push(',');
                }
            }
            out.push_str(if rng.below(10) == 0 { "? " } else { ". " });
            if rng.below(6) == 0 {
                out.push_str("\n\n");
            }
        }
        out
    }

    /// Documents numbered from `first` (1 to 6 KB each) until `total` bytes, made on every core.
    pub fn corpus(&self, first: u64, total: usize) -> Vec<String> {
        // Sizes first (cheap, sequential), then the documents in parallel.
        let mut sizes = Vec::new();
        let mut sum = 0usize;
        let mut i = first;
        while sum < total {
            let size = 1024 + Rng::new(i ^ 0xd0c5).below(5 * 1024) as usize;
            sizes.push((i, size));
            sum += size;
            i += 1;
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = sizes.len().div_ceil(threads).max(1);
        std::thread::scope(|s| {
            let parts: Vec<_> = sizes
                .chunks(chunk)
                .map(|c| s.spawn(move || c.iter().map(|&(i, n)| self.document(i, n)).collect::<Vec<_>>()))
                .collect();
            parts
                .into_iter()
                .flat_map(|p| p.join().expect("generator thread panicked"))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_deterministic_distinct_and_sized() {
        let l = Language::new(5_000);
        let a = l.corpus(0, 200_000);
        assert_eq!(a, Language::new(5_000).corpus(0, 200_000));
        let bytes: usize = a.iter().map(|d| d.len()).sum();
        assert!((200_000..220_000).contains(&bytes), "{bytes}");
        assert_ne!(a[0], a[1]);
        // No 64-byte window of one document recurs in the next one.
        let (x, y) = (a[0].as_bytes(), a[1].as_bytes());
        assert!(x.windows(64).step_by(16).all(|w| !y.windows(64).any(|v| v == w)));
    }
}
