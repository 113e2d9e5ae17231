#!/usr/bin/env bash
# The test command (README.md): the Rust workspace's tests, then the Python package's
# (scripts/test-python.sh). Arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked "$@"
scripts/test-python.sh
