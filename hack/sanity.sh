#!/usr/bin/env bash
# ansible-test sanity, offline, on a copy of the collection; extra arguments go to ansible-test
# (e.g. `hack/sanity.sh --test pylint plugins/modules/foo.py`). Results land in tests/output/sanity.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
export_collection_env

tree=$("$REPO_ROOT/hack/collection-tree.sh")
workdir=${tree%/ansible_collections/progressive/canary}
trap 'rm -rf "$workdir"' EXIT
cd "$tree"
status=0
# ansible-test builds its per-test virtual environments under ~/.ansible/test/venv and deletes a
# half-built one it finds: two concurrent runs destroy each other's. Take turns.
lock="$HOME/.ansible/test/progressive-canary-sanity.lock"
mkdir -p "$(dirname "$lock")"
flock "$lock" "$VENV/bin/ansible-test" sanity --venv --python 3.11 --color no "$@" || status=$?
if [ -d tests/output ]; then
    mkdir -p "$REPO_ROOT/tests/output"
    rm -rf "$REPO_ROOT/tests/output/sanity"
    cp -r tests/output/. "$REPO_ROOT/tests/output/"
fi
exit "$status"
