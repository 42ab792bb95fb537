#!/usr/bin/env bash
# Run bench/run.py (speed, API-call and memory budgets; never part of the test suites). ARGS: --runs N, --only PART...
set -euo pipefail
. "$(dirname "$0")/lib.sh"
export_collection_env
cd "$REPO_ROOT"
exec "$VENV/bin/python" -m bench.run "$@"
