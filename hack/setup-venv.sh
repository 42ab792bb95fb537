#!/usr/bin/env bash
# Create .venv (Python 3.11) and install the pinned controller and test packages into it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

REQUIREMENTS=("$REPO_ROOT/requirements.txt" "$REPO_ROOT/tests/requirements.txt")
# Exact versions of the transitive dependencies too (hack/freeze-constraints.sh regenerates it).
CONSTRAINTS="$REPO_ROOT/hack/constraints.txt"

find_python311() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 /usr/bin/python3.11 /usr/local/bin/python3.11 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        # A pyenv shim can exist without a working interpreter behind it: ask the interpreter itself.
        if "$candidate" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if [ ! -x "$VENV/bin/python" ]; then
    python=$(find_python311) || die "Python 3.11 with the venv module is needed (set PYTHON=/path/to/python3.11)"
    log "creating $VENV with $python"
    "$python" -m venv "$VENV"
fi

stamp=$(stamp_path "$VENV" requirements "${REQUIREMENTS[@]}" "$CONSTRAINTS")
if [ -e "$stamp" ]; then
    exit 0
fi
log "installing pinned Python packages into $VENV"
args=()
for req in "${REQUIREMENTS[@]}"; do args+=(-r "$req"); done
"$VENV/bin/python" -m pip install --disable-pip-version-check -q -c "$CONSTRAINTS" "${args[@]}"
write_stamp "$stamp"
