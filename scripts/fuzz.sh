#!/usr/bin/env bash
# Runs each cargo-fuzz target for a while (default 60 s each). Installs cargo-fuzz from crates.io
# if missing. cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain accept them.
# Usage: scripts/fuzz.sh [seconds-per-target]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECS=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
for t in decode_tx apply_block ledger http_bodies; do
  echo "== fuzzing $t for ${SECS}s"
  cargo fuzz run "$t" -- -max_total_time="$SECS" -max_len=4096
done
