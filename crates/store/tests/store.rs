//! The store keeps blocks, receipts, the tx index and state across reopen, and the state tree
//! rebuilt from it matches the committed root.

use sinew_state::Chain;
use sinew_store::{Store, StoreError};
use sinew_testkit::test_genesis;
use sinew_types::payload::Transfer;
use sinew_types::{Address, Transaction};

#[test]
fn blocks_survive_reopen_and_rebuild_the_same_root() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let (g, keys) = test_genesis(3, 1_000_000);
    let mut ids = vec![];
    {
        let store = Store::open(&path).unwrap();
        let (mut chain, gb) = Chain::from_genesis(&g, 4).unwrap();
        store.init_genesis(&g, &gb.block, &gb.effects).unwrap();
        chain.commit(gb);
        assert!(matches!(
            store.init_genesis(&g, &chain_block(&store, 0), &Default::default()),
            Err(StoreError::AlreadyInitialised)
        ));
        for n in 0..5u64 {
            let t = keys[0]
                .sign(Transaction {
                    chain_id: g.chain_id.clone(),
                    signer: keys[0].address(),
                    nonce: n,
                    max_fee: 1_000_000,
                    payload: Transfer {
                        to: keys[1].address(),
                        amount: 10,
                    }
                    .into(),
                })
                .prepare();
            ids.push(t.id);
            let snap = store.snapshot().unwrap();
            let (ex, rej) = chain
                .propose(&snap, &sinew_state::NoBlobs, [&t], 0, Address::default())
                .unwrap();
            assert!(rej.is_empty());
            store.commit_block(&ex.block, &ex.effects).unwrap();
            // Committing the same height twice is refused.
            assert!(matches!(
                store.commit_block(&ex.block, &ex.effects),
                Err(StoreError::NotNext { .. })
            ));
            chain.commit(ex);
        }
    }
    let store = Store::open(&path).unwrap();
    let head = store.head().unwrap().unwrap();
    assert_eq!(head.height, 5);
    assert_eq!(store.genesis().unwrap().unwrap(), g);
    for (i, id) in ids.iter().enumerate() {
        let loc = store.tx_location(id).unwrap().unwrap();
        assert_eq!((loc.height, loc.index), (i as u64 + 1, 0));
        let r = store.receipts(loc.height).unwrap().unwrap();
        assert_eq!(r.receipts[0].tx_id, *id);
    }
    assert_eq!(store.height_of(&head.hash()).unwrap(), Some(5));
    // Headers read alone, and the activity index: each account's events, newest first, by cursor.
    for h in 0..=5 {
        assert_eq!(store.header(h).unwrap().unwrap(), chain_block(&store, h).header);
    }
    assert!(store.header(6).unwrap().is_none());
    let sender = store.account_activity(&keys[0].address(), None, 100).unwrap();
    let kinds: Vec<_> = sender.iter().map(|e| (e.height, e.event.kind())).collect();
    let expected: Vec<_> = (1..=5u64)
        .rev()
        .flat_map(|h| [(h, "transfer"), (h, "fee_paid")])
        .collect();
    assert_eq!(kinds, expected, "every event of the sender, newest first");
    assert!(sender.iter().all(|e| e.tx_id == Some(ids[e.height as usize - 1])));
    let page = store.account_activity(&keys[0].address(), None, 3).unwrap();
    let rest = store
        .account_activity(&keys[0].address(), Some(&page[2].cursor), 100)
        .unwrap();
    assert_eq!([page, rest].concat(), sender, "pages continue where the last ended");
    let receiver = store.account_activity(&keys[1].address(), None, 100).unwrap();
    assert_eq!(receiver.len(), 5, "the receiver sees the transfers only");
    assert!(store
        .account_activity(&keys[2].address(), None, 100)
        .unwrap()
        .is_empty());
    assert!(store.answers(None, None, 10).unwrap().is_empty());
    assert!(matches!(
        store.account_activity(&keys[0].address(), Some(b"short"), 10),
        Err(StoreError::Corrupt(_))
    ));
    let chain = Chain::open(head.clone(), store.state_entries().unwrap(), 4).unwrap();
    assert_eq!(chain.head().state_root, head.state_root);
    // A lying header (as from a corrupted file) is caught on open.
    let mut bad = head;
    bad.state_root.0[0] ^= 1;
    assert!(Chain::open(bad, store.state_entries().unwrap(), 4).is_err());
}

fn chain_block(store: &Store, h: u64) -> sinew_types::Block {
    store.block(h).unwrap().unwrap()
}
