//! Finding the files to ingest: every supported file under the given paths (directories walked),
//! in path order, each with the format its extension names, shaped by the caller's options.

use sinew_types::datanet::Format;
use std::path::{Path, PathBuf};

/// How files of each kind are cut into records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatOptions {
    /// Largest record of text, Markdown and PDF files, in bytes.
    pub max_record_bytes: u32,
    /// The JSON field holding a JSON-lines record's text.
    pub field: String,
    /// The CSV columns making a record's text.
    pub columns: Vec<String>,
}

impl Default for FormatOptions {
    fn default() -> Self {
        FormatOptions {
            max_record_bytes: 4096,
            field: "text".into(),
            columns: vec!["text".into()],
        }
    }
}

impl FormatOptions {
    /// The format of a file with extension `ext`, if supported.
    pub fn format_for(&self, ext: &str) -> Option<Format> {
        let max_record_bytes = self.max_record_bytes;
        match ext.to_ascii_lowercase().as_str() {
            "txt" | "text" => Some(Format::Text { max_record_bytes }),
            "md" | "markdown" => Some(Format::Markdown { max_record_bytes }),
            "jsonl" | "ndjson" => Some(Format::Jsonl {
                field: self.field.clone(),
            }),
            "csv" => Some(Format::Csv {
                columns: self.columns.clone(),
            }),
            "pdf" => Some(Format::Pdf { max_record_bytes }),
            _ => None,
        }
    }
}

/// Why files could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// A directory could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file named explicitly has no supported extension.
    #[error("{0}: unsupported file type (use .txt, .md, .jsonl, .csv or .pdf)")]
    Unsupported(PathBuf),
    /// Nothing to ingest.
    #[error("no .txt, .md, .jsonl, .csv or .pdf files found")]
    Empty,
}

/// Every supported file under `paths`, sorted by path, with its format. Files named explicitly
/// must be supported; unsupported files met while walking a directory are skipped.
pub fn discover(paths: &[PathBuf], options: &FormatOptions) -> Result<Vec<(PathBuf, Format)>, DiscoverError> {
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(list(&p)?);
            continue;
        }
        match p
            .extension()
            .and_then(|e| e.to_str())
            .and_then(|e| options.format_for(e))
        {
            Some(format) => files.push((p, format)),
            None if paths.contains(&p) => return Err(DiscoverError::Unsupported(p)),
            None => {}
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    if files.is_empty() {
        return Err(DiscoverError::Empty);
    }
    Ok(files)
}

fn list(dir: &Path) -> Result<Vec<PathBuf>, DiscoverError> {
    let io = |source| DiscoverError::Io {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()).map_err(io))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_walked_in_order_and_unsupported_names_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        for f in ["b.txt", "a.jsonl", "sub/c.md", "skip.bin"] {
            std::fs::write(dir.path().join(f), "x").unwrap();
        }
        let opts = FormatOptions {
            field: "body".into(),
            ..FormatOptions::default()
        };
        let found = discover(&[dir.path().to_path_buf()], &opts).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|(p, _)| p.strip_prefix(dir.path()).unwrap().to_owned())
            .collect();
        assert_eq!(names, [PathBuf::from("a.jsonl"), "b.txt".into(), "sub/c.md".into()]);
        assert_eq!(found[0].1, Format::Jsonl { field: "body".into() });
        let bin = dir.path().join("skip.bin");
        assert!(matches!(discover(&[bin], &opts), Err(DiscoverError::Unsupported(_))));
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            discover(&[empty.path().to_path_buf()], &opts),
            Err(DiscoverError::Empty)
        ));
    }
}
