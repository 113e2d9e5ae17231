//! Faults of the machine and the network: every validator crashing at an arbitrary moment and
//! restarting from what it made durable (its committed blocks, consensus journals), a validator
//! joining late and catching up through backfill, links with high latency, jitter and loss.

use crate::harness::*;
use commonware_p2p::simulated::Link;
use commonware_runtime::{deterministic, Clock, Runner};
use commonware_utils::probability;
use rand::RngExt;
use sinew_consensus::Replica;
use sinew_testkit::MemReplica;
use sinew_types::Block;
use std::sync::Arc;
use std::time::Duration;

/// A replica reopened after a crash: what it had committed (durable before it acknowledged),
/// nothing pending, its share of the transfers submitted again (a mempool is not durable).
fn reopen(committed: &[Block], i: usize) -> Arc<MemReplica> {
    let (genesis, accounts, _) = genesis();
    let r = Arc::new(MemReplica::new(&genesis));
    for b in &committed[1..] {
        assert_eq!(r.execute(b).unwrap(), sinew_consensus::Verdict::Valid);
        r.finalize(b).unwrap();
    }
    for (j, tx) in transfers(&genesis, &accounts, 5).into_iter().enumerate() {
        if j % VALIDATORS == i {
            r.submit(tx);
        }
    }
    r
}

#[test]
fn validators_crashed_at_an_arbitrary_moment_resume_without_voting_twice() {
    for seed in [21, 22] {
        let cfg = deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(600)));
        let scenario = Scenario {
            seed,
            ..Default::default()
        };
        let (before, checkpoint) = deterministic::Runner::new(cfg).start_and_recover(|mut context| async move {
            let net = start(&context, &scenario).await;
            let all: Vec<_> = net.replicas.iter().collect();
            until_height(&context, &all, 3).await;
            // Crash somewhere in the next second: mid-view, mid-commit, wherever it falls.
            let ms = context.random_range(0..1_000);
            context.sleep(Duration::from_millis(ms)).await;
            net.replicas.iter().map(|r| r.committed_blocks()).collect::<Vec<_>>()
        });
        let recovered: Vec<_> = before.iter().enumerate().map(|(i, c)| reopen(c, i)).collect();
        let heights: Vec<u64> = recovered.iter().map(|r| r.committed().height).collect();
        let (chains, faults) = deterministic::Runner::from(checkpoint).start(|context| async move {
            let net = start(
                &context,
                &Scenario {
                    seed,
                    recovered: Some(recovered),
                    ..Default::default()
                },
            )
            .await;
            let all: Vec<_> = net.replicas.iter().collect();
            let top = all.iter().map(|r| r.committed().height).max().unwrap();
            until_height(&context, &all, top + 10).await;
            let faults: usize = net
                .monitors
                .iter()
                .flatten()
                .map(|m| {
                    use sinew_consensus::ConsensusInfo;
                    m.status().faults.len()
                })
                .sum();
            (all.iter().map(|r| r.committed_blocks()).collect::<Vec<_>>(), faults)
        });
        assert_same_chain(&chains);
        for (i, c) in chains.iter().enumerate() {
            assert_eq!(
                c[..before[i].len()],
                before[i][..],
                "validator {i} kept what it had committed"
            );
            assert!(c.len() as u64 > heights[i] + 9);
        }
        assert_eq!(
            faults, 0,
            "no validator signed conflicting votes after restarting (seed {seed})"
        );
        let txs: usize = chains[0].iter().map(|b| b.txs.len()).sum();
        assert_eq!(txs, 20, "every transfer committed exactly once across the crash");
    }
}

#[test]
fn a_late_validator_catches_up_through_backfill() {
    let chains = simulate(
        Scenario {
            seed: 23,
            late: vec![3],
            ..Default::default()
        },
        |context, mut net| async move {
            let early: Vec<_> = [0, 1, 2].iter().map(|&i| net.replicas[i].clone()).collect();
            until_height(&context, &early.iter().collect::<Vec<_>>(), 12).await;
            assert_eq!(net.replicas[3].committed().height, 0);
            net.start_late(&context, 3).await;
            let all: Vec<_> = net.replicas.to_vec();
            let top = all.iter().map(|r| r.committed().height).max().unwrap();
            until_height(&context, &all.iter().collect::<Vec<_>>(), top + 5).await;
            all.iter().map(|r| r.committed_blocks()).collect::<Vec<_>>()
        },
    );
    assert_same_chain(&chains);
    let txs: usize = chains[3].iter().map(|b| b.txs.len()).sum();
    assert_eq!(
        txs, 20,
        "the late validator's own transfers went through once it joined"
    );
}

#[test]
fn bad_links_with_latency_jitter_and_a_quarter_lost_still_finalize_one_chain() {
    let chains = simulate(
        Scenario {
            seed: 29,
            link: Some(Link {
                latency: Duration::from_millis(150),
                jitter: Duration::from_millis(100),
                success_rate: probability!(0.75),
            }),
            ..Default::default()
        },
        |context, net| async move {
            let all: Vec<_> = net.replicas.iter().collect();
            until_height(&context, &all, 15).await;
            all.iter().map(|r| r.committed_blocks()).collect::<Vec<_>>()
        },
    );
    assert_same_chain(&chains);
    let txs: usize = chains[0].iter().map(|b| b.txs.len()).sum();
    assert_eq!(txs, 20);
}
