#!/usr/bin/env bash
# `make demo` for now: a short scripted tour of the sandbox with real kubectl output. It starts
# `python -m tests.sandbox up` (API emulator, mesh simulator, real Prometheus) in the background, applies
# the podinfo reference fixtures, and shows get / rollout / set image / patch, then one Prometheus query.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
export_collection_env

SHARED_DIR=${SHARED_DIR:-$REPO_ROOT/../shared}
PODINFO="$SHARED_DIR/fixtures/podinfo"
NAMESPACE="test"
[ -d "$PODINFO" ] || die "the podinfo fixtures are missing at $PODINFO (set SHARED_DIR to the shared data directory)"
command -v kubectl >/dev/null 2>&1 || die "kubectl is not on PATH"

workdir=$(mktemp -d "${TMPDIR:-/tmp}/progressive-canary-demo.XXXXXX")
sandbox_pid=
stop_sandbox() {
    if [ -n "$sandbox_pid" ] && kill -0 "$sandbox_pid" 2>/dev/null; then
        kill -TERM "$sandbox_pid"
        wait "$sandbox_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap stop_sandbox EXIT

# Our own TMPDIR/HOME: kubectl and the Python clients cache discovery there, keyed by server address.
export HOME="$workdir/home" TMPDIR="$workdir/tmp"
mkdir -p "$HOME" "$TMPDIR"
export KUBECONFIG="$workdir/kubeconfig"

up_args=(--kubeconfig "$KUBECONFIG" --namespace "$NAMESPACE" --ready-seconds 2 --mesh-target "podinfo.$NAMESPACE")
with_prometheus=false
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
    up_args+=(--prometheus)
    with_prometheus=true
fi
"$VENV/bin/python" -m tests.sandbox up "${up_args[@]}" >"$workdir/sandbox.out" 2>"$workdir/sandbox.err" &
sandbox_pid=$!

# The sandbox prints the kubeconfig path first and its service URLs once everything listens.
for _ in $(seq 1 300); do
    if ! kill -0 "$sandbox_pid" 2>/dev/null; then
        cat "$workdir/sandbox.err" >&2
        die "the sandbox exited during start-up"
    fi
    if [ -s "$KUBECONFIG" ] && { ! $with_prometheus || grep -q '^# prometheus:' "$workdir/sandbox.out"; }; then
        break
    fi
    sleep 0.1
done
[ -s "$KUBECONFIG" ] || die "the sandbox wrote no kubeconfig"

show() {
    printf '\n\033[1m$ %s\033[0m\n' "$*"
    "$@"
}

echo "The sandbox is up:"
sed 's/^# /  /' "$workdir/sandbox.out"
show kubectl version
show kubectl create namespace "$NAMESPACE"
show kubectl -n "$NAMESPACE" apply -f "$PODINFO/deployment.yaml" -f "$PODINFO/service.yaml" -f "$PODINFO/hpa.yaml"
show kubectl -n "$NAMESPACE" rollout status deployment/podinfo --timeout=60s
show kubectl -n "$NAMESPACE" get deployments,services,hpa -o wide
show kubectl -n "$NAMESPACE" set image deployment/podinfo podinfod=ghcr.io/stefanprodan/podinfo:6.0.1
show kubectl -n "$NAMESPACE" rollout status deployment/podinfo --timeout=60s
show kubectl -n "$NAMESPACE" patch service podinfo --type merge -p '{"metadata":{"annotations":{"demo.progressive.canary/toured":"true"}}}'
show kubectl -n "$NAMESPACE" patch deployment podinfo -p '{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","env":[{"name":"PODINFO_UI_MESSAGE","value":"hello"}]}]}}}}'
show kubectl -n "$NAMESPACE" get deployment podinfo -o jsonpath='{.spec.template.spec.containers[0].env}{"\n"}'
show kubectl -n "$NAMESPACE" get service podinfo -o yaml

if $with_prometheus; then
    prometheus_url=$(sed -n 's/^# prometheus: //p' "$workdir/sandbox.out")
    query='sum by (destination_workload, response_code) (rate(istio_requests_total{destination_workload_namespace="test"}[10s]))'
    printf '\n\033[1mPrometheus (%s), mesh traffic to podinfo.%s:\033[0m %s\n' "$prometheus_url" "$NAMESPACE" "$query"
    for _ in $(seq 1 30); do
        answer=$("$VENV/bin/python" -c 'import sys, urllib.parse, urllib.request
print(urllib.request.urlopen(sys.argv[1] + "/api/v1/query?" + urllib.parse.urlencode({"query": sys.argv[2]}), timeout=10).read().decode())' \
            "$prometheus_url" "$query" || true)
        if printf '%s' "$answer" | grep -q '"value"'; then
            printf '%s\n' "$answer"
            break
        fi
        sleep 1
    done
else
    log "prometheus is not installed: skipped the Prometheus part (see README, 'Without root')"
fi
printf '\nTour done; stopping the sandbox.\n'
