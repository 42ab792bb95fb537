#!/usr/bin/env bash
# `make demo`: the sandbox (Kubernetes API emulator, mesh traffic to podinfo.test, real Prometheus), the
# podinfo reference fixtures at 3.1.0, then the real playbooks: a healthy release of 3.1.1 promoted, a bad
# release (a template the mesh answers with 10 % errors) rolled back automatically, the status, and the
# cleanup giving the Deployment and the Service back as they were.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
export_collection_env

SHARED_DIR=${SHARED_DIR:-$REPO_ROOT/../shared}
PODINFO="$SHARED_DIR/fixtures/podinfo"
NAMESPACE="test"
APEX_HOST="podinfo.$NAMESPACE"
[ -d "$PODINFO" ] || die "the podinfo fixtures are missing at $PODINFO (set SHARED_DIR to the shared data directory)"
command -v kubectl >/dev/null 2>&1 || die "kubectl is not on PATH"
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
    die "prometheus is not installed (make setup installs it; see README, 'Without root')"
fi

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

"$VENV/bin/python" -m tests.sandbox up --kubeconfig "$KUBECONFIG" --namespace "$NAMESPACE" --ready-seconds 2 \
    --mesh-target "$APEX_HOST" --prometheus >"$workdir/sandbox.out" 2>"$workdir/sandbox.err" &
sandbox_pid=$!
# The sandbox prints the kubeconfig path first and its service URLs once everything listens.
for _ in $(seq 1 300); do
    if ! kill -0 "$sandbox_pid" 2>/dev/null; then
        cat "$workdir/sandbox.err" >&2
        die "the sandbox exited during start-up"
    fi
    grep -q '^# prometheus:' "$workdir/sandbox.out" && break
    sleep 0.1
done
prometheus_url=$(sed -n 's/^# prometheus: //p' "$workdir/sandbox.out")
mesh_url=$(sed -n 's/^# mesh: \(http[^ ]*\)\/metrics.*/\1/p' "$workdir/sandbox.out")
if [ -z "$prometheus_url" ] || [ -z "$mesh_url" ]; then
    die "the sandbox did not start (see $workdir/sandbox.err)"
fi

title() { printf '\n\033[1;34m### %s\033[0m\n' "$*"; }
show() {
    printf '\n\033[1m$ %s\033[0m\n' "$*"
    "$@"
}
# The playbooks as a user runs them, on localhost without inventory; skipped tasks are not shown.
playbook() {
    local name=$1
    shift
    printf '\n\033[1m$ ansible-playbook progressive.canary.%s %s\033[0m\n' "$name" "$*"
    ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false \
        ANSIBLE_FORCE_COLOR=1 "$VENV/bin/ansible-playbook" -i localhost, "$REPO_ROOT/playbooks/$name.yml" \
        -e ansible_python_interpreter="$VENV/bin/python" -e rollout_kubeconfig="$KUBECONFIG" \
        -e "{\"rollout_prometheus\": {\"url\": \"$prometheus_url\"}}" -e "@$REPO_ROOT/playbooks/demo/podinfo.yml" "$@"
}
mesh_counts() { "$VENV/bin/python" -c 'import json, sys, urllib.request
counts = json.load(urllib.request.urlopen(sys.argv[1] + "/counts?host=" + sys.argv[2], timeout=10))
print("mesh traffic to %s since the last reset: %d requests, %d failed, by workload %s, failed by workload %s" % (
    sys.argv[2], counts.get("total", 0), counts.get("failed", 0), counts.get("by_workload", {}), counts.get("failed_by_workload", {})))' \
    "$mesh_url" "$APEX_HOST"; }
mesh_reset() { "$VENV/bin/python" -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/reset?host=" + sys.argv[2], method="POST"), timeout=10).read()' "$mesh_url" "$APEX_HOST"; }
# An object as its user wrote it (no status, no server-set metadata), to compare before and after.
user_view() {
    kubectl -n "$NAMESPACE" get "$1" -o json | "$VENV/bin/python" -c 'import json, sys, yaml
obj = json.load(sys.stdin)
obj.pop("status", None)
for field in ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"):
    obj["metadata"].pop(field, None)
obj["metadata"].get("annotations", {}).pop("deployment.kubernetes.io/revision", None)
print(yaml.safe_dump(obj, sort_keys=True), end="")'
}

title "The sandbox"
sed 's/^# /  /' "$workdir/sandbox.out"

title "podinfo 3.1.0 as the seed experiment had it (2 replicas, HPA, the apex Service with 3 ports)"
show kubectl create namespace "$NAMESPACE"
sed 's#image: .*podinfo:.*#image: stefanprodan/podinfo:3.1.0#; s#^spec:#spec:\n  replicas: 2#' "$PODINFO/deployment.yaml" \
    | kubectl -n "$NAMESPACE" apply -f - -f "$PODINFO/service.yaml" -f "$PODINFO/hpa.yaml"
show kubectl -n "$NAMESPACE" rollout status deployment/podinfo --timeout=60s
show kubectl -n "$NAMESPACE" get deployments,services,hpa -o wide
user_view service/podinfo >"$workdir/service.before"
user_view deployment/podinfo >"$workdir/deployment.before"
mesh_reset

title "Release 1: podinfo 3.1.1, healthy: promoted step by step"
playbook rollout -e rollout_image=stefanprodan/podinfo:3.1.1
show kubectl -n "$NAMESPACE" get deployments -o wide
mesh_counts
mesh_reset

title "Release 2: a template the mesh answers with 10 % errors: rolled back automatically"
show kubectl -n "$NAMESPACE" patch deployment podinfo --type strategic -p \
    '{"spec":{"template":{"metadata":{"annotations":{"sandbox.progressive.canary/error-rate":"0.1"}},"spec":{"containers":[{"name":"podinfod","image":"stefanprodan/podinfo:3.1.2"}]}}}}'
if playbook rollout; then
    die "the bad release was promoted"
fi
printf '\nThe play failed, as an AWX job would: the release was rolled back and the primary kept serving 3.1.1.\n'
show kubectl -n "$NAMESPACE" get deployments -o wide
mesh_counts
playbook status

title "Cleanup: the Deployment and the Service back as they were (at the promoted version 3.1.1)"
mesh_reset
playbook cleanup
show kubectl -n "$NAMESPACE" get deployments,services,hpa,virtualservices,destinationrules,configmaps -o wide
mesh_counts
user_view service/podinfo >"$workdir/service.after"
user_view deployment/podinfo >"$workdir/deployment.after"
printf '\n\033[1mService podinfo, before the canary vs after cleanup:\033[0m\n'
diff -u "$workdir/service.before" "$workdir/service.after" && echo "identical"
printf '\n\033[1mDeployment podinfo, before the canary vs after cleanup (only the released version differs):\033[0m\n'
diff -u "$workdir/deployment.before" "$workdir/deployment.after" || true

printf '\nDemo done; stopping the sandbox.\n'
