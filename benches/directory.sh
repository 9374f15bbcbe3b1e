#!/usr/bin/env bash
# Reproducible benchmark of `parc directory sync` (issue 6): AAF complete files for the
# region's lycées and their staff, synced into an empty database, then again (a no-op).
#   benches/directory.sh sqlite        # SQLite file in target/bench/
#   benches/directory.sh postgres      # database parc_bench_directory on 127.0.0.1:5432
# Env: LYCEES (470), STAFF (20 per lycée), PG_ADMIN_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND="${1:-sqlite}"
LYCEES="${LYCEES:-470}"; STAFF="${STAFF:-20}"
cargo build --release --quiet
BIN=target/release/parc
DATA=target/bench/aaf-$LYCEES-$STAFF
mkdir -p target/bench
python3 benches/gen_aaf.py "$DATA" "$LYCEES" "$STAFF"
if [ "$BACKEND" = sqlite ]; then
  rm -f target/bench/directory.db*
  export PARC_DATABASE_URL="sqlite://target/bench/directory.db"
else
  PG="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  psql "$PG" -qc "DROP DATABASE IF EXISTS parc_bench_directory WITH (FORCE)"
  psql "$PG" -qc "CREATE DATABASE parc_bench_directory"
  export PARC_DATABASE_URL="${PG%/*}/parc_bench_directory"
fi
export RUST_LOG=warn
"$BIN" migrate >/dev/null
echo "== $BACKEND, first sync of $LYCEES lycées x $STAFF staff (empty database)"
/usr/bin/time -f "wall %e s, peak RSS %M KB" "$BIN" directory sync "$DATA"/*.xml | tail -2
echo "== $BACKEND, the same files again (must change nothing)"
/usr/bin/time -f "wall %e s, peak RSS %M KB" "$BIN" directory sync "$DATA"/*.xml | tail -2
