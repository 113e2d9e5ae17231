#!/usr/bin/env bash
# The crate layering rules that a compiler does not check: clients (the SDK, the agent SDK) build
# on the types crate alone, never on the state machine or its heavy dependencies; the Python
# bindings take the pure core (types, state, attribution, datanet ingestion) and the SDK, never
# the node, its storage, consensus or an async runtime. Exit 1 names the crate that breaks a rule.
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
found=$(cargo tree -p sinew-py -e normal,build --prefix none --locked 2>/dev/null \
  | grep -E '^(sinew-node|sinew-store|sinew-bft|sinew-consensus|tokio|axum|fjall|commonware-[a-z-]*) ' | sort -u || true)
if [ -n "$found" ]; then
  echo "layering: sinew-py must not depend on:" $found
  status=1
fi
[ $status -eq 0 ] && echo "layering: sinew-sdk and sinew-agent depend on sinew-types only; sinew-py on the pure core and the SDK"
exit $status
