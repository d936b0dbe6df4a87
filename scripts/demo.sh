#!/usr/bin/env bash
# make demo: seed the sandbox, serve it, authorize FreshBooks, sync ServiceTitan → FreshBooks with Meltano,
# print the run summary, run again (nothing to write), then simulate a week of business and sync it.
set -euo pipefail
cd "$(dirname "$0")/.."

ST=http://127.0.0.1:${SANDBOX_ST_PORT:-8701}
FB=http://127.0.0.1:${SANDBOX_FB_PORT:-8702}
DEMO=.sandbox/demo
mkdir -p "$DEMO"
export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false
export MELTANO_ENVIRONMENT=sandbox
export MELTANO_DATABASE_URI="sqlite:///$PWD/$DEMO/meltano.db"    # the demo's own Meltano state
export TARGET_FRESHBOOKS_LEDGER_URL="sqlite:///$PWD/$DEMO/ledger.db"
export TAP_SERVICETITAN_API_URL=$ST TAP_SERVICETITAN_AUTH_URL=$ST
export TARGET_FRESHBOOKS_API_URL=$FB TARGET_FRESHBOOKS_AUTH_URL=$FB
# The key that encrypts the demo's stored FreshBooks tokens (a production key comes from a secret store).
if [ ! -s "$DEMO/token.key" ]; then
    (umask 077 && python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' \
        > "$DEMO/token.key")
fi
TARGET_FRESHBOOKS_TOKEN_KEY=$(cat "$DEMO/token.key")
export TARGET_FRESHBOOKS_TOKEN_KEY

step() { printf '\n== %s\n' "$*"; }

step "Seeding the sandbox: a plumbing and HVAC company in ServiceTitan, a lived-in FreshBooks account"
rm -f "$DEMO/meltano.db" "$DEMO/ledger.db"
sandbox seed --db "$DEMO/sandbox.db" --invoices "${DEMO_INVOICES:-500}" | tail -n 1

step "Starting both simulators ($ST, $FB)"
sandbox serve --db "$DEMO/sandbox.db" > "$DEMO/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -fs "$ST/_sandbox/stats" >/dev/null 2>&1 && curl -fs "$FB/_sandbox/stats" >/dev/null 2>&1 && break
    kill -0 $SERVER 2>/dev/null || { cat "$DEMO/serve.log"; exit 1; }
    sleep 0.1
done

step "Installing the Meltano plugins"
meltano install > "$DEMO/install.log" 2>&1 || { cat "$DEMO/install.log"; exit 1; }

step "Authorizing FreshBooks (the sandbox approves the consent at once)"
meltano invoke target-freshbooks:authorize 2> "$DEMO/authorize.log" | sed 's/^/  /'

summary() {  # the target's summary table, out of Meltano's log
    sed -n '/summary (tenant/,/^$/p' "$1" | sed -E 's/^.*target-freshbooks +//' | grep -v -e '|' -e '^20[0-9][0-9]-' | head -n 40
}
writes() {  # FreshBooks calls that change something, since the last reset
    curl -fs "$FB/_sandbox/stats" | python -c '
import json, sys
calls = json.load(sys.stdin)["calls"]
print(sum(n for key, n in calls.items() if key.split()[0] in {"POST", "PUT", "PATCH", "DELETE"}
          and "/accounting/" in key))'
}

run_sync() {  # run_sync N: one meltano run, its summary, and its FreshBooks write count
    curl -fs -X DELETE "$FB/_sandbox/stats" >/dev/null
    step "Run $1: meltano run tap-servicetitan servicetitan-to-freshbooks target-freshbooks"
    if ! meltano run tap-servicetitan servicetitan-to-freshbooks target-freshbooks > "$DEMO/run$1.log" 2>&1; then
        tail -n 40 "$DEMO/run$1.log"
        echo "Run $1 failed; the full log is $DEMO/run$1.log"
        exit 1
    fi
    summary "$DEMO/run$1.log"
    echo "FreshBooks write calls in run $1: $(writes)"
}

run_sync 1
run_sync 2   # nothing changed in ServiceTitan: nothing to write

step "A week of business in ServiceTitan (the sandbox's simulated activity)"
curl -fs -X POST "$ST/_sandbox/activity" -H 'Content-Type: application/json' -d '{"days": 7}' | python -c '
import json, sys
changes = json.load(sys.stdin)["changes"]
print("  " + ", ".join(str(n) + " " + kind.replace(chr(95), chr(32)) for kind, n in sorted(changes.items()) if n))'
run_sync 3   # only what changed moves

step "Accounts receivable in FreshBooks (sandbox view)"
curl -fs "$FB/_sandbox/accounts_receivable" | python -c '
import json, sys
from decimal import Decimal
clients = json.load(sys.stdin)["clients"].values()
owed = [Decimal(c["outstanding"]) for c in clients if Decimal(c["outstanding"])]
print(f"  {len(owed)} clients owe {sum(owed, Decimal(0)):,.2f} on sent invoices")'
step "Reconcile: both systems read live, ServiceTitan against FreshBooks"
set +e
meltano invoke target-freshbooks:reconcile --out "$DEMO/reconcile" > "$DEMO/reconcile.log" 2>&1
reconciled=$?
set -e
grep -v '^\s*$' "$DEMO/reconcile.log" | grep -v '^[0-9T:.-]*Z \[' || true
case $reconciled in
    0) echo "Reconcile: the books match (timing differences, if any, are listed above).";;
    1) echo "Reconcile: the books DIFFER (see the report above); the full log is $DEMO/reconcile.log"; exit 1;;
    *) tail -n 20 "$DEMO/reconcile.log"; echo "Reconcile could not finish; the full log is $DEMO/reconcile.log"; exit 1;;
esac
echo "HTML report: $(ls -t "$DEMO"/reconcile/*.html | head -n 1)"
echo
echo "Logs: $DEMO/ (run1.log, run2.log, run3.log, reconcile.log). Audit trail: meltano invoke target-freshbooks:audit --help"
