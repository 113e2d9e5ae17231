//! Property tests: random streams of valid and invalid transactions over many accounts conserve
//! supply, keep every nonce exact, and two replicas (leader and validator) agree on every root.

use proptest::prelude::*;
use sinew_state::{Chain, MemState};
use sinew_testkit::harness::{apply_ops, decode_roundtrip};
use sinew_testkit::test_genesis;
use sinew_types::payload::Transfer;
use sinew_types::{Address, Transaction};

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_blocks_conserve_supply_and_replicate(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        apply_ops(&data);
    }

    #[test]
    fn decoding_arbitrary_bytes_is_safe(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        decode_roundtrip(&data);
    }
}

#[test]
fn replay_from_genesis_gives_the_same_roots() {
    let (g, keys) = test_genesis(8, 1_000_000_000);
    let run = || {
        let (mut chain, gb) = Chain::from_genesis(&g, 4).unwrap();
        let mut state = MemState::default();
        state.apply(&gb.effects.writes);
        chain.commit(gb);
        let mut roots = vec![];
        let mut blocks = vec![];
        for h in 0..20u64 {
            let txs: Vec<_> = (0..8)
                .map(|i| {
                    let to = keys[(i + 1 + h as usize % 7) % 8].address();
                    keys[i]
                        .sign(Transaction {
                            chain_id: g.chain_id.clone(),
                            signer: keys[i].address(),
                            nonce: h,
                            max_fee: 10_000_000,
                            payload: Transfer {
                                to,
                                amount: (h as u128 + 1) * 7,
                            }
                            .into(),
                        })
                        .prepare()
                })
                .collect();
            let (ex, rej) = chain
                .propose(&state, &sinew_state::NoBlobs, &txs, h, Address::default())
                .unwrap();
            assert!(rej.is_empty());
            roots.push(ex.block.header.state_root);
            blocks.push(ex.block.clone());
            state.apply(&ex.effects.writes);
            chain.commit(ex);
        }
        (roots, blocks, state)
    };
    let (roots, blocks, state) = run();
    let (roots2, _, _) = run();
    assert_eq!(roots, roots2, "two runs give identical roots");
    // A validator replays the stored blocks from genesis.
    let (mut chain, gb) = Chain::from_genesis(&g, 4).unwrap();
    let mut replay = MemState::default();
    replay.apply(&gb.effects.writes);
    chain.commit(gb);
    for (i, b) in blocks.into_iter().enumerate() {
        let ex = chain.validate(&replay, &sinew_state::NoBlobs, b, |_| false).unwrap();
        assert_eq!(ex.block.header.state_root, roots[i]);
        replay.apply(&ex.effects.writes);
        chain.commit(ex);
    }
    assert_eq!(replay, state);
}
