//! What a datanet payload must satisfy before it may be in a block: bounds every node checks
//! without reading state.

use crate::error::TxRejection;
use sinew_types::datanet::{CurationPolicy, DatanetInfo, DatanetRules, Format};
use sinew_types::payload::DatanetTx;

const MAX_TEXT: usize = 1024;

const MAX_DESCRIPTION: usize = 4096;

fn check_tags(tags: &[String]) -> Result<(), TxRejection> {
    if tags.len() > 16 || tags.iter().any(|t| t.is_empty() || t.len() > 32) {
        return invalid("at most 16 tags of 1 to 32 bytes");
    }
    Ok(())
}

/// A stateless refusal of a datanet payload.
fn invalid(message: impl Into<String>) -> Result<(), TxRejection> {
    Err(TxRejection::InvalidDatanet(message.into()))
}

/// Checks of `CreateDatanet` that need no state: name, description, SPDX license, tags, rules.
fn check_create_datanet(info: &DatanetInfo, rules: &DatanetRules) -> Result<(), TxRejection> {
    if info.name.trim().is_empty() || info.name.len() > 64 {
        return invalid("name must be 1 to 64 bytes");
    }
    if info.description.len() > MAX_DESCRIPTION {
        return invalid("description must be at most 4 KiB");
    }
    if let Err(e) = spdx::Expression::parse(&info.license) {
        return invalid(format!("license {:?} is not an SPDX expression: {e}", info.license));
    }
    check_tags(&info.tags)?;
    if rules.reject_slash_bps > 10_000 {
        return invalid("reject_slash_bps must be at most 10000");
    }
    if let CurationPolicy::StakedReviewers { quorum, .. } = rules.curation {
        if quorum == 0 || quorum > 100 {
            return invalid("quorum must be within 1..=100");
        }
    }
    let cap = sinew_types::params::bounds::MAX_FEE_PARAM;
    if rules.contribution_bond > cap || rules.publish_fee_per_byte > cap {
        return invalid(format!("bond and fee must be at most {cap}"));
    }
    Ok(())
}

/// Checks of `Contribute` that need no state: a non-empty blob, short metadata, a format whose
/// cutting every node can bound.
fn check_contribute(size: u64, record_count: u32, metadata: &str, format: &Format) -> Result<(), TxRejection> {
    if size == 0 || record_count == 0 {
        return invalid("a contribution needs at least one byte and one record");
    }
    if metadata.len() > MAX_TEXT {
        return invalid("metadata must be at most 1 KiB");
    }
    match format {
        // A PDF extractor has no bound on time or memory a validator could agree on (a
        // decompression bomb would stop the chain): contributors extract the text themselves
        // (`sinew datanet contribute` does) and contribute it as text.
        Format::Pdf { .. } => {
            invalid("PDFs are contributed as their extracted text (format text); the CLI extracts it")
        }
        Format::Text { max_record_bytes } | Format::Markdown { max_record_bytes }
            if !(64..=sinew_datanet::MAX_RECORD_BYTES).contains(max_record_bytes) =>
        {
            invalid("max_record_bytes must be within 64..=1048576")
        }
        Format::Jsonl { field } if field.is_empty() || field.len() > 64 => invalid("field must be 1 to 64 bytes"),
        Format::Csv { columns } if columns.is_empty() || columns.len() > 16 => invalid("choose 1 to 16 columns"),
        Format::Text { .. } | Format::Markdown { .. } | Format::Jsonl { .. } | Format::Csv { .. } => Ok(()),
    }
}

/// Checks of `Review` that need no state: a bounded reason, and one for every rejection.
fn check_review(approve: bool, reason: &str) -> Result<(), TxRejection> {
    if reason.len() > MAX_TEXT {
        return invalid("reason must be at most 1 KiB");
    }
    if !approve && reason.trim().is_empty() {
        return invalid("a rejection needs a reason");
    }
    Ok(())
}

/// Checks of `UpdateDatanetInfo` that need no state.
fn check_update_datanet_info(description: &Option<String>, tags: &Option<Vec<String>>) -> Result<(), TxRejection> {
    if description.as_ref().is_some_and(|d| d.len() > MAX_DESCRIPTION) {
        return invalid("description must be at most 4 KiB");
    }
    tags.as_deref().map_or(Ok(()), check_tags)
}

/// Checks of a datanet payload that need no state.
pub(crate) fn check(tx: &DatanetTx) -> Result<(), TxRejection> {
    match tx {
        DatanetTx::CreateDatanet(t) => check_create_datanet(&t.info, &t.rules),
        DatanetTx::Contribute(t) => check_contribute(t.size, t.record_count, &t.metadata, &t.format),
        DatanetTx::Review(t) => check_review(t.approve, &t.reason),
        DatanetTx::UpdateDatanetInfo(t) => check_update_datanet_info(&t.description, &t.tags),
        // Every rule of these needs state.
        DatanetTx::PublishVersion(_) | DatanetTx::ExpireContribution(_) => Ok(()),
    }
}
