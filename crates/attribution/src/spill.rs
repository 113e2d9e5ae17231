//! A version's documents on disk while its shards are built, so that a version of any size is
//! built holding one shard's documents at a time, never all of them.
//!
//! A first pass writes each encoded document to a temporary file as it comes (records are read
//! and tokenized once) and plans the version's layout from the sizes streaming past
//! ([`Planner`]); keeping nothing per document in memory. The build then reads the file back in
//! order, one shard at a time ([`Pieces`]). The file is removed when the spill is dropped, and a
//! crash's leftover (`*.tmp`) is removed by the folder's garbage collection.

use crate::doc::{DocRef, EncodedDoc};
use crate::index::IndexError;
use crate::layout::{Greedy, Planner, ShardSpan};
use crate::tokenizer::Tokenizer;
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

/// Bytes of a document's header in the file: contribution, record, code length.
const HEADER: usize = 20;
/// Buffer of the file's reader and writer.
const BUFFER: usize = 1 << 20;

/// Encoded documents written to a temporary file, with the layout they make.
pub struct Spill {
    file: Option<BufWriter<File>>,
    path: PathBuf,
    tokenizer: Tokenizer,
    /// The merged layout's cap it plans with.
    max_bytes: u64,
    /// Number of the first document written (after the version it extends).
    first: u64,
    docs: u64,
    planner: Planner,
    /// The new documents cut at the merged layout's cap: the shards an extension serves at once.
    delta: Greedy,
    delta_spans: Vec<ShardSpan>,
}

impl Spill {
    /// A spill at `path` of documents encoded with `tokenizer`, following the merged layout
    /// `after` (empty for a new corpus), planned with shards of at most `max_bytes`.
    pub(crate) fn create(
        path: PathBuf,
        tokenizer: Tokenizer,
        after: &[ShardSpan],
        max_bytes: u64,
    ) -> Result<Spill, IndexError> {
        let first = after.last().map_or(0, |s| s.end());
        let file = File::create(&path)?;
        Ok(Spill {
            file: Some(BufWriter::with_capacity(BUFFER, file)),
            path,
            tokenizer,
            max_bytes,
            first,
            docs: 0,
            planner: Planner::after(after, max_bytes),
            delta: Greedy::new(first, max_bytes),
            delta_spans: Vec::new(),
        })
    }

    /// The tokenizer its documents are encoded with.
    pub fn tokenizer(&self) -> Tokenizer {
        self.tokenizer
    }

    /// Documents written so far.
    pub fn docs(&self) -> u64 {
        self.docs
    }

    /// Writes the next document (`codes` encoded with the spill's tokenizer).
    pub fn push(&mut self, r: DocRef, codes: &[u8]) -> Result<(), IndexError> {
        let w = self.tokenizer.width();
        if codes.len() % w != 0 {
            return Err(IndexError::Invalid(format!(
                "a document of {} bytes is not whole codes of {w} bytes",
                codes.len()
            )));
        }
        let f = self.file.as_mut().expect("open until finished");
        f.write_all(&r.contribution.to_le_bytes())?;
        f.write_all(&r.record.to_le_bytes())?;
        f.write_all(&(codes.len() as u64).to_le_bytes())?;
        f.write_all(codes)?;
        let size = (codes.len() + w) as u64;
        self.planner.push(size);
        self.delta_spans.extend(self.delta.push(size));
        self.docs += 1;
        Ok(())
    }

    /// Ends a version: the documents written since the last end make one version of the plan
    /// (and the shards served at once end with it, as if each version extended the one before).
    pub fn end_version(&mut self) {
        self.planner.end_version();
        self.delta_spans.extend(self.delta.finish());
    }

    /// Number of the first document it holds.
    pub(crate) fn first(&self) -> u64 {
        self.first
    }

    /// The merged layout's cap it plans with.
    pub(crate) fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Ends the last version and turns to reading: the merged layout, the delta's shards, and
    /// the documents in order.
    pub(crate) fn finish(mut self) -> Result<(Vec<ShardSpan>, Vec<ShardSpan>, SpillReader), IndexError> {
        let f = self.file.take().expect("finished once");
        f.into_inner().map_err(|e| e.into_error())?;
        let planner = std::mem::replace(&mut self.planner, Planner::after(&[], 1));
        let merged = planner.finish();
        let mut delta = std::mem::take(&mut self.delta_spans);
        delta.extend(self.delta.finish());
        let file = File::open(&self.path)?;
        let reader = SpillReader {
            file: BufReader::with_capacity(BUFFER, file),
            width: self.tokenizer.width(),
            left: self.docs,
            next: None,
            codes: Vec::new(),
            docs: Vec::new(),
            _spill: self,
        };
        Ok((merged, delta, reader))
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        drop(self.file.take());
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A version's documents, handed out in order one shard at a time.
pub(crate) trait Pieces {
    /// The next documents, at least one and as many more as fit in `max_bytes` stream bytes,
    /// stopping before document number `end`.
    fn next_piece(&mut self, end: u64, max_bytes: u64) -> Result<Vec<EncodedDoc<'_>>, IndexError>;
}

/// Documents held in memory.
pub(crate) struct InMemory<'d, 'a> {
    docs: &'d [EncodedDoc<'a>],
    /// Number of `docs[0]`.
    first: u64,
    width: usize,
    /// The next document to hand out.
    at: usize,
}

impl<'d, 'a> InMemory<'d, 'a> {
    /// `docs`, numbered from `first`, encoded with codes of `width` bytes.
    pub fn new(docs: &'d [EncodedDoc<'a>], first: u64, width: usize) -> Self {
        InMemory {
            docs,
            first,
            width,
            at: 0,
        }
    }
}

impl Pieces for InMemory<'_, '_> {
    fn next_piece(&mut self, end: u64, max_bytes: u64) -> Result<Vec<EncodedDoc<'_>>, IndexError> {
        let stop = (end.saturating_sub(self.first) as usize).min(self.docs.len());
        let mut g = Greedy::new(0, max_bytes);
        let from = self.at;
        while self.at < stop {
            let size = (self.docs[self.at].1.len() + self.width) as u64;
            if g.cuts_before(size) {
                break;
            }
            g.push(size);
            self.at += 1;
        }
        Ok(self.docs[from..self.at]
            .iter()
            .map(|(r, c)| (*r, Cow::Borrowed(&c[..])))
            .collect())
    }
}

/// The spill file read back.
pub(crate) struct SpillReader {
    file: BufReader<File>,
    width: usize,
    /// Documents not read yet (the one in `next` included).
    left: u64,
    /// The header of the next document, read but not yet handed out.
    next: Option<(DocRef, usize)>,
    /// The current piece's codes, one document after another, and where each ends.
    codes: Vec<u8>,
    docs: Vec<(DocRef, usize)>,
    /// Keeps the file until reading ends (removed with it).
    _spill: Spill,
}

impl SpillReader {
    /// The number of the next document to read.
    fn position(&self) -> u64 {
        self._spill.first + self._spill.docs - self.left
    }

    fn peek(&mut self) -> Result<Option<(DocRef, usize)>, IndexError> {
        if self.next.is_none() && self.left > 0 {
            let mut h = [0u8; HEADER];
            self.file.read_exact(&mut h)?;
            let contribution = u64::from_le_bytes(h[..8].try_into().expect("8 bytes"));
            let record = u32::from_le_bytes(h[8..12].try_into().expect("4 bytes"));
            let len = u64::from_le_bytes(h[12..].try_into().expect("8 bytes"));
            let len = usize::try_from(len)
                .map_err(|_| IndexError::Invalid("a spilled document larger than memory".into()))?;
            self.next = Some((DocRef { contribution, record }, len));
        }
        Ok(self.next)
    }
}

impl Pieces for SpillReader {
    fn next_piece(&mut self, end: u64, max_bytes: u64) -> Result<Vec<EncodedDoc<'_>>, IndexError> {
        self.codes.clear();
        self.docs.clear();
        let mut g = Greedy::new(0, max_bytes);
        while self.position() < end {
            let Some((r, len)) = self.peek()? else { break };
            let size = (len + self.width) as u64;
            if g.cuts_before(size) {
                break;
            }
            g.push(size);
            let at = self.codes.len();
            self.codes.resize(at + len, 0);
            self.file.read_exact(&mut self.codes[at..])?;
            self.docs.push((r, at + len));
            self.next = None;
            self.left -= 1;
        }
        let mut from = 0;
        Ok(self
            .docs
            .iter()
            .map(|&(r, to)| {
                let d = (r, Cow::Borrowed(&self.codes[from..to]));
                from = to;
                d
            })
            .collect())
    }
}
