"""The gate against real Prometheus on backfilled Istio series (deterministic values).

Workloads in namespace ``test``: ``healthy`` (0.5 % errors, 30 ms), ``erroring`` (10 % errors), ``slow``
(800 ms) and ``idle`` (no requests: 0/0 = NaN). Queries are evaluated at the data's last timestamp.
"""
import base64

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.analysis.gate import run_checks
from ansible_collections.progressive.canary.plugins.module_utils.analysis.prometheus_api import PrometheusConnection
from tests.integration.loopback_http import LoopbackServer, Reply, forwarding_responder
from tests.sandbox.prometheus import Prometheus, PrometheusUnavailable, find_prometheus, istio_series, render_openmetrics

SUCCESS_RATE = {"name": "request-success-rate", "interval": "1m", "threshold_range": {"min": 99}}
DURATION = {"name": "request-duration", "interval": "1m", "threshold_range": {"max": 500}}


@pytest.fixture(scope="module")
def prometheus():
    try:
        find_prometheus()
    except PrometheusUnavailable as exc:
        pytest.skip(str(exc))
    text = render_openmetrics(
        istio_series("test", "healthy", 10, 0.005, 30),
        istio_series("test", "erroring", 10, 0.10, 30),
        istio_series("test", "slow", 10, 0.0, 800),
        istio_series("test", "idle", 0, 0.0, 30),
    )
    server = Prometheus.backfill(text)
    yield server
    server.stop()


def gate(prometheus, checks, target="healthy", connection=None):  # pylint: disable=redefined-outer-name
    connection = connection or PrometheusConnection(prometheus.url)
    return run_checks(connection, checks, {"namespace": "test", "target": target}, at_time=prometheus.default_query_time)


def only(outcome):
    assert len(outcome["checks"]) == 1
    return outcome["checks"][0]


def test_healthy_canary_passes_both_builtin_checks(prometheus):
    outcome = gate(prometheus, [SUCCESS_RATE, DURATION])
    assert outcome["passed"] is True and outcome["failed_check_names"] == []
    rate, latency = outcome["checks"]
    assert rate["value"] == pytest.approx(99.5) and rate["verdict"] == "pass"
    assert latency["value"] == pytest.approx(49.75) and latency["verdict"] == "pass"  # p99 inside the 25-50 ms bucket
    assert 'destination_workload=~"healthy"' in rate["query"] and "[1m]" in rate["query"]


def test_success_rate_below_min_fails(prometheus):
    check = only(gate(prometheus, [SUCCESS_RATE], target="erroring"))
    assert check["verdict"] == "fail" and check["passed"] is False
    assert check["value"] == pytest.approx(90.0) and "below the minimum 99" in check["reason"]


def test_latency_above_max_fails(prometheus):
    check = only(gate(prometheus, [DURATION], target="slow"))
    assert check["verdict"] == "fail" and check["value"] == pytest.approx(995.0) and "above the maximum 500" in check["reason"]


def test_unknown_workload_is_no_data_naming_query_labels_and_traffic(prometheus):
    outcome = gate(prometheus, [SUCCESS_RATE], target="ghost")
    check = only(outcome)
    assert outcome["passed"] is False and check["verdict"] == "no data" and check["value"] is None
    assert "empty vector" in check["reason"] and 'destination_workload=~"ghost"' in check["reason"]
    assert "namespace 'test'" in check["reason"] and "no traffic" in check["reason"]


def test_zero_requests_is_nan_and_no_data(prometheus):
    outcome = gate(prometheus, [SUCCESS_RATE, DURATION], target="idle")
    assert outcome["passed"] is False
    assert [c["verdict"] for c in outcome["checks"]] == ["no data", "no data"]
    assert "NaN" in outcome["checks"][0]["reason"]


def test_no_data_passes_only_when_asked_explicitly(prometheus):
    check = only(gate(prometheus, [dict(SUCCESS_RATE, on_no_data="pass")], target="ghost"))
    assert check["verdict"] == "no data" and check["passed"] is True


def test_custom_query_with_variables(prometheus):
    query = ('sum(rate(istio_requests_total{destination_workload_namespace="{{ namespace }}",'
             'destination_workload="{{ target }}",response_code=~"{{ variables.codes }}"}[{{ interval }}]))')
    check = only(gate(prometheus, [{"name": "errors-per-second", "query": query, "interval": "2m",
                                    "template_variables": {"codes": "5.."}, "threshold_range": {"max": 0.5}}],
                      target="erroring"))
    assert check["verdict"] == "fail" and check["value"] == pytest.approx(1.0)
    assert 'response_code=~"5.."' in check["query"] and "[2m]" in check["query"]


def test_scalar_result_is_a_value(prometheus):
    query = 'scalar(sum(rate(istio_requests_total{destination_workload="{{ target }}"}[{{ interval }}])))'
    check = only(gate(prometheus, [{"name": "rps", "query": query, "threshold_range": {"min": 5}}]))
    assert check["verdict"] == "pass" and check["value"] == pytest.approx(10.0)


def test_several_series_is_an_error_not_a_guess(prometheus):
    query = 'sum by (destination_workload) (rate(istio_requests_total{destination_workload_namespace="{{ namespace }}"}[1m]))'
    check = only(gate(prometheus, [{"name": "per-workload", "query": query, "threshold_range": {"min": 0}}]))
    assert check["verdict"] == "error" and check["passed"] is False
    assert "series" in check["reason"] and 'destination_workload="erroring"' in check["reason"]


def test_range_vector_is_an_error(prometheus):
    query = 'istio_requests_total{destination_workload="{{ target }}",response_code="200"}[1m]'
    check = only(gate(prometheus, [{"name": "raw", "query": query, "threshold_range": {"min": 0}}]))
    assert check["verdict"] == "error" and "range vector" in check["reason"]


def test_bad_promql_is_an_error_with_status_and_prometheus_text(prometheus):
    check = only(gate(prometheus, [{"name": "broken", "query": "sum(rate(x[1m]", "threshold_range": {"min": 0}}]))
    assert check["verdict"] == "error"
    assert "HTTP 400" in check["reason"] and "bad_data" in check["reason"] and "parse error" in check["reason"]


def test_long_query_is_sent_as_post_form(prometheus):
    padding = "|".join("nothing-%04d" % i for i in range(300))
    query = ('sum(rate(istio_requests_total{destination_workload=~"{{ target }}|%s",response_code!~"5.*"}[1m])) / '
             'sum(rate(istio_requests_total{destination_workload=~"{{ target }}"}[1m])) * 100' % padding)
    with LoopbackServer(forwarding_responder(prometheus.url, lambda request: True)) as proxy:
        outcome = gate(prometheus, [{"name": "long", "query": query, "threshold_range": {"min": 99}}],
                       connection=PrometheusConnection(proxy.url))
    assert only(outcome)["value"] == pytest.approx(99.5)
    assert [r.method for r in proxy.requests] == ["POST"]


def test_prometheus_down_is_an_error_naming_the_url(prometheus):
    with LoopbackServer(lambda request: Reply(200)) as gone:
        url = gone.url
    outcome = gate(prometheus, [SUCCESS_RATE, DURATION], connection=PrometheusConnection(url))
    assert outcome["passed"] is False and outcome["failed_check_names"] == ["request-success-rate", "request-duration"]
    for check in outcome["checks"]:
        assert check["verdict"] == "error" and url in check["reason"] and "refused" in check["reason"]


def test_slow_prometheus_times_out_instead_of_hanging(prometheus):
    with LoopbackServer(lambda request: Reply(200, {"status": "success"}, delay_s=3)) as slow:
        check = only(gate(prometheus, [SUCCESS_RATE], connection=PrometheusConnection(slow.url, timeout=0.3)))
    assert check["verdict"] == "error" and "timed out" in check["reason"] and slow.url in check["reason"]


def test_prometheus_server_error_reports_status_and_body(prometheus):
    answer = {"status": "error", "errorType": "execution", "error": "query timed out in expression evaluation"}
    with LoopbackServer(lambda request: Reply(503, answer)) as failing:
        check = only(gate(prometheus, [SUCCESS_RATE], connection=PrometheusConnection(failing.url)))
    assert check["verdict"] == "error" and "HTTP 503" in check["reason"] and "execution: query timed out" in check["reason"]


def test_bearer_token_reaches_prometheus_through_an_authenticating_proxy(prometheus):
    def accept(request):
        return request.headers.get("Authorization") == "Bearer s3cr3t"

    with LoopbackServer(forwarding_responder(prometheus.url, accept)) as proxy:
        good = gate(prometheus, [SUCCESS_RATE], connection=PrometheusConnection(proxy.url, bearer_token="s3cr3t"))
        bad = gate(prometheus, [SUCCESS_RATE], connection=PrometheusConnection(proxy.url, bearer_token="wrong"))
    assert good["passed"] is True
    assert only(bad)["verdict"] == "error" and "HTTP 401" in only(bad)["reason"] and "wrong" not in only(bad)["reason"]


def test_basic_auth_and_custom_headers_reach_prometheus(prometheus):
    expected = "Basic " + base64.b64encode(b"gate:pa55").decode()

    def accept(request):
        return request.headers.get("Authorization") == expected and request.headers.get("X-Scope-OrgID") == "tenant-a"

    with LoopbackServer(forwarding_responder(prometheus.url, accept)) as proxy:
        good = gate(prometheus, [SUCCESS_RATE], connection=PrometheusConnection(
            proxy.url, username="gate", password="pa55", headers={"X-Scope-OrgID": "tenant-a"}))
        bad = gate(prometheus, [SUCCESS_RATE], connection=PrometheusConnection(proxy.url, username="gate", password="nope"))
    assert good["passed"] is True
    assert only(bad)["verdict"] == "error" and "HTTP 401" in only(bad)["reason"]
