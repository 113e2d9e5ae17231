//! Prometheus metrics of the node.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The node's metrics, registered once.
pub struct Metrics {
    registry: Registry,
    /// Transactions accepted into the mempool.
    pub txs_admitted: Counter,
    /// Transactions refused at submission.
    pub txs_refused: Counter,
    /// Transactions committed in blocks.
    pub txs_committed: Counter,
    /// Transactions dropped from the mempool when proposing.
    pub txs_dropped: Counter,
    /// Blocks committed.
    pub blocks_committed: Counter,
    /// Current head height.
    pub head_height: Gauge,
    /// Transactions waiting.
    pub mempool_size: Gauge,
    /// Seconds to execute and durably commit a block.
    pub block_commit_seconds: Histogram,
    /// Blobs parsed into records (set when the metrics are read).
    pub blob_ingestions: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("sinew");
        let m = Metrics {
            txs_admitted: Counter::default(),
            txs_refused: Counter::default(),
            txs_committed: Counter::default(),
            txs_dropped: Counter::default(),
            blocks_committed: Counter::default(),
            head_height: Gauge::default(),
            mempool_size: Gauge::default(),
            block_commit_seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 14)),
            blob_ingestions: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register(
            "txs_admitted",
            "Transactions accepted into the mempool",
            m.txs_admitted.clone(),
        );
        registry.register(
            "txs_refused",
            "Transactions refused at submission",
            m.txs_refused.clone(),
        );
        registry.register(
            "txs_committed",
            "Transactions committed in blocks",
            m.txs_committed.clone(),
        );
        registry.register(
            "txs_dropped",
            "Transactions dropped from the mempool at proposal",
            m.txs_dropped.clone(),
        );
        registry.register("blocks_committed", "Blocks committed", m.blocks_committed.clone());
        registry.register(
            "head_height",
            "Height of the last committed block",
            m.head_height.clone(),
        );
        registry.register(
            "mempool_size",
            "Transactions waiting in the mempool",
            m.mempool_size.clone(),
        );
        registry.register(
            "block_commit_seconds",
            "Time to execute and durably commit a block",
            m.block_commit_seconds.clone(),
        );
        registry.register(
            "blob_ingestions",
            "Blobs parsed into records since the node started (cache misses)",
            m.blob_ingestions.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// The metrics in Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}
