#!/usr/bin/env bash
# Install the Debian packages the project uses when they are missing: prometheus (the sandbox runs the
# real server and promtool) and shellcheck (ansible-test sanity's shellcheck test skips without it).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# package:command pairs
PACKAGES=(prometheus:prometheus prometheus:promtool shellcheck:shellcheck)

missing=()
for pair in "${PACKAGES[@]}"; do
    package=${pair%%:*} command=${pair#*:}
    if ! command -v "$command" >/dev/null 2>&1 && [[ " ${missing[*]} " != *" $package "* ]]; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} = 0 ] && exit 0

log "installing Debian packages: ${missing[*]}"
can_be_root() { [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; }
# The prometheus package starts a system service on port 9090 where it can; the sandbox never uses it.
apt_install() { as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
if can_be_root; then
    # Try with the package lists the machine has first; refresh them only when that fails (offline mirrors
    # and stale lists both happen), and fail loudly: a root setup that cannot install is broken, not skipped.
    if apt_install || { as_root apt-get update -qq || true; apt_install; }; then
        exit 0
    fi
    die "apt-get could not install: ${missing[*]}"
fi
cat >&2 <<MSG
WARNING: ${missing[*]} not installed, and this user can neither install packages nor sudo without a password.
Ask an administrator to run:
    apt-get install -y --no-install-recommends ${missing[*]}
or put the commands on PATH (prometheus/promtool 2.42 or newer). Until then the tests that need Prometheus
skip with that reason, and ansible-test skips its shellcheck test.
MSG
