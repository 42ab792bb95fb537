#!/usr/bin/env bash
# pytest with the collection environment; a suite with no tests yet is reported, not failed
# (pytest exits 5 when it collects nothing, which would otherwise fail `make test`).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
export_collection_env
cd "$REPO_ROOT"
# One JUnit report per suite run, summed up by hack/test-summary.py at the end of `make test`.
junit_dir="$REPO_ROOT/tests/output/junit"
mkdir -p "$junit_dir"
# Named after the arguments, shortened with a hash: a long list of test files would exceed NAME_MAX.
junit_name=$(printf '%s' "$*" | tr -c 'A-Za-z0-9_.-' '_' | cut -c1-80)
junit="$junit_dir/${junit_name}-$(printf '%s' "$*" | sha1sum | cut -c1-8).xml"
status=0
"$VENV/bin/python" -m pytest --junitxml="$junit" "$@" || status=$?
if [ "$status" = 5 ]; then
    log "no tests collected in: $*"
    exit 0
fi
exit "$status"
