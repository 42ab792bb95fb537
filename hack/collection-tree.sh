#!/usr/bin/env bash
# Print the path of a fresh ansible_collections/progressive/canary tree holding the files git would
# commit (tracked + untracked-not-ignored), next to a link to our installed dependencies. ansible-test
# needs the collection at such a path and must not see .venv/.collections/tests/output.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

workdir=$(mktemp -d "${TMPDIR:-/tmp}/progressive-canary-tree.XXXXXX")
tree="$workdir/ansible_collections/progressive/canary"
mkdir -p "$tree"
ln -s "$COLLECTIONS_DIR/ansible_collections/kubernetes" "$workdir/ansible_collections/kubernetes"
cd "$REPO_ROOT"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # Files deleted in the work tree but still tracked are skipped; tar would fail on them.
    git ls-files -z --cached --others --exclude-standard \
        | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
        | tar --null -T - -cf - | tar -xf - -C "$tree"
else
    tar --exclude=./.venv --exclude=./.collections --exclude=./.dl --exclude=./tests/output \
        --exclude=__pycache__ --exclude=.pytest_cache -cf - . | tar -xf - -C "$tree"
fi
echo "$tree"
