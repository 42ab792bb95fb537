"""Unit tests of the gate's pure parts: query rendering, reading a value out of an API answer, verdicts."""
import math

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.analysis import gate as analysis
from ansible_collections.progressive.canary.plugins.module_utils.analysis.gate import (
    AmbiguousResult, AnalysisConfigError, NoData, judge, prepare_checks, selectors_in, single_value,
)
from ansible_collections.progressive.canary.plugins.module_utils.analysis.istio_queries import (
    BUILTIN_UNITS, ISTIO_QUERIES, QueryTemplateError, builtin_query, render_query,
)

CONTEXT = {"namespace": "test", "target": "podinfo"}


def compact(text):
    return "".join(text.split())


def test_builtin_success_rate_is_flaggers_query_for_the_workload():
    rendered = compact(builtin_query("request-success-rate", "test", "podinfo", "1m"))
    selector = 'istio_requests_total{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo"'
    assert rendered == (
        "sum(rate(" + selector + ',response_code!~"5.*"}[1m]))/sum(rate(' + selector + "}[1m]))*100"
    )


def test_builtin_duration_is_flaggers_p99_in_milliseconds():
    rendered = compact(builtin_query("request-duration", "test", "podinfo", "30s"))
    assert rendered == (
        'histogram_quantile(0.99,sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",'
        'destination_workload_namespace="test",destination_workload=~"podinfo"}[30s]))by(le))'
    )


def test_render_query_standard_and_user_variables_both_spellings():
    template = '{{ namespace }}/{{target}}/{{ service }}/{{ interval }}/{{ tier }}/{{ variables.tier }}'
    variables = {"namespace": "ns", "target": "t", "service": "s", "interval": "5m", "tier": "web", "variables": {"tier": "web"}}
    assert render_query(template, variables) == "ns/t/s/5m/web/web"


def test_render_query_refuses_undefined_variables():
    with pytest.raises(QueryTemplateError, match="undefined variable.*nope"):
        render_query("rate(x{a='{{ nope }}'}[1m])", {"namespace": "ns"})


def test_prepare_checks_renders_builtin_with_check_interval_and_custom_with_context():
    plans = prepare_checks([
        {"name": "request-success-rate", "interval": "2m", "threshold_range": {"min": 99}},
        {"name": "errors", "query": 'sum(x{ns="{{ namespace }}",svc="{{ service }}",t="{{ variables.t }}"}[{{ interval }}])',
         "template_variables": {"t": "v"}, "threshold_range": {"max": 1}},
    ], dict(CONTEXT, service="apex", interval="45s"))
    assert "[2m]" in plans[0]["query"] and plans[0]["type"] == "builtin"
    assert plans[1]["query"] == 'sum(x{ns="test",svc="apex",t="v"}[45s])'
    assert plans[1]["threshold_range"] == {"min": None, "max": 1.0}


@pytest.mark.parametrize("checks, message", [
    ([], "empty gate"),
    ([{"name": "mystery", "threshold_range": {"min": 1}}], "not a builtin"),
    ([{"name": "request-success-rate", "threshold_range": {}}], "min and/or max"),
    ([{"name": "request-success-rate", "threshold_range": {"min": 5, "max": 1}}], "above max"),
    ([{"name": "request-success-rate", "threshold_range": {"min": float("nan")}}], "not NaN"),
    ([{"name": "w", "web": {"url": "file:///etc/passwd", "value_path": "a"}, "threshold_range": {"min": 1}}], "not an http"),
    ([{"name": "w", "web": {"url": "http://x", "value_path": "a", "timeout": 0}, "threshold_range": {"min": 1}}], "positive"),
    ([{"name": "w", "web": {"url": "http://x", "value_path": "a", "bearer_token": "t", "username": "u"},
       "threshold_range": {"min": 1}}], "not both"),
    ([{"name": "request-success-rate", "interval": "a minute", "threshold_range": {"min": 1}}], "must be a duration like"),
    ([{"name": "q", "query": "x{a='{{ missing }}'}", "threshold_range": {"min": 1}}], "missing"),
    ([{"name": "q", "query": "x", "template_variables": {"namespace": "other"}, "threshold_range": {"min": 1}}], "redefine namespace"),
    ([{"name": "request-duration", "threshold_range": {"max": 1}}] * 2, "unique"),
    ([{"name": "w", "web": {"url": "http://x", "value_path": "a[?"}, "threshold_range": {"min": 1}}], "JMESPath"),
    ([{"name": "request-duration", "on_no_data": "ignore", "threshold_range": {"max": 1}}], "on_no_data"),
])
def test_invalid_checks_are_refused_before_any_query(checks, message):
    with pytest.raises(AnalysisConfigError, match=message):
        prepare_checks(checks, CONTEXT)


def test_context_needs_namespace_and_target():
    with pytest.raises(AnalysisConfigError, match="namespace"):
        prepare_checks([{"name": "request-duration", "threshold_range": {"max": 1}}], {"target": "podinfo"})


def vector(*values):
    return {"resultType": "vector", "result": [{"metric": {"pod": "p%d" % i}, "value": [1.0, v]} for i, v in enumerate(values)]}


def test_single_value_reads_one_series_and_scalars():
    assert single_value(vector("99.5")) == (99.5, "99.5")
    assert single_value({"resultType": "scalar", "result": [1.0, "3"]}) == (3.0, "3")
    assert single_value({"resultType": "string", "result": [1.0, "4.5"]}) == (4.5, "4.5")
    value, raw = single_value(vector("+Inf"))
    assert math.isinf(value) and raw == "+Inf"


@pytest.mark.parametrize("data", [vector(), vector("NaN"), {"resultType": "scalar", "result": [1.0, "NaN"]}])
def test_single_value_no_data(data):
    with pytest.raises(NoData):
        single_value(data)


@pytest.mark.parametrize("data, message", [
    (vector("1", "2"), r"2 series \(\{pod=\"p0\"\}, \{pod=\"p1\"\}\)"),
    ({"resultType": "matrix", "result": [{"metric": {}, "values": [[1, "1"]]}]}, "range vector"),
    ({"resultType": "string", "result": [1.0, "hello"]}, "not a number"),
])
def test_single_value_refuses_to_guess(data, message):
    with pytest.raises(AmbiguousResult, match=message):
        single_value(data)


@pytest.mark.parametrize("value, bounds, verdict", [
    (99.0, {"min": 99.0, "max": None}, "pass"),  # bounds are inclusive, as Flagger
    (98.9, {"min": 99.0, "max": None}, "fail"),
    (500.0, {"min": None, "max": 500.0}, "pass"),
    (500.1, {"min": None, "max": 500.0}, "fail"),
    (float("inf"), {"min": None, "max": 500.0}, "fail"),
])
def test_judge_bounds(value, bounds, verdict):
    assert judge(value, bounds)[0] == verdict


def test_selectors_in_names_the_labels_for_no_data_messages():
    query = builtin_query("request-success-rate", "test", "podinfo", "1m")
    found = selectors_in(query)
    assert len(found) == 2
    assert 'destination_workload=~"podinfo"' in found[1] and "response_code" not in found[1]


def test_no_data_counts_as_failed_unless_explicitly_passed():
    plan = {"name": "q", "type": "query", "query": "x", "interval": "1m", "threshold_range": {"min": 1.0, "max": None}, "on_no_data": "fail"}
    assert analysis._result(plan, analysis.NO_DATA, "no data")["passed"] is False  # pylint: disable=protected-access
    passed = analysis._result(dict(plan, on_no_data="pass"), analysis.NO_DATA, "no data")  # pylint: disable=protected-access
    assert passed["passed"] is True and "on_no_data" in passed["reason"]


def test_every_builtin_has_a_unit():
    assert set(ISTIO_QUERIES) == set(BUILTIN_UNITS)
