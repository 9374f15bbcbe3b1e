#!/usr/bin/env bash
# Reproducible benchmark of the GLPI API on a generated region (issue 4).
#   benches/run.sh sqlite            # SQLite file in target/bench/
#   benches/run.sh postgres          # database parc_bench on 127.0.0.1:5432
# Env: COMPUTERS (200000), TICKETS (100000), DURATION (15s), CONNECTIONS (16), REGEN=1 to rebuild data.
# Needs wrk (Debian package `wrk`).
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND="${1:-sqlite}"
COMPUTERS="${COMPUTERS:-200000}"; TICKETS="${TICKETS:-100000}"
DURATION="${DURATION:-15s}"; CONNECTIONS="${CONNECTIONS:-16}"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)"; exit 1; }
cargo build --release --quiet
BIN=target/release/parc
mkdir -p target/bench
if [ "$BACKEND" = sqlite ]; then
  export PARC_DATABASE_URL="sqlite://target/bench/region-$COMPUTERS.db"
  [ "${REGEN:-0}" = 1 ] && rm -f "target/bench/region-$COMPUTERS.db"*
  fresh=$([ -f "target/bench/region-$COMPUTERS.db" ] && echo 0 || echo 1)
else
  PG="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  export PARC_DATABASE_URL="${PG%/*}/parc_bench_$COMPUTERS"
  if [ "${REGEN:-0}" = 1 ]; then psql "$PG" -qc "DROP DATABASE IF EXISTS parc_bench_$COMPUTERS WITH (FORCE)"; fi
  if psql "$PG" -Atc "SELECT 1 FROM pg_database WHERE datname='parc_bench_$COMPUTERS'" | grep -q 1; then fresh=0; else
    psql "$PG" -qc "CREATE DATABASE parc_bench_$COMPUTERS"; fresh=1; fi
fi
if [ "$fresh" = 1 ]; then
  echo "== generating $COMPUTERS computers, $TICKETS tickets ($BACKEND)"
  /usr/bin/time -f "generation: %e s, peak RSS %M KB" "$BIN" demo-data --computers "$COMPUTERS" --tickets "$TICKETS" --quiet
fi
export PARC_ADMIN_PASSWORD=bench-admin-password PARC_BIND=127.0.0.1:18181 RUST_LOG=warn
"$BIN" serve > target/bench/server.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -fs http://127.0.0.1:18181/ready >/dev/null 2>&1 && break; sleep 0.2; done
TOKEN=$(curl -fs -u admin:bench-admin-password http://127.0.0.1:18181/apirest.php/initSession | python3 -c 'import json,sys;print(json.load(sys.stdin)["session_token"])')
# Sample serials and UAIs for the search scripts.
curl -gfs -H "Session-Token: $TOKEN" "http://127.0.0.1:18181/apirest.php/search/Computer?forcedisplay[0]=5&range=0-999&sort=2" \
  | python3 -c 'import json,sys;[print(r["5"]) for r in json.load(sys.stdin)["data"]]' > target/bench/serials.txt
curl -gfs -H "Session-Token: $TOKEN" "http://127.0.0.1:18181/apirest.php/Entity?range=0-999&searchText[tag]=^0" \
  | python3 -c 'import json,sys;[print(e["tag"]) for e in json.load(sys.stdin) if e.get("tag")]' > target/bench/uais.txt
export TOKEN MAXID="$COMPUTERS" SERIALS=target/bench/serials.txt UAIS=target/bench/uais.txt
echo "== $BACKEND, $COMPUTERS computers, $CONNECTIONS connections, $DURATION per run"
for mode in health item health search list deeplist serial; do
  MODE=$mode wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -s benches/glpi.lua http://127.0.0.1:18181 | grep RESULT
done
echo "server peak RSS: $(grep VmHWM /proc/$PID/status | awk '{print $2, $3}')"
