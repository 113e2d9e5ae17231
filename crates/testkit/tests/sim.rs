//! The seeded simulation in the test command: a few fixed seeds (longer runs: `scripts/sim.sh`),
//! the same seed replaying the same run, and a deliberately broken invariant caught with its seed.

use sinew_testkit::{simulate, SimConfig};

const BLOCKS: u64 = 400;

#[test]
fn fixed_seeds_keep_replicas_agreeing_and_the_ledger_whole_through_crashes() {
    for seed in [1, 2, 3] {
        let report = simulate(&SimConfig::new(seed, BLOCKS)).unwrap_or_else(|e| panic!("{e}"));
        assert!(report.height > BLOCKS, "{report:?}");
        assert!(report.txs > BLOCKS, "a mixed workload ran: {report:?}");
        assert!(
            report.reopens > 0,
            "the durable replica crashed and reopened: {report:?}"
        );
        assert!(
            report.lost_blocks > 0,
            "some crashes lost a block, replayed: {report:?}"
        );
        assert!(report.kinds_succeeded >= 30, "most payload kinds succeeded: {report:?}");
        println!("{report:?}");
    }
}

#[test]
fn a_seed_replays_exactly_and_another_seed_differs() {
    let a = simulate(&SimConfig::new(11, 40)).unwrap_or_else(|e| panic!("{e}"));
    let b = simulate(&SimConfig::new(11, 40)).unwrap_or_else(|e| panic!("{e}"));
    let c = simulate(&SimConfig::new(12, 40)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a, b, "the same seed gives the same run");
    assert_ne!(a.state_root, c.state_root, "another seed gives another run");
}

#[test]
fn a_broken_invariant_fails_the_run_and_names_its_seed() {
    let cfg = SimConfig {
        break_invariant_after: Some(5),
        ..SimConfig::new(4242, 30)
    };
    let failure = simulate(&cfg).expect_err("minting outside the rules is caught");
    assert_eq!(failure.seed, 4242);
    let text = failure.to_string();
    assert!(
        text.contains("seed 4242") && text.contains("scripts/sim.sh 4242"),
        "{text}"
    );
    assert!(text.contains("supply"), "the broken rule is named: {text}");
}
