//! The index against brute force on random small corpora: count, find, longest suffix, next
//! tokens and maximal spans; and determinism of the index bytes.

use proptest::prelude::*;
use sinew_attribution::{attribute, maximal_spans, Corpus, DocRef, Index, Occurrence, Params, Shards, Span};

mod common;

fn corpus() -> impl Strategy<Value = Vec<Vec<u8>>> {
    // A small alphabet makes repeats (and so interesting queries) likely.
    proptest::collection::vec(
        proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(b' ')], 0..40),
        1..8,
    )
}

fn build(docs: &[Vec<u8>]) -> Index {
    Index::build(&common::refs(docs)).unwrap()
}

fn naive_find(docs: &[Vec<u8>], p: &[u8]) -> Vec<Occurrence> {
    let mut v = vec![];
    for (d, t) in docs.iter().enumerate() {
        if p.len() <= t.len() {
            for o in 0..=t.len() - p.len() {
                if &t[o..o + p.len()] == p {
                    v.push(Occurrence {
                        doc: d as u32,
                        offset: o as u64,
                    });
                }
            }
        }
    }
    v
}

fn naive_longest_prefix(docs: &[Vec<u8>], p: &[u8]) -> usize {
    (0..=p.len())
        .rev()
        .find(|&k| k == 0 || !naive_find(docs, &p[..k]).is_empty())
        .unwrap_or(0)
}

fn naive_spans(docs: &[Vec<u8>], a: &[u8], min_len: usize, max_count: usize) -> Vec<Span> {
    let mut out = vec![];
    let mut reach = 0;
    for i in 0..a.len() {
        let l = naive_longest_prefix(docs, &a[i..]);
        if l > 0 && i + l > reach {
            reach = i + l;
            let count = naive_find(docs, &a[i..i + l]).len();
            if l >= min_len && (max_count == 0 || count <= max_count) {
                out.push(Span {
                    start: i,
                    len: l,
                    count,
                });
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn queries_match_brute_force(docs in corpus(), p in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(b' ')], 1..6)) {
        let idx = build(&docs);
        let expect = naive_find(&docs, &p);
        prop_assert_eq!(idx.count(&p), expect.len());
        prop_assert_eq!(idx.find(&p, usize::MAX), expect);
        let k = idx.longest_suffix(&p);
        prop_assert!(k == 0 || !naive_find(&docs, &p[p.len() - k..]).is_empty());
        prop_assert!(k == p.len() || naive_find(&docs, &p[p.len() - k - 1..]).is_empty());
        prop_assert_eq!(idx.longest_prefix(&p).0, naive_longest_prefix(&docs, &p));
    }

    #[test]
    fn queries_match_brute_force_across_the_sampled_top_level(
        docs in proptest::collection::vec(proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(0u8), Just(b' ')], 200..1500), 4..8),
        p in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(0u8), Just(b' ')], 1..14),
    ) {
        let idx = build(&docs);
        prop_assert_eq!(idx.find(&p, usize::MAX), naive_find(&docs, &p));
        prop_assert_eq!(idx.longest_prefix(&p).0, naive_longest_prefix(&docs, &p));
    }

    /// A corpus split into shards answers exactly like one index of it.
    #[test]
    fn shards_answer_like_one_index(docs in corpus(), budget in 1usize..60, a in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(b' ')], 1..30)) {
        let one = build(&docs);
        let refs = common::refs(&docs);
        let shards = Shards::build(&refs, budget, |_, _| {}).unwrap();
        prop_assert_eq!(shards.doc_count(), docs.len());
        prop_assert_eq!(Corpus::count(&shards, &a[..1]), Corpus::count(&one, &a[..1]));
        prop_assert_eq!(shards.longest_prefix_len(&a), one.longest_prefix_len(&a));
        prop_assert_eq!(shards.occurrences(&a[..a.len().min(3)], 1000), one.occurrences(&a[..a.len().min(3)], 1000));
        prop_assert_eq!(Corpus::next_tokens(&shards, &a), Corpus::next_tokens(&one, &a));
        prop_assert_eq!(maximal_spans(&shards, &a, 1, 0), maximal_spans(&one, &a, 1, 0));
        let p = Params { min_len: 2, max_count: 5 };
        prop_assert_eq!(attribute(&shards, &a, &p), attribute(&one, &a, &p));
    }

    #[test]
    fn maximal_spans_match_brute_force(docs in corpus(), a in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(b' ')], 0..30), min_len in 1usize..4, max_count in 0usize..4) {
        let idx = build(&docs);
        prop_assert_eq!(maximal_spans(&idx, &a, min_len, max_count), naive_spans(&docs, &a, min_len, max_count));
    }
}

#[test]
fn index_bytes_are_deterministic_and_survive_a_round_trip_through_a_file() {
    let docs = vec![
        b"the river flows".to_vec(),
        b"the lake is still".to_vec(),
        b"a river and a lake".to_vec(),
    ];
    let a = build(&docs);
    let b = build(&docs);
    assert_eq!(a.as_bytes(), b.as_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.idx");
    a.write(&path).unwrap();
    let m = Index::open(&path, true).unwrap();
    assert_eq!(m.count(b"river"), 2);
    assert_eq!(
        m.find(b"lake", 10),
        vec![Occurrence { doc: 1, offset: 4 }, Occurrence { doc: 2, offset: 14 }]
    );
    assert_eq!(m.doc(2), b"a river and a lake");
    assert_eq!(
        m.doc_ref(1),
        DocRef {
            contribution: 1,
            record: 0
        }
    );
    let (k, next) = m.next_tokens(b"xx the ");
    assert_eq!(k, 4, "\" the \" is not in the corpus but \"the \" is");
    assert_eq!(next, vec![(u32::from(b'l'), 1), (u32::from(b'r'), 1)]);
    // Damage is detected.
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    assert!(Index::open(&path, true).is_err());
    std::fs::write(&path, &bytes[..100]).unwrap();
    assert!(Index::open(&path, false).is_err());
    // The separator never appears inside a document; spans never cross documents.
    assert!(Index::build(&[(
        DocRef {
            contribution: 0,
            record: 0
        },
        &[b'a', 0xFF][..]
    )])
    .is_err());
    let spans = maximal_spans(&a, b"flows the lake", 1, 0);
    assert!(spans.iter().all(|s| s.len <= "flows the lake".len()));
}

/// Spans planted in answers (copied from random documents of a generated corpus, between filler
/// that does not occur in it) are all recovered, and nothing else is reported.
#[test]
fn planted_spans_are_recovered() {
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let vocab: Vec<String> = (0..3000).map(|i| format!("w{i}")).collect();
    let docs: Vec<Vec<u8>> = (0..300)
        .map(|_| {
            let n = 50 + rnd() as usize % 150;
            (0..n)
                .map(|_| vocab[rnd() as usize % vocab.len()].clone())
                .collect::<Vec<_>>()
                .join(" ")
                .into_bytes()
        })
        .collect();
    let idx = build(&docs);
    let (mut planted, mut found) = (0usize, 0usize);
    let mut extra = 0usize;
    for _ in 0..200 {
        let mut answer = b"ZQX ".to_vec();
        let mut marks = vec![];
        for _ in 0..3 {
            let d = &docs[rnd() as usize % docs.len()];
            let len = 40 + rnd() as usize % 60;
            let at = rnd() as usize % (d.len() - len);
            marks.push((answer.len(), len));
            answer.extend_from_slice(&d[at..at + len]);
            answer.extend_from_slice(b" ZQX QQZ ");
        }
        let spans = maximal_spans(&idx, &answer, 32, 0);
        for (start, len) in &marks {
            planted += 1;
            if spans
                .iter()
                .any(|s| s.start <= *start && s.start + s.len >= start + len)
            {
                found += 1;
            }
        }
        extra += spans
            .iter()
            .filter(|s| !marks.iter().any(|(st, l)| s.start < st + l && *st < s.start + s.len))
            .count();
    }
    let recall = found as f64 / planted as f64;
    println!("planted spans: recall {recall:.3} ({found}/{planted}), {extra} spans outside planted regions");
    assert_eq!(found, planted, "every planted span is recovered");
    assert_eq!(extra, 0);
}

#[test]
fn shards_are_written_and_reopened() {
    let docs: Vec<Vec<u8>> = (0..50)
        .map(|i| format!("record {i} about rivers and lakes").into_bytes())
        .collect();
    let refs = common::refs(&docs);
    let mut steps = vec![];
    let shards = Shards::build(&refs, 300, |i, n| steps.push((i, n))).unwrap();
    assert!(shards.shards().len() > 3, "{} shards", shards.shards().len());
    assert_eq!(
        steps.last(),
        Some(&(shards.shards().len(), shards.shards().len())),
        "progress reaches the end"
    );
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("big.idx");
    let paths = shards.write(&base).unwrap();
    assert_eq!(paths.len(), shards.shards().len());
    let back = Shards::open(&base, true).unwrap();
    assert_eq!(back.id(), shards.id());
    assert_eq!(Corpus::count(&back, b"rivers"), 50);
    assert!(Shards::open(&dir.path().join("missing.idx"), false).is_err());
}
