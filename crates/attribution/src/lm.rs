//! The infini-gram language model: the next token follows the continuations of the longest suffix
//! of the text so far that occurs in the corpus. Greedy or seeded sampling, both deterministic,
//! so its answers can be re-derived (and are attributable by construction).

use crate::corpus::Corpus;

/// How the next token is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sampling {
    /// The most frequent continuation (ties: the lowest token id).
    Greedy,
    /// Sampled in proportion to counts with a deterministic generator seeded by this value.
    Seeded(u64),
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Continues `prompt` by at most `max_tokens` tokens of the corpus's tokenizer; stops early when
/// the corpus offers no continuation. The result is valid UTF-8 (a trailing partial character is
/// dropped).
pub fn generate<C: Corpus + ?Sized>(index: &C, prompt: &[u8], max_tokens: usize, sampling: Sampling) -> Vec<u8> {
    generate_tokens(index, prompt, max_tokens, sampling).0
}

/// [`generate`], also returning how many tokens the prompt and the continuation have.
pub fn generate_tokens<C: Corpus + ?Sized>(
    index: &C,
    prompt: &[u8],
    max_tokens: usize,
    sampling: Sampling,
) -> (Vec<u8>, usize, usize) {
    let tokenizer = index.tokenizer();
    let w = tokenizer.width();
    let mut text = tokenizer.encode_lossy(prompt);
    let prompt_tokens = text.len() / w;
    let mut out = Vec::with_capacity(max_tokens * w);
    let mut rng = match sampling {
        Sampling::Seeded(s) => s,
        Sampling::Greedy => 0,
    };
    // Long contexts only slow the search down; 512 tokens is plenty.
    const WINDOW: usize = 512;
    for _ in 0..max_tokens {
        let ctx = &text[text.len().saturating_sub(WINDOW * w)..];
        let next = continuation(index, ctx, w);
        let total: u64 = next.iter().map(|(_, c)| c).sum();
        if total == 0 {
            break;
        }
        let token = match sampling {
            Sampling::Greedy => next
                .iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|t| t.0)
                .expect("non-empty"),
            Sampling::Seeded(_) => {
                let mut pick = splitmix(&mut rng) % total;
                let mut chosen = next[0].0;
                for (t, c) in &next {
                    if pick < *c {
                        chosen = *t;
                        break;
                    }
                    pick -= c;
                }
                chosen
            }
        };
        tokenizer.push_code(&mut text, token);
        tokenizer.push_code(&mut out, token);
    }
    let generated = out.len() / w;
    let mut bytes = tokenizer.decode(&out).expect("generated tokens come from the corpus");
    while std::str::from_utf8(&bytes).is_err() {
        bytes.pop();
    }
    (bytes, prompt_tokens, generated)
}

/// The next-token counts after the longest suffix of `ctx` that occurs *followed by a token*
/// (not only at the end of a record): when the longest matching suffix ends every record it
/// occurs in, back off to the longest one that continues somewhere. Having a continuation is
/// monotone in the suffix length (a shorter suffix occurs wherever a longer one does, followed by
/// the same token), so a binary search finds it.
fn continuation<C: Corpus + ?Sized>(index: &C, ctx: &[u8], w: usize) -> Vec<(u32, u64)> {
    let (k, next) = index.next_tokens(ctx);
    if !next.is_empty() || k == 0 {
        return next;
    }
    let at = |m: usize| index.next_tokens(&ctx[ctx.len() - m * w..]).1;
    let (mut lo, mut hi) = (0usize, k - 1);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if at(mid).is_empty() {
            hi = mid - 1;
        } else {
            lo = mid;
        }
    }
    at(lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{DocRef, Index};

    #[test]
    fn generation_follows_the_corpus_and_is_deterministic() {
        let docs: Vec<(DocRef, &[u8])> = vec![(
            DocRef {
                contribution: 0,
                record: 0,
            },
            b"rivers flow to the sea. rivers flow to the ocean.",
        )];
        let idx = Index::build(&docs).unwrap();
        let g = generate(&idx, b"rivers fl", 12, Sampling::Greedy);
        assert!(
            String::from_utf8(g.clone()).unwrap().starts_with("ow to the "),
            "{:?}",
            String::from_utf8_lossy(&g)
        );
        let a = generate(&idx, b"rivers", 30, Sampling::Seeded(7));
        let b = generate(&idx, b"rivers", 30, Sampling::Seeded(7));
        assert_eq!(a, b);
        assert!(generate(&idx, b"zzz", 5, Sampling::Greedy).len() <= 5);
        // At the end of the record the model backs off to a shorter context and goes on.
        let long = generate(&idx, b"to the ocean.", 20, Sampling::Greedy);
        assert_eq!(long.len(), 20, "{:?}", String::from_utf8_lossy(&long));
    }
}
