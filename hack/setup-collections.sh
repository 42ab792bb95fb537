#!/usr/bin/env bash
# Install kubernetes.core into .collections (Galaxy when reachable, else from the `ansible` wheel on PyPI)
# and link .collections/ansible_collections/progressive/canary to this repository.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

KUBERNETES_CORE_VERSION=6.2.0
# The `ansible` community package release that ships kubernetes.core $KUBERNETES_CORE_VERSION.
ANSIBLE_WHEEL_VERSION=12.3.0
GALAXY_TIMEOUT_SECONDS=20

TARGET="$COLLECTIONS_DIR/ansible_collections"

link_ourselves() {
    mkdir -p "$TARGET/progressive"
    if [ "$(readlink "$TARGET/progressive/canary" 2>/dev/null)" != "../../.." ]; then
        rm -rf "$TARGET/progressive/canary"
        ln -s ../../.. "$TARGET/progressive/canary"
    fi
}

install_from_galaxy() {
    timeout "$GALAXY_TIMEOUT_SECONDS" "$VENV/bin/ansible-galaxy" collection install --force \
        --timeout 10 -p "$COLLECTIONS_DIR" "kubernetes.core:==$KUBERNETES_CORE_VERSION" >/dev/null 2>&1
}

install_from_ansible_wheel() {
    local wheel="$DOWNLOADS_DIR/ansible-$ANSIBLE_WHEEL_VERSION-py3-none-any.whl"
    if [ ! -s "$wheel" ]; then
        "$VENV/bin/python" -m pip download --disable-pip-version-check -q --no-deps \
            -d "$DOWNLOADS_DIR" "ansible==$ANSIBLE_WHEEL_VERSION"
    fi
    rm -rf "$TARGET/kubernetes/core"
    "$VENV/bin/python" "$REPO_ROOT/hack/extract_collection.py" "$wheel" kubernetes core "$COLLECTIONS_DIR"
}

installed_version() {
    "$VENV/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["collection_info"]["version"])' \
        "$TARGET/kubernetes/core/MANIFEST.json" 2>/dev/null || true
}

link_ourselves
stamp=$(stamp_path "$COLLECTIONS_DIR" kubernetes.core "$KUBERNETES_CORE_VERSION")
if [ -e "$stamp" ] && [ "$(installed_version)" = "$KUBERNETES_CORE_VERSION" ]; then
    exit 0
fi
if [ "$(installed_version)" != "$KUBERNETES_CORE_VERSION" ]; then
    log "installing kubernetes.core $KUBERNETES_CORE_VERSION into $COLLECTIONS_DIR"
    if ! install_from_galaxy; then
        log "Galaxy unreachable: unpacking kubernetes.core from the ansible $ANSIBLE_WHEEL_VERSION wheel"
        install_from_ansible_wheel
    fi
    [ "$(installed_version)" = "$KUBERNETES_CORE_VERSION" ] || die "kubernetes.core $KUBERNETES_CORE_VERSION did not install"
fi
write_stamp "$stamp"
