//! The node: a small core composing its roles. The ledger (chain, store, blobs) answers reads;
//! admission runs submitted transactions through its pipeline into the mempool; fan-out tells
//! waiters, subscribers and the head what each durable block decided; the gateway (when this
//! node serves models) is a client of the ledger through [`LedgerHandle`].

use crate::admission::{self, Admission, Admitted};
use crate::clock::{Clock, SystemClock};
use crate::config::NodeConfig;
use crate::fanout::FanOut;
use crate::gateway::{Answer, Gateway, GatewayConfig, GatewayError, InferenceRequest};
use crate::ledger::Ledger;
use crate::metrics::Metrics;
use sinew_state::{BlockEffects, Genesis, TxRejection};
use sinew_types::wire::SubmitOutcome;
use sinew_types::{Block, BlockHeader, Height, Keypair, Params, SignedTransaction, TxId};
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tokio::sync::{broadcast, watch};

pub use crate::error::NodeError;
pub use crate::fanout::EventRecord;
pub use sinew_types::wire::ProvenValue;

/// A running node's state.
pub struct Node {
    /// The committed ledger: chain, store, blobs.
    pub ledger: Ledger,
    pub(crate) admission: Admission,
    pub(crate) fanout: FanOut,
    /// The inference gateway, when this node serves models.
    gateway: OnceLock<Arc<Gateway>>,
    /// Where the node reads the time (block timestamps, request ids).
    pub(crate) clock: Arc<dyn Clock>,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// The node's configuration.
    pub config: NodeConfig,
    /// Costly API requests running (attribution, index builds, record reads).
    pub(crate) heavy: Arc<tokio::sync::Semaphore>,
    /// Records recently read for the API.
    pub(crate) records: crate::record_cache::RecordTexts,
    /// Transactions admitted from this node's clients, for its peers (when a validator).
    pub(crate) outbox: crate::outbox::Outbox,
    /// What the BFT engine says about consensus (when a validator).
    consensus: OnceLock<Arc<dyn sinew_consensus::ConsensusInfo>>,
}

impl Node {
    /// Opens the node's data directory: resumes the stored chain (checking its state against the
    /// last header) or starts a new one from `genesis`.
    pub fn open(config: &NodeConfig, genesis: Option<Genesis>) -> Result<Node, NodeError> {
        Node::open_with_clock(config, genesis, Arc::new(SystemClock))
    }

    /// [`Node::open`] with the clock the node reads (tests and simulations drive their own).
    pub fn open_with_clock(
        config: &NodeConfig,
        genesis: Option<Genesis>,
        clock: Arc<dyn Clock>,
    ) -> Result<Node, NodeError> {
        let ledger = Ledger::open(config, genesis)?;
        let height = ledger.head().height;
        let metrics = Metrics::default();
        metrics.head_height.set(height as i64);
        Ok(Node {
            ledger,
            admission: Admission::new(config.mempool.clone()),
            fanout: FanOut::new(height),
            gateway: OnceLock::new(),
            clock,
            metrics,
            heavy: Arc::new(tokio::sync::Semaphore::new(config.api.max_heavy_requests.max(1))),
            records: Default::default(),
            outbox: Default::default(),
            consensus: OnceLock::new(),
            config: config.clone(),
        })
    }

    /// The chain id.
    pub fn chain_id(&self) -> &str {
        self.ledger.chain_id()
    }

    /// The genesis document.
    pub fn genesis(&self) -> &Genesis {
        self.ledger.genesis()
    }

    /// Parameters in force for the next block.
    pub fn params(&self) -> Params {
        self.ledger.params()
    }

    /// The last committed header.
    pub fn head(&self) -> BlockHeader {
        self.ledger.head()
    }

    /// A watch on the committed head height.
    pub fn watch_head(&self) -> watch::Receiver<Height> {
        self.fanout.watch_head()
    }

    /// A stream of events from the next committed block on.
    pub fn subscribe_events(&self) -> broadcast::Receiver<Arc<EventRecord>> {
        self.fanout.subscribe_events()
    }

    /// Waiting transactions.
    pub fn pending(&self) -> usize {
        self.admission.pending()
    }

    /// Checks and admits transactions. Signatures are batch-verified over all cores; each
    /// transaction is then checked against committed state. With `watch`, each admitted
    /// transaction gets a receiver that resolves when it is committed or dropped.
    pub fn submit(&self, txs: Vec<SignedTransaction>, watch: bool) -> Vec<Admitted> {
        self.submit_with(txs, watch, true)
    }

    /// [`Node::submit`], optionally without the admission dry run (for the node's own
    /// transactions whose outcome the caller waits for and handles).
    pub(crate) fn submit_with(&self, txs: Vec<SignedTransaction>, watch: bool, dry_run: bool) -> Vec<Admitted> {
        let copies = self.outbox.enabled().then(|| txs.clone());
        let admitted = self.admit(txs, watch, dry_run);
        if let Some(copies) = copies {
            self.outbox.push(
                copies
                    .into_iter()
                    .zip(&admitted)
                    .filter(|(_, (_, r))| r.is_ok())
                    .map(|(tx, _)| tx),
            );
        }
        admitted
    }

    /// Admits transactions a peer validator sent (never sent on again).
    pub(crate) fn submit_from_peer(&self, txs: Vec<SignedTransaction>) -> Vec<Admitted> {
        self.admit(txs, false, true)
    }

    fn admit(&self, txs: Vec<SignedTransaction>, watch: bool, dry_run: bool) -> Vec<Admitted> {
        let cx = admission::Context {
            ledger: &self.ledger,
            fanout: &self.fanout,
            metrics: &self.metrics,
        };
        self.admission.submit(&cx, txs, watch, dry_run)
    }

    /// Where transaction `id` stands.
    pub fn tx_state(&self, id: &TxId) -> Result<Option<SubmitOutcome>, NodeError> {
        if self.admission.is_pending(id) {
            return Ok(Some(SubmitOutcome::Pending));
        }
        if let Some(committed) = self.ledger.committed(id)? {
            return Ok(Some(committed));
        }
        Ok(self.fanout.dropped(id))
    }

    /// Hands the node its consensus engine's monitor (a validator, once the engine runs).
    pub fn set_consensus(&self, info: Arc<dyn sinew_consensus::ConsensusInfo>) {
        let _ = self.consensus.set(info);
    }

    /// The consensus engine's monitor, when this node is a validator.
    pub fn consensus(&self) -> Option<&Arc<dyn sinew_consensus::ConsensusInfo>> {
        self.consensus.get()
    }

    /// The gateway, if this node serves models.
    pub fn gateway(&self) -> Option<&Gateway> {
        self.gateway.get().map(|g| &**g)
    }

    /// Turns this node into a gateway serving the models of provider `key`.
    pub fn serve_models(&self, key: Keypair, config: GatewayConfig) {
        let _ = self.gateway.set(Arc::new(Gateway::new(key, config)));
    }

    /// Answers one inference request through this node's gateway.
    pub fn infer(&self, api_key: Option<&str>, req: &InferenceRequest) -> Result<Answer, GatewayError> {
        self.gateway()
            .ok_or(GatewayError::NotServing)?
            .infer(self, api_key, req)
    }

    /// The models this node's gateway serves, by name.
    pub fn served_models(&self) -> Result<Vec<sinew_state::Model>, GatewayError> {
        self.gateway().ok_or(GatewayError::NotServing)?.served_models(self)
    }

    /// Called by the sequencer when a block is executed and applied in memory, before it is
    /// durable: its transactions leave the mempool and count as in flight until `after_commit`.
    pub(crate) fn begin_inflight(&self, included: &[TxId], dropped: &[(TxId, TxRejection)]) {
        self.admission.begin_inflight(included, dropped, &self.metrics);
    }

    /// Answers waiters of transactions dropped without inclusion and remembers why.
    pub(crate) fn record_drops(&self, dropped: &[(TxId, TxRejection)]) {
        self.fanout.record_drops(dropped);
        self.metrics.txs_dropped.inc_by(dropped.len() as u64);
    }

    /// Called by the orderer after a block is durable: the blobs it names are kept, the ledger
    /// serves it, admission forgets its transactions, fan-out tells everyone.
    pub(crate) fn after_commit(
        &self,
        block: &Block,
        effects: &BlockEffects,
        dropped: Vec<(TxId, TxRejection)>,
        started: Instant,
    ) {
        let height = block.header.height;
        self.pin_named_blobs(block);
        self.admission.end_inflight(&effects.tx_ids);
        self.ledger.mark_durable(&block.header);
        self.record_drops(&dropped);
        self.fanout.committed(height, effects);
        self.metrics.blocks_committed.inc();
        self.metrics.txs_committed.inc_by(effects.tx_ids.len() as u64);
        self.metrics.head_height.set(height as i64);
        self.metrics
            .block_commit_seconds
            .observe(started.elapsed().as_secs_f64());
    }

    /// Blobs that transactions in a block name stay for good, whatever their admission saw.
    fn pin_named_blobs(&self, block: &Block) {
        for t in &block.txs {
            for (blob, required) in t.tx.payload.blobs() {
                match self.ledger.blobs.store.pin(&blob) {
                    Ok(()) => {}
                    // A spec the ledger never reads need not exist (its hash names the work).
                    Err(sinew_store::BlobError::NotFound(_)) if !required => {}
                    Err(e) => tracing::warn!(
                        "blob {blob} named at height {} cannot be pinned: {e}",
                        block.header.height
                    ),
                }
            }
        }
    }
}
