"""Prometheus queries and web checks are reads: a transient failure (429/500/502/503/504, a refused or dropped
connection) is retried as the same request and the check gets its real answer; a failure that outlasts the retries
says how often it was tried. Webhooks are POSTs to user endpoints: never retried."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.analysis.prometheus_api import PrometheusConnection, PrometheusError, query
from ansible_collections.progressive.canary.plugins.module_utils.kube.retry import MAX_ATTEMPTS
from ansible_collections.progressive.canary.plugins.module_utils.analysis.web_check import WebCheckError, fetch_web_value
from ansible_collections.progressive.canary.plugins.module_utils.analysis.webhooks import call_once
from tests.integration.loopback_http import LoopbackServer, Reply, forwarding_responder
from tests.integration.test_analysis_prometheus import prometheus  # noqa: F401  pylint: disable=unused-import  # a fixture

TRANSIENT = {
    "503": Reply(503, {"status": "error", "errorType": "unavailable", "error": "overloaded"}),
    "502": Reply(502, "bad gateway"),
    "429 with Retry-After": Reply(429, "slow down", headers={"Retry-After": "0"}),
    "dropped connection": Reply(drop=True),
}
QUERY = 'sum(istio_requests_total{destination_workload="healthy"})'


def flaky(upstream_responder, failure, times=1):
    """A responder answering ``failure`` to the first ``times`` requests, then ``upstream_responder``."""
    seen = []

    def respond(request):
        seen.append(request)
        return failure if len(seen) <= times else upstream_responder(request)
    return respond


@pytest.mark.parametrize("case", sorted(TRANSIENT))
def test_a_transient_prometheus_failure_is_retried_and_the_query_answers(prometheus, case):  # pylint: disable=redefined-outer-name
    expected = query(PrometheusConnection(prometheus.url), QUERY, at_time=prometheus.default_query_time)
    with LoopbackServer(flaky(forwarding_responder(prometheus.url, lambda request: True), TRANSIENT[case])) as proxy:
        answer = query(PrometheusConnection(proxy.url), QUERY, at_time=prometheus.default_query_time)
        assert len(proxy.requests) == 2 and proxy.requests[0].path == proxy.requests[1].path
    assert answer == expected and answer["result"]


def test_a_persistent_prometheus_failure_reports_the_last_answer_after_every_attempt():
    with LoopbackServer(lambda request: Reply(503, {"status": "error", "errorType": "unavailable", "error": "overloaded"})) as failing:
        with pytest.raises(PrometheusError) as error:
            query(PrometheusConnection(failing.url), QUERY)
        assert len(failing.requests) == MAX_ATTEMPTS
    assert "answered HTTP 503: unavailable: overloaded" in str(error.value)


def test_a_refused_connection_says_how_often_it_was_tried():
    with LoopbackServer(lambda request: Reply(200)) as gone:
        url = gone.url
    with pytest.raises(PrometheusError) as error:
        query(PrometheusConnection(url), QUERY)
    assert "unreachable: connection refused (tried %d times" % MAX_ATTEMPTS in str(error.value)


def test_a_bad_query_is_not_retried(prometheus):  # pylint: disable=redefined-outer-name
    with LoopbackServer(forwarding_responder(prometheus.url, lambda request: True)) as proxy:
        with pytest.raises(PrometheusError) as error:
            query(PrometheusConnection(proxy.url), "sum(")
        assert len(proxy.requests) == 1
    assert "HTTP 400" in str(error.value)


@pytest.mark.parametrize("case", sorted(TRANSIENT))
def test_a_transient_web_check_failure_is_retried(case):
    with LoopbackServer(flaky(lambda request: Reply(200, {"value": 42}), TRANSIENT[case])) as endpoint:
        value = fetch_web_value({"url": endpoint.url + "/health", "value_path": "value"})
        assert len(endpoint.requests) == 2
    assert value == 42


def test_a_web_check_answering_404_is_not_retried():
    with LoopbackServer(lambda request: Reply(404, "no such page")) as endpoint:
        with pytest.raises(WebCheckError):
            fetch_web_value({"url": endpoint.url + "/health", "value_path": "value"})
        assert len(endpoint.requests) == 1


@pytest.mark.parametrize("case", ["503", "dropped connection"])
def test_a_webhook_is_never_retried(case):
    with LoopbackServer(flaky(lambda request: Reply(200), TRANSIENT[case])) as receiver:
        passed, _status, _answer = call_once({"name": "notify", "url": receiver.url + "/hook", "timeout": 5}, {"name": "podinfo"})
        assert len(receiver.requests) == 1
    assert passed is False
