//! GPT-2 and cl100k indexes against a brute-force reference over token ids: counts, occurrences,
//! longest matches, maximal spans, next tokens, shards, receipts and determinism.

use proptest::prelude::*;
use sinew_attribution::{
    attribute, maximal_spans, receipt, recompute, verify_against_records, Corpus, DocRef, Index, Params, Shards,
    Tokenizer,
};
use sinew_types::Hash;

mod common;
use common::{naive_count, naive_spans};

fn words() -> Vec<String> {
    common::words_with_ff_codes(&[
        "the", " river", " lake", " flows", " to", " sea", ",", " and", " a", " still", ".",
    ])
}

fn text(picks: &[usize]) -> Vec<u8> {
    let w = words();
    picks
        .iter()
        .map(|&i| w[i % w.len()].as_str())
        .collect::<String>()
        .into_bytes()
}

fn tokenizer() -> impl Strategy<Value = Tokenizer> {
    prop_oneof![Just(Tokenizer::Gpt2), Just(Tokenizer::Cl100k)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn bpe_queries_match_brute_force(
        t in tokenizer(),
        picks in proptest::collection::vec(proptest::collection::vec(0usize..64, 0..40), 1..6),
        answer in proptest::collection::vec(0usize..64, 1..30),
    ) {
        let docs: Vec<Vec<u8>> = picks.iter().map(|p| text(p)).collect();
        let idx = Index::build_with(t, &common::refs(&docs)).unwrap();
        let ids: Vec<Vec<u32>> = docs.iter().map(|d| t.tokens(d).unwrap()).collect();
        let a_text = text(&answer);
        let a_ids = t.tokens(&a_text).unwrap();
        let a = t.encode(&a_text).unwrap();
        let w = t.width();
        prop_assert_eq!(idx.len(), ids.iter().map(|d| d.len() + 1).sum::<usize>());
        for n in 1..=a_ids.len().min(4) {
            prop_assert_eq!(idx.count(&a[..n * w]), naive_count(&ids, &a_ids[..n]));
            let occ = idx.find(&a[..n * w], usize::MAX);
            prop_assert_eq!(occ.len(), naive_count(&ids, &a_ids[..n]));
            for o in occ {
                let d = &ids[o.doc as usize];
                prop_assert_eq!(&d[o.offset as usize..o.offset as usize + n], &a_ids[..n]);
            }
        }
        prop_assert_eq!(maximal_spans(&idx, &a, 1, 0), naive_spans(&ids, &a_ids, 1));
        let (k, next) = idx.next_tokens(&a);
        let ctx = &a_ids[a_ids.len() - k..];
        prop_assert!(k == 0 || naive_count(&ids, ctx) > 0);
        prop_assert!(k == a_ids.len() || naive_count(&ids, &a_ids[a_ids.len() - k - 1..]) == 0);
        let total: u64 = next.iter().map(|x| x.1).sum();
        let followers: usize = ids.iter().map(|d| {
            (0..d.len().saturating_sub(ctx.len())).filter(|&i| &d[i..i + ctx.len()] == ctx).count()
        }).sum();
        prop_assert_eq!(total as usize, followers);
        // Shards answer like one index.
        let shards = Shards::build_with(t, &common::refs(&docs), 20, |_, _| {}).unwrap();
        prop_assert_eq!(maximal_spans(&shards, &a, 1, 0), maximal_spans(&idx, &a, 1, 0));
        prop_assert_eq!(Corpus::next_tokens(&shards, &a), Corpus::next_tokens(&idx, &a));
        let p = Params { min_len: 2, max_count: 5 };
        prop_assert_eq!(attribute(&shards, &a_text, &p), attribute(&idx, &a_text, &p));
    }
}

#[test]
fn bpe_indexes_are_deterministic_reopen_and_give_checkable_receipts() {
    let docs: Vec<Vec<u8>> = vec![
        b"The great river carries silt from the mountains down to the wide sea.".to_vec(),
        b"A lake holds still water in a basin between the hills.".to_vec(),
        "Le Rhône traverse Lyon avant d'atteindre la Méditerranée."
            .as_bytes()
            .to_vec(),
    ];
    let answer = "We read that the great river carries silt from the mountains, and that a lake holds still \
                  water in a basin; le Rhône traverse Lyon."
        .as_bytes();
    let dir = tempfile::tempdir().unwrap();
    for t in [Tokenizer::Gpt2, Tokenizer::Cl100k] {
        let a = Index::build_with(t, &common::refs(&docs)).unwrap();
        let b = Index::build_with(t, &common::refs(&docs)).unwrap();
        assert_eq!(a.as_bytes(), b.as_bytes(), "{t}: byte-identical rebuild");
        let path = dir.path().join(format!("{t}.idx"));
        a.write(&path).unwrap();
        let m = Index::open(&path, true).unwrap();
        assert_eq!(m.tokenizer(), t);
        assert_eq!(m.doc_text(2), docs[2]);
        assert_eq!(m.count(&t.encode(b" river").unwrap()), 1);
        let id = Hash::of(m.as_bytes());
        let params = Params {
            min_len: 5,
            max_count: 10,
        };
        let r = receipt(&m, id, answer, &params);
        assert_eq!(r.tokenizer, t);
        assert_eq!(r.weights.iter().map(|w| w.1).sum::<u32>(), 1_000_000);
        let contributions: Vec<u64> = r.weights.iter().map(|w| w.0).collect();
        assert_eq!(contributions, vec![0, 1, 2], "{t}: {r:?}");
        let lookup = |d: DocRef| docs.get(d.contribution as usize).cloned();
        verify_against_records(&r, answer, lookup).unwrap();
        recompute(&m, id, answer, &r).unwrap();
        let a = attribute(&m, answer, &params);
        for s in &a.spans {
            let span = &answer[s.byte_start..s.byte_start + s.byte_len];
            assert!(docs.iter().any(|d| d.windows(span.len()).any(|w| w == span)));
        }
        let mut shifted = r.clone();
        shifted.spans[0].record_offset += 1;
        assert!(verify_against_records(&shifted, answer, lookup).is_err());
        let mut other = r.clone();
        other.tokenizer = Tokenizer::Bytes;
        assert!(recompute(&m, id, answer, &other).is_err());
    }
    // Non-UTF-8 records cannot be BPE-tokenized: a clear error naming the record.
    let bad = vec![b"ok".to_vec(), vec![0xC3, 0x28]];
    let err = Index::build_with(Tokenizer::Gpt2, &common::refs(&bad)).err().unwrap();
    assert!(err.to_string().contains("document 1"), "{err}");
}
