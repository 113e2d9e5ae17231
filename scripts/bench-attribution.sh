#!/usr/bin/env bash
# Attribution benchmark with its peer in the same run: Sinew's index and queries over MB megabytes
# of text generated deterministically (distinct documents; 1000 for the 1 GB figures), then
# infini-gram 2.6.0 (PyPI, in a virtualenv this script creates) on the same corpus, the same
# count queries and the same answers; it checks the counts and spans agree and prints both
# sides' figures.
# Usage: scripts/bench-attribution.sh [MB]
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${1:-100}
WORK=$(mktemp -d /tmp/sinew-attr-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
VENV=${SINEW_PEER_VENV:-/tmp/sinew-infini-gram-venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q infini-gram==2.6.0 numpy zstandard transformers
fi
cargo build --release -q -p sinew
mkdir -p "$WORK/corpus"
echo "== sinew"
target/release/sinew bench attribution --mb "$MB" --jsonl "$WORK/corpus/corpus.jsonl" --dump "$WORK/dump"
echo "== infini-gram (same corpus, same queries)"
"$VENV/bin/python" scripts/infini_gram_peer.py "$WORK/corpus" "$WORK/ig-index" "$WORK/dump"
