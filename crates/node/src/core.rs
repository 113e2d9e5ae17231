//! The node's shared state: store, chain, mempool, waiters and event fan-out, and the operations
//! the API and the orderer perform on them.

use crate::config::NodeConfig;
use crate::mempool::{AdmitError, Mempool};
use crate::metrics::Metrics;
use parking_lot::{Condvar, Mutex, RwLock};
use serde::Serialize;
use sinew_state::{read, stateless_checks};
use sinew_state::{Account, Chain, Genesis, StateKey, StateProof, TxRejection};
use sinew_store::{BlobStore, IngestingBlobs, Store, StoreError};
use sinew_types::signing::verify_many_on;
use sinew_types::wire::SubmitOutcome;
use sinew_types::{Address, Block, Event, Hash, Height, Params, Payload, SignedTransaction, TxId};
use std::collections::VecDeque;

/// Hash maps keyed by transaction ids: foldhash, randomly seeded per process.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
use sinew_types::payload::{Contribute, DatanetTx, InferenceTx, PostTask, RegisterModel, StakingTx, TaskTx};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{broadcast, oneshot, watch};

/// Why the node could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The data directory and the configuration disagree, or files are damaged.
    #[error("{0}")]
    Setup(String),
    /// A query named a height whose state is not kept.
    #[error("{0}")]
    NotAvailable(String),
}

/// An event as streamed to subscribers.
#[derive(Clone, Debug, Serialize)]
pub struct EventRecord {
    /// Height of the block that emitted it.
    pub height: Height,
    /// The transaction that emitted it (none for block events).
    pub tx_id: Option<TxId>,
    /// The event.
    #[serde(flatten)]
    pub event: Event,
}

/// A value of state with its proof against the state root of a height.
#[derive(Clone, Debug, Serialize)]
pub struct ProvenValue {
    /// Height whose state was read.
    pub height: Height,
    /// That block's state root.
    pub state_root: Hash,
    /// The state key, hex.
    pub key: String,
    /// The value, hex (absent: the key is not in state).
    pub value: Option<String>,
    /// The Merkle proof, hex.
    pub proof: String,
}

/// Payloads the node dry-runs at admission, so one that would only fail is refused for free:
/// those whose outcome depends on more than a balance but whose check costs only a few state
/// reads. Payloads that make the ledger ingest, attribute or recompute are never dry-run: a
/// stranger could otherwise have the node do that work for free, again and again. They pay for
/// their work (`Payload::work_units`) even when they fail.
fn needs_dry_run(p: &Payload) -> bool {
    !matches!(
        p,
        Payload::Staking(StakingTx::Transfer(_))
            | Payload::Staking(StakingTx::Stake(_))
            | Payload::Staking(StakingTx::Unstake(_))
            | Payload::Staking(StakingTx::SetParams(_))
            | Payload::Datanet(DatanetTx::Contribute(_))
            | Payload::Inference(InferenceTx::SettleInference(_))
            | Payload::Tasks(TaskTx::SubmitResult(_))
            | Payload::Tasks(TaskTx::Challenge(_))
            | Payload::Datanet(DatanetTx::ExpireContribution(_))
    ) && !matches!(p, Payload::Tasks(TaskTx::PostTask(PostTask { kind, .. })) if sinew_types::task::recomputable(kind))
}

/// The blobs a payload names, and whether the ledger reads them (then they must be here): the
/// node keeps them all for good.
pub(crate) fn named_blobs(p: &Payload) -> Vec<(Hash, bool)> {
    match p {
        Payload::Datanet(DatanetTx::Contribute(Contribute { blob, .. })) => vec![(*blob, true)],
        Payload::Tasks(TaskTx::PostTask(PostTask { spec, kind, .. })) => {
            vec![(*spec, sinew_types::task::recomputable(kind))]
        }
        Payload::Inference(InferenceTx::RegisterModel(RegisterModel { info, .. })) => {
            info.adapter_blob.iter().map(|b| (*b, false)).collect()
        }
        _ => vec![],
    }
}

/// What the cheap admission checks learned of a transaction's signer.
struct Checked {
    nonce: u64,
    balance: sinew_types::Amount,
    fee: sinew_types::Amount,
    next_in_line: bool,
}

/// A counting semaphore for blocking threads.
struct Slots {
    free: Mutex<usize>,
    cv: Condvar,
}

/// A held slot; released on drop.
struct Slot<'a>(&'a Slots);

impl Slots {
    fn new(n: usize) -> Slots {
        Slots {
            free: Mutex::new(n),
            cv: Condvar::new(),
        }
    }

    fn acquire(&self) -> Slot<'_> {
        let mut free = self.free.lock();
        while *free == 0 {
            self.cv.wait(&mut free);
        }
        *free -= 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock() += 1;
        self.0.cv.notify_one();
    }
}

/// Recently dropped transactions, so their status stays answerable for a while.
struct RecentDrops {
    map: HashMap<TxId, (String, String)>,
    order: VecDeque<TxId>,
}

const RECENT_DROPS: usize = 100_000;

/// A running node's state.
pub struct Node {
    pub(crate) store: Store,
    pub(crate) chain: RwLock<Chain>,
    pub(crate) genesis: Genesis,
    pub(crate) pool: Mutex<Mempool>,
    /// Uploaded blobs (datanet contributions), which the state machine reads through this.
    pub blobs: IngestingBlobs,
    pub(crate) pool_cv: Condvar,
    /// Concurrent signature verifications allowed (cores - 1, at least 1).
    verify_slots: Slots,
    /// Transactions in a block that is executed but not yet durable.
    inflight: Mutex<HashSet<TxId>>,
    /// The inference gateway, when this node serves models.
    pub(crate) gateway: std::sync::OnceLock<Arc<crate::gateway::Gateway>>,
    /// The last durable header: what the API serves.
    durable: RwLock<sinew_types::BlockHeader>,
    params: RwLock<Params>,
    waiters: Mutex<HashMap<TxId, Vec<oneshot::Sender<SubmitOutcome>>>>,
    drops: Mutex<RecentDrops>,
    events: broadcast::Sender<Arc<EventRecord>>,
    head: watch::Sender<Height>,
    /// Prometheus metrics.
    pub metrics: Metrics,
    pub(crate) proposer: Address,
    /// The node's configuration.
    pub config: crate::config::NodeConfig,
    /// Costly API requests running (attribution, index builds, record reads).
    pub(crate) heavy: Arc<tokio::sync::Semaphore>,
    /// Event stream subscribers.
    pub(crate) subscribers: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// Records recently read for the API.
    pub(crate) records: Mutex<crate::record_cache::RecordCache>,
}

impl Node {
    /// Opens the node's data directory: resumes the stored chain (checking its state against the
    /// last header) or starts a new one from `genesis`.
    pub fn open(config: &NodeConfig, genesis: Option<Genesis>) -> Result<Node, NodeError> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| NodeError::Setup(format!("cannot create {}: {e}", config.data_dir.display())))?;
        let store = Store::open(&config.data_dir.join("db"))?;
        let retain = config.proof_retain_blocks;
        let (chain, genesis) = match (store.head()?, store.genesis()?) {
            (Some(head), Some(stored)) => {
                if let Some(g) = &genesis {
                    if *g != stored {
                        return Err(NodeError::Setup(
                            "the data directory holds a chain with a different genesis".into(),
                        ));
                    }
                }
                let chain =
                    Chain::open(head, store.state_entries()?, retain).map_err(|e| NodeError::Setup(e.to_string()))?;
                (chain, stored)
            }
            (None, _) => {
                let g = genesis.ok_or_else(|| NodeError::Setup("empty data directory and no genesis given".into()))?;
                let (mut chain, gb) = Chain::from_genesis(&g, retain).map_err(|e| NodeError::Setup(e.to_string()))?;
                store.init_genesis(&g, &gb.block, &gb.effects)?;
                chain.commit(gb);
                (chain, g)
            }
            (Some(_), None) => return Err(NodeError::Setup("database has blocks but no genesis: damaged".into())),
        };
        let params: Params = read(&store.snapshot()?, &StateKey::Params)
            .map_err(|e| NodeError::Setup(e.to_string()))?
            .ok_or_else(|| NodeError::Setup("no params in state".into()))?;
        let head = chain.head().clone();
        let height = head.height;
        let metrics = Metrics::default();
        metrics.head_height.set(height as i64);
        Ok(Node {
            store,
            chain: RwLock::new(chain),
            genesis,
            pool: Mutex::new(Mempool::new(config.mempool.clone())),
            blobs: IngestingBlobs::with_indexes(
                BlobStore::open(&config.data_dir.join("blobs")).map_err(|e| NodeError::Setup(e.to_string()))?,
                config.data_dir.join("indexes"),
            ),
            pool_cv: Condvar::new(),
            verify_slots: Slots::new(
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
                    .saturating_sub(1)
                    .max(1),
            ),
            inflight: Mutex::new(HashSet::default()),
            gateway: std::sync::OnceLock::new(),
            durable: RwLock::new(head),
            params: RwLock::new(params),
            waiters: Mutex::new(HashMap::default()),
            drops: Mutex::new(RecentDrops {
                map: HashMap::default(),
                order: VecDeque::new(),
            }),
            events: broadcast::channel(1 << 16).0,
            head: watch::channel(height).0,
            metrics,
            proposer: Address::module("sequencer"),
            heavy: Arc::new(tokio::sync::Semaphore::new(config.api.max_heavy_requests.max(1))),
            subscribers: Default::default(),
            records: crate::record_cache::new_cache(),
            config: config.clone(),
        })
    }

    /// The chain id.
    pub fn chain_id(&self) -> &str {
        &self.genesis.chain_id
    }

    /// The genesis document.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// Parameters in force for the next block.
    pub fn params(&self) -> Params {
        self.params.read().clone()
    }

    /// The last committed header.
    pub fn head(&self) -> sinew_types::BlockHeader {
        self.durable.read().clone()
    }

    /// A watch on the committed head height.
    pub fn watch_head(&self) -> watch::Receiver<Height> {
        self.head.subscribe()
    }

    /// A stream of events from the next committed block on.
    pub fn subscribe_events(&self) -> broadcast::Receiver<Arc<EventRecord>> {
        self.events.subscribe()
    }

    /// Waiting transactions.
    pub fn pending(&self) -> usize {
        self.pool.lock().len()
    }

    /// Checks and admits transactions. Signatures are batch-verified over all cores; each
    /// transaction is then checked against committed state. With `watch`, each admitted
    /// transaction gets a receiver that resolves when it is committed or dropped.
    #[allow(clippy::type_complexity)]
    pub fn submit(
        &self,
        txs: Vec<SignedTransaction>,
        watch: bool,
    ) -> Vec<(TxId, Result<Option<oneshot::Receiver<SubmitOutcome>>, AdmitError>)> {
        self.submit_with(txs, watch, true)
    }

    /// [`Node::submit`], optionally without the admission dry run (for the node's own
    /// transactions whose outcome the caller waits for and handles).
    #[allow(clippy::type_complexity)]
    pub(crate) fn submit_with(
        &self,
        txs: Vec<SignedTransaction>,
        watch: bool,
        dry_run: bool,
    ) -> Vec<(TxId, Result<Option<oneshot::Receiver<SubmitOutcome>>, AdmitError>)> {
        let prepared: Vec<_> = txs.into_iter().map(|t| t.prepare()).collect();
        let items: Vec<_> = prepared.iter().map(|p| p.sig_item()).collect();
        let sigs = {
            // Verification is the heaviest step of admission; bound how many cores it may take so
            // that block production (one core) is never starved by a flood of submissions.
            let _permit = self.verify_slots.acquire();
            verify_many_on(&items, 1)
        };
        drop(items);
        let params = self.params();
        let chain_id = self.genesis.chain_id.clone();
        // Cheap checks first, against the in-memory state tree (no disk reads, a short read
        // lock): signature, size, chain, fee, the signer's account, nonce and balance.
        let checked: Vec<Result<Checked, AdmitError>> = {
            let chain = self.chain.read();
            let state = chain.tree();
            prepared
                .iter()
                .zip(sigs)
                .map(|(ptx, sig)| {
                    sig.map_err(TxRejection::from)?;
                    stateless_checks(&chain_id, &params, ptx)?;
                    let signer = ptx.tx.tx.signer;
                    let acct: Account = read(state, &StateKey::Account(signer))
                        .map_err(TxRejection::from)?
                        .ok_or(TxRejection::UnknownAccount(signer))?;
                    if ptx.tx.tx.nonce < acct.nonce {
                        return Err(TxRejection::NonceTooLow {
                            expected: acct.nonce,
                            got: ptx.tx.tx.nonce,
                        }
                        .into());
                    }
                    let fee = ptx.fee(&params);
                    if acct.balance < fee {
                        return Err(TxRejection::CannotPayFee {
                            fee,
                            balance: acct.balance,
                        }
                        .into());
                    }
                    // The mempool's cheap refusals come before any costly step too.
                    let (taken, queued) = {
                        let pool = self.pool.lock();
                        if pool.contains(&ptx.id) {
                            return Err(AdmitError::Duplicate(ptx.id));
                        }
                        pool.queued(&signer, ptx.tx.tx.nonce)
                    };
                    if taken {
                        return Err(AdmitError::NonceTaken(ptx.tx.tx.nonce));
                    }
                    Ok(Checked {
                        nonce: acct.nonce,
                        balance: acct.balance,
                        fee,
                        // Next in line for its signer: nothing can take its fee away before it
                        // executes, so work done for it now is paid for.
                        next_in_line: ptx.tx.tx.nonce == acct.nonce && queued == 0,
                    })
                })
                .collect()
        };
        // Then the costly part, holding no lock block production needs, one admission at a time
        // per spare core: a contribution next in line for its signer gets its blob ingested
        // (cached, so the block does not wait for it; it will pay for the work, failing or not);
        // cheap payloads are dry-run against the durable snapshot.
        let checked: Vec<Result<Checked, AdmitError>> = prepared
            .iter()
            .zip(checked)
            .map(|(ptx, c)| {
                let c = c?;
                let payload = &ptx.tx.tx.payload;
                // Blobs a transaction names are kept for good from now on (durably, before the
                // transaction can be included); one the ledger must read has to be here already.
                for (blob, required) in named_blobs(payload) {
                    match self.blobs.store.pin(&blob) {
                        Ok(()) => {}
                        Err(sinew_store::BlobError::NotFound(_)) if required => {
                            return Err(AdmitError::Rejected(TxRejection::MissingBlob(blob)))
                        }
                        Err(sinew_store::BlobError::NotFound(_)) => {}
                        Err(e) => {
                            return Err(AdmitError::Rejected(TxRejection::Unavailable(format!(
                                "cannot keep blob {blob}: {e}"
                            ))))
                        }
                    }
                }
                if let Payload::Datanet(DatanetTx::Contribute(Contribute { blob, format, .. })) = payload {
                    if !c.next_in_line {
                        return Ok(c);
                    }
                    let _slot = self.verify_slots.acquire();
                    let _ = sinew_state::BlobSource::records(&self.blobs, blob, format);
                } else if dry_run && needs_dry_run(payload) && ptx.tx.tx.nonce == c.nonce {
                    let _slot = self.verify_slots.acquire();
                    self.dry_run(ptx)?;
                }
                Ok(c)
            })
            .collect();
        let mut out = Vec::with_capacity(prepared.len());
        let mut pool = self.pool.lock();
        let inflight = self.inflight.lock();
        for (ptx, check) in prepared.into_iter().zip(checked) {
            let id = ptx.id;
            let result = (|| {
                if inflight.contains(&id) {
                    return Err(AdmitError::Duplicate(id));
                }
                let c = check?;
                let rx = if watch {
                    let (tx, rx) = oneshot::channel();
                    self.waiters.lock().entry(id).or_default().push(tx);
                    Some(rx)
                } else {
                    None
                };
                if let Err(e) = pool.admit(ptx, c.nonce, c.balance, c.fee) {
                    if watch {
                        self.waiters.lock().remove(&id);
                    }
                    return Err(e);
                }
                Ok(rx)
            })();
            match &result {
                Ok(_) => self.metrics.txs_admitted.inc(),
                Err(_) => self.metrics.txs_refused.inc(),
            };
            out.push((id, result));
        }
        self.metrics.mempool_size.set(pool.len() as i64);
        drop(inflight);
        drop(pool);
        self.pool_cv.notify_all();
        out
    }

    /// Runs a transaction's payload on a scratch block over the durable state: one that would
    /// only fail (and pay a fee for nothing) is refused with the failure's reason instead. No
    /// lock is held: block production goes on meanwhile.
    fn dry_run(&self, ptx: &sinew_types::tx::PreparedTx) -> Result<(), AdmitError> {
        let snapshot = self
            .store
            .snapshot()
            .map_err(|e| TxRejection::from(sinew_state::StorageError(e.to_string())))?;
        let height = self.durable.read().height + 1;
        let mut ex = sinew_state::BlockExecutor::begin(&snapshot, &self.blobs, height).map_err(TxRejection::from)?;
        match ex.trial(ptx)? {
            None => Ok(()),
            Some((code, message)) => Err(AdmitError::WouldFail { code, message }),
        }
    }

    /// Where transaction `id` stands.
    pub fn tx_state(&self, id: &TxId) -> Result<Option<SubmitOutcome>, NodeError> {
        if self.pool.lock().contains(id) || self.inflight.lock().contains(id) {
            return Ok(Some(SubmitOutcome::Pending));
        }
        if let Some(loc) = self.store.tx_location(id)? {
            let receipts = self
                .store
                .receipts(loc.height)?
                .ok_or_else(|| NodeError::Setup(format!("block {} has no receipts", loc.height)))?;
            let receipt = receipts
                .receipts
                .get(loc.index as usize)
                .cloned()
                .ok_or_else(|| NodeError::Setup("tx index points past the receipts".into()))?;
            return Ok(Some(SubmitOutcome::Committed {
                height: loc.height,
                index: loc.index,
                receipt,
            }));
        }
        Ok(self
            .drops
            .lock()
            .map
            .get(id)
            .map(|(code, reason)| SubmitOutcome::Dropped {
                code: code.clone(),
                reason: reason.clone(),
            }))
    }

    /// An account at `height` (default: head) with its proof against that height's state root.
    pub fn account(
        &self,
        address: &Address,
        height: Option<Height>,
    ) -> Result<(Option<Account>, ProvenValue), NodeError> {
        let pv = self.prove(&StateKey::Account(*address).encode(), height)?;
        let acct = match &pv.value {
            Some(v) => Some(
                borsh::from_slice(&hex::decode(v).expect("we encoded it"))
                    .map_err(|e| NodeError::Setup(format!("corrupt account: {e}")))?,
            ),
            None => None,
        };
        Ok((acct, pv))
    }

    /// Any state key's value at `height` (default: head) with its proof.
    pub fn prove(&self, key: &[u8], height: Option<Height>) -> Result<ProvenValue, NodeError> {
        let h = height.unwrap_or_else(|| self.durable.read().height);
        if h > self.durable.read().height {
            return Err(NodeError::NotAvailable(format!("no block at height {h} yet")));
        }
        let chain = self.chain.read();
        let (value, StateProof(proof)) = chain
            .prove(key, h)
            .map_err(|e| NodeError::NotAvailable(e.to_string()))?;
        drop(chain);
        let header = self
            .store
            .block(h)?
            .ok_or_else(|| NodeError::NotAvailable(format!("no block at height {h}")))?
            .header;
        Ok(ProvenValue {
            height: h,
            state_root: header.state_root,
            key: hex::encode(key),
            value: value.map(hex::encode),
            proof: hex::encode(proof),
        })
    }

    /// The block at `height`.
    pub fn block(&self, height: Height) -> Result<Option<Block>, NodeError> {
        Ok(self.store.block(height)?)
    }

    /// The height of the block whose header hash is `hash`.
    pub fn height_of(&self, hash: &Hash) -> Result<Option<Height>, NodeError> {
        Ok(self.store.height_of(hash)?)
    }

    /// Receipts of the block at `height`.
    pub fn receipts(&self, height: Height) -> Result<Option<sinew_store::BlockReceipts>, NodeError> {
        Ok(self.store.receipts(height)?)
    }

    /// Called by the sequencer when a block is executed and applied in memory, before it is
    /// durable: its transactions leave the mempool and count as in flight until `after_commit`.
    pub(crate) fn begin_inflight(&self, included: &[TxId], dropped: &[(TxId, TxRejection)]) {
        let mut pool = self.pool.lock();
        pool.included(included.iter().copied());
        pool.remove(dropped.iter().map(|(id, _)| *id));
        self.metrics.mempool_size.set(pool.len() as i64);
        self.inflight.lock().extend(included.iter().copied());
    }

    /// Resolves waiters of transactions dropped without inclusion and remembers why.
    pub(crate) fn record_drops(&self, dropped: &[(TxId, TxRejection)]) {
        if dropped.is_empty() {
            return;
        }
        {
            let mut waiters = self.waiters.lock();
            for (id, why) in dropped {
                for w in waiters.remove(id).unwrap_or_default() {
                    let _ = w.send(SubmitOutcome::Dropped {
                        code: why.code().into(),
                        reason: why.to_string(),
                    });
                }
            }
        }
        let mut d = self.drops.lock();
        for (id, why) in dropped {
            d.map.insert(*id, (why.code().into(), why.to_string()));
            d.order.push_back(*id);
        }
        while d.order.len() > RECENT_DROPS {
            let old = d.order.pop_front().expect("non-empty");
            d.map.remove(&old);
        }
        self.metrics.txs_dropped.inc_by(dropped.len() as u64);
    }

    /// Called by the orderer after a block is durable: updates the mempool, resolves waiters,
    /// publishes events and metrics.
    pub(crate) fn after_commit(
        &self,
        block: &Block,
        effects: &sinew_state::BlockEffects,
        dropped: Vec<(TxId, TxRejection)>,
        started: Instant,
    ) {
        let height = block.header.height;
        // Blobs that transactions in the block name stay for good, whatever their admission saw.
        for t in &block.txs {
            for (blob, required) in named_blobs(&t.tx.payload) {
                match self.blobs.store.pin(&blob) {
                    Ok(()) => {}
                    // A spec the ledger never reads need not exist (its hash names the work).
                    Err(sinew_store::BlobError::NotFound(_)) if !required => {}
                    Err(e) => tracing::warn!("blob {blob} named at height {height} cannot be pinned: {e}"),
                }
            }
        }
        {
            let mut inflight = self.inflight.lock();
            for id in &effects.tx_ids {
                inflight.remove(id);
            }
        }
        *self.durable.write() = block.header.clone();
        if let Ok(Some(p)) = read::<Params, _>(self.chain.read().tree(), &StateKey::Params) {
            *self.params.write() = p;
        }
        {
            let mut waiters = self.waiters.lock();
            if !waiters.is_empty() {
                for (i, (id, r)) in effects.tx_ids.iter().zip(&effects.receipts).enumerate() {
                    for w in waiters.remove(id).unwrap_or_default() {
                        let _ = w.send(SubmitOutcome::Committed {
                            height,
                            index: i as u32,
                            receipt: r.clone(),
                        });
                    }
                }
            }
        }
        self.record_drops(&dropped);
        if self.events.receiver_count() > 0 {
            for e in &effects.block_events {
                let _ = self.events.send(Arc::new(EventRecord {
                    height,
                    tx_id: None,
                    event: e.clone(),
                }));
            }
            for r in &effects.receipts {
                for e in &r.events {
                    let _ = self.events.send(Arc::new(EventRecord {
                        height,
                        tx_id: Some(r.tx_id),
                        event: e.clone(),
                    }));
                }
            }
        }
        self.metrics.blocks_committed.inc();
        self.metrics.txs_committed.inc_by(effects.tx_ids.len() as u64);
        self.metrics.head_height.set(height as i64);
        self.metrics
            .block_commit_seconds
            .observe(started.elapsed().as_secs_f64());
        self.head.send_replace(height);
    }
}
