#!/usr/bin/env bash
# Create .venv-ansible-oldest: the oldest ansible-core meta/runtime.yml claims (requires_ansible) with the same
# controller packages as .venv (requirements.txt), so `make e2e-oldest` can run the role on it. Only the
# controller: pytest runs from .venv and starts this venv's ansible-playbook (tests/ansible_playbook.py).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The newest 2.16 release; keep it in step with requires_ansible in meta/runtime.yml.
ANSIBLE_CORE_OLDEST=2.16.19
# ansible-core 2.16 requires resolvelib < 1.1 (constraints.txt pins 2.19's newer one).
RESOLVELIB_OLDEST=1.0.1
OLDEST_VENV="$REPO_ROOT/.venv-ansible-oldest"
CONSTRAINTS="$REPO_ROOT/hack/constraints.txt"
REQUIREMENTS="$REPO_ROOT/requirements.txt"

[ -x "$VENV/bin/python" ] || die "$VENV is missing: run hack/setup-venv.sh first"
stamp=$(stamp_path "$OLDEST_VENV" requirements "$REQUIREMENTS" "$CONSTRAINTS" "$ANSIBLE_CORE_OLDEST" "$RESOLVELIB_OLDEST")
[ -e "$stamp" ] && exit 0

if [ ! -x "$OLDEST_VENV/bin/python" ]; then
    # The same interpreter as .venv (Python 3.11, which ansible-core 2.16 supports).
    log "creating $OLDEST_VENV"
    python=$("$VENV/bin/python" -c 'import sys; print(sys._base_executable)')
    "$python" -m venv "$OLDEST_VENV"
fi
log "installing ansible-core $ANSIBLE_CORE_OLDEST and the pinned controller packages into $OLDEST_VENV"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# requirements.txt without its ansible-core range; constraints.txt without the pins 2.16 cannot take.
grep -v '^ansible-core' "$REQUIREMENTS" >"$scratch/requirements.txt"
grep -v -e '^ansible-core==' -e '^resolvelib==' "$CONSTRAINTS" >"$scratch/constraints.txt"
"$OLDEST_VENV/bin/python" -m pip install --disable-pip-version-check -q -c "$scratch/constraints.txt" \
    -r "$scratch/requirements.txt" "ansible-core==$ANSIBLE_CORE_OLDEST" "resolvelib==$RESOLVELIB_OLDEST"
write_stamp "$stamp"
