#!/usr/bin/env bash
# Install the collections we need into .collections (Galaxy when reachable, else unpacked from the
# `ansible` wheel on PyPI) and link .collections/ansible_collections/progressive/canary to this repository.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# namespace.name==version. kubernetes.core is the runtime dependency (galaxy.yml); ansible.posix is for
# tests only (its `json` stdout callback, which ansible.builtin.json redirects to).
COLLECTIONS=(kubernetes.core==6.2.0 ansible.posix==2.1.0)
# The `ansible` community package release that ships exactly these versions.
ANSIBLE_WHEEL_VERSION=12.3.0
# Galaxy is tried first but may hang rather than refuse (a firewall dropping packets): give up quickly.
GALAXY_TIMEOUT_SECONDS=${GALAXY_TIMEOUT_SECONDS:-20}
# tests/unit/test_setup_scripts.py installs into a scratch directory instead of .collections.
COLLECTIONS_DIR=${SETUP_COLLECTIONS_DIR:-$COLLECTIONS_DIR}

TARGET="$COLLECTIONS_DIR/ansible_collections"
DOWNLOADS_DIR="$REPO_ROOT/.dl"

link_ourselves() {
    mkdir -p "$TARGET/progressive"
    if [ "$(readlink "$TARGET/progressive/canary" 2>/dev/null)" != "../../.." ]; then
        rm -rf "$TARGET/progressive/canary"
        ln -s ../../.. "$TARGET/progressive/canary"
    fi
}

# installed_version NAMESPACE NAME
installed_version() {
    "$VENV/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["collection_info"]["version"])' \
        "$TARGET/$1/$2/MANIFEST.json" 2>/dev/null || true
}

# install_from_galaxy FQCN VERSION
install_from_galaxy() {
    timeout "$GALAXY_TIMEOUT_SECONDS" "$VENV/bin/ansible-galaxy" collection install --force --no-deps \
        --timeout 10 -p "$COLLECTIONS_DIR" "$1:==$2" >/dev/null 2>&1
}

# install_from_ansible_wheel NAMESPACE NAME
install_from_ansible_wheel() {
    local wheel="$DOWNLOADS_DIR/ansible-$ANSIBLE_WHEEL_VERSION-py3-none-any.whl"
    if [ ! -s "$wheel" ]; then
        "$VENV/bin/python" -m pip download --disable-pip-version-check -q --no-deps \
            -d "$DOWNLOADS_DIR" "ansible==$ANSIBLE_WHEEL_VERSION"
    fi
    rm -rf "${TARGET:?}/$1/$2"
    "$VENV/bin/python" "$REPO_ROOT/hack/extract_collection.py" "$wheel" "$1" "$2" "$COLLECTIONS_DIR"
}

# ensure_collection NAMESPACE.NAME==VERSION
ensure_collection() {
    local fqcn=${1%%==*} version=${1##*==}
    local namespace=${fqcn%%.*} name=${fqcn#*.}
    [ "$(installed_version "$namespace" "$name")" = "$version" ] && return 0
    log "installing $fqcn $version into $COLLECTIONS_DIR"
    if ! install_from_galaxy "$fqcn" "$version"; then
        log "Galaxy unreachable: unpacking $fqcn from the ansible $ANSIBLE_WHEEL_VERSION wheel"
        install_from_ansible_wheel "$namespace" "$name"
    fi
    [ "$(installed_version "$namespace" "$name")" = "$version" ] || die "$fqcn $version did not install"
}

link_ourselves
stamp=$(stamp_path "$COLLECTIONS_DIR" collections "${COLLECTIONS[@]}")
[ -e "$stamp" ] && exit 0
for collection in "${COLLECTIONS[@]}"; do
    ensure_collection "$collection"
done
write_stamp "$stamp"
