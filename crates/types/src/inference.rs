//! Models, providers and payable inference: the types transactions and state share.

use crate::amount::{self, Amount};
use crate::datanet::{BlobId, DatanetId};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// A model's id: a sequence number assigned at registration.
pub type ModelId = u64;

/// Basis points in a whole.
pub const BPS: u32 = 10_000;

/// What a model is and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelInfo {
    /// The name callers use (`model` in the OpenAI API); unique on the ledger.
    pub name: String,
    /// The base model (for the built-in model: `infini-gram`).
    pub base_model: String,
    /// The adapter the provider serves on top of the base model (OpenLoRA-style routing).
    #[serde(default)]
    pub adapter: Option<String>,
    /// The adapter's weights, uploaded as a blob, if published.
    #[serde(default)]
    pub adapter_blob: Option<BlobId>,
    /// The datanet versions the model was built from: (datanet, version). Answers are attributed
    /// against them.
    pub datanets: Vec<(DatanetId, u64)>,
    /// Tokenizer answers are counted and attributed in: `bytes`, `gpt2` or `cl100k`.
    pub tokenizer: String,
}

/// Prices per 1,000 tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    /// Per 1,000 prompt tokens, in base units.
    #[serde(with = "amount::as_string")]
    pub input_per_1k: Amount,
    /// Per 1,000 answer tokens, in base units.
    #[serde(with = "amount::as_string")]
    pub output_per_1k: Amount,
}

impl Pricing {
    /// The price of an answer: `ceil((input * in_rate + output * out_rate) / 1000)`, or `None` on
    /// overflow.
    pub fn price(&self, input_tokens: u64, output_tokens: u64) -> Option<Amount> {
        let a = self.input_per_1k.checked_mul(u128::from(input_tokens))?;
        let b = self.output_per_1k.checked_mul(u128::from(output_tokens))?;
        Some(a.checked_add(b)?.div_ceil(1000))
    }
}

/// How a fee, after the platform fee, is split (basis points summing to 10,000).
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    /// To the model owner.
    pub owner_bps: u16,
    /// To the provider that served the answer (and its stake).
    pub provider_bps: u16,
    /// To the contributors, by attribution weight.
    pub contributors_bps: u16,
}

impl Split {
    /// Whether the parts sum to a whole.
    pub fn is_whole(&self) -> bool {
        u32::from(self.owner_bps) + u32::from(self.provider_bps) + u32::from(self.contributors_bps) == BPS
    }
}

/// Whether a model takes requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelStatus {
    /// Serving.
    Active,
    /// Temporarily not serving.
    Paused,
    /// Permanently withdrawn.
    Retired,
}

/// Splits `total` into parts proportional to `weights` (largest remainder; ties to the earlier
/// part), so the parts always sum to `total` exactly. Weights must sum below 2^62 (they are
/// basis points, parts per million or counts); all-zero weights give all-zero parts.
pub fn split_exact(total: Amount, weights: &[u128]) -> Vec<Amount> {
    let sum: u128 = weights.iter().sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    assert!(sum < 1 << 62, "split weights sum below 2^62");
    let mut parts: Vec<(Amount, u128)> = weights
        .iter()
        .map(|w| {
            let (q, r) = mul_div(total, *w, sum);
            (q, r)
        })
        .collect();
    let assigned: u128 = parts.iter().map(|p| p.0).sum();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| parts[b].1.cmp(&parts[a].1).then(a.cmp(&b)));
    for &i in order.iter().take((total - assigned) as usize) {
        parts[i].0 += 1;
    }
    parts.into_iter().map(|p| p.0).collect()
}

/// `(a * b) / c` and its remainder, exact for any u128 `a` when `b <= c < 2^62`: with
/// `a = ah * 2^64 + al`, `ah * b = q1 * c + r1`, the rest is `(r1 * 2^64 + al * b) / c`, and
/// every intermediate stays below 2^127.
fn mul_div(a: u128, b: u128, c: u128) -> (u128, u128) {
    debug_assert!(b <= c && c > 0 && c < 1 << 62);
    let (ah, al) = (a >> 64, a & u128::from(u64::MAX));
    let hb = ah * b;
    let (q1, r1) = (hb / c, hb % c);
    let lo = (r1 << 64) + al * b;
    let (q2, r2) = (lo / c, lo % c);
    ((q1 << 64) + q2, r2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sum_exactly() {
        assert_eq!(split_exact(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(split_exact(0, &[1, 2]), vec![0, 0]);
        assert_eq!(split_exact(7, &[0, 0]), vec![0, 0]);
        let big = u128::MAX / 3;
        let parts = split_exact(big, &[7_000, 2_000, 1_000]);
        assert_eq!(parts.iter().sum::<u128>(), big);
        assert_eq!(parts[1], big / 5);
        let ppm = split_exact(1_000_003, &[333_334, 333_333, 333_333]);
        assert_eq!(ppm.iter().sum::<u128>(), 1_000_003);
    }

    #[test]
    fn prices_round_up() {
        let p = Pricing {
            input_per_1k: 3,
            output_per_1k: 10,
        };
        assert_eq!(p.price(1, 0), Some(1));
        assert_eq!(p.price(1000, 100), Some(4));
        assert_eq!(p.price(1001, 100), Some(5));
        assert_eq!(p.price(0, 0), Some(0));
        let huge = Pricing {
            input_per_1k: u128::MAX,
            output_per_1k: 1,
        };
        assert_eq!(huge.price(2, 0), None);
    }
}
