//! A datanet version held as shards, the way versions grow: the delta shards each version adds,
//! the merged layout the background compaction reaches, and one index built at once all give
//! the same answers (against brute force over token ids, for every tokenizer), the same corpus
//! id and byte-identical receipts, whichever mode (suffix arrays or FM-indexes, or a mix) holds
//! them. Shards that do not follow each other are refused, and a shard file truncated or
//! tampered with does not open.

use proptest::prelude::*;
use sinew_attribution::layout::{self, ShardSpan};
use sinew_attribution::{
    encode_all, maximal_spans, receipt, Corpus, Index, IndexMode, Params, Shard, Shards, Tokenizer,
};
use std::sync::Arc;

mod common;
use common::{naive_count, naive_spans, paired_refs as refs};

const WORDS: &[&str] = &[
    "the", " river", " lake", " flows", " to", " sea", ",", " and", " a", " still", ".", " é", "ÿ", " Ā",
];

fn text(picks: &[usize]) -> Vec<u8> {
    common::text(WORDS, picks)
}

fn tokenizer() -> impl Strategy<Value = Tokenizer> {
    prop_oneof![Just(Tokenizer::Bytes), Just(Tokenizer::Gpt2), Just(Tokenizer::Cl100k)]
}

fn mode() -> impl Strategy<Value = IndexMode> {
    prop_oneof![Just(IndexMode::SuffixArray), Just(IndexMode::Compressed)]
}

/// The layouts a node passes through: after each version, the delta shards appended to what it
/// served before (merges not landed), and the merged layout.
fn layouts(sizes: &[u64], ends: &[u64], max: u64) -> (Vec<ShardSpan>, Vec<ShardSpan>) {
    let (mut served, mut merged) = (Vec::new(), Vec::new());
    let mut from = 0usize;
    for &end in ends {
        let end = end as usize;
        served.extend(layout::delta(from as u64, &sizes[from..end], max));
        merged = layout::append(&merged, &sizes[from..end], max);
        from = end;
    }
    (served, merged)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn versions_built_incrementally_answer_and_attribute_like_one_index(
        t in tokenizer(),
        picks in proptest::collection::vec(proptest::collection::vec(0usize..64, 0..30), 1..14),
        cuts in proptest::collection::vec(1usize..5, 1..8),
        max in 8u64..120,
        answer in proptest::collection::vec(0usize..64, 1..40),
        modes in (mode(), mode()),
    ) {
        let docs: Vec<Vec<u8>> = picks.iter().map(|p| text(p)).collect();
        let r = refs(&docs);
        let encoded = encode_all(t, &r).unwrap();
        let w = t.width() as u64;
        let sizes: Vec<u64> = encoded.iter().map(|(_, c)| c.len() as u64 + w).collect();
        // Version ends: a few documents per version.
        let mut ends = Vec::new();
        let mut at = 0;
        for c in cuts.iter().cycle() {
            at = (at + c).min(docs.len());
            ends.push(at as u64);
            if at == docs.len() { break; }
        }
        let (served, merged) = layouts(&sizes, &ends, max);
        prop_assert_eq!(&layout::plan(&sizes, &ends, max), &merged);
        prop_assert!(layout::refines(&served, &merged));
        let one = Index::build_with(t, &r).unwrap();
        let incremental = Shards::build_layout_in(modes.0, t, &encoded, &served).unwrap();
        let compacted = Shards::build_layout_in(modes.1, t, &encoded, &merged).unwrap();
        let whole = Shards::new(vec![Arc::new(one)]).unwrap();
        prop_assert_eq!(incremental.id(), whole.id());
        prop_assert_eq!(compacted.id(), whole.id());
        // Shards of both modes, alternating, make one corpus too.
        let mixed = Shards::new(
            incremental
                .shards()
                .iter()
                .enumerate()
                .map(|(i, s)| match (i % 2, s.encoded_docs().unwrap()) {
                    (0, d) => Shard::build(IndexMode::SuffixArray, t, &d, s.chain_start(), 1).unwrap(),
                    (_, d) => Shard::build(IndexMode::Compressed, t, &d, s.chain_start(), 1).unwrap(),
                })
                .collect(),
        )
        .unwrap();

        let ids: Vec<Vec<u32>> = docs.iter().map(|d| t.tokens(d).unwrap()).collect();
        let a_text = text(&answer);
        let a_ids = t.tokens(&a_text).unwrap();
        let a = t.encode(&a_text).unwrap();
        let wu = t.width();
        let p = Params { min_len: 2, max_count: 4 };
        let expect_receipt = receipt(&whole, whole.id(), &a_text, &p);
        for c in [&incremental, &compacted, &whole, &mixed] {
            for n in 1..=a_ids.len().min(4) {
                prop_assert_eq!(c.count(&a[..n * wu]), naive_count(&ids, &a_ids[..n]));
                let occ = c.occurrences(&a[..n * wu], usize::MAX);
                prop_assert_eq!(occ.len(), naive_count(&ids, &a_ids[..n]));
                for (d, o) in occ {
                    let doc = &ids[(d.contribution * 2 + d.record as u64) as usize];
                    prop_assert_eq!(&doc[o as usize..o as usize + n], &a_ids[..n]);
                }
            }
            prop_assert_eq!(c.longest_prefix_len(&a), naive_spans(&ids, &a_ids, 1).first().filter(|s| s.start == 0).map_or(0, |s| s.len));
            prop_assert_eq!(maximal_spans(c, &a, 1, 0), naive_spans(&ids, &a_ids, 1));
            let (k, next) = c.next_tokens(&a);
            let ctx = &a_ids[a_ids.len() - k..];
            prop_assert!(k == 0 || naive_count(&ids, ctx) > 0);
            prop_assert!(k == a_ids.len() || naive_count(&ids, &a_ids[a_ids.len() - k - 1..]) == 0);
            let followers: usize = ids.iter().map(|d| {
                (0..d.len().saturating_sub(ctx.len())).filter(|&i| &d[i..i + ctx.len()] == ctx).count()
            }).sum();
            prop_assert_eq!(next.iter().map(|x| x.1).sum::<u64>() as usize, followers);
            let got = receipt(c, c.id(), &a_text, &p);
            prop_assert_eq!(got.digest(), expect_receipt.digest());
            prop_assert_eq!(&got, &expect_receipt);
        }
    }
}

#[test]
fn shards_out_of_order_missing_or_foreign_are_refused() {
    let docs: Vec<Vec<u8>> = (0..6)
        .map(|i| format!("record number {i} of the lake").into_bytes())
        .collect();
    let r = refs(&docs);
    let encoded = encode_all(Tokenizer::Bytes, &r).unwrap();
    let sizes: Vec<u64> = encoded.iter().map(|(_, c)| c.len() as u64 + 1).collect();
    let spans = layout::split(&sizes, 60);
    assert!(spans.len() >= 3, "{spans:?}");
    let shards = Shards::build_layout(Tokenizer::Bytes, &encoded, &spans).unwrap();
    let s: Vec<Shard> = shards.shards().to_vec();
    let swapped = vec![s[1].clone(), s[0].clone()];
    let missing = vec![s[0].clone(), s[2].clone()];
    let repeated = vec![s[0].clone(), s[0].clone()];
    for bad in [swapped, missing, repeated, vec![s[1].clone()]] {
        let e = Shards::new(bad).err().expect("refused");
        assert!(e.to_string().contains("does not continue"), "{e}");
    }
    let gpt2 = encode_all(Tokenizer::Gpt2, &r).unwrap();
    let other = Shards::build_layout(Tokenizer::Gpt2, &gpt2, &[layout::split(&sizes, u64::MAX)[0]]).unwrap();
    let e = Shards::new(vec![s[0].clone(), other.shards()[0].clone()])
        .err()
        .unwrap();
    assert!(e.to_string().contains("indexed with"), "{e}");
}

#[test]
fn a_truncated_or_tampered_shard_file_does_not_open() {
    let docs: Vec<Vec<u8>> = (0..20)
        .map(|i| format!("the river {i} flows to the sea").into_bytes())
        .collect();
    let idx = Index::build(&refs(&docs)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.idx");
    idx.write(&path).unwrap();
    assert!(Index::open(&path, true).is_ok());
    let good = std::fs::read(&path).unwrap();
    let bad = |bytes: &[u8], what: &str| {
        std::fs::write(&path, bytes).unwrap();
        let e = Index::open(&path, true).err().expect(what);
        assert!(e.to_string().starts_with("not a valid index file"), "{what}: {e}");
    };
    bad(&good[..good.len() - 1], "truncated");
    bad(&good[..100], "cut inside the header");
    let mut flipped = good.clone();
    flipped[200] ^= 1;
    bad(&flipped, "a flipped byte in the text");
    let mut chain = good.clone();
    chain[40] ^= 1;
    bad(&chain, "a flipped byte in the content chain");
}
