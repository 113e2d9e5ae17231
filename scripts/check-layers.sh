#!/usr/bin/env bash
# The crate layering rules that a compiler does not check: clients (the SDK, the agent SDK) build
# on the types crate alone, never on the state machine or its heavy dependencies. Exit 1 names the
# first crate that breaks a rule.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for client in sinew-sdk sinew-agent; do
  found=$(cargo tree -p "$client" -e normal,build,dev --prefix none --locked 2>/dev/null \
    | grep -E '^(sinew-state|sinew-store|sinew-node|jmt|libsais[a-z-]*|pdf-extract|tiktoken-rs) ' | sort -u || true)
  if [ -n "$found" ]; then
    echo "layering: $client must not depend on:" $found
    status=1
  fi
done
[ $status -eq 0 ] && echo "layering: sinew-sdk and sinew-agent depend on sinew-types only"
exit $status
