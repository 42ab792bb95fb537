# Shared helpers for the hack/ scripts (sourced, not executed).
# shellcheck shell=bash

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$REPO_ROOT/.venv"
COLLECTIONS_DIR="$REPO_ROOT/.collections"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Hash of the given files' contents plus any extra words: a stamp named after it is valid only
# while those inputs are unchanged, which is what makes a second `make setup` a no-op.
inputs_hash() {
    local files=() words=() arg
    for arg in "$@"; do
        if [ -f "$arg" ]; then files+=("$arg"); else words+=("$arg"); fi
    done
    { cat "${files[@]}" 2>/dev/null; printf '%s\n' "${words[@]}"; } | sha256sum | cut -c1-16
}

# stamp_path DIR NAME INPUTS... -> path of the stamp file for these inputs
stamp_path() {
    local dir=$1 name=$2
    shift 2
    printf '%s/.stamp-%s-%s' "$dir" "$name" "$(inputs_hash "$@")"
}

# write_stamp PATH: replace older stamps of the same name with this one
write_stamp() {
    local path=$1
    rm -f "${path%-*}"-*
    touch "$path"
}

# Run a command as root: directly, through non-interactive sudo, or not at all (returns 1).
as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 1
    fi
}

# Environment for anything that runs our code (see docs/developing.md).
export_collection_env() {
    export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS_DIR"
    export PYTHONPATH="$REPO_ROOT:$COLLECTIONS_DIR${PYTHONPATH:+:$PYTHONPATH}"
    export PATH="$VENV/bin:$PATH"
}
