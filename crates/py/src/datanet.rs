//! Contributions prepared in Python with the ledger's own ingestion: a blob's records cut and
//! fingerprinted exactly as every validator will, so the counts and the records root a
//! `Contribute` declares are right before anything is uploaded.

use crate::client::parse;
use crate::errors;
use pyo3::prelude::*;
use sinew_types::datanet::Format;

/// Cuts `data` into records in `format` (JSON text, e.g. `{"kind": "jsonl", "field": "text"}`)
/// and returns the JSON text of what a `Contribute` declares: `size`, `record_count`,
/// `records_root`, with the record texts (`records`). `source` names the data in errors.
#[pyfunction]
#[pyo3(signature = (data, format, source="data"))]
pub fn ingest(py: Python<'_>, data: Vec<u8>, format: &str, source: &str) -> PyResult<String> {
    let format: Format = parse("format", format)?;
    if matches!(format, Format::Pdf { .. }) {
        return Err(errors::invalid(
            "contribute a PDF's text: sinew.pdf_text(data), then format text (the ledger never runs a PDF extractor)",
        ));
    }
    let (records, ingested) = py
        .detach(|| {
            let records = sinew_datanet::ingest(&data, &format, source)?;
            let ingested = sinew_datanet::ingest_blob(&data, &format, source)?;
            Ok::<_, sinew_datanet::IngestError>((records, ingested))
        })
        .map_err(|e| errors::invalid(format!("cannot ingest: {e}")))?;
    let texts: Vec<&str> = records.iter().map(|r| r.text.as_str()).collect();
    Ok(serde_json::json!({
        "size": ingested.size,
        "record_count": ingested.records.len(),
        "records_root": sinew_datanet::records_root(&ingested.records),
        "records": texts,
    })
    .to_string())
}

/// The text of a PDF, extracted as `sinew contribute` does on the contributor's machine.
#[pyfunction]
#[pyo3(signature = (data, source="pdf"))]
pub fn pdf_text(py: Python<'_>, data: Vec<u8>, source: &str) -> PyResult<String> {
    py.detach(|| sinew_datanet::pdf_text(&data, source))
        .map_err(|e| errors::invalid(format!("cannot read the PDF: {e}")))
}

/// The default format of a file name's extension (JSON text), or None if unsupported.
#[pyfunction]
pub fn format_for(file_name: &str) -> Option<String> {
    let ext = std::path::Path::new(file_name).extension()?.to_str()?;
    let f = if ext.eq_ignore_ascii_case("pdf") {
        Format::Pdf { max_record_bytes: 4096 }
    } else {
        Format::for_extension(ext)?
    };
    Some(serde_json::to_string(&f).expect("a format serialises"))
}
