"""Live: the mesh sends traffic, real Prometheus scrapes it, and the gate judges three canaries.

``healthy`` (no errors, 20 ms) passes both builtin checks; ``erroring`` (10 % errors) fails the success
rate; ``slow`` (800 ms) fails the p99 latency. Windows are short (``[10s]``); the test first waits until
Prometheus shows each workload's configured behaviour, then runs the gate once.
"""
from ansible_collections.progressive.canary.plugins.module_utils.analysis.gate import run_checks
from ansible_collections.progressive.canary.plugins.module_utils.analysis.istio_queries import (
    REQUEST_DURATION, REQUEST_SUCCESS_RATE, builtin_query,
)
from ansible_collections.progressive.canary.plugins.module_utils.analysis.prometheus_api import PrometheusConnection
from tests.sandbox.fixtures_mesh import create_objects, deployment_manifest, service_manifest, wait_ready
from tests.sandbox.prometheus import sample_values

NS = "gate-live"
WAIT_S = 90
WINDOW = "10s"
CHECKS = [
    {"name": REQUEST_SUCCESS_RATE, "interval": WINDOW, "threshold_range": {"min": 99}},
    {"name": REQUEST_DURATION, "interval": WINDOW, "threshold_range": {"max": 500}},
]
# name: (error rate, latency ms, expected success rate, expected p99 as Prometheus interpolates the bucket)
CANARIES = {
    "healthy": (0.0, 20, 100.0, 10 + 15 * 0.99),
    "erroring": (0.1, 20, 90.0, 10 + 15 * 0.99),
    "slow": (0.0, 800, 100.0, 500 + 500 * 0.99),
}


def settled(expected, tolerance):
    def accept(data):
        values = sample_values(data)
        return len(values) == 1 and abs(values[0] - expected) <= tolerance
    return accept


def test_builtin_checks_pass_a_healthy_canary_and_fail_errors_and_latency(prometheus_live, mesh, emulator):
    manifests = []
    for name, (error_rate, latency_ms, _success_rate, _p99) in CANARIES.items():
        manifests.append(deployment_manifest(name, NS, {"app": name}, ready_seconds=0, error_rate=error_rate, latency_ms=latency_ms))
        manifests.append(service_manifest(name, NS, {"app": name}))
    create_objects(emulator.url, manifests)
    for name in CANARIES:
        wait_ready(emulator.url, NS, name)
        mesh.add_target("%s.%s" % (name, NS), rps=50)
    for name, (_error_rate, _latency_ms, success_rate, p99) in CANARIES.items():
        prometheus_live.wait_for_value(builtin_query(REQUEST_SUCCESS_RATE, NS, name, WINDOW), WAIT_S, accept=settled(success_rate, 2.5))
        prometheus_live.wait_for_value(builtin_query(REQUEST_DURATION, NS, name, WINDOW), WAIT_S, accept=settled(p99, 0.5))

    connection = PrometheusConnection(prometheus_live.url)
    outcomes = {name: run_checks(connection, CHECKS, {"namespace": NS, "target": name}) for name in CANARIES}

    assert outcomes["healthy"]["passed"] is True, outcomes["healthy"]
    assert outcomes["erroring"]["failed_check_names"] == [REQUEST_SUCCESS_RATE], outcomes["erroring"]
    assert outcomes["slow"]["failed_check_names"] == [REQUEST_DURATION], outcomes["slow"]
    assert "below the minimum 99" in outcomes["erroring"]["checks"][0]["reason"]
    assert "above the maximum 500" in outcomes["slow"]["checks"][1]["reason"]


def test_a_canary_without_traffic_fails_with_no_data(prometheus_live, mesh, emulator):  # pylint: disable=unused-argument
    create_objects(emulator.url, [deployment_manifest("idle", NS, {"app": "idle"}, ready_seconds=0),
                                  service_manifest("idle", NS, {"app": "idle"})])
    prometheus_live.wait_for_value('up{job="sandbox-mesh"}', WAIT_S, accept=settled(1, 0))
    outcome = run_checks(PrometheusConnection(prometheus_live.url), CHECKS, {"namespace": NS, "target": "idle"})
    assert outcome["passed"] is False
    assert [check["verdict"] for check in outcome["checks"]] == ["no data", "no data"]
    assert "no traffic" in outcome["checks"][0]["reason"]
