#!/usr/bin/env bash
# make demo: start the sandbox, show it answering, stop it. (The sync joins this script as it lands.)
set -euo pipefail
cd "$(dirname "$0")/.."
export SANDBOX_DB="${SANDBOX_DB:-.sandbox/demo.db}"
sandbox seed --invoices 500
sandbox serve > .sandbox/serve.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs http://127.0.0.1:8701/_sandbox/stats >/dev/null && break; sleep 0.2; done
echo "ServiceTitan simulator: $(curl -fs http://127.0.0.1:8701/_sandbox/stats)"
echo "FreshBooks simulator:   $(curl -fs http://127.0.0.1:8702/_sandbox/stats)"
