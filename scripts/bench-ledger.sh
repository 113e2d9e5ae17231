#!/usr/bin/env bash
# Ledger benchmark with its peer in the same run: PostgreSQL doing the same transfers as SQL
# transactions (two balance-checked UPDATEs, synchronous_commit=on, fsync=on) under pgbench,
# then `sinew bench ledger` (in-process, and end to end over HTTP; closed loop and open loop at
# 30,000 transfers/s). Installs PostgreSQL from Debian if it is missing. Needs root for that.
#
# Usage: scripts/bench-ledger.sh [seconds-per-pgbench-run]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-20}

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "installing postgresql..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGVER=$("$PGBIN/postgres" --version)
WORK=$(mktemp -d /tmp/sinew-pg-XXXXXX)
chown postgres "$WORK"
PORT=55432
as_pg() { runuser -u postgres -- "$@"; }
cleanup() { as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

as_pg "$PGBIN/initdb" -D "$WORK/data" -A trust >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/log" -w \
  -o "-p $PORT -k $WORK -c listen_addresses='' -c synchronous_commit=on -c fsync=on -c max_connections=100 -c shared_buffers=256MB" start >/dev/null
PSQL=(as_pg "$PGBIN/psql" -h "$WORK" -p $PORT -q -v ON_ERROR_STOP=1)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE bench"
"${PSQL[@]}" -d bench -c "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0));
  INSERT INTO accounts SELECT g, 1000000000 FROM generate_series(1, 100000) g;"
"${PSQL[@]}" -d bench -c "VACUUM ANALYZE accounts"
cat > "$WORK/transfer.sql" <<'SQL'
\set src random(1, 100000)
\set dst random(1, 100000)
BEGIN;
UPDATE accounts SET balance = balance - 1 WHERE id = :src AND balance >= 1;
UPDATE accounts SET balance = balance + 1 WHERE id = :dst;
COMMIT;
SQL
chown postgres "$WORK/transfer.sql"
echo "== peer: $PGVER, 100,000 accounts, each transfer a transaction of two balance-checked UPDATEs"
best=0
for clients in 8 16 32; do
  tps=$(as_pg "$PGBIN/pgbench" -h "$WORK" -p $PORT -n -c $clients -j 2 -T "$SECS" -f "$WORK/transfer.sql" bench 2>/dev/null \
        | awk '/^tps = / {print int($3)}')
  lat=$(awk "BEGIN {printf \"%.2f\", $clients * 1000 / $tps}")
  echo "postgresql  $clients clients: $tps transfers/s  (average latency ${lat} ms)"
  [ "$tps" -gt "$best" ] && best=$tps
done
as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m fast stop >/dev/null

echo "== sinew (release build)"
cargo build --release -q -p sinew
BIN=target/release/sinew
out=$($BIN bench ledger --txs 300000)
echo "$out"
$BIN bench ledger --txs 150000 --batch 250 --clients 16 --rate 30000
inproc=$(echo "$out" | awk '/^in-process/ {print int($2)}')
http=$(echo "$out" | awk '/^http-batch/ {print int($2)}')
echo "== summary (same machine, same run)"
echo "postgresql best: $best transfers/s"
echo "sinew in-process: $inproc transfers/s  ($(awk "BEGIN {printf \"%.1f\", $inproc / $best}")x postgresql)"
echo "sinew http-batch: $http transfers/s  ($(awk "BEGIN {printf \"%.1f\", $http / $best}")x postgresql)"
