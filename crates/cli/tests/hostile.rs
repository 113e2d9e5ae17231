//! The hostile load test, short and with liveness only (every honest transfer commits, blocks
//! keep coming, no hostile request gets a 500): `scripts/load-hostile.sh` runs the long one with
//! the latency target on a release build.

use std::process::Command;

#[test]
fn the_chain_keeps_going_under_hostile_requests_to_every_endpoint() {
    let out = Command::new(env!("CARGO_BIN_EXE_sinew"))
        .args([
            "bench",
            "hostile",
            "--seconds",
            "4",
            "--rate",
            "10",
            "--attackers",
            "2",
            "--liveness-only",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("honest transfers:"), "{stdout}");
    // The attacks were refused for what they are, not by accident.
    for expected in ["events     503", "upload", "gateway    401", "lists      400"] {
        assert!(stdout.contains(expected), "no {expected:?} in {stdout}");
    }
}
