//! Suffix-array indexes of published datanet versions: built once from the approved
//! contributions' records (a version never changes, so neither does its index), kept under the
//! data directory, memory-mapped on use.

use crate::core::{Node, NodeError};
use sinew_attribution::{DocRef, Index, Tokenizer};
use sinew_state::executor::read;
use sinew_state::{Contribution, DatanetVersion, StateKey};
use sinew_types::Hash;
use std::sync::Arc;

impl Node {
    fn index_path(&self, datanet: u64, version: u64, tokenizer: Tokenizer) -> std::path::PathBuf {
        let name = match tokenizer {
            Tokenizer::Bytes => format!("{datanet}-{version}.idx"),
            t => format!("{datanet}-{version}-{t}.idx"),
        };
        self.data_dir.join("indexes").join(name)
    }

    /// The index of a published version with `tokenizer`, built on first use. Returns it and its
    /// id (BLAKE3 of the file).
    pub fn version_index(
        &self,
        datanet: u64,
        version: u64,
        tokenizer: Tokenizer,
    ) -> Result<(Arc<Index>, Hash), NodeError> {
        if let Some(hit) = self.indexes.lock().get(&(datanet, version, tokenizer)) {
            return Ok(hit.clone());
        }
        let path = self.index_path(datanet, version, tokenizer);
        if !path.exists() {
            let chain = self.chain.read();
            let state = chain.tree();
            let v: DatanetVersion = read(state, &StateKey::DatanetVersion(datanet, version))
                .map_err(|e| NodeError::Setup(e.to_string()))?
                .ok_or_else(|| NodeError::NotAvailable(format!("datanet {datanet} has no version {version}")))?;
            let approved: Vec<u64> = read(state, &StateKey::DatanetApproved(datanet))
                .map_err(|e| NodeError::Setup(e.to_string()))?
                .unwrap_or_default();
            let mut contributions = Vec::new();
            for seq in approved.iter().take(v.contributions as usize) {
                let c: Contribution = read(state, &StateKey::Contribution(datanet, *seq))
                    .map_err(|e| NodeError::Setup(e.to_string()))?
                    .ok_or_else(|| NodeError::Setup(format!("approved contribution {seq} missing")))?;
                contributions.push(c);
            }
            drop(chain);
            let mut texts: Vec<(DocRef, String)> = Vec::new();
            for c in &contributions {
                let bytes = self
                    .blobs
                    .store
                    .read(&c.blob)
                    .map_err(|e| NodeError::Setup(e.to_string()))?;
                let records = sinew_datanet::ingest(&bytes, &c.format, &c.blob.to_string())
                    .map_err(|e| NodeError::Setup(e.to_string()))?;
                texts.extend(records.into_iter().enumerate().map(|(i, r)| {
                    (
                        DocRef {
                            contribution: c.seq,
                            record: i as u32,
                        },
                        r.text,
                    )
                }));
            }
            let docs: Vec<(DocRef, &[u8])> = texts.iter().map(|(r, t)| (*r, t.as_bytes())).collect();
            let index = Index::build_with(tokenizer, &docs).map_err(|e| NodeError::Setup(e.to_string()))?;
            std::fs::create_dir_all(path.parent().expect("has a parent"))
                .map_err(|e| NodeError::Setup(e.to_string()))?;
            index.write(&path).map_err(|e| NodeError::Setup(e.to_string()))?;
        }
        let index = Index::open(&path, true).map_err(|e| NodeError::Setup(e.to_string()))?;
        let id = Hash::of(index.as_bytes());
        let entry = (Arc::new(index), id);
        self.indexes.lock().insert((datanet, version, tokenizer), entry.clone());
        Ok(entry)
    }
}
