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
            "--max-rss-growth-mib",
            "1024",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("honest transfers:"), "{stdout}");
    // The attacks were refused for what they are, not by accident.
    for expected in [
        "events     503",
        "upload",
        "gateway    401",
        "lists      400",
        "explorer",
    ] {
        assert!(stdout.contains(expected), "no {expected:?} in {stdout}");
    }
    // Every route of the API was hit with hostile parameters (events and uploads above).
    use sinew_types::api::Route;
    for route in Route::ALL
        .into_iter()
        .filter(|r| !matches!(r, Route::Events | Route::UploadBlob))
    {
        let path = route.endpoint().1;
        assert!(
            stdout.contains(&format!("\n  {path:10} ")),
            "{path} was not attacked: {stdout}"
        );
    }
}
