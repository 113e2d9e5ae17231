//! Versions on disk: built version by version (only the delta indexed), merged in the
//! background, or built at once, in either mode, they hold the same shards and give the same
//! receipts; a shard file damaged on disk is refused and rebuilt, never served.

use sinew_attribution::{
    encode_all, receipt, BuildLimits, DocRef, EncodedDoc, IndexMode, Manifest, Params, ShardDir, Tokenizer,
};

/// Twelve versions of a growing datanet: a few records each, some shared phrases.
fn versions() -> Vec<Vec<Vec<u8>>> {
    (0..12)
        .map(|v| {
            (0..(v % 4 + 1))
                .map(|r| {
                    format!(
                        "version {v} record {r}: the river carries silt from the mountains to the sea, and lake {} is still.",
                        (v * 7 + r) % 5
                    )
                    .into_bytes()
                })
                .collect()
        })
        .collect()
}

fn encoded(t: Tokenizer, vs: &[Vec<Vec<u8>>]) -> (Vec<EncodedDoc<'static>>, Vec<u64>) {
    let mut docs = Vec::new();
    let mut ends = Vec::new();
    for (v, records) in vs.iter().enumerate() {
        let refs: Vec<(DocRef, &[u8])> = records
            .iter()
            .enumerate()
            .map(|(r, d)| {
                (
                    DocRef {
                        contribution: v as u64,
                        record: r as u32,
                    },
                    d.as_slice(),
                )
            })
            .collect();
        for (r, c) in encode_all(t, &refs).unwrap() {
            docs.push((r, std::borrow::Cow::Owned(c.into_owned())));
        }
        ends.push(docs.len() as u64);
    }
    (docs, ends)
}

const ANSWER: &[u8] = b"They say the river carries silt from the mountains to the sea, and lake 3 is still.";

fn limits() -> BuildLimits {
    BuildLimits {
        max_bytes: 600,
        build_max: 600,
        threads: 1,
    }
}

#[test]
fn versions_extended_then_merged_match_versions_built_at_once() {
    for (mode, t) in IndexMode::ALL.into_iter().flat_map(|m| Tokenizer::ALL.map(|t| (m, t))) {
        let vs = versions();
        let (docs, ends) = encoded(t, &vs);
        let inc = tempfile::tempdir().unwrap();
        let dir = ShardDir::with_mode(inc.path().to_path_buf(), mode);
        let p = Params {
            min_len: 8,
            max_count: 20,
        };
        // Version by version, merging only every third version (merges land late).
        let (mut m, mut s) = dir.build(t, &docs[..ends[0] as usize], &ends[..1], limits()).unwrap();
        for v in 1..vs.len() {
            let delta = &docs[ends[v - 1] as usize..ends[v] as usize];
            let (m2, s2) = dir.extend(&m, &s, delta, limits()).unwrap();
            assert_eq!(m2.served.len(), m.served.len() + 1, "{t}: the delta is one new shard");
            (m, s) = (m2, s2);
            if v % 3 == 0 {
                (m, s) = dir.compact(&m, &s, limits()).unwrap();
            }
            // At every version, built at once in another folder as suffix arrays: same id and
            // receipt.
            let once = tempfile::tempdir().unwrap();
            let (mo, so) = ShardDir::new(once.path().to_path_buf())
                .build(t, &docs[..ends[v] as usize], &ends[..=v], limits())
                .unwrap();
            assert_eq!(s.id(), so.id(), "{t} v{v}");
            assert_eq!(m.merged, mo.merged, "{t} v{v}: the same merged layout");
            assert_eq!(
                receipt(&s, s.id(), ANSWER, &p),
                receipt(&so, so.id(), ANSWER, &p),
                "{t} v{v}"
            );
        }
        assert!(m.served.len() > m.merged.len(), "{t}: merges still pending at the end");
        let (done, sd) = dir.compact(&m, &s, limits()).unwrap();
        assert!(done.pending(600).is_empty());
        let once = tempfile::tempdir().unwrap();
        let (mo, so) = ShardDir::with_mode(once.path().to_path_buf(), mode)
            .build(t, &docs, &ends, limits())
            .unwrap();
        assert_eq!(done, mo, "{mode} {t}: the same shards once merges land");
        assert!(sd.shards().iter().all(|s| s.mode() == mode));
        assert!(so.shards().len() > 1, "{t}: several shards");
        assert_eq!(sd.len(), so.len());
        let r = receipt(&sd, sd.id(), ANSWER, &p);
        assert!(!r.spans.is_empty(), "{t}: the answer is attributed");
        assert_eq!(r, receipt(&so, so.id(), ANSWER, &p));
        // Reopened from its manifest by a fresh process: the same corpus.
        dir.write_manifest("d0-v12", &done).unwrap();
        let again = ShardDir::with_mode(inc.path().to_path_buf(), mode);
        let back: Manifest = again.read_manifest("d0-v12").unwrap().unwrap();
        assert_eq!(back, done);
        assert_eq!(again.open(&back).unwrap().id(), so.id());
        // Superseded shards are collected; the manifest's own stay.
        assert!(again.collect_garbage().unwrap() > 0);
        assert_eq!(again.open(&back).unwrap().id(), so.id());
    }
}

#[test]
fn a_node_with_little_memory_serves_big_merges_as_their_parts() {
    let t = Tokenizer::Bytes;
    let (docs, ends) = encoded(t, &versions());
    let small = BuildLimits {
        build_max: 150,
        ..limits()
    };
    let a = tempfile::tempdir().unwrap();
    let (m, s) = ShardDir::new(a.path().to_path_buf())
        .build(t, &docs, &ends, small)
        .unwrap();
    assert!(s.shards().iter().all(|x| x.stream_bytes() <= 150 || x.doc_count() == 1));
    assert!(m.served.len() > m.merged.len());
    assert!(m.pending(150).is_empty(), "nothing left this node can merge");
    let b = tempfile::tempdir().unwrap();
    let (_, big) = ShardDir::new(b.path().to_path_buf())
        .build(t, &docs, &ends, limits())
        .unwrap();
    let p = Params {
        min_len: 8,
        max_count: 20,
    };
    assert_eq!(receipt(&s, s.id(), ANSWER, &p), receipt(&big, big.id(), ANSWER, &p));
}

#[test]
fn damaged_shards_and_manifests_are_refused_then_rebuilt() {
    for mode in IndexMode::ALL {
        damaged_shards_and_manifests_are_refused_then_rebuilt_in(mode);
    }
}

fn damaged_shards_and_manifests_are_refused_then_rebuilt_in(mode: IndexMode) {
    let t = Tokenizer::Bytes;
    let (docs, ends) = encoded(t, &versions());
    let tmp = tempfile::tempdir().unwrap();
    let dir = ShardDir::with_mode(tmp.path().to_path_buf(), mode);
    let extension = match mode {
        IndexMode::SuffixArray => "shard",
        IndexMode::Compressed => "fm",
    };
    let refusal = match mode {
        IndexMode::SuffixArray => "not a valid index file",
        IndexMode::Compressed => "not a valid index file: compressed index",
    };
    let (m, s) = dir.build(t, &docs, &ends, limits()).unwrap();
    let id = s.id();
    drop(s);
    dir.write_manifest("v", &m).unwrap();
    let shard_files = || {
        let mut v: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == extension))
            .collect();
        v.sort();
        v
    };
    let files = shard_files();
    assert_eq!(files.len(), m.served.len());
    for (how, damage) in [
        (
            "truncated",
            Box::new(|b: &mut Vec<u8>| b.truncate(b.len() - 8)) as Box<dyn Fn(&mut Vec<u8>)>,
        ),
        ("tampered", Box::new(|b: &mut Vec<u8>| b[300] ^= 0x20)),
    ] {
        let mut bytes = std::fs::read(&files[0]).unwrap();
        damage(&mut bytes);
        std::fs::write(&files[0], &bytes).unwrap();
        // A fresh process (nothing cached) opens the version: refused, with the reason.
        let fresh = ShardDir::with_mode(tmp.path().to_path_buf(), mode);
        let e = fresh.open(&m).err().expect(how).to_string();
        assert!(e.contains("shard") && e.contains(refusal), "{mode} {how}: {e}");
        assert!(!files[0].exists(), "{how}: the damaged file is removed");
        // Rebuilt: the intact shards are reused, the damaged one made again, byte for byte.
        let (m2, s2) = fresh.build(t, &docs, &ends, limits()).unwrap();
        assert_eq!((m2, s2.id()), (m.clone(), id));
        assert_eq!(shard_files(), files);
    }
    // A shard renamed to another's name is not the one named.
    std::fs::copy(&files[1], &files[0]).unwrap();
    let e = ShardDir::with_mode(tmp.path().to_path_buf(), mode)
        .open(&m)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("other documents"), "{e}");
    // A damaged manifest is an error and is removed; a missing one is simply absent.
    let mpath = tmp.path().join("v.version");
    let mut b = std::fs::read(&mpath).unwrap();
    b[20] ^= 1;
    std::fs::write(&mpath, &b).unwrap();
    let e = dir.read_manifest("v").err().unwrap().to_string();
    assert!(e.contains("checksum"), "{e}");
    assert!(dir.read_manifest("v").unwrap().is_none());
}

#[test]
fn a_shard_built_into_a_file_is_byte_identical_to_one_built_in_memory() {
    for t in [Tokenizer::Bytes, Tokenizer::Gpt2, Tokenizer::Cl100k] {
        let (docs, _) = encoded(t, &versions());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.idx");
        let start = sinew_attribution::content::start(t);
        let file = sinew_attribution::Index::build_file(t, &docs, start, 2, &path).unwrap();
        let memory = sinew_attribution::Index::build_encoded(t, &docs, start, 1).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), memory.as_bytes(), "{t}");
        assert_eq!(file.as_bytes(), memory.as_bytes());
        assert!(
            sinew_attribution::Index::open(&path, true).is_ok(),
            "{t}: the checksum holds"
        );
    }
}

#[test]
fn a_manifest_whose_shards_leave_gaps_is_refused() {
    let t = Tokenizer::Bytes;
    let (docs, ends) = encoded(t, &versions());
    let tmp = tempfile::tempdir().unwrap();
    let dir = ShardDir::new(tmp.path().to_path_buf());
    let (m, _) = dir.build(t, &docs, &ends, limits()).unwrap();
    assert!(m.served.len() > 2);
    let mut gap = m.clone();
    gap.served.remove(1);
    let mut short = m.clone();
    short.merged.pop();
    for (what, bad) in [("gap", gap), ("short", short)] {
        dir.write_manifest("bad", &bad).unwrap();
        let e = dir.read_manifest("bad").expect_err(what).to_string();
        assert!(e.contains("version manifest"), "{what}: {e}");
    }
}
