#!/usr/bin/env bash
# Install Debian's prometheus (the sandbox runs the real server and promtool) when it is missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
    exit 0
fi
log "installing Debian's prometheus package"
install_cmd=(env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus)
if as_root apt-get update -qq && as_root "${install_cmd[@]}" >/dev/null; then
    # The package starts a system service on port 9090 where it can; the sandbox starts its own instances.
    exit 0
fi
cat >&2 <<'MSG'
WARNING: prometheus/promtool are not installed and this user can neither install packages nor sudo
without a password. Ask an administrator to run:
    apt-get install -y --no-install-recommends prometheus
or put `prometheus` and `promtool` (2.42 or newer) on PATH. Tests that need Prometheus skip until then.
MSG
