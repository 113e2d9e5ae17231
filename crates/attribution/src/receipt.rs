//! Attribution receipts: everything needed to check an attribution. [`verify_against_records`]
//! checks the claimed bytes with the records alone; [`recompute`] re-derives the whole receipt
//! from the index and compares.

use crate::attribute::{attribute, Params};
use crate::corpus::Corpus;
use crate::index::DocRef;
use crate::tokenizer::Tokenizer;
use serde::{Deserialize, Serialize};
use sinew_types::Hash;

/// One occurrence of a span in a record. Offsets and lengths are in tokens of the receipt's
/// tokenizer (bytes for byte-level).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptSpan {
    /// Offset of the span in the answer.
    pub answer_offset: u64,
    /// Its length.
    pub len: u64,
    /// The contribution holding the record.
    pub contribution: u64,
    /// The record within it.
    pub record: u32,
    /// Offset of the span in the record.
    pub record_offset: u64,
}

/// A complete, checkable attribution of one answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// BLAKE3 of the answer.
    pub answer_hash: Hash,
    /// The corpus (datanet version) attributed against: its content id ([`crate::content`]),
    /// the same however the index is stored.
    pub index: Hash,
    /// The tokenizer of the index, in which offsets and lengths count.
    #[serde(default)]
    pub tokenizer: Tokenizer,
    /// Shortest span kept.
    pub min_len: u64,
    /// Most occurrences of a kept span.
    pub max_count: u64,
    /// Every occurrence of every kept span.
    pub spans: Vec<ReceiptSpan>,
    /// Parts per million per contribution; sums to 1,000,000 or is empty.
    pub weights: Vec<(u64, u32)>,
}

impl Receipt {
    /// A digest of the whole receipt (what a settlement transaction carries): BLAKE3 over a
    /// fixed little-endian layout of every field, so it does not depend on any serializer.
    pub fn digest(&self) -> Hash {
        let mut b = Vec::with_capacity(128 + 36 * self.spans.len() + 12 * self.weights.len());
        b.extend_from_slice(&self.answer_hash.0);
        b.extend_from_slice(&self.index.0);
        b.push(self.tokenizer.id());
        b.extend_from_slice(&self.min_len.to_le_bytes());
        b.extend_from_slice(&self.max_count.to_le_bytes());
        b.extend_from_slice(&(self.spans.len() as u64).to_le_bytes());
        for s in &self.spans {
            b.extend_from_slice(&s.answer_offset.to_le_bytes());
            b.extend_from_slice(&s.len.to_le_bytes());
            b.extend_from_slice(&s.contribution.to_le_bytes());
            b.extend_from_slice(&s.record.to_le_bytes());
            b.extend_from_slice(&s.record_offset.to_le_bytes());
        }
        b.extend_from_slice(&(self.weights.len() as u64).to_le_bytes());
        for (c, w) in &self.weights {
            b.extend_from_slice(&c.to_le_bytes());
            b.extend_from_slice(&w.to_le_bytes());
        }
        Hash::tagged(b"sinew/attribution-receipt", &b)
    }
}

/// Why a receipt does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// The answer is not the one the receipt is about.
    #[error("the answer's hash does not match the receipt")]
    WrongAnswer,
    /// A span's bytes differ from the record's.
    #[error("span at answer offset {0} does not match record {1:?}")]
    Mismatch(u64, DocRef),
    /// A claimed record is unknown.
    #[error("record {0:?} is unknown")]
    UnknownRecord(DocRef),
    /// Recomputation gives a different receipt.
    #[error("recomputed attribution differs: {0}")]
    Differs(String),
}

/// The receipt of attributing `answer` against `index` (whose file hash is `index_id`).
pub fn receipt<C: Corpus + ?Sized>(index: &C, index_id: Hash, answer: &[u8], params: &Params) -> Receipt {
    let a = attribute(index, answer, params);
    let spans = a
        .spans
        .iter()
        .flat_map(|s| {
            s.occurrences.iter().map(move |(r, off)| ReceiptSpan {
                answer_offset: s.start as u64,
                len: s.len as u64,
                contribution: r.contribution,
                record: r.record,
                record_offset: *off,
            })
        })
        .collect();
    Receipt {
        answer_hash: Hash::of(answer),
        index: index_id,
        tokenizer: index.tokenizer(),
        min_len: params.min_len as u64,
        max_count: params.max_count as u64,
        spans,
        weights: a.weights,
    }
}

/// Checks every span's bytes against the records (`record` returns a record's text), without an
/// index: anyone holding the data can do it.
pub fn verify_against_records(
    r: &Receipt,
    answer: &[u8],
    record: impl Fn(DocRef) -> Option<Vec<u8>>,
) -> Result<(), ReceiptError> {
    if Hash::of(answer) != r.answer_hash {
        return Err(ReceiptError::WrongAnswer);
    }
    let (t, w) = (r.tokenizer, r.tokenizer.width());
    let answer = t.encode_lossy(answer);
    for s in &r.spans {
        let doc = DocRef {
            contribution: s.contribution,
            record: s.record,
        };
        let text = t.encode_lossy(&record(doc).ok_or(ReceiptError::UnknownRecord(doc))?);
        let (a0, r0, n) = (
            s.answer_offset as usize * w,
            s.record_offset as usize * w,
            s.len as usize * w,
        );
        let ok = a0 + n <= answer.len() && r0 + n <= text.len() && answer[a0..a0 + n] == text[r0..r0 + n];
        if !ok {
            return Err(ReceiptError::Mismatch(s.answer_offset, doc));
        }
    }
    Ok(())
}

/// Recomputes the receipt from the index and checks it is identical.
pub fn recompute<C: Corpus + ?Sized>(
    index: &C,
    index_id: Hash,
    answer: &[u8],
    claimed: &Receipt,
) -> Result<(), ReceiptError> {
    if Hash::of(answer) != claimed.answer_hash {
        return Err(ReceiptError::WrongAnswer);
    }
    let params = Params {
        min_len: claimed.min_len as usize,
        max_count: claimed.max_count as usize,
    };
    let fresh = receipt(index, index_id, answer, &params);
    if fresh != *claimed {
        let why = if fresh.tokenizer != claimed.tokenizer {
            "tokenizer"
        } else if fresh.spans != claimed.spans {
            "spans"
        } else if fresh.weights != claimed.weights {
            "weights"
        } else {
            "index"
        };
        return Err(ReceiptError::Differs(why.into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Index;

    #[test]
    fn receipts_verify_and_forgeries_are_caught() {
        let recs: Vec<(DocRef, &[u8])> = vec![
            (
                DocRef {
                    contribution: 3,
                    record: 1,
                },
                b"the great river carries silt from the mountains down to the wide sea",
            ),
            (
                DocRef {
                    contribution: 4,
                    record: 0,
                },
                b"a lake holds still water in a basin",
            ),
        ];
        let idx = Index::build(&recs).unwrap();
        let id = Hash::of(idx.as_bytes());
        let answer =
            b"Indeed the great river carries silt from the mountains, while a lake holds still water in a basin.";
        let params = Params {
            min_len: 12,
            max_count: 10,
        };
        let r = receipt(&idx, id, answer, &params);
        assert_eq!(r.weights.iter().map(|w| w.1).sum::<u32>(), 1_000_000);
        let lookup = |d: DocRef| recs.iter().find(|(r, _)| *r == d).map(|(_, t)| t.to_vec());
        verify_against_records(&r, answer, lookup).unwrap();
        recompute(&idx, id, answer, &r).unwrap();
        // Forged weights, a shifted span, another answer: all refused.
        let mut forged = r.clone();
        forged.weights[0].1 += 1;
        forged.weights[1].1 -= 1;
        assert!(matches!(
            recompute(&idx, id, answer, &forged),
            Err(ReceiptError::Differs(_))
        ));
        let mut shifted = r.clone();
        shifted.spans[0].record_offset += 1;
        assert!(matches!(
            verify_against_records(&shifted, answer, lookup),
            Err(ReceiptError::Mismatch(..))
        ));
        assert_eq!(
            verify_against_records(&r, b"another answer", lookup),
            Err(ReceiptError::WrongAnswer)
        );
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Receipt>(&json).unwrap(), r);
    }
}

impl From<&Receipt> for sinew_types::api::answers::AttributionReceipt {
    fn from(r: &Receipt) -> Self {
        sinew_types::api::answers::AttributionReceipt {
            answer_hash: r.answer_hash,
            index: r.index,
            tokenizer: r.tokenizer.name().into(),
            min_len: r.min_len,
            max_count: r.max_count,
            spans: r
                .spans
                .iter()
                .map(|s| sinew_types::api::answers::ReceiptSpan {
                    answer_offset: s.answer_offset,
                    len: s.len,
                    contribution: s.contribution,
                    record: s.record,
                    record_offset: s.record_offset,
                })
                .collect(),
            weights: r.weights.clone(),
        }
    }
}

#[cfg(test)]
mod wire_tests {
    use super::*;

    #[test]
    fn the_api_receipt_serialises_exactly_as_the_engine_receipt() {
        let r = Receipt {
            answer_hash: Hash::of(b"answer"),
            index: Hash::of(b"index"),
            tokenizer: Tokenizer::Gpt2,
            min_len: 4,
            max_count: 10,
            spans: vec![ReceiptSpan {
                answer_offset: 1,
                len: 5,
                contribution: 7,
                record: 2,
                record_offset: 9,
            }],
            weights: vec![(7, 1_000_000)],
        };
        let wire = sinew_types::api::answers::AttributionReceipt::from(&r);
        assert_eq!(serde_json::to_value(&r).unwrap(), serde_json::to_value(&wire).unwrap());
        let back: Receipt = serde_json::from_value(serde_json::to_value(&wire).unwrap()).unwrap();
        assert_eq!(back, r);
    }
}
