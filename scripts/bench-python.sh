#!/usr/bin/env bash
# The Python package's attribution engine beside the Rust figures and infini-gram's Python
# package, same run, same corpus, same queries: `sinew bench attribution` builds the index and
# times Rust, scripts/bench_python_engine.py opens that index through `sinew.Engine` (installed
# with pip from ./python, release build) and times the same calls, then infini-gram 2.6.0 runs them.
# Usage: scripts/bench-python.sh [MB]
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${1:-100}
WORK=$(mktemp -d /tmp/sinew-pybench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
VENV=${SINEW_PY_VENV:-/tmp/sinew-py-bench-venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --force-reinstall ./python
PEER=${SINEW_PEER_VENV:-/tmp/sinew-infini-gram-venv}
if [ ! -x "$PEER/bin/python" ]; then
  python3 -m venv "$PEER"
  "$PEER/bin/pip" install -q infini-gram==2.6.0 numpy zstandard transformers
fi
cargo build --release -q -p sinew
mkdir -p "$WORK/corpus"
echo "== sinew (Rust)"
target/release/sinew bench attribution --mb "$MB" --out "$WORK/index" --jsonl "$WORK/corpus/corpus.jsonl" \
  --dump "$WORK/dump" | tee "$WORK/rust.txt"
echo "== sinew (Python package, same index and queries)"
"$VENV/bin/python" scripts/bench_python_engine.py "$WORK/index" "$WORK/dump" "$WORK/rust.txt"
echo "== infini-gram (Python package, same corpus and queries)"
"$PEER/bin/python" scripts/infini_gram_peer.py "$WORK/corpus" "$WORK/ig-index" "$WORK/dump"
