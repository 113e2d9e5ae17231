//! Blobs fetched from other validators: pieces arrive in any order and are written where they
//! belong in a temporary file; only when every piece is there, the whole file hashed to the
//! expected id and fsync'd, does the blob appear in the store. A download dropped before that
//! leaves nothing (and a crash leaves a temporary file swept on open). Reading ranges serves
//! pieces to the others.

use crate::blob::{BlobError, BlobStore};
use sinew_types::datanet::BlobId;
use sinew_types::Hash;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

/// A blob being received piece by piece. Dropped unfinished, it removes its file.
pub struct BlobDownload {
    file: Option<File>,
    tmp: PathBuf,
    id: BlobId,
    size: u64,
}

impl BlobStore {
    /// Starts receiving blob `id` of at most `size` bytes.
    pub fn download(&self, id: BlobId, size: u64) -> Result<BlobDownload, BlobError> {
        let tmp = self.tmp_path();
        let file = File::options().read(true).write(true).create_new(true).open(&tmp)?;
        let download = BlobDownload {
            file: Some(file),
            tmp,
            id,
            size,
        };
        download.file().set_len(size)?;
        Ok(download)
    }

    /// Completes a download of `size` bytes (at most the size it started with): checks the whole
    /// file hashes to its id, then stores it under that id (pinned if `pin`: a finalized
    /// transaction names it). A file that does not match is removed and refused as corrupt.
    pub fn finish_download(&self, mut download: BlobDownload, size: u64, pin: bool) -> Result<(), BlobError> {
        let mut file = download.file.take().expect("open until finished");
        if size > download.size {
            let _ = fs::remove_file(&download.tmp);
            return Err(BlobError::TooLarge { limit: download.size });
        }
        file.set_len(size)?;
        file.sync_all()?;
        file.seek(SeekFrom::Start(0))?;
        let mut h = blake3::Hasher::new();
        let len = std::io::copy(&mut (&mut file).take(size), &mut h)?;
        drop(file);
        if len != size || Hash(*h.finalize().as_bytes()) != download.id {
            let _ = fs::remove_file(&download.tmp);
            return Err(BlobError::Corrupt(download.id));
        }
        self.install(&download.tmp, &download.id, size)?;
        if pin {
            self.pin(&download.id)?;
        }
        Ok(())
    }

    /// `len` bytes of a stored blob from `offset` (not verified here: whoever receives them
    /// checks them against the blob's tree).
    pub fn read_range(&self, id: &BlobId, offset: u64, len: u64) -> Result<Vec<u8>, BlobError> {
        let file = File::open(self.path(id)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => BlobError::NotFound(*id),
            _ => BlobError::Io(e),
        })?;
        let mut buf = vec![0u8; len as usize];
        file.read_exact_at(&mut buf, offset)?;
        Ok(buf)
    }
}

impl BlobDownload {
    fn file(&self) -> &File {
        self.file.as_ref().expect("open until finished")
    }

    /// The blob being received.
    pub fn id(&self) -> BlobId {
        self.id
    }

    /// Writes a piece (already checked against the blob's tree) at `offset`.
    pub fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<(), BlobError> {
        if offset + bytes.len() as u64 > self.size {
            return Err(BlobError::TooLarge { limit: self.size });
        }
        self.file().write_all_at(bytes, offset)?;
        Ok(())
    }
}

impl Drop for BlobDownload {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_in_any_order_make_the_blob_and_a_wrong_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let s = BlobStore::open(dir.path()).unwrap();
        let blob: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let id = Hash::of(&blob);
        // Started with room to spare (the size is known only with the last piece).
        let d = s.download(id, 12_000).unwrap();
        d.write_at(6_000, &blob[6_000..]).unwrap();
        d.write_at(0, &blob[..6_000]).unwrap();
        assert!(!s.contains(&id), "not visible before it is finished");
        assert!(d.write_at(11_999, b"xy").is_err(), "nothing past the end");
        s.finish_download(d, blob.len() as u64, true).unwrap();
        assert_eq!(s.read(&id).unwrap(), blob);
        assert!(s.is_pinned(&id));
        assert_eq!(s.read_range(&id, 100, 5).unwrap(), &blob[100..105]);

        // A download whose bytes are not the blob's: refused, nothing stored, no stray file.
        let other = Hash::of(b"another blob");
        let d = s.download(other, 12).unwrap();
        d.write_at(0, b"another blub").unwrap();
        assert!(matches!(s.finish_download(d, 12, false), Err(BlobError::Corrupt(_))));
        assert!(!s.contains(&other));
        // A download dropped half way leaves nothing either.
        drop(s.download(Hash::of(b"x"), 1_000).unwrap());
        assert_eq!(
            fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0,
            "no stray files"
        );
    }
}
