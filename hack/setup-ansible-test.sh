#!/usr/bin/env bash
# Give ansible-test its pip bootstrap script locally so `ansible-test sanity --venv` never downloads it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The pip version ansible-test bootstraps is pinned inside ansible-test itself.
pip_version=$("$VENV/bin/python" - <<'PY'
import re
import ansible_test._internal.python_requirements as requirements
with open(requirements.__file__) as source:
    print(re.search(r"\bpip='([0-9.]+)'", source.read()).group(1))
PY
)
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
# A real get-pip script already cached there works as well: only our own stand-in is kept current.
if [ -e "$cache" ] && ! grep -q 'Stand-in for the get-pip' "$cache"; then
    exit 0
fi
if ! cmp -s "$REPO_ROOT/hack/get_pip_offline.py" "$cache"; then
    mkdir -p "$(dirname "$cache")"
    cp "$REPO_ROOT/hack/get_pip_offline.py" "$cache"
    log "installed the offline pip bootstrap for ansible-test at $cache"
fi
