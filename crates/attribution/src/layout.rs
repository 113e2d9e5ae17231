//! How a corpus that grows version by version is cut into shards: a pure function of the
//! documents' sizes and of where each version ends, so every node holds the same shards.
//!
//! A new version appends its documents as new shards of at most `max_bytes` each (the *delta*:
//! all a node must build before the version can be queried), then merges the tail while the
//! shard before the last is at most [`MERGE_RATIO`] times the last and their sum fits in
//! `max_bytes` (a size-tiered log: shard sizes fall geometrically towards the tail, so a corpus
//! of n bytes with small daily versions has O(log n) shards and each byte is rebuilt O(log n)
//! times over its life). Merges run in the background; until they land, the version is served
//! from the unmerged shards, which give the same answers.

/// A run of consecutive documents held by one shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ShardSpan {
    /// Number of its first document in the corpus.
    pub first: u64,
    /// Documents it holds.
    pub docs: u64,
    /// Token stream bytes (separators included).
    pub bytes: u64,
}

impl ShardSpan {
    /// The document number after its last.
    pub fn end(&self) -> u64 {
        self.first + self.docs
    }
}

/// The tail merges while the shard before the last is at most this many times the last.
pub const MERGE_RATIO: u64 = 2;

/// Cuts documents of stream sizes `sizes` (numbered from 0) into consecutive shards of at most
/// `max_bytes` each, greedily; a document larger than that gets a shard of its own.
pub fn split(sizes: &[u64], max_bytes: u64) -> Vec<ShardSpan> {
    let mut g = Greedy::new(0, max_bytes);
    let mut out = Vec::new();
    for &s in sizes {
        out.extend(g.push(s));
    }
    out.extend(g.finish());
    out
}

/// [`split`] one document at a time: for documents that arrive as a stream and are never all
/// held at once.
#[derive(Clone, Copy, Debug)]
pub struct Greedy {
    max_bytes: u64,
    cur: ShardSpan,
}

impl Greedy {
    /// Cuts documents numbered from `first` into shards of at most `max_bytes`.
    pub fn new(first: u64, max_bytes: u64) -> Greedy {
        Greedy {
            max_bytes,
            cur: ShardSpan {
                first,
                docs: 0,
                bytes: 0,
            },
        }
    }

    /// Whether a next document of `size` bytes starts a new shard.
    pub fn cuts_before(&self, size: u64) -> bool {
        self.cur.docs > 0 && self.cur.bytes.saturating_add(size) > self.max_bytes
    }

    /// Takes the next document; returns the shard it closed, if it starts a new one.
    pub fn push(&mut self, size: u64) -> Option<ShardSpan> {
        let closed = self.cuts_before(size).then(|| self.finish()).flatten();
        self.cur.docs += 1;
        self.cur.bytes = self.cur.bytes.saturating_add(size);
        closed
    }

    /// Closes the shard being filled, if it holds any document; the next one starts after it.
    pub fn finish(&mut self) -> Option<ShardSpan> {
        let done = self.cur;
        self.cur = ShardSpan {
            first: done.end(),
            docs: 0,
            bytes: 0,
        };
        (done.docs > 0).then_some(done)
    }
}

/// The shards a new version adds before any merge: its documents (`sizes`, numbered from
/// `first`) split into shards of at most `max_bytes`.
pub fn delta(first: u64, sizes: &[u64], max_bytes: u64) -> Vec<ShardSpan> {
    split(sizes, max_bytes)
        .into_iter()
        .map(|s| ShardSpan {
            first: s.first + first,
            ..s
        })
        .collect()
}

/// The merged layout of the next version: `layout` (the previous version's merged layout)
/// followed by the new version's documents `sizes`, each new shard merged into the tail by the
/// size-tiered rule.
pub fn append(layout: &[ShardSpan], sizes: &[u64], max_bytes: u64) -> Vec<ShardSpan> {
    let mut p = Planner::after(layout, max_bytes);
    for &s in sizes {
        p.push(s);
    }
    p.finish()
}

/// Adds a new shard at the tail of `layout` and merges the tail by the size-tiered rule.
fn push_piece(layout: &mut Vec<ShardSpan>, piece: ShardSpan, max_bytes: u64) {
    layout.push(piece);
    while let [.., a, b] = layout[..] {
        if a.bytes > MERGE_RATIO.saturating_mul(b.bytes) || a.bytes + b.bytes > max_bytes {
            break;
        }
        layout.pop();
        layout.pop();
        layout.push(ShardSpan {
            first: a.first,
            docs: a.docs + b.docs,
            bytes: a.bytes + b.bytes,
        });
    }
}

/// The merged layout of a corpus whose versions end after the documents `ends` (cumulative
/// counts, one per version, increasing), documents of stream sizes `sizes`.
pub fn plan(sizes: &[u64], ends: &[u64], max_bytes: u64) -> Vec<ShardSpan> {
    let mut p = Planner::after(&[], max_bytes);
    let mut from = 0usize;
    for &end in ends {
        let end = (end as usize).min(sizes.len());
        for &s in sizes.get(from..end).unwrap_or_default() {
            p.push(s);
        }
        p.end_version();
        from = from.max(end);
    }
    p.finish()
}

/// [`plan`] one document at a time, holding only the layout (never the sizes): how a version of
/// any size is planned as its documents stream past.
#[derive(Clone, Debug)]
pub struct Planner {
    max_bytes: u64,
    layout: Vec<ShardSpan>,
    /// The version being added, cut into shards of at most `max_bytes`.
    version: Greedy,
}

impl Planner {
    /// Plans the versions that follow `layout` (a merged layout; empty for a new corpus).
    pub fn after(layout: &[ShardSpan], max_bytes: u64) -> Planner {
        Planner {
            max_bytes,
            layout: layout.to_vec(),
            version: Greedy::new(layout.last().map_or(0, |s| s.end()), max_bytes),
        }
    }

    /// Takes the next document of the version being added.
    pub fn push(&mut self, size: u64) {
        if let Some(piece) = self.version.push(size) {
            push_piece(&mut self.layout, piece, self.max_bytes);
        }
    }

    /// Ends the version being added (a version with no documents changes nothing).
    pub fn end_version(&mut self) {
        if let Some(piece) = self.version.finish() {
            push_piece(&mut self.layout, piece, self.max_bytes);
        }
    }

    /// The merged layout once the version being added ends.
    pub fn finish(mut self) -> Vec<ShardSpan> {
        self.end_version();
        self.layout
    }
}

/// Whether every shard of `coarse` is a run of whole shards of `fine` (so it can be built by
/// concatenating them), both covering the same documents.
pub fn refines(fine: &[ShardSpan], coarse: &[ShardSpan]) -> bool {
    let starts: std::collections::BTreeSet<u64> = fine.iter().map(|s| s.first).collect();
    let end = |l: &[ShardSpan]| l.last().map_or(0, |s| s.end());
    end(fine) == end(coarse) && coarse.iter().all(|s| starts.contains(&s.first))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn covers(l: &[ShardSpan], docs: u64) -> bool {
        let mut at = 0;
        for s in l {
            if s.first != at || s.docs == 0 {
                return false;
            }
            at = s.end();
        }
        at == docs
    }

    #[test]
    fn daily_versions_keep_few_shards_and_merge_in_tiers() {
        let mut layout = Vec::new();
        for _ in 0..1000 {
            layout = append(&layout, &[1 << 20], 1 << 30);
        }
        assert!(covers(&layout, 1000));
        assert!(layout.len() <= 11, "{} shards: {layout:?}", layout.len());
        // A big version first, then small ones: the big shard is not rebuilt for a small delta.
        let big = append(&[], &[1 << 29], 1 << 30);
        let next = append(&big, &[1 << 20], 1 << 30);
        assert_eq!(next.len(), 2);
        assert_eq!(next[0], big[0]);
    }

    #[test]
    fn oversized_documents_and_versions_split() {
        assert_eq!(split(&[5, 5, 5, 20, 1], 10).len(), 4);
        let l = append(&[], &[6, 6, 6], 10);
        assert_eq!(l.iter().map(|s| s.docs).collect::<Vec<_>>(), vec![1, 1, 1]);
    }

    proptest! {
        #[test]
        fn layouts_cover_every_document_and_merges_build_from_whole_shards(
            versions in prop::collection::vec((prop::collection::vec(1u64..50, 0..12), any::<bool>()), 1..25),
            max in 20u64..200,
        ) {
            let mut merged: Vec<ShardSpan> = Vec::new();
            let mut served: Vec<ShardSpan> = Vec::new();
            let mut sizes = Vec::new();
            let mut ends = Vec::new();
            for (v, compacted) in &versions {
                let first = sizes.len() as u64;
                sizes.extend_from_slice(v);
                ends.push(sizes.len() as u64);
                // What a node serves at once: the last layout plus the version's delta.
                served.extend(delta(first, v, max));
                let next = append(&merged, v, max);
                prop_assert!(covers(&next, sizes.len() as u64));
                prop_assert!(refines(&served, &next), "served {served:?} merged {next:?}");
                // Merged shards stay within the cap unless one document is larger.
                for s in &next {
                    prop_assert!(s.bytes <= max || s.docs == 1);
                }
                // Sizes fall geometrically towards the tail.
                for w in next.windows(2) {
                    prop_assert!(w[0].bytes > MERGE_RATIO * w[1].bytes || w[0].bytes + w[1].bytes > max);
                }
                merged = next;
                // The background merge may or may not have landed before the next version.
                if *compacted {
                    served = merged.clone();
                }
            }
            // Built at once, from the sizes and version ends alone: the same layout.
            prop_assert_eq!(plan(&sizes, &ends, max), merged);
        }
    }
}
