#!/usr/bin/env bash
# The seeded simulation, for longer than the test command runs it: every payload kind by honest
# and hostile participants over many blocks, on three replicas and a durable one that crashes
# and reopens. A failure prints its seed; the same seed replays the same run.
#
#   scripts/sim.sh 7            # one seed
#   scripts/sim.sh 1..200       # a range
#   BLOCKS=2000 scripts/sim.sh 1 2 3
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: scripts/sim.sh SEED|LO..HI ..." >&2; exit 2; }
exec cargo run -q --release -p sinew-testkit --bin sim -- --blocks "${BLOCKS:-400}" "$@"
