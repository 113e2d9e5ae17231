//! Fork-aware execution: blocks proposed and validated on any executed, unfinalized parent; a
//! random fork tree finalized along one branch ends exactly where executing that branch linearly
//! does, header by header; competitors are dropped and nothing can build on them afterwards.

use proptest::prelude::*;
use sinew_state::{read, Account, BlockError, Chain, NoBlobs, StateKey};
use sinew_testkit::rng::Rng;
use sinew_testkit::test_genesis;
use sinew_types::payload::Transfer;
use sinew_types::tx::PreparedTx;
use sinew_types::{Block, Hash, Keypair, Transaction};

/// Transfers by random keys with the nonces the branch ending at `parent` expects.
fn transfers(chain: &Chain, parent: &Hash, keys: &[Keypair], rng: &mut Rng) -> Vec<PreparedTx> {
    let state = chain.state_on(chain.tree(), parent).expect("a known parent");
    let mut next: Vec<u64> = keys
        .iter()
        .map(|k| {
            read::<Account, _>(&state, &StateKey::Account(k.address()))
                .unwrap()
                .map_or(0, |a| a.nonce)
        })
        .collect();
    (0..rng.below(5))
        .map(|_| {
            let who = rng.below(keys.len() as u64) as usize;
            let to = keys[rng.below(keys.len() as u64) as usize].address();
            let tx = Transaction {
                chain_id: "sinew-test".into(),
                signer: keys[who].address(),
                nonce: next[who],
                max_fee: 10_000_000,
                payload: Transfer {
                    to,
                    amount: 1 + u128::from(rng.below(1_000)),
                }
                .into(),
            };
            next[who] += 1;
            keys[who].sign(tx).prepare()
        })
        .collect()
}

/// Builds a random fork tree in rounds, finalizing a random pending block after each; returns
/// the finalized blocks in order and the chain.
fn fork_tree(seed: u64, rounds: usize) -> (Vec<Block>, Chain, Vec<Hash>) {
    let mut rng = Rng::new(seed);
    let (genesis, keys) = test_genesis(4, 1_000_000_000);
    let (mut chain, gb) = Chain::from_genesis(&genesis, 8).unwrap();
    chain.commit(gb);
    let mut finalized = Vec::new();
    let mut dropped = Vec::new();
    let mut known: Vec<Hash> = vec![chain.head().hash()];
    for _ in 0..rounds {
        for _ in 0..1 + rng.below(6) {
            let parent = known[rng.below(known.len() as u64) as usize];
            let txs = transfers(&chain, &parent, &keys, &mut rng);
            let (proposed, _) = chain
                .propose_on(&parent, chain.tree(), &NoBlobs, &txs, 1_000, keys[0].address())
                .unwrap();
            // Every replica re-executes it on the same parent to the same header.
            let validated = chain
                .validate(chain.tree(), &NoBlobs, proposed.block.clone(), |_| false)
                .unwrap();
            assert_eq!(validated.block.header, proposed.block.header);
            known.push(chain.add_pending(validated));
        }
        let head = chain.head().hash();
        let tips: Vec<Hash> = known.iter().copied().filter(|h| *h != head).collect();
        let tip = tips[rng.below(tips.len() as u64) as usize];
        for (block, _) in chain.finalize(&tip).unwrap() {
            finalized.push(block);
        }
        let head = chain.head().hash();
        let (live, gone): (Vec<Hash>, Vec<Hash>) = known
            .into_iter()
            .partition(|h| *h == head || chain.state_on(chain.tree(), h).is_ok());
        dropped.extend(gone);
        known = live;
    }
    (finalized, chain, dropped)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn a_fork_tree_finalized_along_one_branch_gives_the_linear_roots(seed in any::<u64>(), rounds in 1usize..6) {
        let (finalized, forked, dropped) = fork_tree(seed, rounds);
        // Executing the finalized branch linearly gives the same headers, block by block.
        let (genesis, _) = test_genesis(4, 1_000_000_000);
        let (mut linear, gb) = Chain::from_genesis(&genesis, 8).unwrap();
        linear.commit(gb);
        for block in &finalized {
            let executed = linear.validate(linear.tree(), &NoBlobs, block.clone(), |_| false).unwrap();
            prop_assert_eq!(&executed.block.header, &block.header);
            linear.commit(executed);
        }
        prop_assert_eq!(linear.head(), forked.head());
        // Nothing builds on a dropped competitor any more.
        for h in dropped {
            let refused = forked.propose_on(&h, forked.tree(), &NoBlobs, &[], 1_000, Default::default());
            prop_assert!(matches!(refused, Err(BlockError::UnknownParent(p)) if p == h));
        }
    }
}

#[test]
fn competing_blocks_at_one_height_each_execute_and_only_the_finalized_one_remains() {
    let (genesis, keys) = test_genesis(2, 1_000_000_000);
    let (mut chain, gb) = Chain::from_genesis(&genesis, 8).unwrap();
    chain.commit(gb);
    let head = chain.head().hash();
    let pay = |amount: u128| {
        let tx = Transaction {
            chain_id: "sinew-test".into(),
            signer: keys[0].address(),
            nonce: 0,
            max_fee: 10_000_000,
            payload: Transfer {
                to: keys[1].address(),
                amount,
            }
            .into(),
        };
        keys[0].sign(tx).prepare()
    };
    // Two leaders propose different blocks on the same parent, spending the same nonce.
    let (a, _) = chain
        .propose_on(&head, chain.tree(), &NoBlobs, &[pay(5)], 1, keys[0].address())
        .unwrap();
    let (b, _) = chain
        .propose_on(&head, chain.tree(), &NoBlobs, &[pay(7)], 1, keys[1].address())
        .unwrap();
    assert_ne!(a.block.header.state_root, b.block.header.state_root);
    let (ha, hb) = (chain.add_pending(a), chain.add_pending(b));
    // A child of `b` sees `b`'s transfer (nonce 1 next), not `a`'s.
    let state = chain.state_on(chain.tree(), &hb).unwrap();
    let sender: Account = read(&state, &StateKey::Account(keys[0].address())).unwrap().unwrap();
    assert_eq!(sender.nonce, 1);
    let (child, _) = chain
        .propose_on(&hb, chain.tree(), &NoBlobs, &[], 2, keys[0].address())
        .unwrap();
    let hc = chain.add_pending(child);
    assert_eq!(chain.pending_count(), 3);
    // Finalizing the child commits `b` then the child and drops `a`.
    let committed = chain.finalize(&hc).unwrap();
    assert_eq!(committed.len(), 2);
    assert_eq!(committed[0].0.header.hash(), hb);
    assert_eq!(chain.head().hash(), hc);
    assert_eq!(chain.pending_count(), 0);
    let receiver: Account = read(chain.tree(), &StateKey::Account(keys[1].address()))
        .unwrap()
        .unwrap();
    assert_eq!(receiver.balance, 1_000_000_007, "b's transfer, not a's");
    assert!(matches!(chain.finalize(&ha), Err(BlockError::UnknownParent(_))));
}

#[test]
fn fork_trees_have_branches_transactions_and_dropped_competitors() {
    let (mut blocks, mut txs, mut dropped) = (0, 0, 0);
    for seed in 0..16 {
        let (finalized, _, gone) = fork_tree(seed, 5);
        blocks += finalized.len();
        txs += finalized.iter().map(|b| b.txs.len()).sum::<usize>();
        dropped += gone.len();
    }
    println!("{blocks} blocks finalized with {txs} transactions; {dropped} blocks dropped or left behind");
    assert!(blocks > 40 && txs > 40 && dropped > 20, "{blocks} {txs} {dropped}");
}

#[test]
fn a_header_that_does_not_commit_to_the_signatures_is_refused() {
    let (genesis, keys) = test_genesis(2, 1_000_000_000);
    let (mut chain, gb) = Chain::from_genesis(&genesis, 8).unwrap();
    chain.commit(gb);
    let tx = Transaction {
        chain_id: "sinew-test".into(),
        signer: keys[0].address(),
        nonce: 0,
        max_fee: 10_000_000,
        payload: Transfer {
            to: keys[1].address(),
            amount: 3,
        }
        .into(),
    };
    let ptx = keys[0].sign(tx).prepare();
    let (proposed, _) = chain
        .propose(chain.tree(), &NoBlobs, [&ptx], 1, keys[0].address())
        .unwrap();
    let mut block = proposed.block.clone();
    block.header.sig_root = Hash::of(b"not the signatures");
    match chain.validate(chain.tree(), &NoBlobs, block, |_| false) {
        Err(BlockError::HeaderMismatch { field, .. }) => assert_eq!(field, "sig_root"),
        other => panic!("expected a sig_root mismatch, got {:?}", other.map(|e| e.block.header)),
    }
}
