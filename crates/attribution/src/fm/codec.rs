//! The little-endian encoding the compressed index file is written in: a writer, and a reader
//! whose every read is bounds-checked, so that a malformed file is an error, never a panic.

use crate::IndexError;
use sinew_types::Hash;

/// Little-endian encoding of the parts.
#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) b: Vec<u8>,
}

impl Writer {
    pub(crate) fn u8(&mut self, x: u8) {
        self.b.push(x);
    }
    pub(crate) fn u32(&mut self, x: u32) {
        self.b.extend_from_slice(&x.to_le_bytes());
    }
    pub(crate) fn u64(&mut self, x: u64) {
        self.b.extend_from_slice(&x.to_le_bytes());
    }
    pub(crate) fn hash(&mut self, h: &Hash) {
        self.b.extend_from_slice(&h.0);
    }
    pub(crate) fn bytes(&mut self, v: &[u8]) {
        self.u64(v.len() as u64);
        self.b.extend_from_slice(v);
    }
    pub(crate) fn u16s(&mut self, v: &[u16]) {
        self.u64(v.len() as u64);
        v.iter().for_each(|x| self.b.extend_from_slice(&x.to_le_bytes()));
    }
    pub(crate) fn u32s(&mut self, v: &[u32]) {
        self.u64(v.len() as u64);
        v.iter().for_each(|x| self.u32(*x));
    }
    pub(crate) fn u64s(&mut self, v: &[u64]) {
        self.u64(v.len() as u64);
        v.iter().for_each(|x| self.u64(*x));
    }
}

/// Decoding of what [`Writer`] wrote; every read is bounds-checked.
pub(crate) struct Reader<'a> {
    pub(crate) b: &'a [u8],
    pub(crate) at: usize,
}

/// The error for a file whose parts do not hold together.
pub(crate) fn bad(why: &str) -> IndexError {
    IndexError::Invalid(format!("compressed index: {why}"))
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], IndexError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| bad("cut short"))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.b.len() - self.at
    }
    pub(crate) fn u8(&mut self) -> Result<u8, IndexError> {
        Ok(self.take(1)?[0])
    }
    pub(crate) fn u32(&mut self) -> Result<u32, IndexError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
    pub(crate) fn u64(&mut self) -> Result<u64, IndexError> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
    pub(crate) fn usize(&mut self) -> Result<usize, IndexError> {
        usize::try_from(self.u64()?).map_err(|_| bad("a length beyond this machine"))
    }
    pub(crate) fn hash(&mut self) -> Result<Hash, IndexError> {
        Ok(Hash(self.take(32)?.try_into().expect("32 bytes")))
    }
    /// A length-prefixed array of `size`-byte items.
    fn array(&mut self, size: usize) -> Result<&'a [u8], IndexError> {
        let n = self.usize()?;
        self.take(n.checked_mul(size).ok_or_else(|| bad("an array too long"))?)
    }
    pub(crate) fn bytes(&mut self) -> Result<Vec<u8>, IndexError> {
        Ok(self.array(1)?.to_vec())
    }
    pub(crate) fn u16s(&mut self) -> Result<Vec<u16>, IndexError> {
        let a = self.array(2)?;
        Ok(a.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect())
    }
    pub(crate) fn u32s(&mut self) -> Result<Vec<u32>, IndexError> {
        let a = self.array(4)?;
        Ok(a.chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect())
    }
    pub(crate) fn u64s(&mut self) -> Result<Vec<u64>, IndexError> {
        let a = self.array(8)?;
        Ok(a.chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect())
    }
}
