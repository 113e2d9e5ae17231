//! Records with their text, for the records API: cut from the blob (verified) and kept in a
//! small cache bounded in bytes, so a page of records does not re-read and re-cut a large blob
//! each time it is asked for.

use parking_lot::Mutex;
use sinew_datanet::Record;
use sinew_store::IngestingBlobs;
use sinew_types::datanet::{BlobId, Format};
use std::collections::VecDeque;
use std::sync::Arc;

/// Bytes of record text the cache keeps.
const CACHE_BYTES: usize = 64 << 20;

/// A cut blob in the cache: which blob and format, its records, their size.
type Entry = ((BlobId, Format), Arc<Vec<Record>>, usize);

/// Recently cut blobs, oldest first.
#[derive(Default)]
pub struct RecordCache {
    entries: VecDeque<Entry>,
    bytes: usize,
}

impl RecordCache {
    fn get(&self, key: &(BlobId, Format)) -> Option<Arc<Vec<Record>>> {
        self.entries.iter().find(|e| e.0 == *key).map(|e| e.1.clone())
    }

    fn put(&mut self, key: (BlobId, Format), records: Arc<Vec<Record>>) {
        let size: usize = records.iter().map(|r| r.text.len() + 32).sum();
        if size > CACHE_BYTES {
            return;
        }
        while self.bytes + size > CACHE_BYTES {
            let Some(old) = self.entries.pop_front() else { break };
            self.bytes -= old.2;
        }
        self.bytes += size;
        self.entries.push_back((key, records, size));
    }
}

/// The node's record cache, shared by API requests.
#[derive(Default)]
pub struct RecordTexts(Mutex<RecordCache>);

impl RecordTexts {
    /// The records of a contributed blob, with their text (cut on first use).
    pub fn get(&self, blobs: &IngestingBlobs, blob: &BlobId, format: &Format) -> Result<Arc<Vec<Record>>, String> {
        let key = (*blob, format.clone());
        if let Some(hit) = self.0.lock().get(&key) {
            return Ok(hit);
        }
        let bytes = blobs.store.read(blob).map_err(|e| e.to_string())?;
        let recs = Arc::new(sinew_datanet::ingest(&bytes, format, &blob.to_string()).map_err(|e| e.to_string())?);
        self.0.lock().put(key, recs.clone());
        Ok(recs)
    }
}
