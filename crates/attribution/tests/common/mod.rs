//! Brute-force references over token ids and generated documents, shared by the integration
//! tests (each test binary uses some of them).
#![allow(dead_code)]

use sinew_attribution::{DocRef, Span, Tokenizer};

/// Occurrences of `p` in `docs`, counted window by window.
pub fn naive_count(docs: &[Vec<u32>], p: &[u32]) -> usize {
    docs.iter()
        .map(|d| {
            if p.len() > d.len() {
                0
            } else {
                d.windows(p.len()).filter(|w| *w == p).count()
            }
        })
        .sum()
}

/// Maximal spans of `a` of at least `min_len` tokens, by trying every start.
pub fn naive_spans(docs: &[Vec<u32>], a: &[u32], min_len: usize) -> Vec<Span> {
    let longest = |s: &[u32]| {
        (0..=s.len())
            .rev()
            .find(|&k| k == 0 || naive_count(docs, &s[..k]) > 0)
            .unwrap()
    };
    let (mut out, mut reach) = (vec![], 0);
    for i in 0..a.len() {
        let l = longest(&a[i..]);
        if l > 0 && i + l > reach {
            reach = i + l;
            if l >= min_len {
                out.push(Span {
                    start: i,
                    len: l,
                    count: naive_count(docs, &a[i..i + l]),
                });
            }
        }
    }
    out
}

/// A document of `words` picked by index (wrapping), joined.
pub fn text(words: &[&str], picks: &[usize]) -> Vec<u8> {
    picks
        .iter()
        .map(|&i| words[i % words.len()])
        .collect::<String>()
        .into_bytes()
}

/// `base`, and words whose tokens include ids with a 0xFF byte in their code (GPT-2 511, 767,
/// 1023; cl100k 65280 and 65535), so the separator byte occurs inside real token codes.
pub fn words_with_ff_codes(base: &[&str]) -> Vec<String> {
    let mut w: Vec<String> = base.iter().map(|s| s.to_string()).collect();
    for (t, id) in [
        (Tokenizer::Gpt2, 511),
        (Tokenizer::Gpt2, 767),
        (Tokenizer::Gpt2, 1023),
        (Tokenizer::Cl100k, 65280),
        (Tokenizer::Cl100k, 65535),
    ] {
        let mut code = vec![];
        t.push_code(&mut code, id);
        w.push(String::from_utf8_lossy(&t.decode(&code).unwrap()).into_owned());
    }
    w
}

/// Each document as its own contribution's record 0.
pub fn refs(docs: &[Vec<u8>]) -> Vec<(DocRef, &[u8])> {
    docs.iter()
        .enumerate()
        .map(|(i, d)| {
            (
                DocRef {
                    contribution: i as u64,
                    record: 0,
                },
                d.as_slice(),
            )
        })
        .collect()
}

/// Two records per contribution: documents 0 and 1 are contribution 0's records 0 and 1, and so
/// on.
pub fn paired_refs(docs: &[Vec<u8>]) -> Vec<(DocRef, &[u8])> {
    docs.iter()
        .enumerate()
        .map(|(i, d)| {
            (
                DocRef {
                    contribution: i as u64 / 2,
                    record: i as u32 % 2,
                },
                d.as_slice(),
            )
        })
        .collect()
}
