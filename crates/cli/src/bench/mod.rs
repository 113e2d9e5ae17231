//! `sinew bench`: benchmarks that print their figures (never run as tests).

mod attribution;
mod bft;
mod explorer;
mod hostile;
mod inference;
mod ingest;
mod ledger;
mod synthetic;
mod tasks;
mod version;

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
    /// Inference through the OpenAI-compatible gateway: answers/s and latency; gateway overhead.
    Inference(inference::InferenceArgs),
    /// Full task lifecycles per second with many agents.
    Tasks(tasks::TasksArgs),
    /// A node under hostile requests to every endpoint while honest transfers flow.
    Hostile(hostile::HostileArgs),
    /// Signed transfers finalized per second and finality latency with several validators,
    /// beside a single node.
    Bft(bft::BftArgs),
    /// Explorer pages on a chain of many blocks: latency per page kind.
    Explorer(explorer::ExplorerArgs),
    /// A datanet version of gigabytes built from scratch as a node does, within a memory budget.
    Version(version::VersionArgs),
}

/// Runs a benchmark.
pub fn run(cmd: BenchCmd) -> Result<()> {
    match cmd {
        BenchCmd::Ledger(a) => ledger::run(a),
        BenchCmd::Ingest(a) => ingest::run(a),
        BenchCmd::Attribution(a) => attribution::run(a),
        BenchCmd::Inference(a) => inference::run(a),
        BenchCmd::Tasks(a) => tasks::run(a),
        BenchCmd::Hostile(a) => hostile::run(a),
        BenchCmd::Bft(a) => bft::run(a),
        BenchCmd::Explorer(a) => explorer::run(a),
        BenchCmd::Version(a) => version::run(a),
    }
}

/// The `p` quantile (0..=1) of `v` (sorted in place).
pub(crate) fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    v[((v.len() - 1) as f64 * p).round() as usize]
}
