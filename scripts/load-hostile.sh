#!/usr/bin/env bash
# The hostile load test: a node on loopback under hostile requests to every public endpoint
# while honest transfers flow; prints honest commit latency (target p99 < 1 s), blocks produced,
# memory, and what every attack got back. Release build.
# Usage: scripts/load-hostile.sh [seconds] [honest transfers per second] [attacking threads]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p sinew --locked
target/release/sinew bench hostile --seconds "${1:-30}" --rate "${2:-20}" --attackers "${3:-4}"
