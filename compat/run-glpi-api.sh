#!/usr/bin/env bash
# Drive the real PyPI client glpi-api 0.7.0 against an already running Parc server.
#
#   PARC_URL=http://127.0.0.1:18080 PARC_LOGIN=admin PARC_PASSWORD=... \
#   PARC_USER_TOKEN=... [PARC_APP_TOKEN=...] compat/run-glpi-api.sh
#
# The venv lives in ${COMPAT_VENV:-target/compat-venv} (relative to the repo root) and is
# created on first use. This script does not start the server.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

venv="${COMPAT_VENV:-target/compat-venv}"
python="${PYTHON:-python3}"
client="glpi-api==0.7.0"

for var in PARC_URL PARC_LOGIN PARC_PASSWORD PARC_USER_TOKEN; do
    if [ -z "${!var:-}" ]; then
        echo "run-glpi-api.sh: $var must be set (see compat/README.md)" >&2
        exit 2
    fi
done

if [ ! -x "$venv/bin/python" ]; then
    echo "creating venv $venv" >&2
    "$python" -m venv "$venv"
fi
if ! "$venv/bin/python" -m pip show --quiet glpi-api 2>/dev/null \
   || [ "$("$venv/bin/python" -m pip show glpi-api 2>/dev/null | sed -n 's/^Version: //p')" != "0.7.0" ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$client"
fi

export PARC_URL PARC_LOGIN PARC_PASSWORD PARC_USER_TOKEN
export PARC_APP_TOKEN="${PARC_APP_TOKEN:-}"
exec "$venv/bin/python" "$here/glpi_api_workflow.py"
