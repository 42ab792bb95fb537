"""Backfilled real Prometheus returns exactly the Istio values the series were built with."""

import math

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.analysis.istio_queries import (
    REQUEST_DURATION,
    REQUEST_SUCCESS_RATE,
    builtin_query,
)
from tests.sandbox.prometheus import (
    PrometheusError,
    PrometheusUnavailable,
    find_prometheus,
    istio_series,
    render_openmetrics,
    sample_values,
)

NS = "test"
END = 1_800_000_000  # fixed end: the data, not the wall clock, decides what the queries see


def flagger_value(prometheus, check, workload, interval="1m"):
    """The values of Flagger's builtin check for one workload (``[]`` when Prometheus has no series)."""
    return sample_values(prometheus.query(builtin_query(check, NS, workload, interval)))


@pytest.fixture(name="istio_prometheus")
def fixture_istio_prometheus(prometheus_backfill):
    """Prometheus with a healthy primary, a failing slow canary, an idle workload and a server-error one."""
    return prometheus_backfill(render_openmetrics(
        istio_series(NS, "podinfo-primary", requests_per_s=40, error_rate=0.0, latency_ms=20, end=END),
        istio_series(NS, "podinfo", requests_per_s=10, error_rate=0.1, latency_ms=800, end=END),
        istio_series(NS, "idle", requests_per_s=0, error_rate=0.0, latency_ms=5, end=END),
        istio_series(NS, "flaky", requests_per_s=7, error_rate=0.25, latency_ms=3, end=END, error_code="503"),
        istio_series(NS, "on-a-bound", requests_per_s=3, error_rate=0.0, latency_ms=1000, end=END),
    ))


@pytest.mark.parametrize("workload, expected", [("podinfo-primary", 100.0), ("podinfo", 90.0), ("flaky", 75.0)])
def test_success_rate_is_exactly_as_built(istio_prometheus, workload, expected):
    assert flagger_value(istio_prometheus, REQUEST_SUCCESS_RATE, workload) == [pytest.approx(expected, abs=1e-9)]


@pytest.mark.parametrize("workload, expected", [
    ("podinfo", 500 + (1000 - 500) * 0.99),  # 800 ms is in (500, 1000]: histogram_quantile interpolates linearly
    ("podinfo-primary", 10 + (25 - 10) * 0.99),
    ("flaky", 2 + (5 - 2) * 0.99),
    ("on-a-bound", 500 + (1000 - 500) * 0.99),  # buckets are "less than or equal": 1000 ms counts in le="1000"
])
def test_p99_is_the_interpolation_inside_the_latency_bucket(istio_prometheus, workload, expected):
    assert flagger_value(istio_prometheus, REQUEST_DURATION, workload) == [pytest.approx(expected, abs=1e-9)]


def test_workload_without_requests_is_nan(istio_prometheus):
    values = flagger_value(istio_prometheus, REQUEST_SUCCESS_RATE, "idle") + flagger_value(istio_prometheus, REQUEST_DURATION, "idle")
    assert len(values) == 2 and all(math.isnan(v) for v in values)


def test_unknown_workload_is_an_empty_vector(istio_prometheus):
    assert istio_prometheus.query(builtin_query(REQUEST_SUCCESS_RATE, NS, "no-such-workload", "1m"))["result"] == []
    assert istio_prometheus.query(builtin_query(REQUEST_DURATION, "other-namespace", "podinfo", "1m"))["result"] == []


def test_short_window_and_explicit_time_inside_the_data(istio_prometheus):
    values = sample_values(istio_prometheus.query(builtin_query(REQUEST_SUCCESS_RATE, NS, "podinfo", "10s"), time=END - 60))
    assert values == [pytest.approx(90.0, abs=1e-9)]


def test_after_the_data_ends_there_is_no_rate(istio_prometheus):
    # 10 minutes later the last samples are past the 5-minute lookback: Prometheus has nothing to say.
    assert istio_prometheus.query(builtin_query(REQUEST_SUCCESS_RATE, NS, "podinfo", "1m"), time=END + 600)["result"] == []


def test_request_counter_carries_istio_labels(istio_prometheus):
    data = istio_prometheus.query('istio_requests_total{destination_workload="podinfo",response_code="500"}')
    assert [item["metric"] for item in data["result"]] == [{
        "__name__": "istio_requests_total", "reporter": "destination", "source_workload": "sandbox-traffic",
        "source_workload_namespace": "default", "destination_workload": "podinfo", "destination_workload_namespace": NS,
        "destination_service": "podinfo.test.svc.cluster.local", "destination_service_name": "podinfo",
        "destination_service_namespace": NS, "response_code": "500",
    }]
    assert sample_values(data) == [pytest.approx(10 * 0.1 * 300)]


def test_bad_promql_raises_with_prometheus_error_text(istio_prometheus):
    with pytest.raises(PrometheusError, match="bad_data"):
        istio_prometheus.query("sum(rate(istio_requests_total[1m])")


def test_missing_binaries_give_a_skip_reason(monkeypatch):
    monkeypatch.setenv("SANDBOX_PROMETHEUS", "/nonexistent/prometheus")
    with pytest.raises(PrometheusUnavailable, match="prometheus not found"):
        find_prometheus()
