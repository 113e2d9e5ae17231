//! Blobs between validators, over commonware's p2p resolver. A validator that must judge a block
//! naming a blob it lacks asks its peers for the blob's tree (piece hashes, checked at once by
//! merging them into the id), then for every piece (each checked against its hash on arrival,
//! written where it belongs); when the last piece is in, the whole is checked once more and the
//! blob is held. A peer that answers with bytes that do not check is blocked by the resolver and
//! the piece asked of another. Nothing a peer sends is trusted beyond the id a signed
//! transaction names.
//!
//! Bounded work: a peer may ask us for pieces, but at most [`MAX_SERVING`] reads run at once
//! (further requests get no answer and are retried elsewhere); a blob nobody has asked for in
//! [`STALE`] is no longer fetched (a leader citing a blob nobody serves costs its view, not a
//! fetch for ever).

use crate::exec::blocking;
use bytes::Bytes;
use commonware_codec::{Error as CodecError, FixedSize, Read, ReadExt, Write};
use commonware_cryptography::ed25519::PublicKey;
use commonware_resolver::p2p::{Mailbox, Producer};
use commonware_resolver::{Consumer, Delivery, Outcome, Resolution, Resolver};
use commonware_runtime::Spawner;
use commonware_utils::channel::oneshot;
use commonware_utils::Span;
use futures::channel::oneshot as notify;
use sinew_consensus::{BlobHost, StagedBlob};
use sinew_types::blob_tree::{piece_count, piece_range, BlobTree, PIECE_LEN};
use sinew_types::{Block, Hash};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// The piece number that asks for a blob's tree rather than a piece.
pub const TREE: u32 = u32::MAX;

/// Most piece reads served at once.
pub const MAX_SERVING: usize = 8;

/// A blob nobody asked for in this long is no longer fetched.
pub const STALE: Duration = Duration::from_secs(120);

/// Trees of held blobs kept in memory for serving.
const TREE_CACHE: usize = 64;

/// The largest message the blob channel carries: a piece, or the tree of the largest blob the
/// ledger allows (4 GiB: 4,096 hashes), with room for the resolver's framing.
pub const MAX_MESSAGE: usize = PIECE_LEN as usize + 4_096;

/// What validators ask each other for: the tree of blob `id`, or one of its pieces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlobKey {
    /// The blob.
    pub id: Hash,
    /// A piece number, or [`TREE`].
    pub piece: u32,
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.piece == TREE {
            write!(f, "tree of blob {}", self.id)
        } else {
            write!(f, "piece {} of blob {}", self.piece, self.id)
        }
    }
}

impl Write for BlobKey {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        buf.put_slice(&self.id.0);
        self.piece.write(buf);
    }
}

impl Read for BlobKey {
    type Cfg = ();

    fn read_cfg(buf: &mut impl commonware_codec::Buf, _: &()) -> Result<Self, CodecError> {
        let id = <[u8; 32]>::read(buf)?;
        let piece = u32::read(buf)?;
        Ok(BlobKey { id: Hash(id), piece })
    }
}

impl FixedSize for BlobKey {
    const SIZE: usize = 32 + u32::SIZE;
}

impl Span for BlobKey {}

/// The blobs `block` names that this validator lacks: only those the ledger reads when
/// `required_only` (judging the block waits for them), otherwise all (kept for readers).
pub fn missing_blobs<H: BlobHost + ?Sized>(host: &H, block: &Block, required_only: bool) -> Vec<Hash> {
    let mut ids: Vec<Hash> = block
        .txs
        .iter()
        .flat_map(|t| t.tx.payload.blobs())
        .filter(|(id, required)| (*required || !required_only) && host.blob_size(id).is_none())
        .map(|(id, _)| id)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// A blob being fetched.
struct Download {
    /// Keep it for good once here (a final transaction names it).
    pin: bool,
    /// When someone last asked for it.
    wanted_at: SystemTime,
    /// Its checked tree, once received.
    tree: Option<Arc<BlobTree>>,
    /// Where its pieces go, once the tree is in.
    staged: Option<Box<dyn StagedBlob>>,
    /// Pieces still to come.
    missing: BTreeSet<u32>,
    /// Told when the blob is held (or the fetch abandoned).
    waiters: Vec<notify::Sender<()>>,
}

/// Fetches in progress, and trees of held blobs recently served.
#[derive(Default)]
struct Book {
    downloads: BTreeMap<Hash, Download>,
    trees: BTreeMap<Hash, Arc<BlobTree>>,
    tree_order: VecDeque<Hash>,
}

/// One validator's side of the blob exchange: asks for blobs (through the resolver), judges and
/// stores what arrives ([`Consumer`]), and serves what it holds ([`Server`]).
pub struct BlobExchange<H> {
    host: Arc<H>,
    book: Arc<Mutex<Book>>,
    resolver: Arc<Mutex<Option<Mailbox<BlobKey, PublicKey>>>>,
}

impl<H> Clone for BlobExchange<H> {
    fn clone(&self) -> Self {
        BlobExchange {
            host: self.host.clone(),
            book: self.book.clone(),
            resolver: self.resolver.clone(),
        }
    }
}

impl<H: BlobHost> BlobExchange<H> {
    /// The exchange over `host`; it fetches nothing until [`BlobExchange::connect`].
    pub fn new(host: Arc<H>) -> BlobExchange<H> {
        BlobExchange {
            host,
            book: Arc::default(),
            resolver: Arc::default(),
        }
    }

    /// Gives the exchange the resolver it fetches through.
    pub fn connect(&self, resolver: Mailbox<BlobKey, PublicKey>) {
        *self.resolver.lock().expect("not poisoned") = Some(resolver);
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().expect("not poisoned")
    }

    fn request(&self, keys: Vec<BlobKey>) {
        if keys.is_empty() {
            return;
        }
        let resolver = self.resolver.lock().expect("not poisoned").clone();
        if let Some(mut resolver) = resolver {
            let _ = resolver.fetch_all(keys);
        }
    }

    /// Asks peers for the blobs `ids` this validator lacks (keeping them for good if `pin`).
    /// The future ends when every one is held, or a fetch is abandoned: callers check again.
    pub fn fetch(&self, ids: &[Hash], pin: bool, now: SystemTime) -> impl std::future::Future<Output = ()> + Send {
        let mut waits = Vec::new();
        let mut fresh = Vec::new();
        {
            let mut book = self.book();
            for id in ids {
                if self.host.blob_size(id).is_some() {
                    continue;
                }
                let d = book.downloads.entry(*id).or_insert_with(|| {
                    fresh.push(BlobKey { id: *id, piece: TREE });
                    Download {
                        pin,
                        wanted_at: now,
                        tree: None,
                        staged: None,
                        missing: BTreeSet::new(),
                        waiters: Vec::new(),
                    }
                });
                d.wanted_at = now;
                d.pin |= pin;
                let (tx, rx) = notify::channel();
                d.waiters.push(tx);
                waits.push(rx);
            }
        }
        self.request(fresh);
        async move {
            for w in waits {
                let _ = w.await;
            }
        }
    }

    /// Stops fetching blobs nobody asked for since `now - STALE`.
    pub fn sweep(&self, now: SystemTime) {
        let live: BTreeSet<Hash> = {
            let mut book = self.book();
            book.downloads
                .retain(|_, d| now.duration_since(d.wanted_at).unwrap_or_default() < STALE);
            book.downloads.keys().copied().collect()
        };
        let resolver = self.resolver.lock().expect("not poisoned").clone();
        if let Some(mut resolver) = resolver {
            let _ = resolver.retain(move |k, _| live.contains(&k.id));
        }
    }

    /// Blobs being fetched.
    pub fn in_flight(&self) -> usize {
        self.book().downloads.len()
    }

    /// Judges what a peer sent for `key`; returns the outcome and the piece keys to ask for next.
    fn judge(&self, key: BlobKey, value: &[u8]) -> (Outcome, Vec<BlobKey>) {
        let mut book = self.book();
        let Some(d) = book.downloads.get_mut(&key.id) else {
            return (Outcome::Ignored, Vec::new());
        };
        if key.piece == TREE {
            if d.tree.is_some() {
                return (Outcome::Ignored, Vec::new());
            }
            let tree = match decode_tree(value, self.host.max_blob_bytes()) {
                Some(tree) if tree.check(&key.id).is_ok() => tree,
                _ => {
                    tracing::warn!("a peer sent a bad tree for blob {}", key.id);
                    return (Outcome::Invalid, Vec::new());
                }
            };
            let staged = match self.host.stage_blob(&key.id, tree.size, d.pin) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!("cannot receive blob {}: {e}", key.id);
                    return (Outcome::Unresolved, Vec::new());
                }
            };
            let pieces = piece_count(tree.size) as u32;
            d.missing = (0..pieces).collect();
            d.tree = Some(Arc::new(tree));
            d.staged = Some(staged);
            let next = (0..pieces).map(|piece| BlobKey { id: key.id, piece }).collect();
            return (Outcome::Resolved(Resolution::Complete), next);
        }
        let Some(tree) = d.tree.clone() else {
            return (Outcome::Ignored, Vec::new());
        };
        if !d.missing.contains(&key.piece) {
            return (Outcome::Ignored, Vec::new());
        }
        if let Err(e) = tree.check_piece(&key.id, key.piece as u64, value) {
            tracing::warn!("a peer sent a bad piece of blob {}: {e}", key.id);
            return (Outcome::Invalid, Vec::new());
        }
        let (offset, _) = piece_range(tree.size, key.piece as u64);
        let staged = d.staged.as_mut().expect("staged with the tree");
        if let Err(e) = staged.write_at(offset, value) {
            tracing::error!("cannot write blob {}: {e}", key.id);
            return (Outcome::Unresolved, Vec::new());
        }
        d.missing.remove(&key.piece);
        if d.missing.is_empty() {
            let d = book.downloads.remove(&key.id).expect("present");
            match d.staged.expect("staged with the tree").commit() {
                Ok(()) => {
                    for w in d.waiters {
                        let _ = w.send(());
                    }
                }
                Err(e) => tracing::error!("cannot keep blob {}: {e}", key.id),
            }
        }
        (Outcome::Resolved(Resolution::Complete), Vec::new())
    }

    /// The tree of a blob held here (cached).
    fn tree_of(&self, id: &Hash) -> Option<Arc<BlobTree>> {
        if let Some(t) = self.book().trees.get(id) {
            return Some(t.clone());
        }
        let size = self.host.blob_size(id)?;
        let tree = BlobTree::build(size, |i| {
            let (offset, len) = piece_range(size, i);
            self.host.read_blob(id, offset, len)
        })
        .ok()?;
        let tree = Arc::new(tree);
        let mut book = self.book();
        book.trees.insert(*id, tree.clone());
        book.tree_order.push_back(*id);
        while book.tree_order.len() > TREE_CACHE {
            let old = book.tree_order.pop_front().expect("non-empty");
            book.trees.remove(&old);
        }
        Some(tree)
    }

    /// What we send a peer asking for `key`: `None` when we do not hold it.
    fn serve(&self, key: BlobKey) -> Option<Vec<u8>> {
        if key.piece == TREE {
            return Some(borsh::to_vec(&*self.tree_of(&key.id)?).expect("encodes"));
        }
        let size = self.host.blob_size(&key.id)?;
        if key.piece as u64 >= piece_count(size) {
            return None;
        }
        let (offset, len) = piece_range(size, key.piece as u64);
        self.host.read_blob(&key.id, offset, len).ok()
    }
}

/// A tree as a peer encoded it, if it is no larger than the tree of a `max_blob`-byte blob.
fn decode_tree(bytes: &[u8], max_blob: u64) -> Option<BlobTree> {
    if bytes.len() as u64 > 12 + 32 * piece_count(max_blob) {
        return None;
    }
    let tree: BlobTree = borsh::from_slice(bytes).ok()?;
    (tree.size <= max_blob).then_some(tree)
}

impl<H: BlobHost> Consumer for BlobExchange<H> {
    type Key = BlobKey;
    type Value = Bytes;
    type Subscriber = ();
    type Outcome = Outcome;

    fn deliver(&mut self, delivery: Delivery<BlobKey, ()>, value: Bytes) -> oneshot::Receiver<Outcome> {
        let (tx, rx) = oneshot::channel();
        let (outcome, next) = self.judge(delivery.key, &value);
        let _ = tx.send(outcome);
        self.request(next);
        rx
    }
}

/// Serves the blobs this validator holds to peers, reading on blocking tasks, a few at a time.
pub struct Server<E, H> {
    runtime: E,
    exchange: BlobExchange<H>,
    serving: Arc<AtomicUsize>,
}

impl<E: Spawner, H> Clone for Server<E, H> {
    fn clone(&self) -> Self {
        Server {
            runtime: self.runtime.child("blob_server"),
            exchange: self.exchange.clone(),
            serving: self.serving.clone(),
        }
    }
}

impl<E, H> Server<E, H> {
    /// Serves from `exchange`'s host, spawning reads on `runtime`.
    pub fn new(runtime: E, exchange: BlobExchange<H>) -> Server<E, H> {
        Server {
            runtime,
            exchange,
            serving: Arc::default(),
        }
    }
}

impl<E: Spawner, H: BlobHost> Producer for Server<E, H> {
    type Key = BlobKey;

    fn produce(&mut self, key: BlobKey) -> oneshot::Receiver<Bytes> {
        let (tx, rx) = oneshot::channel();
        if self.serving.fetch_add(1, Ordering::AcqRel) >= MAX_SERVING {
            self.serving.fetch_sub(1, Ordering::AcqRel);
            return rx;
        }
        let exchange = self.exchange.clone();
        let serving = self.serving.clone();
        self.runtime.child("blob_serve").spawn(move |runtime| async move {
            if let Some(Some(bytes)) = blocking(&runtime, move || exchange.serve(key)).await {
                let _ = tx.send(Bytes::from(bytes));
            }
            serving.fetch_sub(1, Ordering::AcqRel);
        });
        rx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_round_trips_and_a_tree_larger_than_the_limit_is_refused() {
        let key = BlobKey {
            id: Hash::of(b"blob"),
            piece: 7,
        };
        let mut buf = Vec::new();
        key.write(&mut buf);
        assert_eq!(buf.len(), BlobKey::SIZE);
        assert_eq!(BlobKey::read(&mut Bytes::from(buf)).unwrap(), key);

        let blob = vec![3u8; 3 * PIECE_LEN as usize];
        let tree = BlobTree::of(&blob);
        let bytes = borsh::to_vec(&tree).unwrap();
        assert_eq!(decode_tree(&bytes, blob.len() as u64), Some(tree));
        assert_eq!(decode_tree(&bytes, blob.len() as u64 - 1), None, "over the size limit");
        assert_eq!(
            decode_tree(&bytes[..bytes.len() - 1], blob.len() as u64),
            None,
            "cut short"
        );
    }
}
