#!/usr/bin/env bash
# The whole test suite N times in a row beside two busy loops, as on a busy laptop (issue 17):
# a test that waits on time instead of state fails here first. Run from a clean clone with
# ../shared beside it and .venv installed as the README says; prints one line per run.
#
#   bash scripts/loaded_suite.sh 5            # five runs, logs in ./loaded-runs/
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
mkdir -p loaded-runs
python3 -c "while True: pass" & busy1=$!
python3 -c "while True: pass" & busy2=$!
trap 'kill $busy1 $busy2 2>/dev/null' EXIT
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  .venv/bin/python -m pytest -q -p no:cacheprovider > "loaded-runs/run$i.log" 2>&1
  rc=$?
  summary=$(grep -E "[0-9]+ (passed|failed)" "loaded-runs/run$i.log" | tail -1)
  echo "run $i: exit $rc, $(( $(date +%s) - start )) s: $summary"
done
