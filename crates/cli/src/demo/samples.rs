//! The sample corpus shipped in `samples/datanet` and how the demo (and the inference benchmark)
//! contributes it.

use super::say::committed;
use anyhow::{bail, Context, Result};
use sinew_sdk::Client;
use sinew_types::datanet::Format;
use sinew_types::event::DatanetEvent;
use sinew_types::payload::Contribute;
use sinew_types::{Event, Keypair, Payload};

/// The sample corpus shipped in `samples/datanet` (written for the project).
pub const SAMPLES: [(&str, &str); 3] = [
    ("rivers.md", include_str!("../../../../samples/datanet/rivers.md")),
    ("lakes.jsonl", include_str!("../../../../samples/datanet/lakes.jsonl")),
    ("glossary.csv", include_str!("../../../../samples/datanet/glossary.csv")),
];

/// Contributes sample `name` (its text) to `datanet` as `key`: the contribution number and how
/// many of its records were flagged as near-duplicates.
pub fn contribute_sample(c: &Client, key: &Keypair, datanet: u64, name: &str, text: &str) -> Result<(u64, u32)> {
    let format = match name.rsplit('.').next() {
        Some("csv") => Format::Csv {
            columns: vec!["term".into(), "definition".into()],
        },
        Some(ext) => Format::for_extension(ext).context("sample format")?,
        None => bail!("sample without extension"),
    };
    let ingested = sinew_datanet::ingest_blob(text.as_bytes(), &format, name)?;
    let sinew_sdk::answers::BlobStored { blob, size } = c.upload_blob(text.as_bytes(), Some(text.len() as u64))?;
    let payload: Payload = Contribute {
        datanet,
        blob,
        size,
        format,
        record_count: ingested.records.len() as u32,
        records_root: sinew_datanet::records_root(&ingested.records),
        metadata: name.into(),
    }
    .into();
    let done = committed(c, key, payload)?;
    for e in done.receipt.events {
        if let Event::Datanet(DatanetEvent::Contributed {
            contribution,
            records,
            near_duplicates,
            ..
        }) = e
        {
            println!(
                "{name}: contribution {contribution}, {records} records, {near_duplicates} flagged as near-duplicates"
            );
            return Ok((contribution, near_duplicates));
        }
    }
    bail!("no contribution event")
}
