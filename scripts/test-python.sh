#!/usr/bin/env bash
# The Python package's tests: installs `sinew` from ./python with pip into a virtualenv, as a
# user would (maturin builds the Rust half in release), then runs pytest; the tests start their
# own devnet with target/debug/sinew. Every optional dependency is installed, and
# SINEW_PY_STRICT=1 makes a missing one fail rather than skip.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${SINEW_PY_VENV:-/tmp/sinew-py-test-venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q pytest openai numpy tqdm pandas datasets mcp
"$VENV/bin/pip" install -q --force-reinstall --no-deps ./python
cargo build -q --locked -p sinew
SINEW_PY_STRICT=1 SINEW_BIN="$PWD/target/debug/sinew" "$VENV/bin/python" -m pytest python/tests -q -p no:cacheprovider "$@"
