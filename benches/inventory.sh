#!/usr/bin/env bash
# Inventory throughput of a release Parc, on SQLite and PostgreSQL: a whole lycée (COUNT
# computers, 400 by default) submitting the GLPI Agent fixture, CONCURRENCY at a time
# (first imports, each with its own name, serial, UUID and deviceid), then the same
# computers again (unchanged re-imports), then another lycée's COUNT computers all at
# once (one burst). Reports submissions/s, latency and the server's peak RSS.
#
#   benches/inventory.sh [sqlite] [postgres]      (both by default)
#   COUNT=400 CONCURRENCY=8 PG_URL=postgres://postgres@127.0.0.1:5432/postgres benches/inventory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-400}
CONCURRENCY=${CONCURRENCY:-8}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
BACKENDS=${*:-sqlite postgres}

cargo build --release --quiet --bin parc
cargo bench --quiet --bench inventory_load --no-run 2>/dev/null
LOAD="cargo bench --quiet --bench inventory_load --"
BIN=target/release/parc
echo "machine: $(nproc) cores, $(uname -sr); $COUNT submissions, $CONCURRENCY in flight"

for backend in $BACKENDS; do
  WORK=$(mktemp -d)
  PORT=$((20000 + RANDOM % 20000))
  PG_DB=""
  if [ "$backend" = "sqlite" ]; then
    DB_URL="sqlite://$WORK/parc.db"
  else
    PG_DB="parc_bench_$$"
    psql "$PG_URL" -qc "CREATE DATABASE $PG_DB"
    DB_URL="${PG_URL%/*}/$PG_DB"
  fi
  PARC_DATABASE_URL="$DB_URL" PARC_BIND="127.0.0.1:$PORT" PARC_ADMIN_PASSWORD="bench-password-1" \
    RUST_LOG=warn "$BIN" serve > "$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1 && break
    sleep 0.1
  done
  URL="http://127.0.0.1:$PORT/"
  # Warm-up: one computer creates the shared software dictionary of the lycée.
  $LOAD --url "$URL" --count 1 --concurrency 1 --prefix warm --tag 0750654D --label warmup > /dev/null
  $LOAD --url "$URL" --count "$COUNT" --concurrency "$CONCURRENCY" --prefix lycee --tag 0750654D \
    --label "$backend first imports"
  $LOAD --url "$URL" --count "$COUNT" --concurrency "$CONCURRENCY" --prefix lycee --tag 0750654D \
    --label "$backend unchanged re-imports"
  $LOAD --url "$URL" --count "$COUNT" --concurrency "$COUNT" --prefix burst --tag 0750654D \
    --label "$backend whole lycee in one burst (first imports)"
  echo "{\"label\": \"$backend server peak RSS\", \"VmHWM_kB\": $(awk '/VmHWM/ {print $2}' /proc/$PID/status)}"
  kill "$PID"
  wait "$PID" 2>/dev/null || true
  [ -n "$PG_DB" ] && psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)"
  rm -rf "$WORK"
done
