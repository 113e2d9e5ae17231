//! Leaders that lie in what they propose (a state root nobody computed, a timestamp a year ahead
//! or before its parent) never get a block finalized, and the chain goes on without them.

use crate::harness::*;
use sinew_consensus::Replica;
use sinew_testkit::MemReplica;

/// Runs four validators, validator 1 lying with `lie`, until the honest ones have committed 15
/// blocks; asserts none of the liar's blocks was finalized and every finalized block replays.
fn a_lying_leader_never_gets_a_block_finalized(lie: Lie) {
    let (chains, liar_key) = simulate(
        Scenario {
            seed: 5,
            liar: Some((1, lie)),
            ..Default::default()
        },
        |context, net| async move {
            let honest: Vec<_> = [0, 2, 3].iter().map(|&i| &net.replicas[i]).collect();
            until_height(&context, &honest, 15).await;
            assert!(net.liar.is_some());
            (
                honest.iter().map(|r| r.committed_blocks()).collect::<Vec<_>>(),
                sinew_bft::keys::address(&net.peers[1]),
            )
        },
    );
    assert_same_chain(&chains);
    assert!(
        chains[0].iter().all(|b| b.header.proposer != liar_key),
        "no block of the lying leader was finalized ({lie:?})"
    );
    // Every honest block re-executes to its claimed root: a fresh replica replays them all.
    let (genesis, _, _) = genesis();
    let replay = MemReplica::new(&genesis);
    for b in &chains[0][1..] {
        assert_eq!(replay.execute(b).unwrap(), sinew_consensus::Verdict::Valid);
        replay.finalize(b).unwrap();
    }
}

#[test]
fn a_leader_lying_about_the_state_root_never_gets_a_block_finalized() {
    a_lying_leader_never_gets_a_block_finalized(Lie::StateRoot);
}

#[test]
fn a_leader_stamping_blocks_a_year_ahead_neither_stops_the_chain_nor_gets_them_finalized() {
    a_lying_leader_never_gets_a_block_finalized(Lie::Future);
}

#[test]
fn a_leader_stamping_blocks_before_their_parent_never_gets_them_finalized() {
    a_lying_leader_never_gets_a_block_finalized(Lie::Past);
}
