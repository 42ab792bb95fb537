"""Live: real Prometheus scrapes the mesh, and Flagger's Istio queries see the configured behaviour."""

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.analysis.istio_queries import (
    REQUEST_DURATION,
    REQUEST_SUCCESS_RATE,
    builtin_query,
)
from tests.sandbox.fixtures_mesh import create_objects, deployment_manifest, service_manifest, wait_ready
from tests.sandbox.prometheus import sample_values

NS = "live"
WAIT_S = 90  # first scrape ~6 s after the session's Prometheus starts, then a [10s] window to fill


def within(expected, tolerance):
    """Accept an answer whose single value is a number within ``tolerance`` of ``expected``."""
    def accept(data):
        values = sample_values(data)
        return len(values) == 1 and abs(values[0] - expected) <= tolerance
    return accept


def test_prometheus_scrapes_the_mesh(prometheus_live, mesh_server):
    data = prometheus_live.wait_for_value('up{job="sandbox-mesh"}', WAIT_S, accept=within(1, 0))
    assert data["result"][0]["metric"]["instance"] == mesh_server.scrape_target


def test_flagger_istio_queries_match_the_canarys_error_rate_and_latency(prometheus_live, mesh, emulator):
    create_objects(emulator.url, [
        deployment_manifest("podinfo", NS, {"app": "podinfo"}, replicas=2, ready_seconds=0, error_rate=0.1, latency_ms=800),
        service_manifest("podinfo", NS, {"app": "podinfo"}),
    ])
    wait_ready(emulator.url, NS, "podinfo", 2)
    mesh.add_target("podinfo.live", rps=50)

    success_rate = builtin_query(REQUEST_SUCCESS_RATE, NS, "podinfo", "10s")
    p99 = builtin_query(REQUEST_DURATION, NS, "podinfo", "10s")
    # 10 % of requests answered 500 -> 90 % success (the window's edges make it wobble a little).
    prometheus_live.wait_for_value(success_rate, WAIT_S, accept=within(90.0, 2.5))
    # Every request takes 800 ms, in Istio's (500, 1000] bucket: p99 interpolates to 500 + 500 * 0.99.
    prometheus_live.wait_for_value(p99, WAIT_S, accept=within(995.0, 0.5))
    assert mesh.counts("podinfo.live")["by_code"]["500"] > 0


def test_no_traffic_to_a_workload_is_no_data(prometheus_live, mesh, emulator):
    create_objects(emulator.url, [deployment_manifest("quiet", NS, {"app": "quiet"}, ready_seconds=0),
                                  service_manifest("quiet", NS, {"app": "quiet"})])
    prometheus_live.wait_for_value('up{job="sandbox-mesh"}', WAIT_S, accept=within(1, 0))
    assert prometheus_live.query(builtin_query(REQUEST_SUCCESS_RATE, NS, "quiet", "10s"))["result"] == []
    with pytest.raises(TimeoutError, match="quiet"):
        prometheus_live.wait_for_value(builtin_query(REQUEST_DURATION, NS, "quiet", "10s"), 1)
