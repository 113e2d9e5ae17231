//! Honest validators: the same blocks and state everywhere, the same chain for the same seed,
//! progress with one down, no fork across a partition.

use crate::harness::*;
use commonware_cryptography::Signer;
use commonware_runtime::Clock;
use sinew_bft::keys;
use sinew_consensus::Replica;
use sinew_types::Block;
use std::time::Duration;

#[test]
fn four_validators_finalize_the_same_blocks_with_the_same_state() {
    let chains = run(7, 20);
    let shortest = chains.iter().map(|c| c.len()).min().unwrap();
    assert!(shortest > 20, "every validator committed at least 20 blocks");
    assert_same_chain(&chains);
    let txs: usize = chains[0].iter().map(|b| b.txs.len()).sum();
    assert_eq!(txs, 20, "every submitted transfer was included exactly once");
    // Each transfer was submitted to one validator only: blocks of other leaders hold some.
    let (genesis, accounts, validators) = genesis();
    let submitted_to: std::collections::BTreeMap<_, _> = transfers(&genesis, &accounts, 5)
        .into_iter()
        .enumerate()
        .map(|(j, tx)| {
            let key = keys::private_key(&validators[j % VALIDATORS]).public_key();
            (tx.prepare().id, keys::address(&key))
        })
        .collect();
    let gossiped = chains[0]
        .iter()
        .flat_map(|b| b.txs.iter().map(move |t| (b.header.proposer, t)))
        .filter(|(proposer, t)| submitted_to[&(*t).clone().prepare().id] != *proposer)
        .count();
    assert!(
        gossiped > 0,
        "leaders include transactions submitted to other validators"
    );
    let leaders: std::collections::BTreeSet<_> = chains[0][1..].iter().map(|b| b.header.proposer).collect();
    assert!(leaders.len() > 1, "leadership rotates");
    for b in &chains[0][1..] {
        assert!(b.header.round.is_some(), "a BFT block names its round");
    }
}

#[test]
fn the_same_seed_gives_the_same_chain() {
    let a = run(11, 8);
    let b = run(11, 8);
    let hashes = |c: &Vec<Vec<Block>>| c[0][..9].iter().map(|b| b.header.hash()).collect::<Vec<_>>();
    assert_eq!(hashes(&a), hashes(&b));
}

#[test]
fn three_of_four_keep_finalizing_when_one_is_down() {
    let chains = simulate(
        Scenario {
            seed: 3,
            offline: vec![2],
            ..Default::default()
        },
        |context, net| async move {
            let up: Vec<_> = [0, 1, 3].iter().map(|&i| &net.replicas[i]).collect();
            until_height(&context, &up, 12).await;
            assert_eq!(
                net.replicas[2].committed().height,
                0,
                "the offline validator never moved"
            );
            up.iter().map(|r| r.committed_blocks()).collect::<Vec<_>>()
        },
    );
    assert_same_chain(&chains);
    let txs: usize = chains[0].iter().map(|b| b.txs.len()).sum();
    assert_eq!(txs, 20);
}

#[test]
fn a_partition_without_a_quorum_stalls_then_heals_without_a_fork() {
    let chains = simulate(
        Scenario {
            seed: 9,
            ..Default::default()
        },
        |context, net| async move {
            let all: Vec<_> = net.replicas.iter().collect();
            until_height(&context, &all, 5).await;
            // Split {0,1} from {2,3}: neither side has 2f+1 = 3 validators.
            let (left, right) = net.peers.split_at(2);
            for a in left {
                for b in right {
                    net.oracle.remove_link(a.clone(), b.clone()).await.unwrap();
                    net.oracle.remove_link(b.clone(), a.clone()).await.unwrap();
                }
            }
            context.sleep(Duration::from_secs(2)).await;
            let stalled: Vec<u64> = all.iter().map(|r| r.committed().height).collect();
            context.sleep(Duration::from_secs(20)).await;
            let later: Vec<u64> = all.iter().map(|r| r.committed().height).collect();
            assert_eq!(stalled, later, "no side finalizes without a quorum");
            link_groups(&net.oracle, left, right, GOOD).await;
            link_groups(&net.oracle, right, left, GOOD).await;
            let top = *later.iter().max().unwrap();
            until_height(&context, &all, top + 10).await;
            all.iter().map(|r| r.committed_blocks()).collect::<Vec<_>>()
        },
    );
    assert_same_chain(&chains);
}
