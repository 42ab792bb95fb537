"""Live: the mesh sends traffic to canaries and their primaries, real Prometheus scrapes it, and the comparison
check judges each canary against its primary from range queries (one sample per 5 s over 40 s).

``errors``: primary 0.5 % errors, canary 1 %; ``slow``: primary 30 ms, canary
60 ms; ``near``: primary 30 ms, canary 31 ms; ``same``: identical. The mesh is deterministic (an error rate of 0.01
is exactly one 500 in a hundred), so each side's samples hardly vary: this is the tie-heavy case.
"""
from ansible_collections.progressive.canary.plugins.module_utils.analysis.gate import run_checks
from ansible_collections.progressive.canary.plugins.module_utils.analysis.istio_queries import REQUEST_SUCCESS_RATE, builtin_query
from ansible_collections.progressive.canary.plugins.module_utils.analysis.prometheus_api import PrometheusConnection
from tests.sandbox.fixtures_mesh import create_objects, deployment_manifest, service_manifest, wait_ready

NS = "compare-live"
WAIT_S = 120
RPS = 150
WINDOW_S = 40
COMPARE = {"interval": "%ds" % WINDOW_S, "compare_with_primary": {"step": "5s"}}
CHECKS = [
    dict(COMPARE, name="success-vs-primary", compare_with_primary={"step": "5s", "metric": "request-success-rate"}),
    dict(COMPARE, name="request-duration"),
]
# target: ((primary error rate, latency ms), (canary error rate, latency ms))
PAIRS = {
    "errors": ((0.005, 30), (0.01, 30)),
    "slow": ((0.0, 30), (0.0, 60)),
    "near": ((0.0, 30), (0.0, 31)),
    "same": ((0.005, 30), (0.005, 30)),
}


def _full_window(prometheus_live, workload):
    """Wait until the workload has a full window of samples behind it."""
    query = "count_over_time((%s)[%ds:1s])" % (builtin_query(REQUEST_SUCCESS_RATE, NS, workload, "5s"), WINDOW_S + 5)
    prometheus_live.wait_for_value(query, WAIT_S, accept=lambda data: float(data["result"][0]["value"][1]) >= WINDOW_S + 5)


def test_the_canary_is_judged_against_its_primary(prometheus_live, mesh, emulator):
    manifests = []
    for target, sides in PAIRS.items():
        for workload, (error_rate, latency_ms) in zip((target + "-primary", target), sides):
            manifests.append(deployment_manifest(workload, NS, {"app": workload}, ready_seconds=0, error_rate=error_rate, latency_ms=latency_ms))
            manifests.append(service_manifest(workload, NS, {"app": workload}))
    create_objects(emulator.url, manifests)
    for target in PAIRS:
        for workload in (target + "-primary", target):
            wait_ready(emulator.url, NS, workload)
            mesh.add_target("%s.%s" % (workload, NS), rps=RPS)
    for target in PAIRS:
        _full_window(prometheus_live, target)
        _full_window(prometheus_live, target + "-primary")

    connection = PrometheusConnection(prometheus_live.url)
    outcomes = dict((target, run_checks(connection, CHECKS, {"namespace": NS, "target": target})) for target in PAIRS)
    verdicts = dict((target, [check["verdict"] for check in outcome["checks"]]) for target, outcome in outcomes.items())
    reasons = dict((target, [check["reason"] for check in outcome["checks"]]) for target, outcome in outcomes.items())
    print("\n".join("%s: %s" % (target, reason) for target in PAIRS for reason in reasons[target]))

    assert verdicts["errors"][0] == "fail", reasons["errors"]
    assert verdicts["slow"][1] == "fail" and verdicts["near"][1] == "pass", (reasons["slow"], reasons["near"])
    assert verdicts["same"] == ["pass", "pass"], reasons["same"]
    errors = outcomes["errors"]["checks"][0]["comparison"]
    assert errors["canary_median"] < errors["primary_median"] and errors["effect"] < -0.25, errors
    assert errors["canary_samples"] >= 7 and errors["primary_samples"] >= 7, errors
    assert outcomes["slow"]["checks"][1]["comparison"]["effect"] > 50
