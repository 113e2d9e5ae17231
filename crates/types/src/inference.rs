//! Models, providers and payable inference: the types transactions and state share.

use crate::amount::{self, Amount};
use crate::datanet::{BlobId, DatanetId};
use crate::signing::{verify_one, SigItem, SignatureBytes};
use crate::{Address, Hash, Height};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// A model's id: a sequence number assigned at registration.
pub type ModelId = u64;

/// Basis points in a whole.
pub const BPS: u32 = 10_000;

/// What a model is and where it came from.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
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
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    /// Per 1,000 prompt tokens, in base units.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub input_per_1k: Amount,
    /// Per 1,000 answer tokens, in base units.
    #[schemars(with = "String")]
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
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
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

/// What an API key may be charged for: the payer's consent, checked by the ledger on every
/// reservation. A provider outside `providers` cannot charge the key at all.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct KeyScope {
    /// The providers that may charge it (1 to [`MAX_KEY_PROVIDERS`], distinct).
    pub providers: Vec<Address>,
    /// The models it may pay for (empty: any model those providers serve; at most
    /// [`MAX_KEY_MODELS`], distinct).
    #[serde(default)]
    pub models: Vec<ModelId>,
    /// The most one request may cost (positive).
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub max_fee_per_request: Amount,
    /// The most the key may spend in all (0: no limit).
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string", default)]
    pub spend_limit: Amount,
    /// When set, the key pays only for requests carrying a [`Voucher`] signed by this key (the
    /// payer's SDK signs one per request), so a leaked bearer key cannot spend anything.
    #[serde(default)]
    pub voucher_key: Option<Address>,
}

/// Most providers one API key may name.
pub const MAX_KEY_PROVIDERS: usize = 16;
/// Most models one API key may name.
pub const MAX_KEY_MODELS: usize = 64;

impl KeyScope {
    /// A scope for one provider with a per-request cap (no model restriction, no spend limit).
    pub fn provider(provider: Address, max_fee_per_request: Amount) -> KeyScope {
        KeyScope {
            providers: vec![provider],
            models: vec![],
            max_fee_per_request,
            spend_limit: 0,
            voucher_key: None,
        }
    }

    /// Whether `provider` may charge this key for `model`.
    pub fn allows(&self, provider: &Address, model: ModelId) -> bool {
        self.providers.contains(provider) && (self.models.is_empty() || self.models.contains(&model))
    }

    /// What is wrong with the scope, if anything.
    pub fn check(&self, max_fee: Amount) -> Result<(), String> {
        if self.providers.is_empty() || self.providers.len() > MAX_KEY_PROVIDERS {
            return Err(format!("an API key names 1 to {MAX_KEY_PROVIDERS} providers"));
        }
        if self.models.len() > MAX_KEY_MODELS {
            return Err(format!("an API key names at most {MAX_KEY_MODELS} models"));
        }
        let distinct = |n: usize, mut v: Vec<Vec<u8>>| {
            v.sort_unstable();
            v.dedup();
            v.len() == n
        };
        if !distinct(
            self.providers.len(),
            self.providers.iter().map(|p| p.0.to_vec()).collect(),
        ) || !distinct(
            self.models.len(),
            self.models.iter().map(|m| m.to_le_bytes().to_vec()).collect(),
        ) {
            return Err("providers and models of an API key must be distinct".into());
        }
        if self.max_fee_per_request == 0 || self.max_fee_per_request > max_fee {
            return Err(format!("max_fee_per_request must be within 1..={max_fee}"));
        }
        if self.spend_limit > max_fee {
            return Err(format!("spend limit must be at most {max_fee}"));
        }
        Ok(())
    }
}

/// A payer's signed consent to one request: its id, the model, and the most it may cost, valid
/// until a height. Keys registered with a `voucher_key` pay only for requests carrying one.
#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Voucher {
    /// The request it pays for (single use: a request is reserved and settled once).
    pub request_id: Hash,
    /// The model.
    pub model: ModelId,
    /// The most the request may cost.
    #[schemars(with = "String")]
    #[serde(with = "amount::as_string")]
    pub max_fee: Amount,
    /// Last height at which it may be reserved.
    pub valid_until: Height,
    /// Signature by the key's `voucher_key` over [`Voucher::message`].
    pub signature: SignatureBytes,
}

impl Voucher {
    /// The signed bytes: domain tag, chain, API key hash and the voucher's terms.
    pub fn message(
        chain_id: &str,
        api_key: &Hash,
        request_id: &Hash,
        model: ModelId,
        max_fee: Amount,
        valid_until: Height,
    ) -> Vec<u8> {
        let mut m = Vec::with_capacity(32 + chain_id.len() + 32 + 32 + 8 + 16 + 8);
        m.extend_from_slice(b"sinew/voucher/v1");
        m.extend_from_slice(&(chain_id.len() as u64).to_le_bytes());
        m.extend_from_slice(chain_id.as_bytes());
        m.extend_from_slice(&api_key.0);
        m.extend_from_slice(&request_id.0);
        m.extend_from_slice(&model.to_le_bytes());
        m.extend_from_slice(&max_fee.to_le_bytes());
        m.extend_from_slice(&valid_until.to_le_bytes());
        m
    }

    /// A voucher signed by `key`.
    pub fn sign(
        key: &crate::Keypair,
        chain_id: &str,
        api_key: &Hash,
        request_id: Hash,
        model: ModelId,
        max_fee: Amount,
        valid_until: Height,
    ) -> Voucher {
        let msg = Voucher::message(chain_id, api_key, &request_id, model, max_fee, valid_until);
        Voucher {
            request_id,
            model,
            max_fee,
            valid_until,
            signature: key.sign_bytes(&msg),
        }
    }

    /// Whether `signer` signed this voucher for `api_key` on `chain_id`.
    pub fn verify(&self, chain_id: &str, api_key: &Hash, signer: &Address) -> bool {
        let msg = Voucher::message(
            chain_id,
            api_key,
            &self.request_id,
            self.model,
            self.max_fee,
            self.valid_until,
        );
        verify_one(&SigItem {
            message: &msg,
            signature: &self.signature,
            signer,
        })
        .is_ok()
    }
}

/// Whether a model takes requests.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize, schemars::JsonSchema,
)]
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
    let parts: Vec<Amount> = parts.into_iter().map(|p| p.0).collect();
    debug_assert_eq!(parts.iter().sum::<Amount>(), total, "split parts sum to the total");
    parts
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
    fn vouchers_bind_every_term() {
        let payer = crate::Keypair::dev("payer");
        let key = Hash::of(b"api key");
        let v = Voucher::sign(&payer, "c", &key, Hash::of(b"r"), 3, 500, 10);
        assert!(v.verify("c", &key, &payer.address()));
        assert!(!v.verify("other-chain", &key, &payer.address()));
        assert!(!v.verify("c", &Hash::of(b"other key"), &payer.address()));
        assert!(!v.verify("c", &key, &crate::Keypair::dev("x").address()));
        for tamper in 0..4 {
            let mut t = v.clone();
            match tamper {
                0 => t.max_fee += 1,
                1 => t.model += 1,
                2 => t.valid_until += 1,
                _ => t.request_id = Hash::of(b"r2"),
            }
            assert!(!t.verify("c", &key, &payer.address()), "tamper {tamper}");
        }
    }

    #[test]
    fn key_scopes_are_checked() {
        let p = crate::Keypair::dev("p").address();
        let s = KeyScope::provider(p, 100);
        assert!(s.check(1 << 96).is_ok());
        assert!(s.allows(&p, 7));
        assert!(!s.allows(&crate::Keypair::dev("q").address(), 7));
        let only = KeyScope {
            models: vec![1, 2],
            ..s.clone()
        };
        assert!(only.allows(&p, 2) && !only.allows(&p, 3));
        assert!(KeyScope {
            providers: vec![],
            ..s.clone()
        }
        .check(1 << 96)
        .is_err());
        assert!(KeyScope {
            providers: vec![p, p],
            ..s.clone()
        }
        .check(1 << 96)
        .is_err());
        assert!(KeyScope {
            models: vec![1, 1],
            ..s.clone()
        }
        .check(1 << 96)
        .is_err());
        assert!(KeyScope {
            max_fee_per_request: 0,
            ..s.clone()
        }
        .check(1 << 96)
        .is_err());
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
