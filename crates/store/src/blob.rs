//! The content-addressed blob store: files named by the BLAKE3 of their bytes under the node's
//! data directory. Uploads stream into a temporary file while hashing and appear under their id
//! only once complete and fsync'd, so a crash mid-upload leaves nothing visible (leftovers are
//! swept on open). Reads verify the hash before any byte is served.
//!
//! Uploads are open to anyone, so what nobody uses cannot stay for ever: a blob is *pinned*
//! (durably, before the transaction is admitted) once a transaction names it; unpinned uploads
//! share a byte quota and are deleted once older than a time to live. A pinned blob is never
//! deleted: the ledger may need it to re-execute a block or build an index.

use sinew_types::datanet::BlobId;
use sinew_types::Hash;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Why a blob operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The upload exceeds the size limit; nothing was stored.
    #[error("blob exceeds the size limit of {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// No blob has this id.
    #[error("no blob {0}")]
    NotFound(BlobId),
    /// The stored bytes no longer hash to the id (damaged disk or tampering); not served.
    #[error("blob {0} is corrupt: its bytes do not match its id")]
    Corrupt(BlobId),
    /// The upload was empty.
    #[error("empty upload")]
    Empty,
    /// Uploads no transaction has named yet already fill the node's quota.
    #[error("the node holds {held} bytes of uploads no transaction names (quota {quota}); name yours in a transaction or retry later")]
    QuotaExceeded {
        /// Bytes held.
        held: u64,
        /// The quota.
        quota: u64,
    },
    /// The file system failed.
    #[error("blob store I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// Unpinned blobs: (stored at, id) to size, oldest first; and their total size.
type Unpinned = (BTreeMap<(SystemTime, BlobId), u64>, u64);

/// Blobs on local disk.
pub struct BlobStore {
    dir: PathBuf,
    tmp_seq: AtomicU64,
    unpinned: Mutex<Unpinned>,
    /// Pinned blobs (mirrors the `pins` directory, so asking costs no system call).
    pinned: Mutex<std::collections::HashSet<BlobId>>,
}

impl BlobStore {
    /// Opens (creating) the store in `dir`, removing any partial upload a crash left behind.
    pub fn open(dir: &Path) -> Result<BlobStore, BlobError> {
        fs::create_dir_all(dir.join("tmp"))?;
        fs::create_dir_all(dir.join("pins"))?;
        for e in fs::read_dir(dir.join("tmp"))? {
            fs::remove_file(e?.path())?;
        }
        let mut pinned = std::collections::HashSet::new();
        for e in fs::read_dir(dir.join("pins"))? {
            if let Ok(id) = e?.file_name().to_string_lossy().parse::<BlobId>() {
                pinned.insert(id);
            }
        }
        let store = BlobStore {
            dir: dir.to_path_buf(),
            tmp_seq: AtomicU64::new(0),
            unpinned: Mutex::default(),
            pinned: Mutex::new(pinned),
        };
        // Find the unpinned blobs (two hex digits, then the other 62).
        let mut found = BTreeMap::new();
        let mut total = 0;
        for sub in fs::read_dir(dir)? {
            let sub = sub?;
            let name = sub.file_name().to_string_lossy().into_owned();
            if name.len() != 2 || !sub.file_type()?.is_dir() {
                continue;
            }
            for f in fs::read_dir(sub.path())? {
                let f = f?;
                let Ok(id) = format!("{name}{}", f.file_name().to_string_lossy()).parse::<BlobId>() else {
                    continue;
                };
                if !store.is_pinned(&id) {
                    let m = f.metadata()?;
                    found.insert((m.modified()?, id), m.len());
                    total += m.len();
                }
            }
        }
        *store.unpinned.lock().expect("not poisoned") = (found, total);
        Ok(store)
    }

    fn pin_path(&self, id: &BlobId) -> PathBuf {
        self.dir.join("pins").join(id.to_string())
    }

    /// Whether a transaction has named the blob (so it is kept for good).
    pub fn is_pinned(&self, id: &BlobId) -> bool {
        self.pinned.lock().expect("not poisoned").contains(id)
    }

    /// Keeps a stored blob for good (a transaction names it); durable when this returns.
    pub fn pin(&self, id: &BlobId) -> Result<(), BlobError> {
        if self.is_pinned(id) {
            return Ok(());
        }
        if !self.contains(id) {
            return Err(BlobError::NotFound(*id));
        }
        let f = File::create(self.pin_path(id))?;
        f.sync_all()?;
        File::open(self.dir.join("pins"))?.sync_all()?;
        self.pinned.lock().expect("not poisoned").insert(*id);
        let mut u = self.unpinned.lock().expect("not poisoned");
        let key = u.0.keys().find(|k| k.1 == *id).copied();
        if let Some(k) = key {
            let size = u.0.remove(&k).expect("found");
            u.1 -= size;
        }
        Ok(())
    }

    /// Bytes of unpinned blobs held.
    pub fn unpinned_bytes(&self) -> u64 {
        self.unpinned.lock().expect("not poisoned").1
    }

    /// After an upload of `new`: deletes unpinned blobs older than `ttl`; if unpinned blobs
    /// still exceed `quota`, deletes `new` (unless pinned or older than this upload) and refuses.
    pub fn enforce_quota(&self, new: &BlobId, quota: u64, ttl: Duration) -> Result<(), BlobError> {
        let now = SystemTime::now();
        let mut u = self.unpinned.lock().expect("not poisoned");
        let expired: Vec<(SystemTime, BlobId)> =
            u.0.keys()
                .take_while(|(at, _)| now.duration_since(*at).unwrap_or_default() > ttl)
                .copied()
                .collect();
        for k in expired {
            if k.1 == *new || self.is_pinned(&k.1) {
                continue;
            }
            let _ = fs::remove_file(self.path(&k.1));
            let size = u.0.remove(&k).expect("listed");
            u.1 -= size;
        }
        if u.1 <= quota {
            return Ok(());
        }
        let held = u.1;
        let key = u.0.keys().find(|k| k.1 == *new).copied();
        if let Some(k) = key {
            // Only what this upload added is taken back.
            if now.duration_since(k.0).unwrap_or_default() < Duration::from_secs(5) && !self.is_pinned(new) {
                let _ = fs::remove_file(self.path(new));
                let size = u.0.remove(&k).expect("found");
                u.1 -= size;
            }
        }
        Err(BlobError::QuotaExceeded { held, quota })
    }

    /// The path of a blob. Built only from the id's hex digits: no user text reaches the file system.
    pub(crate) fn path(&self, id: &BlobId) -> PathBuf {
        let hex = id.to_string();
        self.dir.join(&hex[..2]).join(&hex[2..])
    }

    /// A fresh path for a file being written (swept on open if a crash leaves it).
    pub(crate) fn tmp_path(&self) -> PathBuf {
        let n = self.tmp_seq.fetch_add(1, Ordering::Relaxed);
        self.dir.join("tmp").join(format!("{}-{n}", std::process::id()))
    }

    /// Moves a complete, fsync'd file holding blob `id` (`len` bytes) under its id, durably;
    /// a blob nobody pinned yet counts against the upload quota.
    pub(crate) fn install(&self, tmp: &Path, id: &BlobId, len: u64) -> Result<(), BlobError> {
        let dest = self.path(id);
        let parent = dest.parent().expect("blob paths have a parent");
        fs::create_dir_all(parent)?;
        let known = dest.exists();
        fs::rename(tmp, &dest)?;
        File::open(parent)?.sync_all()?;
        if !known && !self.is_pinned(id) {
            let mut u = self.unpinned.lock().expect("not poisoned");
            u.0.insert((SystemTime::now(), *id), len);
            u.1 += len;
        }
        Ok(())
    }

    /// Starts an upload of at most `limit` bytes.
    pub fn writer(&self, limit: u64) -> Result<BlobWriter<'_>, BlobError> {
        let tmp = self.tmp_path();
        let file = File::create(&tmp)?;
        Ok(BlobWriter {
            store: self,
            file: Some(file),
            tmp,
            hasher: blake3::Hasher::new(),
            len: 0,
            limit,
        })
    }

    /// Stores everything `reader` yields (at most `limit` bytes); returns the id and size.
    pub fn put(&self, mut reader: impl Read, limit: u64) -> Result<(BlobId, u64), BlobError> {
        let mut w = self.writer(limit)?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            w.write(&buf[..n])?;
        }
        w.finish()
    }

    /// Whether a blob is stored (not verified).
    pub fn contains(&self, id: &BlobId) -> bool {
        self.path(id).is_file()
    }

    /// A blob's size, if stored.
    pub fn size(&self, id: &BlobId) -> Option<u64> {
        fs::metadata(self.path(id)).ok().map(|m| m.len())
    }

    /// Opens a blob after checking its bytes hash to its id; the file is positioned at the start.
    pub fn open_verified(&self, id: &BlobId) -> Result<(File, u64), BlobError> {
        let path = self.path(id);
        let mut f = File::open(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => BlobError::NotFound(*id),
            _ => BlobError::Io(e),
        })?;
        let mut h = blake3::Hasher::new();
        let len = std::io::copy(&mut f, &mut h)?;
        if Hash(*h.finalize().as_bytes()) != *id {
            return Err(BlobError::Corrupt(*id));
        }
        let f = File::open(&path)?;
        Ok((f, len))
    }

    /// A blob's bytes, verified.
    pub fn read(&self, id: &BlobId) -> Result<Vec<u8>, BlobError> {
        let bytes = fs::read(self.path(id)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => BlobError::NotFound(*id),
            _ => BlobError::Io(e),
        })?;
        if Hash::of(&bytes) != *id {
            return Err(BlobError::Corrupt(*id));
        }
        Ok(bytes)
    }
}

/// An upload in progress. Dropped without [`BlobWriter::finish`], it leaves nothing behind.
pub struct BlobWriter<'a> {
    store: &'a BlobStore,
    file: Option<File>,
    tmp: PathBuf,
    hasher: blake3::Hasher,
    len: u64,
    limit: u64,
}

impl BlobWriter<'_> {
    /// Appends bytes; fails (and the upload is void) past the limit.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), BlobError> {
        self.len += chunk.len() as u64;
        if self.len > self.limit {
            return Err(BlobError::TooLarge { limit: self.limit });
        }
        self.hasher.update(chunk);
        self.file.as_mut().expect("open until finish").write_all(chunk)?;
        Ok(())
    }

    /// Completes the upload: fsyncs and moves the file under its id (idempotent for known blobs).
    pub fn finish(mut self) -> Result<(BlobId, u64), BlobError> {
        if self.len == 0 {
            return Err(BlobError::Empty);
        }
        let file = self.file.take().expect("open until finish");
        file.sync_all()?;
        drop(file);
        let id = Hash(*self.hasher.finalize().as_bytes());
        self.store.install(&self.tmp, &id, self.len)?;
        Ok((id, self.len))
    }
}

impl Drop for BlobWriter<'_> {
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
    fn stores_by_content_and_refuses_oversize_and_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let s = BlobStore::open(dir.path()).unwrap();
        let (id, n) = s.put(&b"hello blobs"[..], 100).unwrap();
        assert_eq!((id, n), (Hash::of(b"hello blobs"), 11));
        assert_eq!(s.read(&id).unwrap(), b"hello blobs");
        assert_eq!(s.put(&b"hello blobs"[..], 100).unwrap().0, id, "same bytes, same id");
        assert!(matches!(
            s.put(&[7u8; 101][..], 100),
            Err(BlobError::TooLarge { limit: 100 })
        ));
        assert!(matches!(s.put(&b""[..], 100), Err(BlobError::Empty)));
        assert_eq!(
            fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0,
            "no stray files"
        );
        let missing = Hash::of(b"nothing");
        assert!(matches!(s.read(&missing), Err(BlobError::NotFound(_))));
        // Corrupt the stored file: it is detected, never served.
        fs::write(s.path(&id), b"hellO blobs").unwrap();
        assert!(matches!(s.read(&id), Err(BlobError::Corrupt(_))));
        assert!(matches!(s.open_verified(&id), Err(BlobError::Corrupt(_))));
        fs::write(s.path(&id), b"hello").unwrap();
        assert!(
            matches!(s.read(&id), Err(BlobError::Corrupt(_))),
            "a truncated blob too"
        );
    }

    #[test]
    fn unpinned_uploads_share_a_quota_and_expire_pinned_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let s = BlobStore::open(dir.path()).unwrap();
        let (a, _) = s.put(&[1u8; 600][..], 1 << 20).unwrap();
        s.enforce_quota(&a, 1_000, Duration::from_secs(3_600)).unwrap();
        let (b, _) = s.put(&[2u8; 600][..], 1 << 20).unwrap();
        assert!(matches!(
            s.enforce_quota(&b, 1_000, Duration::from_secs(3_600)),
            Err(BlobError::QuotaExceeded {
                held: 1_200,
                quota: 1_000
            })
        ));
        assert!(!s.contains(&b), "the refused upload is gone");
        assert!(s.contains(&a));
        // Pinned blobs leave the quota and are never collected.
        s.pin(&a).unwrap();
        assert_eq!(s.unpinned_bytes(), 0);
        let (c, _) = s.put(&[3u8; 900][..], 1 << 20).unwrap();
        s.enforce_quota(&c, 1_000, Duration::from_secs(3_600)).unwrap();
        // Expired unpinned uploads are collected by the next upload; pins survive reopening.
        std::thread::sleep(Duration::from_millis(20));
        let (d, _) = s.put(&[4u8; 500][..], 1 << 20).unwrap();
        s.enforce_quota(&d, 1_000, Duration::from_millis(10)).unwrap();
        assert!(!s.contains(&c) && s.contains(&d) && s.contains(&a));
        let s = BlobStore::open(dir.path()).unwrap();
        assert!(s.is_pinned(&a));
        assert_eq!(s.unpinned_bytes(), 500);
        assert!(matches!(s.pin(&Hash::of(b"none")), Err(BlobError::NotFound(_))));
    }

    #[test]
    fn an_interrupted_upload_leaves_nothing_visible() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = BlobStore::open(dir.path()).unwrap();
            let mut w = s.writer(1 << 20).unwrap();
            w.write(b"partial upload").unwrap();
            // Simulate a crash: the writer is leaked, its temporary file stays on disk.
            std::mem::forget(w);
            assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 1);
            assert!(!s.contains(&Hash::of(b"partial upload")));
        }
        let s = BlobStore::open(dir.path()).unwrap();
        assert_eq!(
            fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0,
            "swept on open"
        );
        assert!(!s.contains(&Hash::of(b"partial upload")));
    }
}
