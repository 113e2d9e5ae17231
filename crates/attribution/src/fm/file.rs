//! The compressed mode's file: every part of an [`FmIndex`] little-endian, after a magic and a
//! format version, followed by a BLAKE3 checksum of all before it. Counts derivable from the bits
//! (rank directories, the ones before each tree node) are recomputed on open rather than stored.
//! A file is opened whole into memory (it is under half the text); one that is truncated,
//! tampered with, of another format or inconsistent is refused with the reason.

use super::bits::{RankBits, SparseMarks};
use super::boosted::Boosted;
use super::codec::{bad, Reader, Writer};
use super::FmIndex;
use crate::doc::DocRef;
use crate::tokenizer::Tokenizer;
use crate::IndexError;
use std::io::Write;
use std::path::Path;

/// The first bytes of a compressed index file.
pub const MAGIC: &[u8; 8] = b"SINEWFM\0";
const FORMAT: u32 = 1;

impl FmIndex {
    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.b.extend_from_slice(MAGIC);
        w.u32(FORMAT);
        w.u8(self.tokenizer.id());
        w.u32s(&self.alphabet);
        w.u64(self.n as u64);
        w.u64(self.text_len as u64);
        w.u64s(&self.c_array.iter().map(|&c| c as u64).collect::<Vec<_>>());
        self.bwt.encode(&mut w);
        self.marks.encode(&mut w);
        w.u32s(&self.samples);
        w.u64s(&self.starts);
        w.u64(self.refs.len() as u64);
        for r in &self.refs {
            w.u64(r.contribution);
            w.u32(r.record);
        }
        w.hash(&self.chain_start);
        w.hash(&self.chain_end);
        let sum = blake3::hash(&w.b);
        w.b.extend_from_slice(sum.as_bytes());
        w.b
    }

    /// The index in `bytes` (as [`FmIndex::to_bytes`] wrote them), its checksum and the
    /// consistency of its parts checked. Its content is checked by [`FmIndex::check_content`].
    pub fn from_bytes(bytes: &[u8]) -> Result<FmIndex, IndexError> {
        if bytes.len() < MAGIC.len() + 4 + 32 || &bytes[..MAGIC.len()] != MAGIC {
            return Err(bad("not a compressed index file (wrong magic)"));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 32);
        if blake3::hash(body).as_bytes() != sum {
            return Err(bad("checksum mismatch (truncated or tampered with)"));
        }
        let mut r = Reader {
            b: body,
            at: MAGIC.len(),
        };
        if r.u32()? != FORMAT {
            return Err(bad("unsupported format version"));
        }
        let tokenizer = Tokenizer::from_id(r.u8()?).map_err(|e| bad(&e.to_string()))?;
        let alphabet = r.u32s()?;
        let n = r.usize()?;
        let text_len = r.usize()?;
        let c_array: Vec<usize> = r.u64s()?.into_iter().map(|c| c as usize).collect();
        let bwt = Boosted::decode(&mut r)?;
        let marks = SparseMarks::decode(&mut r)?;
        let samples = r.u32s()?;
        let starts = r.u64s()?;
        let docs = r.usize()?;
        let refs = (0..docs.min(starts.len()))
            .map(|_| {
                Ok(DocRef {
                    contribution: r.u64()?,
                    record: r.u32()?,
                })
            })
            .collect::<Result<Vec<_>, IndexError>>()?;
        let chain_start = r.hash()?;
        let chain_end = r.hash()?;
        if r.at != body.len() {
            return Err(bad("trailing bytes"));
        }
        let sigma = match tokenizer {
            Tokenizer::Bytes => super::boosted::SIGMA,
            _ => alphabet.len() + 2,
        };
        let consistent = text_len.checked_add(1) == Some(n)
            && docs == starts.len()
            && (docs == 0) == (text_len == 0)
            && starts.first().is_none_or(|&s| s == 0)
            && marks.members() == n.div_ceil(super::SAMPLE)
            && marks.iter().last().is_none_or(|row| row < n)
            && samples.iter().all(|&s| s as usize % super::SAMPLE == 0)
            && bwt.len() == n
            && bwt.sigma() == sigma
            && marks.blocks() == n.div_ceil(1 << 16)
            && marks.members() == samples.len()
            && samples.iter().all(|&s| (s as usize) < n)
            && c_array.len() == sigma + 1
            && c_array.first() == Some(&0)
            && c_array.windows(2).all(|w| w[0] <= w[1])
            && c_array.last() == Some(&n)
            && alphabet.windows(2).all(|w| w[0] < w[1])
            && alphabet.last().is_none_or(|&t| t < tokenizer.separator())
            && starts.windows(2).all(|w| w[0] < w[1])
            && starts.last().is_none_or(|&s| (s as usize) < text_len);
        if !consistent {
            return Err(bad("its parts do not fit together"));
        }
        // Each symbol's count in the transform is its range of rows, and each sampled position
        // is there once.
        if (0..sigma).any(|c| bwt.rank(c as u32, n) != c_array[c + 1] - c_array[c]) {
            return Err(bad("the transform's symbols disagree with its counts"));
        }
        let mut sorted = samples.clone();
        sorted.sort_unstable();
        if sorted.iter().enumerate().any(|(i, &s)| s as usize != i * super::SAMPLE) {
            return Err(bad("its sampled positions are not each sampled once"));
        }
        Ok(FmIndex {
            tokenizer,
            alphabet,
            n,
            text_len,
            c_array,
            bwt,
            marks,
            samples,
            starts,
            refs,
            chain_start,
            chain_end,
        })
    }

    /// Writes the file at `path` and syncs it.
    pub fn write(&self, path: &Path) -> Result<(), IndexError> {
        let mut f = std::fs::File::create(path)?;
        f.write_all(&self.to_bytes())?;
        f.sync_all()?;
        Ok(())
    }

    /// Opens the file at `path`: its checksum and the fit of its parts are checked (a file cut
    /// short or tampered with is refused). That its documents hash to its content chain is
    /// checked apart ([`FmIndex::check_content`]: it reads every document back).
    pub fn open(path: &Path) -> Result<FmIndex, IndexError> {
        FmIndex::from_bytes(&std::fs::read(path)?)
    }
}

impl RankBits {
    pub(crate) fn encode(&self, w: &mut Writer) {
        w.u64(self.len() as u64);
        w.u64s(self.words());
    }
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<RankBits, IndexError> {
        let len = r.usize()?;
        let words = r.u64s()?;
        if words.len() != len.div_ceil(64) {
            return Err(bad("a bit vector's length and words disagree"));
        }
        Ok(RankBits::from_words(words, len))
    }
}

impl SparseMarks {
    pub(crate) fn encode(&self, w: &mut Writer) {
        w.u32s(self.before());
        w.u16s(self.low());
    }
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<SparseMarks, IndexError> {
        let before = r.u32s()?;
        let low = r.u16s()?;
        SparseMarks::from_parts(before, low).ok_or_else(|| bad("sampled rows out of order"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `bytes` with `edit` applied to the body and the checksum made to match again: what a
    /// faulty build (not a damaged disk) would write.
    fn resealed(bytes: &[u8], edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut body = bytes[..bytes.len() - 32].to_vec();
        edit(&mut body);
        let sum = blake3::hash(&body);
        body.extend_from_slice(sum.as_bytes());
        body
    }

    #[test]
    fn a_sealed_file_whose_content_is_not_its_chain_is_refused() {
        let docs: Vec<(DocRef, &[u8])> = vec![
            (
                DocRef {
                    contribution: 1,
                    record: 0,
                },
                b"the river flows to the sea",
            ),
            (
                DocRef {
                    contribution: 2,
                    record: 3,
                },
                b"a lake is still",
            ),
        ];
        let fm = FmIndex::build(&docs, 1).unwrap();
        let bytes = fm.to_bytes();
        assert!(FmIndex::from_bytes(&bytes).unwrap().check_content().is_ok());
        // Another chain end: the parts hold together, the content does not hash to it.
        let n = bytes.len() - 32;
        let other_end = resealed(&bytes, |b| b[n - 1] ^= 1);
        let e = FmIndex::from_bytes(&other_end)
            .unwrap()
            .check_content()
            .unwrap_err()
            .to_string();
        assert!(e.contains("do not hash to its content chain"), "{e}");
        // Another record for a document.
        let other_ref = resealed(&bytes, |b| b[n - 64 - 12] ^= 1);
        let e = FmIndex::from_bytes(&other_ref)
            .unwrap()
            .check_content()
            .unwrap_err()
            .to_string();
        assert!(e.contains("do not hash to its content chain"), "{e}");
        // Every byte of the body changed in turn, the file resealed: refused, or an index that
        // answers (rightly or not) without panicking or hanging.
        let pattern = b"the river";
        for i in (MAGIC.len() + 4..n).step_by(3) {
            for flip in [0x01u8, 0x80, 0xFF] {
                let changed = resealed(&bytes, |b| b[i] ^= flip);
                if let Ok(fm) = FmIndex::from_bytes(&changed) {
                    fm.count(pattern);
                    fm.occurrences(pattern, 10);
                    fm.next_tokens(pattern);
                    let _ = fm.check_content();
                }
            }
        }
        // Another format version, and a length that runs past the end.
        let e = FmIndex::from_bytes(&resealed(&bytes, |b| b[8] = 9))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("unsupported format"), "{e}");
        let e = FmIndex::from_bytes(&resealed(&bytes, |b| b[13 + 7] = 0x7F))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("compressed index"), "{e}");
    }
}
