//! `sinew bench`: benchmarks that print their figures (never run as tests).

mod attribution;
mod ingest;
mod ledger;

use anyhow::Result;
use clap::Subcommand;

/// Benchmarks.
#[derive(Subcommand)]
pub enum BenchCmd {
    /// Signed transfers per second, durable, in-process and end to end over HTTP.
    Ledger(ledger::LedgerArgs),
    /// Datanet ingestion end to end: generate, upload, contribute, publish.
    Ingest(ingest::IngestArgs),
    /// Suffix-array index build, n-gram queries and maximal-span attribution.
    Attribution(attribution::AttributionArgs),
}

/// Runs a benchmark.
pub fn run(cmd: BenchCmd) -> Result<()> {
    match cmd {
        BenchCmd::Ledger(a) => ledger::run(a),
        BenchCmd::Ingest(a) => ingest::run(a),
        BenchCmd::Attribution(a) => attribution::run(a),
    }
}
