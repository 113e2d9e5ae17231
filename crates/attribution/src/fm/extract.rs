//! The documents read back out of an FM-index, by walking the transform from sampled rows on
//! every core: what merges build larger shards from, and how a file's content is checked against
//! the content chain it claims.

use super::FmIndex;
use crate::doc::EncodedDoc;
use crate::IndexError;
use std::borrow::Cow;

/// Walks per core: groups of them on each core.
const SEGMENTS_PER_CORE: usize = 64;
/// Walks a core advances together.
const WALKS_PER_GROUP: usize = 16;

impl FmIndex {
    /// Each row's LF (the row of the suffix one position earlier in the sequence): the transform
    /// decoded on every core, then counted in one pass, in place. Four bytes per row.
    fn lf_array(&self) -> Result<Vec<u32>, IndexError> {
        let n = self.n;
        let chunks: Vec<(usize, usize)> = (0..n)
            .step_by(1 << 20)
            .map(|lo| (lo, (lo + (1 << 20)).min(n)))
            .collect();
        let decoded = crate::parallel::map(&chunks, |&(lo, hi)| self.bwt.symbols(lo, hi));
        let mut lf: Vec<u32> = Vec::with_capacity(n);
        decoded.into_iter().for_each(|d| lf.extend(d));
        let mut next: Vec<usize> = self.c_array[..self.c_array.len() - 1].to_vec();
        for x in lf.iter_mut() {
            let c = *x as usize;
            if c + 1 >= self.c_array.len() || next[c] >= self.c_array[c + 1] {
                return Err(super::codec::bad("the transform's symbols disagree with its counts"));
            }
            *x = next[c] as u32;
            next[c] += 1;
        }
        Ok(lf)
    }

    /// The token stream's codes in order (separators included, the sentinel not). From the row
    /// of sequence position j, LF steps visit positions j - 1, j - 2, ...: stream positions
    /// forwards, each the first symbol of the row reached. Walks start at the sentinel's row and
    /// at sampled rows, on every core.
    fn stream_codes(&self) -> Result<Vec<u8>, IndexError> {
        let n = self.n;
        let lf = self.lf_array()?;
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
        let walks: Vec<(usize, usize)> = starts
            .iter()
            .enumerate()
            .map(|(k, &(j, row))| (row, j - starts.get(k + 1).map_or(0, |s| s.0)))
            .collect();
        // The first symbol of a row: the symbol whose range of rows holds it, found from the
        // first symbol of its bucket of 4 Ki rows.
        let slow = |row: usize| self.c_array.partition_point(|&c| c <= row) - 1;
        let buckets: Vec<u32> = (0..=(n >> 12)).map(|b| slow(b << 12) as u32).collect();
        let first = |row: usize| {
            let mut c = buckets[row >> 12] as usize;
            while self.c_array[c + 1] <= row {
                c += 1;
            }
            c
        };
        // Walks advance in groups, a step of each in turn, so that their cache misses overlap.
        let groups: Vec<&[(usize, usize)]> = walks.chunks(WALKS_PER_GROUP).collect();
        let (t, separator) = (self.tokenizer, self.c_array.len() - 2);
        let parts = crate::parallel::map(&groups, |group| {
            let mut rows: Vec<usize> = group.iter().map(|w| w.0).collect();
            let mut outs: Vec<Vec<u8>> = group.iter().map(|w| Vec::with_capacity(w.1 * t.width())).collect();
            let longest = group.iter().map(|w| w.1).max().unwrap_or(0);
            for step in 0..longest {
                for ((row, out), w) in rows.iter_mut().zip(&mut outs).zip(group.iter()) {
                    if step < w.1 {
                        *row = lf[*row] as usize;
                        let tok = match first(*row) {
                            c if c == separator => t.separator(),
                            c => self
                                .token(c as u32)
                                .ok_or_else(|| super::codec::bad("the transform does not walk back to its start"))?,
                        };
                        t.push_code(out, tok);
                    }
                }
            }
            Ok::<_, IndexError>(outs)
        });
        let mut stream = Vec::with_capacity(self.text_len * t.width());
        for group in parts {
            group?.into_iter().for_each(|p| stream.extend(p));
        }
        Ok(stream)
    }

    /// The documents, as token codes, read back from the transform (holding five bytes per
    /// token at byte level while it runs).
    pub fn encoded_docs(&self) -> Result<Vec<EncodedDoc<'static>>, IndexError> {
        let stream = self.stream_codes()?;
        let w = self.tokenizer.width();
        let ends = self.starts.iter().skip(1).map(|&s| s as usize).chain([self.text_len]);
        let mut docs = Vec::with_capacity(self.refs.len());
        for ((r, &start), end) in self.refs.iter().zip(&self.starts).zip(ends) {
            let (start, end) = (start as usize * w, end * w);
            let sound = end >= start + w && end <= stream.len() && stream[end - w..end].iter().all(|&b| b == 0xFF);
            if !sound {
                return Err(super::codec::bad("its documents are not where its starts say"));
            }
            docs.push((*r, Cow::Owned(stream[start..end - w].to_vec())));
        }
        Ok(docs)
    }

    /// Whether the documents hash to the content chain values the index claims (a file from a
    /// faulty build or another corpus is refused, whatever its checksum).
    pub fn check_content(&self) -> Result<(), IndexError> {
        let docs = self.encoded_docs()?;
        let end = crate::content::end(self.chain_start, &docs);
        if end != self.chain_end {
            return Err(super::codec::bad("its documents do not hash to its content chain"));
        }
        Ok(())
    }
}
