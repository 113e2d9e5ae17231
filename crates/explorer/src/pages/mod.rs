//! One module per kind of page.

pub mod accounts;
pub mod activity;
pub mod answers;
pub mod blocks;
pub mod datanets;
pub mod home;
pub mod models;
pub mod playground;
pub mod search;
pub mod tasks;
pub mod txs;

use crate::api::Failure;
use crate::fmt;

/// A block id from a URL: a height or a 64-hex hash (anything else is refused before the API
/// sees it, so a path can never smuggle a query into an API call).
pub(crate) fn block_id(id: &str) -> Result<String, Failure> {
    if id.parse::<u64>().is_ok() || fmt::is_hex32(id) {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(Failure::bad_request(format!(
            "{:?} is neither a block height nor a 64-hex block hash",
            clip(id)
        )))
    }
}

/// A 64-hex id (address, transaction, task) from a URL.
pub(crate) fn hex_id(what: &str, id: &str) -> Result<String, Failure> {
    if fmt::is_hex32(id) {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(Failure::bad_request(format!(
            "{:?} is not a valid {what}: 64 hex digits expected",
            clip(id)
        )))
    }
}

/// A numeric id (datanet, model) from a URL.
pub(crate) fn number(what: &str, id: &str) -> Result<u64, Failure> {
    id.parse()
        .map_err(|_| Failure::bad_request(format!("{:?} is not a {what} number", clip(id))))
}

/// At most 80 characters of what someone typed, for an error message.
pub(crate) fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}
