//! Starting and stopping a node: the orderer on its own thread, the API on tokio.

use crate::api::router;
use crate::app::NodeApp;
use crate::config::NodeConfig;
use crate::core::{Node, NodeError};
use crate::replica::NodeReplica;
use sinew_consensus::{AppError, Orderer, Sequencer, SequencerConfig};
use sinew_state::Genesis;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A node serving its API.
pub struct RunningNode {
    /// The node's shared state.
    pub node: Arc<Node>,
    /// The address the API listens on.
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    orderer: Option<std::thread::JoinHandle<Result<(), sinew_consensus::AppError>>>,
    server: tokio::task::JoinHandle<()>,
}

impl RunningNode {
    /// The API base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the orderer (finishing the block in progress) and the server.
    pub async fn shutdown(mut self) -> Result<(), NodeError> {
        self.stop.store(true, Ordering::Release);
        self.node.admission.pool_cv.notify_all();
        self.server.abort();
        if let Some(h) = self.orderer.take() {
            let r = tokio::task::spawn_blocking(move || h.join())
                .await
                .map_err(|e| NodeError::Setup(e.to_string()))?;
            r.map_err(|_| NodeError::Setup("orderer thread panicked".into()))?
                .map_err(|e| NodeError::Setup(e.to_string()))?;
        }
        Ok(())
    }

    /// Whether the orderer has stopped (on a fatal error: a validator that refused to run, a
    /// failed commit), so the process can exit with its error.
    pub fn orderer_stopped(&self) -> bool {
        self.orderer.as_ref().is_none_or(|h| h.is_finished())
    }

    /// Waits until the orderer stops (it only stops on a fatal error or shutdown).
    pub async fn wait(mut self) -> Result<(), NodeError> {
        let h = self.orderer.take().expect("orderer running");
        let r = tokio::task::spawn_blocking(move || h.join())
            .await
            .map_err(|e| NodeError::Setup(e.to_string()))?;
        r.map_err(|_| NodeError::Setup("orderer thread panicked".into()))?
            .map_err(|e| NodeError::Setup(e.to_string()))
    }
}

/// Opens the data directory, starts the single-node sequencer and serves the API.
pub async fn start(config: NodeConfig, genesis: Option<Genesis>) -> Result<RunningNode, NodeError> {
    start_with(config, genesis, None).await
}

/// [`start`], also serving the models of `provider` (its key signs their settlements) through
/// the OpenAI-compatible gateway.
pub async fn start_with(
    config: NodeConfig,
    genesis: Option<Genesis>,
    provider: Option<sinew_types::Keypair>,
) -> Result<RunningNode, NodeError> {
    start_ordered(config, genesis, provider, None).await
}

/// Runs a BFT engine over the node's replica, from the genesis block, on the calling thread
/// until the flag is set. The node stays free of any consensus engine: the binary passes one.
pub type BftRunner =
    Box<dyn FnOnce(Arc<NodeReplica>, sinew_types::Block, Arc<AtomicBool>) -> Result<(), AppError> + Send>;

/// [`start_with`], ordered by `bft` (one validator of several) when given, by the single-node
/// sequencer otherwise.
pub async fn start_ordered(
    config: NodeConfig,
    genesis: Option<Genesis>,
    provider: Option<sinew_types::Keypair>,
    bft: Option<BftRunner>,
) -> Result<RunningNode, NodeError> {
    let c = config.clone();
    let node = Arc::new(
        tokio::task::spawn_blocking(move || Node::open(&c, genesis))
            .await
            .map_err(|e| NodeError::Setup(e.to_string()))??,
    );
    if let Some(key) = provider {
        node.serve_models(key, config.gateway.clone());
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| NodeError::Setup(format!("cannot listen on {}: {e}", config.listen)))?;
    let addr = listener.local_addr().map_err(|e| NodeError::Setup(e.to_string()))?;
    let stop = Arc::new(AtomicBool::new(false));
    let orderer = {
        let node = node.clone();
        let stop = stop.clone();
        let seq = SequencerConfig {
            block_interval: Duration::from_millis(config.block_interval_ms),
            max_pending: config.max_pending,
        };
        let genesis_block = match &bft {
            Some(_) => node
                .ledger
                .block(0)?
                .ok_or_else(|| NodeError::Setup("the genesis block is not stored".into()))?,
            None => sinew_types::Block {
                header: node.head(),
                txs: vec![],
            },
        };
        std::thread::Builder::new()
            .name(if bft.is_some() { "validator" } else { "sequencer" }.into())
            .spawn(move || {
                if let Some(run) = bft {
                    let r = run(Arc::new(NodeReplica::new(node)), genesis_block, stop);
                    if let Err(e) = &r {
                        tracing::error!("validator stopped: {e}");
                    }
                    return r;
                }
                let (mut app, committer) =
                    NodeApp::start(node).map_err(|e| sinew_consensus::AppError::new("starting the committer", e))?;
                let r = Sequencer::new(seq).run(&mut app, &stop);
                if let Err(e) = &r {
                    tracing::error!("orderer stopped: {e}");
                }
                drop(app);
                let _ = committer.join();
                r
            })
            .map_err(|e| NodeError::Setup(e.to_string()))?
    };
    // The API, and the explorer reading through it.
    let api = router(node.clone());
    let app = api.clone().merge(sinew_explorer::routes(api));
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("API server stopped: {e}");
        }
    });
    tracing::info!(%addr, chain_id = node.chain_id(), height = node.head().height, "node started");
    Ok(RunningNode {
        node,
        addr,
        stop,
        orderer: Some(orderer),
        server,
    })
}
