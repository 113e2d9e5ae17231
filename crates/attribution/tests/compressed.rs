//! The compressed mode (an FM-index) answers like brute force and like the suffix array: counts,
//! occurrences, longest prefixes, next tokens and maximal spans, and so byte-identical receipts.

use proptest::prelude::*;
use sinew_attribution::fm::FmIndex;
use sinew_attribution::{maximal_spans, receipt, Corpus, DocRef, Index, Params, Shards, Tokenizer};
use std::sync::Arc;

mod common;
use common::{naive_count, naive_spans};

const WORDS: &[&str] = &[
    "the", " river", " lake", " flows", " to", " sea", ",", " and", " a", " still", ".", " é", "ÿ", "\0", "~",
];

fn text(picks: &[usize]) -> Vec<u8> {
    common::text(WORDS, picks)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn the_compressed_mode_answers_like_brute_force_and_the_suffix_array(
        picks in proptest::collection::vec(proptest::collection::vec(0usize..64, 0..40), 1..14),
        answer in proptest::collection::vec(0usize..64, 1..40),
        threads in 1usize..3,
    ) {
        let docs: Vec<Vec<u8>> = picks.iter().map(|p| text(p)).collect();
        let refs: Vec<(DocRef, &[u8])> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (DocRef { contribution: i as u64 / 2, record: i as u32 % 2 }, d.as_slice()))
            .collect();
        let fm = FmIndex::build(&refs, threads).unwrap();
        let sa = Shards::new(vec![Arc::new(Index::build_with(Tokenizer::Bytes, &refs).unwrap())]).unwrap();
        let ids: Vec<Vec<u32>> = docs.iter().map(|d| d.iter().map(|&b| u32::from(b)).collect()).collect();
        let a = text(&answer);
        let a_ids: Vec<u32> = a.iter().map(|&b| u32::from(b)).collect();
        for from in 0..a.len() {
            for n in 1..=(a.len() - from).min(6) {
                let p = &a[from..from + n];
                let expected = naive_count(&ids, &a_ids[from..from + n]);
                prop_assert_eq!(fm.count(p), expected);
                let occ = fm.occurrences(p, usize::MAX);
                prop_assert_eq!(&occ, &sa.occurrences(p, usize::MAX));
                for (d, o) in occ {
                    let doc = &docs[(d.contribution * 2 + u64::from(d.record)) as usize];
                    prop_assert_eq!(&doc[o as usize..o as usize + n], p);
                }
            }
            prop_assert_eq!(Corpus::longest_prefix_len(&fm, &a[from..]), sa.longest_prefix_len(&a[from..]));
            prop_assert_eq!(fm.next_tokens(&a[..from]), sa.next_tokens(&a[..from]));
        }
        prop_assert_eq!(fm.next_tokens(&a), sa.next_tokens(&a));
        prop_assert_eq!(fm.continuations(&[]), sa.next_tokens(&[]).1);
        prop_assert_eq!(maximal_spans(&fm, &a, 1, 0), naive_spans(&ids, &a_ids, 1));
        for p in [Params { min_len: 2, max_count: 4 }, Params { min_len: 4, max_count: 1 }] {
            let expected = receipt(&sa, sa.id(), &a, &p);
            let got = receipt(&fm, sa.id(), &a, &p);
            prop_assert_eq!(got.digest(), expected.digest());
            prop_assert_eq!(&got, &expected);
        }
    }
}
