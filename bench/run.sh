#!/usr/bin/env bash
# make bench: run every benchmark in bench/ and print its figures. Each script runs standalone too.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for script in bench/bench_*.py; do
    [ -e "$script" ] || continue
    echo "== $script"
    python "$script" "$@" || status=1
done
echo "== bench/bench_tap.py --pipeline (tap | mapper, each in its own process: peak RSS of each)"
python bench/bench_tap.py --pipeline || status=1
exit $status
