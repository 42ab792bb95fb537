"""The provider -> builtin queries mapping (analysis/observers.py) and the gate's use of it."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.analysis import observers
from ansible_collections.progressive.canary.plugins.module_utils.analysis.gate import AnalysisConfigError, prepare_checks
from ansible_collections.progressive.canary.plugins.module_utils.analysis.istio_queries import ISTIO_QUERIES
from ansible_collections.progressive.canary.plugins.module_utils.routers.factory import PROVIDERS

CHECKS = [{"name": "request-success-rate", "interval": "1m", "threshold_range": {"min": 99}},
          {"name": "request-duration", "interval": "1m", "threshold_range": {"max": 500}}]


def plans(provider, checks=None):
    return prepare_checks(checks or CHECKS, {"namespace": "shop", "target": "podinfo", "provider": provider})


def test_every_provider_of_the_factory_has_both_builtin_checks():
    assert set(observers.BUILTIN_QUERIES) == set(PROVIDERS)
    for queries in observers.BUILTIN_QUERIES.values():
        assert set(queries) == set(ISTIO_QUERIES)


@pytest.mark.parametrize("provider", ["istio", "gatewayapi", None])
def test_istio_and_gatewayapi_query_istio_metrics(provider):
    rate, duration = plans(provider)
    assert "istio_requests_total{" in rate["query"] and 'destination_workload=~"podinfo"' in rate["query"]
    assert "istio_request_duration_milliseconds_bucket{" in duration["query"]
    assert duration["unit"] == "p99 latency in milliseconds"


def test_openshift_queries_the_routers_haproxy_metrics_of_the_canary_service():
    rate, duration = plans("openshift")
    for plan in (rate, duration):
        assert "istio_" not in plan["query"]
        assert 'namespace="shop"' in plan["query"] and 'service=~"podinfo-canary"' in plan["query"] and "[1m]" in plan["query"]
    assert rate["query"].count("haproxy_server_http_responses_total{") == 2 and 'code!="5xx"' in rate["query"]
    assert "avg_over_time(haproxy_server_http_average_response_latency_milliseconds{" in "".join(duration["query"].split())
    assert "HAProxy" in rate["unit"] and "average" in duration["unit"]


def test_a_provider_without_standard_metrics_refuses_builtin_checks_naming_it_and_the_check():
    with pytest.raises(AnalysisConfigError) as refused:
        plans("kuma")
    message = str(refused.value)
    assert "request-success-rate" in message and "provider kuma" in message and "custom check" in message
    assert "query" in message


def test_a_provider_without_standard_metrics_still_runs_custom_checks():
    custom = [{"name": "errors", "query": 'sum(rate(my_errors{app="{{ target }}"}[{{ interval }}]))', "threshold_range": {"max": 1}}]
    assert plans("kuma", custom)[0]["query"].startswith("sum(rate(my_errors")


def test_unknown_check_name_lists_every_builtin():
    with pytest.raises(AnalysisConfigError, match="request-duration, request-success-rate"):
        plans("openshift", [{"name": "nope", "threshold_range": {"min": 1}}])
