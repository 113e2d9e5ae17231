//! The identity of a corpus's content, whatever its storage: a hash chain over its documents
//! (reference and token codes), in order. Every shard file records the chain value before its
//! first document and after its last, so shards compose only in their one correct order, and a
//! corpus's id is the chain value after its last document: the same for one index or many
//! shards, built at once or version by version, in any storage mode. Receipts commit to it.

use crate::doc::{DocRef, EncodedDoc};
use crate::tokenizer::Tokenizer;
use sinew_types::Hash;

/// The chain value of an empty corpus of `tokenizer` (what the first shard starts from).
pub fn start(tokenizer: Tokenizer) -> Hash {
    Hash::tagged(b"sinew/corpus/v1", &[tokenizer.id()])
}

/// The digest of one document: its reference, its length and its token codes.
pub fn doc_digest(r: DocRef, codes: &[u8]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(&r.contribution.to_le_bytes());
    h.update(&r.record.to_le_bytes());
    h.update(&(codes.len() as u64).to_le_bytes());
    h.update(codes);
    *h.finalize().as_bytes()
}

/// The chain value after one more document.
pub fn link(chain: &Hash, doc: &[u8; 32]) -> Hash {
    let mut b = [0u8; 64];
    b[..32].copy_from_slice(&chain.0);
    b[32..].copy_from_slice(doc);
    Hash::tagged(b"sinew/corpus-link", &b)
}

/// The chain value after the last document of `docs`, starting from `from` (`from` itself if
/// there are none): what a shard file records at its end.
pub fn end(from: Hash, docs: &[EncodedDoc<'_>]) -> Hash {
    chain(from, docs).last().copied().unwrap_or(from)
}

/// The chain values after each document of `docs`, starting from `from` (digests on all cores).
pub fn chain(from: Hash, docs: &[EncodedDoc<'_>]) -> Vec<Hash> {
    let digests = crate::parallel::map(docs, |(r, t)| doc_digest(*r, t));
    let mut c = from;
    digests
        .iter()
        .map(|d| {
            c = link(&c, d);
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn doc(c: u64, t: &'static [u8]) -> EncodedDoc<'static> {
        (
            DocRef {
                contribution: c,
                record: 0,
            },
            Cow::Borrowed(t),
        )
    }

    #[test]
    fn the_chain_depends_on_every_document_and_its_order() {
        let s = start(Tokenizer::Bytes);
        assert_ne!(s, start(Tokenizer::Gpt2), "the tokenizer is part of the identity");
        let ab = chain(s, &[doc(0, b"a"), doc(1, b"b")]);
        let ba = chain(s, &[doc(1, b"b"), doc(0, b"a")]);
        assert_ne!(ab[1], ba[1]);
        // Chaining in two steps gives the same values as in one.
        let a = chain(s, &[doc(0, b"a")]);
        assert_eq!(chain(a[0], &[doc(1, b"b")])[0], ab[1]);
        // A document's boundaries are part of it: "ab" + "" differs from "a" + "b".
        let joined = chain(s, &[doc(0, b"ab"), doc(1, b"")]);
        assert_ne!(joined[1], ab[1]);
    }
}
