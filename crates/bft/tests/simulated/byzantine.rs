//! One Byzantine validator of four, played by commonware's mocks with a real validator key, or
//! by twins (two real Sinew stacks sharing one key): safety and liveness hold, and where the
//! fault is provable (conflicting signed votes) the honest validators report it and block the
//! sender.

use crate::harness::*;
use sinew_consensus::ConsensusInfo;

/// Runs `byz` as validator 1 until the honest three commit 15 blocks; returns their chains,
/// the faults their monitors report against validator 1, and who blocked validator 1.
fn with_byzantine(byz: Byz, seed: u64) -> (Vec<Vec<sinew_types::Block>>, usize, usize) {
    simulate(
        Scenario {
            seed,
            byzantine: Some((1, byz)),
            ..Default::default()
        },
        |context, net| async move {
            let honest: Vec<_> = [0, 2, 3].iter().map(|&i| &net.replicas[i]).collect();
            until_height(&context, &honest, 15).await;
            let bad = sinew_bft::keys::address(&net.peers[1]);
            let faults = [0, 2, 3]
                .iter()
                .filter_map(|&i| net.monitors[i].as_ref())
                .flat_map(|m| m.status().faults)
                .filter(|f| f.validator == bad)
                .count();
            let blocked = net
                .oracle
                .blocked()
                .await
                .unwrap()
                .iter()
                .filter(|(_, who)| *who == net.peers[1])
                .count();
            (honest.iter().map(|r| r.committed_blocks()).collect(), faults, blocked)
        },
    )
}

fn assert_progress(chains: &[Vec<sinew_types::Block>]) {
    assert_same_chain(chains);
    let txs: usize = chains[0].iter().map(|b| b.txs.len()).sum();
    assert_eq!(txs, 20, "every honest transfer committed exactly once");
}

#[test]
fn a_conflicting_voter_is_proven_faulty_and_blocked_and_the_chain_goes_on() {
    let (chains, faults, blocked) = with_byzantine(Byz::Conflicter, 31);
    assert_progress(&chains);
    assert!(faults > 0 || blocked > 0, "conflicting votes are detected");
    assert!(blocked > 0, "honest validators block the conflicter");
}

#[test]
fn a_validator_voting_to_skip_every_view_does_not_stop_the_chain() {
    let (chains, _, _) = with_byzantine(Byz::Nuller, 37);
    assert_progress(&chains);
}

#[test]
fn an_equivocating_leader_gets_nothing_finalized_and_the_chain_goes_on() {
    let (chains, _, _) = with_byzantine(Byz::Equivocator, 41);
    assert_progress(&chains);
    let bad = {
        let (_, _, validators) = genesis();
        validators[1].address()
    };
    assert!(
        chains[0].iter().all(|b| b.header.proposer != bad),
        "no block of the equivocator was finalized"
    );
}

#[test]
fn twins_sharing_one_key_break_neither_safety_nor_liveness() {
    let (chains, _, _) = with_byzantine(Byz::Twins, 43);
    assert_progress(&chains);
}
