//! The whole ledger under random interleavings of every payload kind, by every participant,
//! honest or hostile: after every block a replica agrees and every token is where it is owed
//! (`sinew_testkit::invariants`). The same driver is the `ledger` fuzz target.

use proptest::prelude::*;
use sinew_testkit::harness::{ledger_ops, ledger_run};
use sinew_testkit::OpKind;

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_payload_kind_keeps_every_token_where_it_is_owed(data in proptest::collection::vec(any::<u8>(), 0..1_200)) {
        ledger_ops(&data);
    }
}

/// A long run from a fixed seed, so a regression shows up whatever proptest draws.
#[test]
fn a_long_fixed_run_keeps_the_ledger_whole() {
    let mut x: u64 = 0x5EED;
    let data: Vec<u8> = (0..24_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let (stats, codes) = ledger_run(&data);
    for (k, v) in &stats {
        println!(
            "{:26} succeeded {:5}  failed {:5}  not included {:5}",
            format!("{k:?}"),
            v[0],
            v[1],
            v[2]
        );
    }
    for ((k, c), n) in &codes {
        println!("  {:26} {c:28} {n}", format!("{k:?}"));
    }
    for k in OpKind::ALL {
        assert!(
            stats.get(&k).is_some_and(|v| v[0] > 0),
            "{k:?} never succeeded: {:?}",
            stats.get(&k)
        );
    }
}
