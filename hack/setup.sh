#!/usr/bin/env bash
# Everything a developer, CI or `make demo` needs, installed idempotently (stamps make a re-run cheap).
set -euo pipefail
HACK=$(dirname "$0")
"$HACK/setup-venv.sh"
"$HACK/setup-venv-oldest.sh"
"$HACK/setup-collections.sh"
"$HACK/setup-debian.sh"
"$HACK/setup-ansible-test.sh"
