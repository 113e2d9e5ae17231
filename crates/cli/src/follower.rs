//! `sinew node` as a follower (`[bft] mode = "follower"`): it votes in nothing and trusts no one.
//! It reads blocks and their finalization certificates from validators' public APIs, checks each
//! certificate against the genesis validator set, checks that the blocks it fetched chain up to
//! the certified one, fetches the blobs they need (checked against their ids), re-executes every
//! block through the node's replica and commits it, then serves the read API like any node.
//! A source that lies (a block that does not chain, a certificate that does not verify, a
//! block that does not re-execute to its header) is skipped for the next. Transactions clients
//! submit to a follower are admitted as anywhere and relayed to a source.

use anyhow::{bail, Context, Result};
use sinew_bft::keys as bft_keys;
use sinew_consensus::{AppError, BlobHost, ConsensusInfo, Keep, Replica, TxGossip, Verdict};
use sinew_node::replica::NodeReplica;
use sinew_node::service::BftRunner;
use sinew_sdk::Client;
use sinew_state::Genesis;
use sinew_types::api::answers::{ConsensusStatus, FinalizationView};
use sinew_types::{Block, Hash, Height, SignedTransaction};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Most blocks fetched past the next one while looking for a certificate: a height finalized
/// only through a descendant is proven by the first later block with a certificate of its own.
const LOOKAHEAD: u64 = 64;

/// How long to wait when the sources have nothing new.
const IDLE: Duration = Duration::from_millis(100);

/// The follower's runner: it syncs from `sources` (validator API URLs) until stopped.
pub fn runner(sources: Vec<String>, genesis: &Genesis) -> Result<BftRunner> {
    if sources.is_empty() {
        bail!("a follower needs at least one source (a validator's API URL) in [bft] sources");
    }
    let validators = genesis
        .validators
        .iter()
        .map(|v| {
            bft_keys::public_key(&v.key).with_context(|| format!("genesis validator {} has an invalid key", v.name))
        })
        .collect::<Result<Vec<_>>>()?;
    if validators.is_empty() {
        bail!("the genesis names no validators: there is no certificate to follow");
    }
    let chain_id = genesis.chain_id.clone();
    Ok(Box::new(move |replica, _genesis_block, stop| {
        let certificates = Arc::new(Certificates::default());
        certificates
            .committed
            .store(replica.committed().height, Ordering::Release);
        replica.node().set_consensus(certificates.clone());
        let follower = Follower {
            replica,
            sources: sources.iter().map(|u| (u.clone(), Client::new(u))).collect(),
            validators,
            chain_id,
            certificates,
        };
        follower.run(&stop);
        Ok(())
    }))
}

struct Follower {
    replica: Arc<NodeReplica>,
    sources: Vec<(String, Client)>,
    validators: Vec<bft_keys::ValidatorKey>,
    chain_id: String,
    certificates: Arc<Certificates>,
}

/// What a follower says about consensus: that it follows, and the certificates it checked.
#[derive(Default)]
struct Certificates {
    checked: Mutex<BTreeMap<Height, FinalizationView>>,
    committed: AtomicU64,
}

/// Certificates a follower keeps in memory (the most recent).
const CERTIFICATES_KEPT: usize = 4_096;

impl ConsensusInfo for Certificates {
    fn status(&self) -> ConsensusStatus {
        let checked = self.checked.lock().expect("not poisoned");
        let last = checked.values().next_back();
        ConsensusStatus {
            engine: "follower".into(),
            validator: None,
            epoch: last.map_or(0, |f| f.epoch),
            view: last.map_or(0, |f| f.view),
            leader: None,
            finalized_view: last.map_or(0, |f| f.view),
            finalized_height: self.committed.load(Ordering::Acquire),
            nullified_views: 0,
            peers: vec![],
            faults: vec![],
        }
    }

    fn finalization(&self, height: Height) -> Result<Option<FinalizationView>, AppError> {
        Ok(self.checked.lock().expect("not poisoned").get(&height).cloned())
    }
}

impl Follower {
    fn run(&self, stop: &AtomicBool) {
        let mut source = 0;
        while !stop.load(Ordering::Acquire) {
            let (url, client) = &self.sources[source];
            self.relay(client);
            match self.step(client) {
                Ok(true) => {}
                Ok(false) => {
                    // Nothing new here: the next source may know more (one that lies about
                    // its head cannot hold the follower back).
                    source = (source + 1) % self.sources.len();
                    std::thread::sleep(IDLE);
                }
                Err(e) => {
                    tracing::warn!("following {url}: {e:#}");
                    source = (source + 1) % self.sources.len();
                    std::thread::sleep(IDLE);
                }
            }
        }
    }

    /// Commits the next certified run of blocks from `c`; false when there is nothing new.
    fn step(&self, c: &Client) -> Result<bool> {
        let head = self.replica.committed();
        let next = head.height + 1;
        let top = c.latest_block()?.header.height;
        if top < next {
            return Ok(false);
        }
        // The first height from `next` on with a certificate of its own.
        let mut certified = None;
        for h in next..=top.min(next + LOOKAHEAD) {
            if let Ok(f) = c.finalization(&h.to_string()) {
                certified = Some((h, f));
                break;
            }
        }
        let Some((height, f)) = certified else {
            return Ok(false);
        };
        let bytes = hex::decode(&f.certificate).context("a certificate that is not hex")?;
        let done = sinew_bft::certificate::verify(&self.chain_id, &self.validators, &bytes)?;
        // Fetch next..=height and check they chain from our head to the certified block.
        let mut blocks: Vec<Block> = Vec::new();
        let mut parent = head.hash();
        for h in next..=height {
            let v = c.block(&h.to_string())?;
            let block = Block {
                header: v.header,
                txs: v.txs,
            };
            if block.header.parent != parent || block.header.height != h {
                bail!("block {h} does not extend the chain this node holds");
            }
            parent = block.header.hash();
            blocks.push(block);
        }
        if parent != done.block_hash {
            bail!(
                "the certificate finalized {}, not block {height} ({parent})",
                done.block_hash
            );
        }
        for block in &blocks {
            self.fetch_blobs(c, block)?;
            match self.replica.execute(block)? {
                Verdict::Valid => {}
                other => bail!(
                    "finalized block {} does not execute here: {other:?}",
                    block.header.height
                ),
            }
            self.replica.finalize(block)?;
            self.certificates
                .committed
                .store(block.header.height, Ordering::Release);
        }
        // What is kept and served again comes from the checked certificate, not the source.
        let view = FinalizationView {
            height,
            block_hash: done.block_hash,
            epoch: done.epoch,
            view: done.view,
            parent_view: done.parent_view,
            signers: done.signers,
            certificate: f.certificate,
        };
        let mut checked = self.certificates.checked.lock().expect("not poisoned");
        checked.insert(height, view);
        while checked.len() > CERTIFICATES_KEPT {
            checked.pop_first();
        }
        Ok(true)
    }

    /// Sends what this node's clients submitted to a validator (a follower proposes nothing).
    fn relay(&self, c: &Client) {
        let txs: Vec<SignedTransaction> = self
            .replica
            .outgoing(1 << 20)
            .iter()
            .filter_map(|b| SignedTransaction::decode(b).ok())
            .collect();
        if !txs.is_empty() {
            if let Err(e) = c.submit_batch(&txs, false) {
                tracing::warn!("relaying {} transactions: {e}", txs.len());
            }
        }
    }

    /// Fetches the blobs `block` names that this node lacks, each checked against its id.
    fn fetch_blobs(&self, c: &Client, block: &Block) -> Result<()> {
        for (id, required) in block.txs.iter().flat_map(|t| t.tx.payload.blobs()) {
            if self.replica.blob_size(&id).is_some() {
                continue;
            }
            let bytes = match c.blob_at_most(&id, self.replica.max_blob_bytes()) {
                Ok(b) => b,
                Err(e) if required => return Err(e).with_context(|| format!("fetching blob {id}")),
                Err(_) => continue,
            };
            if Hash::of(&bytes) != id {
                bail!("the source sent bytes that are not blob {id}");
            }
            let staged = self.replica.stage_blob(&id, bytes.len() as u64, Keep::Final)?;
            staged.write_at(0, &bytes)?;
            staged.commit(bytes.len() as u64, true)?;
        }
        Ok(())
    }
}
