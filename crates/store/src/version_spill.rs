//! A version's records on their way to its index: read blob by blob, parsed, tokenized a batch
//! at a time on every core, and written to a spill file ([`sinew_attribution::Spill`]), so a
//! node holds one blob and one batch of records at a time, whatever the version's size.

use sinew_attribution::{encode_all, DocRef, Spill};
use sinew_state::blobs::{contribution_records, index_error, ReadBlob};
use sinew_state::BlobSourceError;
use sinew_types::datanet::{BlobId, Format};

/// Records tokenized together (on every core), in bytes of text.
const BATCH_BYTES: usize = 8 << 20;

/// Writes the records of `contributions` (numbered, blob, format; in order) to `spill`, ending a
/// version after each count of `version_ends` (contributions covered, increasing; the spill
/// ends the last version itself).
pub(crate) fn spill_contributions(
    spill: &mut Spill,
    contributions: &[(u64, BlobId, Format)],
    version_ends: &[u64],
    read_blob: &ReadBlob,
) -> Result<(), BlobSourceError> {
    let mut batch: Vec<(DocRef, String)> = Vec::new();
    let mut batch_bytes = 0;
    let mut ends = version_ends.iter().peekable();
    for (i, (seq, blob, format)) in contributions.iter().enumerate() {
        if ends.peek().is_some_and(|&&e| e <= i as u64) {
            flush(spill, &mut batch)?;
            batch_bytes = 0;
            while ends.next_if(|&&e| e <= i as u64).is_some() {
                spill.end_version();
            }
        }
        // A contribution that cannot be read or parsed fails the version only if every record
        // before it encodes: the error is the first bad contribution's, in order, as
        // `sinew_state::blobs::contribution_documents` reports it.
        let records = match contribution_records(*seq, blob, format, read_blob) {
            Ok(r) => r,
            Err(e) => {
                flush(spill, &mut batch)?;
                return Err(e);
            }
        };
        batch_bytes += records.iter().map(|(_, t)| t.len()).sum::<usize>();
        batch.extend(records);
        if batch_bytes >= BATCH_BYTES {
            flush(spill, &mut batch)?;
            batch_bytes = 0;
        }
    }
    flush(spill, &mut batch)
}

/// Tokenizes the batch and writes it to the spill.
fn flush(spill: &mut Spill, batch: &mut Vec<(DocRef, String)>) -> Result<(), BlobSourceError> {
    let docs: Vec<(DocRef, &[u8])> = batch.iter().map(|(r, s)| (*r, s.as_bytes())).collect();
    for (r, codes) in encode_all(spill.tokenizer(), &docs).map_err(index_error)? {
        spill.push(r, &codes).map_err(index_error)?;
    }
    batch.clear();
    Ok(())
}
