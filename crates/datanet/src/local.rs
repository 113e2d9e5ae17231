//! Records of local files, for indexes built outside the ledger (`sinew index build`, the
//! Python engine): each file numbered as a "contribution" in path order, its records in order,
//! so the same files give the same index wherever it is built.

use crate::{discover, ingest, DiscoverError, FormatOptions, IngestError};
use std::path::PathBuf;

/// Why local files could not be read as records.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The paths could not be walked, or name an unsupported file.
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file named explicitly could not be cut into records.
    #[error(transparent)]
    Ingest(#[from] IngestError),
}

/// The records of the files under `paths` as (file number, record number, text). JSON lines take
/// their text from `field`. A file named explicitly must ingest; one met while walking a folder
/// that does not is skipped (a folder may hold files that are not text).
pub fn local_records(paths: &[PathBuf], field: &str) -> Result<Vec<(u64, u32, String)>, LocalError> {
    let options = FormatOptions {
        field: field.to_string(),
        ..FormatOptions::default()
    };
    let mut out = Vec::new();
    for (i, (p, f)) in discover(paths, &options)?.iter().enumerate() {
        let bytes = std::fs::read(p).map_err(|source| LocalError::Read {
            path: p.clone(),
            source,
        })?;
        match ingest(&bytes, f, &p.display().to_string()) {
            Ok(records) => out.extend(
                records
                    .into_iter()
                    .enumerate()
                    .map(|(j, r)| (i as u64, j as u32, r.text)),
            ),
            Err(e) if paths.contains(p) => return Err(e.into()),
            Err(_) => continue,
        }
    }
    Ok(out)
}
