//! What a corpus is made of: documents (records), each known by its reference.

use std::borrow::Cow;

/// Which record a document of the index is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocRef {
    /// Contribution number in the datanet.
    pub contribution: u64,
    /// Record index in the contribution.
    pub record: u32,
}

/// A document's reference and its token codes.
pub type EncodedDoc<'a> = (DocRef, Cow<'a, [u8]>);
