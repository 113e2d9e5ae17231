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
use sinew_consensus::{BlobHost, Keep, StagedBlob};
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

/// Trees of held blobs kept in memory for serving (a tree is 32 bytes per MiB of blob).
const TREE_CACHE: usize = 1_024;

/// The largest message the blob channel carries: a piece or a whole one-piece blob, or the tree
/// of the largest blob the ledger allows (4 GiB: 4,096 hashes), with room for framing.
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

/// Where a blob's pieces are written, shared by the tasks judging them; emptied to commit.
type Slot = Arc<Mutex<Option<Box<dyn StagedBlob>>>>;

/// A blob being fetched.
struct Download {
    /// Why it is fetched (the strongest reason asked for).
    keep: Keep,
    /// When someone last asked for it.
    wanted_at: SystemTime,
    /// Its checked tree, once received.
    tree: Option<Arc<BlobTree>>,
    /// Where its pieces go, once the tree is in (taken to commit).
    staged: Option<Slot>,
    /// Pieces still to come.
    missing: BTreeSet<u32>,
    /// Its size, known once the last piece is in.
    size: Option<u64>,
    /// Told when the blob is held (or the fetch abandoned).
    waiters: Vec<notify::Sender<()>>,
}

/// Fetches in progress, and trees of held blobs recently served.
#[derive(Default)]
struct Book {
    downloads: BTreeMap<Hash, Download>,
    trees: BTreeMap<Hash, Arc<BlobTree>>,
    tree_order: VecDeque<Hash>,
    /// Trees being built for serving (a second request meanwhile gets no answer).
    building: BTreeSet<Hash>,
}

/// One validator's side of the blob exchange: asks for blobs (through the resolver), judges and
/// stores what arrives ([`Receiver`]), and serves what it holds ([`Server`]).
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

    /// Asks peers for the blobs `ids` this validator lacks, for the reason `keep` says. The
    /// future ends when every one is held, or a fetch is abandoned: callers check again. Asking
    /// again for a blob whose tree has not come yet asks for the tree again (a sweep may have
    /// cancelled the first request).
    pub fn fetch(&self, ids: &[Hash], keep: Keep, now: SystemTime) -> impl std::future::Future<Output = ()> + Send {
        let mut waits = Vec::new();
        let mut ask = Vec::new();
        {
            let mut book = self.book();
            for id in ids {
                if self.host.blob_size(id).is_some() {
                    continue;
                }
                let d = book.downloads.entry(*id).or_insert_with(|| Download {
                    keep,
                    wanted_at: now,
                    tree: None,
                    staged: None,
                    missing: BTreeSet::new(),
                    size: None,
                    waiters: Vec::new(),
                });
                if d.tree.is_none() {
                    ask.push(BlobKey { id: *id, piece: TREE });
                }
                d.wanted_at = now;
                d.keep = d.keep.max(keep);
                let (tx, rx) = notify::channel();
                d.waiters.push(tx);
                waits.push(rx);
            }
        }
        self.request(ask);
        async move {
            for w in waits {
                let _ = w.await;
            }
        }
    }

    /// Stops fetching blobs nobody asked for since `now - STALE`.
    pub fn sweep(&self, now: SystemTime) {
        let mut book = self.book();
        book.downloads
            .retain(|_, d| now.duration_since(d.wanted_at).unwrap_or_default() < STALE);
        let live: BTreeSet<Hash> = book.downloads.keys().copied().collect();
        // Sent while the book is held, so a fetch cannot slip in between and be cancelled.
        let resolver = self.resolver.lock().expect("not poisoned").clone();
        if let Some(mut resolver) = resolver {
            let _ = resolver.retain(move |k, _| live.contains(&k.id));
        }
    }

    /// Judges what a peer sent for `key` (on a blocking task: it hashes and writes); returns the
    /// outcome and the piece keys to ask for next.
    fn judge(&self, key: BlobKey, value: &[u8]) -> (Outcome, Vec<BlobKey>) {
        if key.piece == TREE {
            return self.judge_tree(key.id, value);
        }
        let (tree, staged) = {
            let book = self.book();
            match book.downloads.get(&key.id) {
                Some(d) if d.missing.contains(&key.piece) => match (&d.tree, &d.staged) {
                    (Some(t), Some(s)) => (t.clone(), s.clone()),
                    _ => return (Outcome::Ignored, Vec::new()),
                },
                _ => return (Outcome::Ignored, Vec::new()),
            }
        };
        if let Err(e) = tree.check_piece(key.piece as u64, value) {
            tracing::warn!("a peer sent a bad piece of blob {}: {e}", key.id);
            return (Outcome::Invalid, Vec::new());
        }
        let offset = key.piece as u64 * PIECE_LEN;
        {
            let guard = staged.lock().expect("not poisoned");
            let Some(s) = guard.as_ref() else {
                return (Outcome::Ignored, Vec::new());
            };
            if let Err(e) = s.write_at(offset, value) {
                tracing::error!("cannot write blob {}: {e}", key.id);
                return (Outcome::Unresolved, Vec::new());
            }
        }
        let done = {
            let mut book = self.book();
            let Some(d) = book.downloads.get_mut(&key.id) else {
                return (Outcome::Resolved(Resolution::Complete), Vec::new());
            };
            d.missing.remove(&key.piece);
            if key.piece as u64 + 1 == tree.pieces() {
                d.size = Some(offset + value.len() as u64);
            }
            if d.missing.is_empty() {
                book.downloads.remove(&key.id)
            } else {
                None
            }
        };
        if let Some(d) = done {
            let staged = staged.lock().expect("not poisoned").take();
            if let (Some(s), Some(size)) = (staged, d.size) {
                self.keep(key.id, s, size, d.keep, d.waiters);
            }
        }
        (Outcome::Resolved(Resolution::Complete), Vec::new())
    }

    /// A tree a peer sent: a whole small blob is kept at once; a larger one's pieces are asked for.
    fn judge_tree(&self, id: Hash, value: &[u8]) -> (Outcome, Vec<BlobKey>) {
        let Some(tree) = decode_tree(value) else {
            tracing::warn!("a peer sent an undecodable tree for blob {id}");
            return (Outcome::Invalid, Vec::new());
        };
        if let Err(e) = tree.check(&id) {
            tracing::warn!("a peer sent a bad tree for blob {id}: {e}");
            return (Outcome::Invalid, Vec::new());
        }
        if tree.max_size() > self.host.max_blob_bytes() {
            // Too large for the ledger to use here: not the sender's fault, nothing to fetch.
            return (Outcome::Ignored, Vec::new());
        }
        let keep = match self.book().downloads.get(&id) {
            Some(d) if d.tree.is_none() => d.keep,
            _ => return (Outcome::Ignored, Vec::new()),
        };
        let staged = match self.host.stage_blob(&id, tree.max_size(), keep) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("cannot receive blob {id}: {e}");
                return (Outcome::Unresolved, Vec::new());
            }
        };
        if let BlobTree::Whole(bytes) = &tree {
            if let Err(e) = staged.write_at(0, bytes) {
                tracing::error!("cannot write blob {id}: {e}");
                return (Outcome::Unresolved, Vec::new());
            }
            let Some(d) = self.book().downloads.remove(&id) else {
                return (Outcome::Resolved(Resolution::Complete), Vec::new());
            };
            self.keep(id, staged, bytes.len() as u64, d.keep, d.waiters);
            return (Outcome::Resolved(Resolution::Complete), Vec::new());
        }
        let pieces = tree.pieces() as u32;
        let mut book = self.book();
        let Some(d) = book.downloads.get_mut(&id).filter(|d| d.tree.is_none()) else {
            return (Outcome::Ignored, Vec::new());
        };
        d.missing = (0..pieces).collect();
        d.tree = Some(Arc::new(tree));
        d.staged = Some(Arc::new(Mutex::new(Some(staged))));
        let next = (0..pieces).map(|piece| BlobKey { id, piece }).collect();
        (Outcome::Resolved(Resolution::Complete), next)
    }

    /// Commits a received blob and tells its waiters.
    fn keep(&self, id: Hash, staged: Box<dyn StagedBlob>, size: u64, keep: Keep, waiters: Vec<notify::Sender<()>>) {
        match staged.commit(size, keep == Keep::Final) {
            Ok(()) => {
                for w in waiters {
                    let _ = w.send(());
                }
            }
            Err(e) => tracing::error!("cannot keep blob {id}: {e}"),
        }
    }

    /// The tree of a blob held here (cached; built once at a time per blob).
    fn tree_of(&self, id: &Hash) -> Option<Arc<BlobTree>> {
        {
            let mut book = self.book();
            if let Some(t) = book.trees.get(id) {
                return Some(t.clone());
            }
            if !book.building.insert(*id) {
                return None;
            }
        }
        let tree = self.host.blob_size(id).and_then(|size| {
            BlobTree::build(size, |i| {
                let (offset, len) = piece_range(size, i);
                self.host.read_blob(id, offset, len)
            })
            .ok()
        });
        let mut book = self.book();
        book.building.remove(id);
        let tree = Arc::new(tree?);
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
        if size <= PIECE_LEN || key.piece as u64 >= piece_count(size) {
            return None;
        }
        let (offset, len) = piece_range(size, key.piece as u64);
        self.host.read_blob(&key.id, offset, len).ok()
    }
}

/// A tree as a peer encoded it, if it is no larger than a tree can be.
fn decode_tree(bytes: &[u8]) -> Option<BlobTree> {
    if bytes.len() > MAX_MESSAGE {
        return None;
    }
    borsh::from_slice(bytes).ok()
}

/// Receives what peers send, judging it on blocking tasks (hashing, writing, the final check of
/// a whole blob), never on the consensus runtime's threads.
pub struct Receiver<E, H> {
    runtime: E,
    exchange: BlobExchange<H>,
}

impl<E: Spawner, H> Clone for Receiver<E, H> {
    fn clone(&self) -> Self {
        Receiver {
            runtime: self.runtime.child("blob_receiver"),
            exchange: self.exchange.clone(),
        }
    }
}

impl<E, H> Receiver<E, H> {
    /// Receives into `exchange`, spawning the work on `runtime`.
    pub fn new(runtime: E, exchange: BlobExchange<H>) -> Receiver<E, H> {
        Receiver { runtime, exchange }
    }
}

impl<E: Spawner, H: BlobHost> Consumer for Receiver<E, H> {
    type Key = BlobKey;
    type Value = Bytes;
    type Subscriber = ();
    type Outcome = Outcome;

    fn deliver(&mut self, delivery: Delivery<BlobKey, ()>, value: Bytes) -> oneshot::Receiver<Outcome> {
        let (tx, rx) = oneshot::channel();
        let exchange = self.exchange.clone();
        let key = delivery.key;
        self.runtime.child("blob_judge").spawn(move |runtime| async move {
            let judging = exchange.clone();
            if let Some((outcome, next)) = blocking(&runtime, move || judging.judge(key, &value)).await {
                let _ = tx.send(outcome);
                exchange.request(next);
            }
        });
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
    fn a_key_round_trips_and_a_tree_is_decoded_only_within_a_message() {
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
        assert_eq!(decode_tree(&bytes), Some(tree));
        assert_eq!(decode_tree(&bytes[..bytes.len() - 1]), None, "cut short");
        assert_eq!(decode_tree(&vec![0u8; MAX_MESSAGE + 1]), None, "over a message");
    }
}
