//! The documents read back out of an FM-index, by walking the transform from sampled rows on
//! every core: what merges build larger shards from, and how a file's content is checked against
//! the content chain it claims.

use super::FmIndex;
use crate::doc::EncodedDoc;
use crate::IndexError;
use std::borrow::Cow;

/// Walks per core, so that uneven walks still keep every core busy.
const SEGMENTS_PER_CORE: usize = 8;

impl FmIndex {
    /// The token stream's symbols in order (separators included, the sentinel not). The walk
    /// from the row of sequence position j yields the positions before j backwards, which are
    /// stream positions forwards; walks start at the sentinel's row and at sampled rows.
    fn stream_symbols(&self) -> Result<Vec<u32>, IndexError> {
        let n = self.n;
        let cores = crate::parallel::threads_for(usize::MAX);
        let stride = (n / (cores * SEGMENTS_PER_CORE))
            .next_multiple_of(super::SAMPLE)
            .max(16 * super::SAMPLE);
        // (sequence position, row): the sentinel's suffix is row 0.
        let mut starts: Vec<(usize, usize)> = self
            .marks
            .iter()
            .zip(&self.samples)
            .filter(|(_, &j)| j as usize % stride == 0 && j > 0 && (j as usize) < n - 1)
            .map(|(row, &j)| (j as usize, row))
            .collect();
        starts.push((n - 1, 0));
        starts.sort_unstable_by(|a, b| b.cmp(a));
        let walks: Vec<(usize, usize, usize)> = starts
            .iter()
            .enumerate()
            .map(|(k, &(j, row))| (row, j - starts.get(k + 1).map_or(0, |s| s.0), j))
            .collect();
        let parts = crate::parallel::map(&walks, |&(mut row, steps, _)| {
            let mut out = Vec::with_capacity(steps);
            for _ in 0..steps {
                let (c, r) = self.bwt.access_rank(row);
                if c == 0 || c as usize >= self.c_array.len() - 1 {
                    return Err(super::file::bad("the transform does not walk back to its start"));
                }
                out.push(c);
                row = self.c_array[c as usize] + r;
                if row >= n {
                    return Err(super::file::bad("the transform walks out of its rows"));
                }
            }
            Ok(out)
        });
        let mut stream = Vec::with_capacity(self.text_len);
        for p in parts {
            stream.extend(p?);
        }
        Ok(stream)
    }

    /// The documents, as token codes (read back from the transform: seconds per 100 MB).
    pub fn encoded_docs(&self) -> Result<Vec<EncodedDoc<'static>>, IndexError> {
        let stream = self.stream_symbols()?;
        let separator = self.c_array.len() as u32 - 2;
        let mut docs = Vec::with_capacity(self.refs.len());
        let mut at = 0usize;
        for piece in stream.split_inclusive(|&s| s == separator) {
            let (&last, body) = piece.split_last().expect("a piece is not empty");
            let d = docs.len();
            if last != separator || d >= self.refs.len() || self.starts[d] as usize != at {
                return Err(super::file::bad("its documents are not where its starts say"));
            }
            let mut codes = Vec::with_capacity(body.len() * self.tokenizer.width());
            for &s in body {
                let tok = self
                    .token(s)
                    .ok_or_else(|| super::file::bad("a symbol outside its alphabet"))?;
                self.tokenizer.push_code(&mut codes, tok);
            }
            docs.push((self.refs[d], Cow::Owned(codes)));
            at += piece.len();
        }
        if docs.len() != self.refs.len() {
            return Err(super::file::bad("it holds fewer documents than it lists"));
        }
        Ok(docs)
    }

    /// Whether the documents hash to the content chain values the index claims (a file from a
    /// faulty build or another corpus is refused, whatever its checksum).
    pub fn check_content(&self) -> Result<(), IndexError> {
        let docs = self.encoded_docs()?;
        let end = crate::content::chain(self.chain_start, &docs)
            .last()
            .copied()
            .unwrap_or(self.chain_start);
        if end != self.chain_end {
            return Err(super::file::bad("its documents do not hash to its content chain"));
        }
        Ok(())
    }
}
