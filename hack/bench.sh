#!/usr/bin/env bash
# Run every bench/bench_*.py (speed and API-call budgets; never part of the test suites).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
export_collection_env
cd "$REPO_ROOT"
shopt -s nullglob
benches=(bench/bench_*.py)
if [ ${#benches[@]} = 0 ]; then
    log "no benchmarks yet (bench/bench_*.py)"
    exit 0
fi
mkdir -p bench/results
for bench in "${benches[@]}"; do
    log "$bench"
    "$VENV/bin/python" "$bench" "$@"
done
