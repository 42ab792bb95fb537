"""Live, provider openshift: traffic through OpenShift Routes (the mesh's HAProxy router), real Prometheus scraping the
router's HAProxy families, and canary_analysis (through ansible-playbook, ``provider: openshift``) judging the builtin
checks on them: a healthy canary passes, one answering 10 % errors fails the success rate, a slow one the latency.

Each canary is a Route sending half its host's traffic to ``<target>-primary`` and half to ``<target>-canary``, the
Services canary_init makes; only the canary's pods (the ``<target>`` Deployment) misbehave."""
from ansible_collections.progressive.canary.plugins.module_utils.analysis.istio_queries import (
    REQUEST_DURATION, REQUEST_SUCCESS_RATE, render_query,
)
from ansible_collections.progressive.canary.plugins.module_utils.analysis.observers import builtin_template
from tests.integration.test_analysis_live import CHECKS, WAIT_S, WINDOW, settled
from tests.integration.test_analysis_module import run_playbook
from tests.sandbox.fixtures_mesh import create_objects, deployment_manifest, service_manifest, wait_ready

NS = "gate-route"
# target: (canary error rate, canary latency ms, expected success rate, expected average latency)
CANARIES = {
    "healthy": (0.0, 20, 100.0, 20),
    "erroring": (0.1, 20, 90.0, 20),
    "slow": (0.0, 800, 100.0, 800),
}


def route_manifest(target):
    return {"apiVersion": "route.openshift.io/v1", "kind": "Route", "metadata": {"name": target, "namespace": NS},
            "spec": {"host": "%s.apps.example.com" % target, "port": {"targetPort": "http"},
                     "to": {"kind": "Service", "name": target + "-primary", "weight": 50},
                     "alternateBackends": [{"kind": "Service", "name": target + "-canary", "weight": 50}]}}


def canary_objects(target, error_rate, latency_ms):
    return [
        deployment_manifest(target + "-primary", NS, {"app": target + "-primary"}, ready_seconds=0, latency_ms=20),
        deployment_manifest(target, NS, {"app": target}, ready_seconds=0, error_rate=error_rate, latency_ms=latency_ms),
        service_manifest(target + "-primary", NS, {"app": target + "-primary"}),
        service_manifest(target + "-canary", NS, {"app": target}),
        route_manifest(target),
    ]


def openshift_query(name, target):
    return render_query(builtin_template("openshift", name), {"namespace": NS, "target": target, "interval": WINDOW})


def test_builtin_checks_on_the_routers_haproxy_metrics(tmp_path, prometheus_live, mesh, emulator):
    for target, (error_rate, latency_ms, _rate, _latency) in CANARIES.items():
        create_objects(emulator.url, canary_objects(target, error_rate, latency_ms))
    for target in CANARIES:
        wait_ready(emulator.url, NS, target)
        wait_ready(emulator.url, NS, target + "-primary")
        mesh.add_target("%s.apps.example.com" % target, namespace="clients", rps=50)
    for target, (_error_rate, _latency_ms, success_rate, latency) in CANARIES.items():
        prometheus_live.wait_for_value(openshift_query(REQUEST_SUCCESS_RATE, target), WAIT_S, accept=settled(success_rate, 2.5))
        prometheus_live.wait_for_value(openshift_query(REQUEST_DURATION, target), WAIT_S, accept=settled(latency, 0.5))

    options = {"namespace": NS, "provider": "openshift", "prometheus": {"url": prometheus_live.url}, "checks": CHECKS}
    tasks = [{"progressive.canary.canary_analysis": dict(options, target=target)} for target in CANARIES]
    results, _output = run_playbook(tmp_path, tasks)
    outcomes = dict(zip(CANARIES, results))

    assert outcomes["healthy"]["passed"] is True and not outcomes["healthy"].get("failed"), outcomes["healthy"]
    for check in outcomes["healthy"]["checks"]:
        assert "haproxy_server_http_" in check["query"] and "istio_" not in check["query"], check
        assert 'service=~"healthy-canary"' in check["query"]
    assert outcomes["erroring"]["failed"] is True and outcomes["erroring"]["failed_check_names"] == [REQUEST_SUCCESS_RATE], outcomes["erroring"]
    assert "below the minimum 99" in outcomes["erroring"]["checks"][0]["reason"]
    assert outcomes["slow"]["failed_check_names"] == [REQUEST_DURATION], outcomes["slow"]
    assert "above the maximum 500" in outcomes["slow"]["checks"][1]["reason"]
    assert "HAProxy" in outcomes["slow"]["checks"][1]["reason"]
