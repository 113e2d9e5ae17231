//! The event stream (`GET /v1/events`, server-sent events) as a blocking iterator.

use crate::{Client, SdkError};
use sinew_types::api::answers::EventRecord;
use sinew_types::api::queries::EventFilter;
use std::io::BufRead;

/// Events of durable blocks as they come, filtered as asked. Ends when the node closes the
/// stream; an item that does not parse is an error.
pub struct EventStream {
    lines: std::io::Lines<std::io::BufReader<Box<dyn std::io::Read + Send + Sync + 'static>>>,
}

pub(crate) fn open(c: &Client, filter: &EventFilter) -> Result<EventStream, SdkError> {
    let mut req = c.agent.get(&format!("{}/v1/events", c.base));
    for (k, v) in crate::query_pairs(filter)? {
        req = req.query(&k, &v);
    }
    let resp = match req.call() {
        Ok(r) => r,
        Err(e) => return Err(crate::error_of(e)),
    };
    Ok(EventStream {
        lines: std::io::BufReader::new(resp.into_reader()).lines(),
    })
}

impl Iterator for EventStream {
    type Item = Result<EventRecord, SdkError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let line = match self.lines.next()? {
                Ok(l) => l,
                Err(e) => return Some(Err(SdkError::Transport(e.to_string()))),
            };
            if let Some(data) = line.strip_prefix("data:") {
                return Some(serde_json::from_str(data.trim()).map_err(|e| SdkError::Decode(e.to_string())));
            }
        }
    }
}
