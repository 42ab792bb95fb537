#!/usr/bin/env bash
# antsibull-changelog lint, then ansible-lint (production profile, offline) over the collection;
# extra arguments go to ansible-lint.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
export_collection_env
cd "$REPO_ROOT"
"$VENV/bin/antsibull-changelog" lint
exec "$VENV/bin/ansible-lint" --offline --profile production "$@"
