//! Blobs between validators: fetched piece by piece from whoever holds them, checked against
//! their id; a leader citing a blob it never serves loses its views; a validator serving corrupt
//! pieces is blocked.

use crate::harness::*;
use commonware_cryptography::ed25519::PublicKey;
use commonware_runtime::Clock;
use sinew_consensus::Replica;
use std::time::Duration;

#[test]
fn a_contribution_held_by_one_validator_reaches_all_with_the_same_state() {
    let (chains, roots, held) = simulate(
        Scenario {
            seed: 13,
            contribution: Some((6_000, vec![0])),
            ..Default::default()
        },
        |context, net| async move {
            let all: Vec<_> = net.replicas.iter().collect();
            // Until the contribution is final everywhere.
            while all.iter().any(|r| contributions(&r.committed_blocks()) == 0) {
                until_height(&context, &all, all[0].committed().height + 1).await;
            }
            let top = all.iter().map(|r| r.committed().height).max().unwrap();
            until_height(&context, &all, top + 2).await;
            let blob = sinew_types::Hash::of(&big_text(6_000));
            (
                all.iter().map(|r| r.committed_blocks()).collect::<Vec<_>>(),
                all.iter().map(|r| r.committed().state_root).collect::<Vec<_>>(),
                all.iter().map(|r| r.has_blob(&blob)).collect::<Vec<_>>(),
            )
        },
    );
    assert!(big_text(6_000).len() > 2 << 20, "the blob spans several pieces");
    assert_same_chain(&chains);
    assert_eq!(held, vec![true; VALIDATORS], "every validator fetched the blob");
    for c in &chains {
        assert_eq!(contributions(c), 1);
    }
    // Equal heights give equal roots: compare the state each reached at the shortest chain.
    let shortest = chains.iter().map(|c| c.len()).min().unwrap();
    for c in &chains {
        assert_eq!(
            c[shortest - 1].header.state_root,
            chains[0][shortest - 1].header.state_root
        );
    }
    assert!(roots.iter().all(|r| *r != sinew_types::Hash::ZERO));
}

#[test]
fn a_leader_citing_a_blob_it_never_serves_loses_its_views_and_the_chain_goes_on() {
    let (chains, liar_key, holders) = simulate(
        Scenario {
            seed: 17,
            liar: Some((1, Lie::Withhold)),
            contribution: Some((200, vec![1])),
            ..Default::default()
        },
        |context, net| async move {
            let honest: Vec<_> = [0, 2, 3].iter().map(|&i| &net.replicas[i]).collect();
            until_height(&context, &honest, 15).await;
            let blob = sinew_types::Hash::of(&big_text(200));
            (
                honest.iter().map(|r| r.committed_blocks()).collect::<Vec<_>>(),
                sinew_bft::keys::address(&net.peers[1]),
                honest.iter().filter(|r| r.has_blob(&blob)).count(),
            )
        },
    );
    assert_same_chain(&chains);
    for c in &chains {
        assert_eq!(
            contributions(c),
            0,
            "the contribution whose blob nobody got is never final"
        );
        let transfers = c
            .iter()
            .flat_map(|b| &b.txs)
            .filter(|t| t.tx.payload.kind() == "transfer")
            .count();
        assert_eq!(transfers, 20, "the transfers all went through");
    }
    assert!(
        chains[0]
            .iter()
            .filter(|b| b.header.proposer == liar_key)
            .all(|b| b.txs.is_empty() || contributions(std::slice::from_ref(b)) == 0),
        "no block of the withholding leader citing its blob was finalized"
    );
    assert_eq!(holders, 0, "nobody else holds the withheld blob");
}

#[test]
fn a_validator_serving_corrupt_pieces_is_blocked_and_the_blob_comes_from_another() {
    let (chains, held, blocked, liar) = simulate(
        Scenario {
            seed: 19,
            liar: Some((1, Lie::Corrupt)),
            contribution: Some((6_000, vec![1])),
            ..Default::default()
        },
        |context, net| async move {
            let honest: Vec<_> = [0, 2, 3].iter().map(|&i| &net.replicas[i]).collect();
            let liar = net.peers[1].clone();
            // First the corrupting validator is the only holder: whoever asks it gets bad
            // bytes, and blocks it.
            let blocked_by_all = |b: &[(PublicKey, PublicKey)]| {
                [0, 2, 3]
                    .iter()
                    .all(|&i| b.iter().any(|(by, who)| *by == net.peers[i] && *who == liar))
            };
            while !blocked_by_all(&net.oracle.blocked().await.unwrap()) {
                context.sleep(Duration::from_millis(100)).await;
            }
            assert!(honest.iter().all(|r| contributions(&r.committed_blocks()) == 0));
            // Then the contributor also uploads to an honest validator: the others get it there.
            net.replicas[0].put_blob(&big_text(6_000));
            while honest.iter().any(|r| contributions(&r.committed_blocks()) == 0) {
                until_height(&context, &honest, honest[0].committed().height + 1).await;
            }
            let blob = sinew_types::Hash::of(&big_text(6_000));
            (
                honest.iter().map(|r| r.committed_blocks()).collect::<Vec<_>>(),
                honest.iter().filter(|r| r.has_blob(&blob)).count(),
                net.oracle.blocked().await.unwrap(),
                liar,
            )
        },
    );
    assert_same_chain(&chains);
    assert_eq!(held, 3, "every honest validator holds the blob");
    assert!(
        blocked.iter().all(|(_, b)| *b == liar),
        "only the corrupting validator is blocked: {blocked:?}"
    );
}
