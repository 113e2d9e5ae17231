//! Versions built from documents streamed through a spill file (how a node builds a version of
//! any size, holding one shard's documents at a time) are the versions built from documents in
//! memory: the same manifest, the same shard files, the same corpus id; and the spill leaves no
//! file behind.

use proptest::prelude::*;
use sinew_attribution::{encode_all, BuildLimits, EncodedDoc, IndexMode, ShardDir, Tokenizer};
use std::path::Path;

mod common;

/// Documents of varied sizes (`lens`), grouped into versions by `cuts`.
fn corpus(t: Tokenizer, lens: &[usize]) -> Vec<EncodedDoc<'static>> {
    let words = ["river", "silt", "lake", "stone", "the", "sea", "of", "mountain"];
    let texts: Vec<Vec<u8>> = lens
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            (0..n)
                .map(|k| words[(i * 7 + k * 3 + k / 5) % words.len()])
                .collect::<Vec<_>>()
                .join(" ")
                .into_bytes()
        })
        .collect();
    encode_all(t, &common::paired_refs(&texts))
        .unwrap()
        .into_iter()
        .map(|(r, c)| (r, std::borrow::Cow::Owned(c.into_owned())))
        .collect()
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_spilled_build_and_extension_equal_the_in_memory_ones(
        lens in prop::collection::vec(0usize..40, 1..40),
        cuts in prop::collection::vec(0usize..40, 0..6),
        max_bytes in 40u64..600,
        build_max in 20u64..600,
        bpe in any::<bool>(),
        compressed in any::<bool>(),
    ) {
        let t = if bpe { Tokenizer::Gpt2 } else { Tokenizer::Bytes };
        let mode = if compressed { IndexMode::Compressed } else { IndexMode::SuffixArray };
        let docs = corpus(t, &lens);
        let mut ends: Vec<u64> = cuts.iter().map(|&c| c.min(docs.len()) as u64).collect();
        ends.push(docs.len() as u64);
        ends.sort();
        let limits = BuildLimits { max_bytes, build_max, threads: 1 };
        // Every version but the last at once, then the last as an extension.
        let cut = if ends.len() > 1 { ends[ends.len() - 2] as usize } else { 0 };
        let (before, after) = docs.split_at(cut);
        let before_ends = &ends[..ends.len() - 1];

        let memory = tempfile::tempdir().unwrap();
        let m_dir = ShardDir::with_mode(memory.path().to_path_buf(), mode);
        let (m_all, s_all) = m_dir.build(t, &docs, &ends, limits).unwrap();

        let spilled = tempfile::tempdir().unwrap();
        let s_dir = ShardDir::with_mode(spilled.path().to_path_buf(), mode);
        let mut spill = s_dir.spill(t, limits).unwrap();
        let mut at = 0u64;
        for (i, (r, c)) in docs.iter().enumerate() {
            while ends.get(at as usize).is_some_and(|&e| e <= i as u64) {
                spill.end_version();
                at += 1;
            }
            spill.push(*r, c).unwrap();
        }
        prop_assert_eq!(spill.docs(), docs.len() as u64);
        let (sp_all, ss_all) = s_dir.build_spilled(spill, limits).unwrap();
        prop_assert_eq!(&sp_all, &m_all);
        prop_assert_eq!(ss_all.id(), s_all.id());
        prop_assert_eq!(files(spilled.path()), files(memory.path()), "the same shard files, no spill left");

        // The last version as an extension of the ones before, in memory and spilled.
        if !before_ends.is_empty() && !before.is_empty() {
            let a = tempfile::tempdir().unwrap();
            let a_dir = ShardDir::with_mode(a.path().to_path_buf(), mode);
            let (pm, ps) = a_dir.build(t, before, before_ends, limits).unwrap();
            let (em, es) = a_dir.extend(&pm, &ps, after, limits).unwrap();
            let b = tempfile::tempdir().unwrap();
            let b_dir = ShardDir::with_mode(b.path().to_path_buf(), mode);
            let (qm, qs) = b_dir.build(t, before, before_ends, limits).unwrap();
            let mut spill = b_dir.spill_after(&qm, limits).unwrap();
            for (r, c) in after {
                spill.push(*r, c).unwrap();
            }
            let (fm, fs) = b_dir.extend_spilled(&qm, &qs, spill, limits).unwrap();
            prop_assert_eq!(&fm, &em);
            prop_assert_eq!(fs.id(), es.id());
            prop_assert_eq!(fs.id(), s_all.id(), "extended or built at once: one corpus");
            prop_assert_eq!(files(b.path()), files(a.path()));
        }
    }
}

#[test]
fn a_spill_that_does_not_follow_the_version_is_refused_and_a_dropped_spill_leaves_no_file() {
    let t = Tokenizer::Bytes;
    let docs = corpus(t, &[5, 9, 3, 12]);
    let limits = BuildLimits {
        max_bytes: 100,
        build_max: 100,
        threads: 1,
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = ShardDir::new(tmp.path().to_path_buf());
    let (m, s) = dir.build(t, &docs[..2], &[2], limits).unwrap();
    let before = files(tmp.path());
    // A from-scratch spill is not the next version of `m`, and the reverse.
    let mut fresh = dir.spill(t, limits).unwrap();
    fresh.push(docs[2].0, &docs[2].1).unwrap();
    let e = dir.extend_spilled(&m, &s, fresh, limits).err().unwrap().to_string();
    assert!(e.contains("does not follow"), "{e}");
    let next = dir.spill_after(&m, limits).unwrap();
    let e = dir.build_spilled(next, limits).err().unwrap().to_string();
    assert!(e.contains("cannot start a corpus"), "{e}");
    // A spill of another tokenizer, and codes that are not whole tokens of it.
    let mut gpt2 = m.clone();
    gpt2.tokenizer = Tokenizer::Gpt2;
    let other = dir.spill_after(&gpt2, limits).unwrap();
    let e = dir.extend_spilled(&m, &s, other, limits).err().unwrap().to_string();
    assert!(e.contains("does not follow"), "{e}");
    // A spill planned with another cap than the build's.
    let mut other_cap = dir
        .spill(
            t,
            BuildLimits {
                max_bytes: 50,
                ..limits
            },
        )
        .unwrap();
    other_cap.push(docs[0].0, &docs[0].1).unwrap();
    let e = dir.build_spilled(other_cap, limits).err().unwrap().to_string();
    assert!(e.contains("another shard cap"), "{e}");
    let mut wide = dir.spill(Tokenizer::Gpt2, limits).unwrap();
    let e = wide.push(docs[0].0, b"abc").err().unwrap().to_string();
    assert!(e.contains("whole codes"), "{e}");
    drop(wide);
    assert_eq!(files(tmp.path()), before, "refused spills leave nothing");
}

#[test]
fn a_spill_of_several_versions_extends_as_version_after_version() {
    for mode in IndexMode::ALL {
        let t = Tokenizer::Bytes;
        let docs = corpus(t, &[5, 9, 3, 12, 30, 2, 7, 7, 20, 1]);
        let limits = BuildLimits {
            max_bytes: 120,
            build_max: 70,
            threads: 1,
        };
        let a = tempfile::tempdir().unwrap();
        let a_dir = ShardDir::with_mode(a.path().to_path_buf(), mode);
        let (m0, s0) = a_dir.build(t, &docs[..3], &[3], limits).unwrap();
        let (m1, s1) = a_dir.extend(&m0, &s0, &docs[3..6], limits).unwrap();
        let (m2, s2) = a_dir.extend(&m1, &s1, &docs[6..], limits).unwrap();
        let b = tempfile::tempdir().unwrap();
        let b_dir = ShardDir::with_mode(b.path().to_path_buf(), mode);
        let (n0, t0) = b_dir.build(t, &docs[..3], &[3], limits).unwrap();
        let mut spill = b_dir.spill_after(&n0, limits).unwrap();
        for (i, (r, c)) in docs.iter().enumerate().skip(3) {
            if i == 6 {
                spill.end_version();
            }
            spill.push(*r, c).unwrap();
        }
        let (n2, t2) = b_dir.extend_spilled(&n0, &t0, spill, limits).unwrap();
        assert_eq!(
            n2, m2,
            "{mode}: the shards two extensions serve, and their merged layout"
        );
        assert_eq!(t2.id(), s2.id());
        assert_eq!(files(b.path()), files(a.path()));
        // And the merges land on the same shards.
        let (c2, _) = b_dir.compact(&n2, &t2, limits).unwrap();
        assert_eq!(c2, a_dir.compact(&m2, &s2, limits).unwrap().0);
    }
}
