//! Record fingerprints: BLAKE3 of the text for exact duplicates, and MinHash over word 3-shingles
//! with locality-sensitive hashing for near-duplicates.
//!
//! 64 min-hashes per record (xxh3 of each ASCII-lowercased word, words combined into 3-shingles,
//! each shingle remixed 64 ways), cut into 16 bands of 4. A band matches with probability J^4
//! for Jaccard similarity J (of 3-shingle sets); a pair is flagged when at least
//! [`MIN_SHARED_BANDS`] = 2 of 16 bands match: probability 0.9997 at J = 0.9, 0.97 at J = 0.75,
//! 0.26 at J = 0.5, 0.003 at J = 0.3. The documented threshold: about J = 0.6, which a copy with
//! one word in twenty changed (J ~ 0.74) clears. Every function here is a frozen specification
//! (xxh3, BLAKE3, fixed seeds): nodes must agree forever.

use crate::ingest::Record;
use borsh::{BorshDeserialize, BorshSerialize};
use sinew_types::Hash;
use std::collections::HashMap;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Min-hashes per record.
pub const HASHES: usize = 64;
/// LSH bands (of `HASHES / BANDS` rows each).
pub const BANDS: usize = 16;
/// Shared bands that make two records near-duplicates.
pub const MIN_SHARED_BANDS: u8 = 2;
const ROWS: usize = HASHES / BANDS;
const SEED: u64 = 0x5157_4e45_575f_4d48; // "SINEW_MH"

/// What the ledger keeps of a record.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct RecordMeta {
    /// BLAKE3 of the record's text: equal texts, equal hashes.
    pub hash: Hash,
    /// Byte range of the record's source in the blob.
    pub start: u64,
    /// End of that range.
    pub end: u64,
    /// The LSH band hashes of its MinHash signature.
    pub bands: [u64; BANDS],
}

fn mix(mut z: u64) -> u64 {
    // splitmix64 finalizer.
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Whether a byte belongs to a word: ASCII letters and digits, and every byte of a non-ASCII
/// character. Only ASCII is classified, so the words of a text never depend on the Unicode
/// tables of the toolchain a validator was built with.
fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

fn word_hashes(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    for w in text.as_bytes().split(|b| !word_byte(*b)).filter(|w| !w.is_empty()) {
        buf.clear();
        buf.extend(w.iter().map(u8::to_ascii_lowercase));
        out.push(xxh3_64_with_seed(&buf, SEED));
    }
    out
}

/// The MinHash signature of a text.
pub fn signature(text: &str) -> [u32; HASHES] {
    let words = word_hashes(text);
    let shingles: Vec<u64> = match words.len() {
        0 => vec![xxh3_64_with_seed(text.as_bytes(), SEED)],
        1 | 2 => vec![words.iter().fold(SEED, |a, &w| mix(a ^ w))],
        _ => words
            .windows(3)
            .map(|w| mix(mix(mix(SEED ^ w[0]) ^ w[1]) ^ w[2]))
            .collect(),
    };
    let mut sig = [u32::MAX; HASHES];
    for s in shingles {
        for (i, slot) in sig.iter_mut().enumerate() {
            let h = (mix(s ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) >> 32) as u32;
            if h < *slot {
                *slot = h;
            }
        }
    }
    sig
}

/// Band hashes of a signature.
pub fn bands(sig: &[u32; HASHES]) -> [u64; BANDS] {
    let mut out = [0u64; BANDS];
    for (b, slot) in out.iter_mut().enumerate() {
        let mut bytes = [0u8; ROWS * 4];
        for (r, v) in sig[b * ROWS..(b + 1) * ROWS].iter().enumerate() {
            bytes[r * 4..r * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        *slot = xxh3_64_with_seed(&bytes, SEED ^ b as u64);
    }
    out
}

fn fingerprint_one(r: &Record) -> RecordMeta {
    RecordMeta {
        hash: Hash::of(r.text.as_bytes()),
        start: r.start,
        end: r.end,
        bands: bands(&signature(&r.text)),
    }
}

/// Fingerprints records (exact hash and LSH bands), in order, spread over the available cores.
pub fn fingerprint(records: &[Record]) -> Vec<RecordMeta> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if records.len() < 256 || threads == 1 {
        return records.iter().map(fingerprint_one).collect();
    }
    let chunk = records.len().div_ceil(threads);
    std::thread::scope(|s| {
        let hs: Vec<_> = records
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(fingerprint_one).collect::<Vec<_>>()))
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().expect("fingerprint thread panicked"))
            .collect()
    })
}

/// An in-memory LSH index: which earlier records share a band with a new one.
#[derive(Default)]
pub struct NearDupIndex {
    buckets: Vec<HashMap<u64, Vec<u64>>>,
}

impl NearDupIndex {
    /// An empty index.
    pub fn new() -> NearDupIndex {
        NearDupIndex {
            buckets: (0..BANDS).map(|_| HashMap::new()).collect(),
        }
    }

    /// Earlier records sharing at least [`MIN_SHARED_BANDS`] bands with `bands`, with the count.
    pub fn query(&self, bands: &[u64; BANDS]) -> Vec<(u64, u8)> {
        let mut hits: HashMap<u64, u8> = HashMap::new();
        for (b, h) in bands.iter().enumerate() {
            for &id in self.buckets[b].get(h).map(Vec::as_slice).unwrap_or(&[]) {
                *hits.entry(id).or_default() += 1;
            }
        }
        let mut v: Vec<(u64, u8)> = hits.into_iter().filter(|(_, n)| *n >= MIN_SHARED_BANDS).collect();
        v.sort_unstable();
        v
    }

    /// Adds a record under `id`.
    pub fn insert(&mut self, id: u64, bands: &[u64; BANDS]) {
        for (b, h) in bands.iter().enumerate() {
            self.buckets[b].entry(*h).or_default().push(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random generator for test corpora.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
    }

    fn doc(rng: &mut Lcg, vocab: &[String], words: usize) -> Vec<String> {
        (0..words)
            .map(|_| vocab[rng.next() as usize % vocab.len()].clone())
            .collect()
    }

    /// Plants near-duplicates (5% of words replaced, a few inserted or dropped) among distinct
    /// documents and measures precision and recall of LSH flagging.
    #[test]
    fn finds_planted_near_duplicates_and_spares_distinct_records() {
        let mut rng = Lcg(7);
        let vocab: Vec<String> = (0..5000).map(|i| format!("w{i}")).collect();
        let originals: Vec<Vec<String>> = (0..2000)
            .map(|_| {
                let n = 60 + rng.next() as usize % 140;
                doc(&mut rng, &vocab, n)
            })
            .collect();
        let mut index = NearDupIndex::new();
        for (i, d) in originals.iter().enumerate() {
            index.insert(i as u64, &bands(&signature(&d.join(" "))));
        }
        let (mut tp, mut fp, mut fn_) = (0, 0, 0);
        // 500 planted near-duplicates.
        for k in 0..500 {
            let src = (k * 4) % originals.len();
            let mut d = originals[src].clone();
            let edits = d.len() / 20;
            for _ in 0..edits {
                let at = rng.next() as usize % d.len();
                match rng.next() % 3 {
                    0 => d[at] = vocab[rng.next() as usize % vocab.len()].clone(),
                    1 => d.insert(at, vocab[rng.next() as usize % vocab.len()].clone()),
                    _ => {
                        d.remove(at);
                    }
                }
            }
            let hits = index.query(&bands(&signature(&d.join(" "))));
            if hits.iter().any(|(id, _)| *id == src as u64) {
                tp += 1;
            } else {
                fn_ += 1;
            }
            fp += hits.iter().filter(|(id, _)| *id != src as u64).count();
        }
        // 2000 fresh distinct documents: any hit is a false positive.
        let mut distinct_flagged = 0;
        for _ in 0..2000 {
            let n = 60 + rng.next() as usize % 140;
            let d = doc(&mut rng, &vocab, n);
            let hits = index.query(&bands(&signature(&d.join(" "))));
            fp += hits.len();
            distinct_flagged += usize::from(!hits.is_empty());
        }
        let recall = tp as f64 / (tp + fn_) as f64;
        let precision = tp as f64 / (tp + fp) as f64;
        println!(
            "near-duplicates: recall {recall:.3}, precision {precision:.3}, distinct flagged {distinct_flagged}/2000"
        );
        assert!(recall >= 0.9, "recall {recall}");
        assert!(precision >= 0.95, "precision {precision}");
    }

    const FROZEN_BAND_0: u64 = 0x2baa_43b3_71c0_bfb8;
    const FROZEN_BAND_15: u64 = 0x536b_29c4_bd17_ad03;

    #[test]
    fn exact_copies_share_every_band_and_case_does_not_matter() {
        let a = bands(&signature("The quick brown fox jumps over the lazy dog"));
        let b = bands(&signature("the QUICK brown fox, jumps over the lazy dog!"));
        assert_eq!(a, b);
        let c = bands(&signature("An entirely different sentence about ledgers and data"));
        assert!(a.iter().zip(&c).all(|(x, y)| x != y));
    }

    /// A frozen vector: these band hashes are part of the ledger (every validator must compute
    /// them alike, on any toolchain), so they may never change. Non-ASCII letters and spaces are
    /// plain word bytes: no Unicode table is consulted.
    #[test]
    fn fingerprints_are_frozen_and_independent_of_unicode_tables() {
        let text = "Ünïcödé  naïve café — Straße\u{00A0}ǅemal İstanbul ΣΊΣΥΦΟΣ 東京 ok";
        let b = bands(&signature(text));
        assert_eq!(b[0], FROZEN_BAND_0, "band 0 is {:#x}", b[0]);
        assert_eq!(b[15], FROZEN_BAND_15, "band 15 is {:#x}", b[15]);
        // Only ASCII letters fold case; the no-break space joins words.
        assert_ne!(
            bands(&signature("CAFÉ au lait ici")),
            bands(&signature("café au lait ici"))
        );
        assert_eq!(
            bands(&signature("CAFé AU LAIT ici")),
            bands(&signature("caFé au lait ICI"))
        );
    }
}
