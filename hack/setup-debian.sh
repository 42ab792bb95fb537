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
# The prometheus package starts a system service on port 9090 where it can; the sandbox never uses it.
if as_root apt-get update -qq \
    && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    exit 0
fi
cat >&2 <<MSG
WARNING: ${missing[*]} not installed, and this user can neither install packages nor sudo without a password.
Ask an administrator to run:
    apt-get install -y --no-install-recommends ${missing[*]}
or put the commands on PATH (prometheus/promtool 2.42 or newer). Until then the tests that need Prometheus
skip with that reason, and ansible-test skips its shellcheck test.
MSG
