//! The compressed mode (an FM-index) answers like brute force and like the suffix array, for every
//! tokenizer: counts, occurrences, longest prefixes, next tokens and maximal spans, and so
//! byte-identical receipts.

use proptest::prelude::*;
use sinew_attribution::fm::FmIndex;
use sinew_attribution::{
    content, encode_all, maximal_spans, receipt, Corpus, DocRef, Index, Params, Shards, Tokenizer,
};
use std::sync::Arc;

mod common;
use common::{naive_count, naive_spans};

fn text(picks: &[usize]) -> Vec<u8> {
    let words = common::words_with_ff_codes(&[
        "the", " river", " lake", " flows", " to", " sea", ",", " and", " a", " still", ".", " é", "ÿ", "\0", "~",
    ]);
    let words: Vec<&str> = words.iter().map(|w| w.as_str()).collect();
    common::text(&words, picks)
}

fn tokenizer() -> impl Strategy<Value = Tokenizer> {
    prop_oneof![Just(Tokenizer::Bytes), Just(Tokenizer::Gpt2), Just(Tokenizer::Cl100k)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn the_compressed_mode_answers_like_brute_force_and_the_suffix_array(
        t in tokenizer(),
        picks in proptest::collection::vec(proptest::collection::vec(0usize..64, 0..40), 1..14),
        answer in proptest::collection::vec(0usize..64, 1..40),
        threads in 1usize..3,
    ) {
        let w = t.width();
        let docs: Vec<Vec<u8>> = picks.iter().map(|p| text(p)).collect();
        let refs: Vec<(DocRef, &[u8])> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (DocRef { contribution: i as u64 / 2, record: i as u32 % 2 }, d.as_slice()))
            .collect();
        let encoded = encode_all(t, &refs).unwrap();
        let fm = FmIndex::build_encoded(t, &encoded, content::start(t), threads).unwrap();
        let sa = Shards::new(vec![Arc::new(Index::build_with(t, &refs).unwrap())]).unwrap();
        prop_assert_eq!(fm.chain_end(), sa.id());
        prop_assert_eq!(fm.len(), sa.len());
        // The same file whatever the threads; read back whole, with its documents.
        let bytes = fm.to_bytes();
        prop_assert_eq!(&FmIndex::build_encoded(t, &encoded, content::start(t), 1).unwrap().to_bytes(), &bytes);
        let fm = FmIndex::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&fm.encoded_docs().unwrap(), &encoded);
        prop_assert!(fm.check_content().is_ok());
        let ids: Vec<Vec<u32>> = docs.iter().map(|d| t.tokens(d).unwrap()).collect();
        let a_text = text(&answer);
        let a_ids = t.tokens(&a_text).unwrap();
        let a = t.encode(&a_text).unwrap();
        for from in 0..a_ids.len() {
            for n in 1..=(a_ids.len() - from).min(6) {
                let p = &a[from * w..(from + n) * w];
                let expected = naive_count(&ids, &a_ids[from..from + n]);
                prop_assert_eq!(fm.count(p), expected);
                let occ = fm.occurrences(p, usize::MAX);
                prop_assert_eq!(&occ, &sa.occurrences(p, usize::MAX));
                for (d, o) in occ {
                    let doc = &ids[(d.contribution * 2 + u64::from(d.record)) as usize];
                    prop_assert_eq!(&doc[o as usize..o as usize + n], &a_ids[from..from + n]);
                }
            }
            prop_assert_eq!(Corpus::longest_prefix_len(&fm, &a[from * w..]), sa.longest_prefix_len(&a[from * w..]));
            prop_assert_eq!(fm.next_tokens(&a[..from * w]), sa.next_tokens(&a[..from * w]));
        }
        prop_assert_eq!(fm.next_tokens(&a), sa.next_tokens(&a));
        prop_assert_eq!(fm.continuations(&[]), sa.next_tokens(&[]).1);
        prop_assert_eq!(maximal_spans(&fm, &a, 1, 0), naive_spans(&ids, &a_ids, 1));
        for p in [Params { min_len: 2, max_count: 4 }, Params { min_len: 4, max_count: 1 }] {
            let expected = receipt(&sa, sa.id(), &a_text, &p);
            let got = receipt(&fm, sa.id(), &a_text, &p);
            prop_assert_eq!(got.digest(), expected.digest());
            prop_assert_eq!(&got, &expected);
        }
    }
}

#[test]
fn the_compressed_mode_refuses_what_it_cannot_index() {
    let bad: Vec<(DocRef, &[u8])> = vec![(
        DocRef {
            contribution: 0,
            record: 0,
        },
        b"ok\xFFno",
    )];
    assert!(matches!(
        FmIndex::build(&bad, 1),
        Err(sinew_attribution::IndexError::Separator(0))
    ));
    // A byte-pair stream holding the separator's code, or cut mid-code.
    for codes in [vec![0u8, 5, 0xFF, 0xFF], vec![0u8, 5, 0]] {
        let docs = vec![(
            DocRef {
                contribution: 0,
                record: 0,
            },
            std::borrow::Cow::Owned(codes),
        )];
        let r = FmIndex::build_encoded(Tokenizer::Gpt2, &docs, content::start(Tokenizer::Gpt2), 1);
        assert!(matches!(r, Err(sinew_attribution::IndexError::Separator(0))));
    }
}

#[test]
fn a_compressed_file_cut_short_or_tampered_with_is_refused() {
    let docs: Vec<Vec<u8>> = (0..3000)
        .map(|i| text(&[i, i * 7, i * 13, 3, i + 1, i / 7, i / 11]))
        .collect();
    let refs = common::refs(&docs);
    let dir = tempfile::tempdir().unwrap();
    for t in Tokenizer::ALL {
        let encoded = encode_all(t, &refs).unwrap();
        let fm = FmIndex::build_encoded(t, &encoded, content::start(t), 2).unwrap();
        let path = dir.path().join(format!("{t}.fm"));
        fm.write(&path).unwrap();
        let back = FmIndex::open(&path).unwrap();
        back.check_content().unwrap();
        assert_eq!(back.to_bytes(), fm.to_bytes());
        let probe = t.encode(&docs[5]).unwrap();
        assert_eq!(back.occurrences(&probe, 10), fm.occurrences(&probe, 10));
        let bytes = std::fs::read(&path).unwrap();
        for (what, broken) in [
            ("cut short", bytes[..bytes.len() - 100].to_vec()),
            ("cut to nothing", vec![]),
            ("a flipped bit", {
                let mut b = bytes.clone();
                b[bytes.len() / 2] ^= 4;
                b
            }),
        ] {
            std::fs::write(&path, &broken).unwrap();
            let e = FmIndex::open(&path)
                .err()
                .unwrap_or_else(|| panic!("{t}: {what} was served"))
                .to_string();
            assert!(e.contains("compressed index"), "{t}, {what}: {e}");
        }
    }
}

#[test]
fn both_modes_agree_on_patterns_no_encoder_makes() {
    let docs: Vec<Vec<u8>> = (0..30).map(|i| text(&[i, i * 3, 7, i + 2, 15 + i % 3])).collect();
    let refs = common::refs(&docs);
    for t in Tokenizer::ALL {
        let encoded = encode_all(t, &refs).unwrap();
        let fm = FmIndex::build_encoded(t, &encoded, content::start(t), 1).unwrap();
        let sa = Index::build_with(t, &refs).unwrap();
        let real = encoded[3].1.to_vec();
        let w = t.width();
        let mut odd: Vec<Vec<u8>> = vec![
            vec![],
            vec![0xFF],
            vec![0xFF; w],
            real[..1].to_vec(),
            real[..w + 1].to_vec(),
        ];
        // A real stretch with a separator code inside, and one running across a document's end.
        odd.push([&real[..w], &vec![0xFF; w][..], &real[w..2 * w]].concat());
        odd.push([&real[real.len() - w..], &vec![0xFF; w][..], &encoded[4].1[..w]].concat());
        for p in &odd {
            assert_eq!(fm.count(p), sa.count(p), "{t} count {p:?}");
            let all = usize::MAX;
            assert_eq!(
                Corpus::occurrences(&fm, p, all),
                Corpus::occurrences(&sa, p, all),
                "{t} {p:?}"
            );
            assert_eq!(fm.continuations(p), sa.continuations(p), "{t} continuations {p:?}");
            assert_eq!(
                Corpus::longest_prefix_len(&fm, p),
                Corpus::longest_prefix_len(&sa, p),
                "{t} {p:?}"
            );
            assert_eq!(
                Corpus::next_tokens(&fm, p),
                Corpus::next_tokens(&sa, p),
                "{t} next {p:?}"
            );
        }
    }
}
