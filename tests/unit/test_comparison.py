"""The comparison check's planning, judging and text (module_utils/analysis/comparison.py), without Prometheus; and
the false-failure rate of its defaults on simulated identical canaries (seeded, so the numbers are reproducible)."""
import numpy
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.analysis.comparison import (
    BUILTIN_DEFAULTS, comparison_text, judge_samples, relative_effect, unix_seconds,
)
from ansible_collections.progressive.canary.plugins.module_utils.analysis.gate import AnalysisConfigError, prepare_checks

CONTEXT = {"namespace": "test", "target": "podinfo", "interval": "1m"}


def settings(metric="request-success-rate", **changes):
    values = dict(BUILTIN_DEFAULTS[metric], confidence=95.0, min_samples=5)
    values.update(changes)
    return values


def plan(check, context=None):
    return prepare_checks([check], dict(CONTEXT, **(context or {})))[0]


def test_builtin_comparison_queries_both_sides_per_step():
    planned = plan({"name": "request-success-rate", "compare_with_primary": {}})
    assert planned["type"] == "comparison" and planned["interval"] == "1m" and planned["threshold_range"] is None
    assert 'destination_workload=~"podinfo"' in planned["query"] and "[10s]" in planned["query"]
    compare = planned["compare"]
    assert 'destination_workload=~"podinfo-primary"' in compare["primary_query"]
    assert compare["direction"] == "decrease" and compare["max_degradation"] == 0.25 and compare["confidence"] == 95.0
    assert (compare["step_seconds"], compare["window_seconds"]) == (10, 60)


def test_metric_names_the_builtin_and_the_defaults_follow_it():
    planned = plan({"name": "p99-vs-primary", "interval": "5m", "compare_with_primary": {"metric": "request-duration", "step": "30s"}})
    assert "histogram_quantile" in planned["query"] and "[30s]" in planned["query"]
    assert planned["compare"]["direction"] == "increase" and planned["compare"]["max_degradation"] == 10.0


def test_openshift_compares_the_canary_and_primary_services():
    planned = plan({"name": "request-success-rate", "compare_with_primary": {}}, {"provider": "openshift"})
    assert 'service=~"podinfo-canary"' in planned["query"]
    assert 'service=~"podinfo-primary"' in planned["compare"]["primary_query"]


def test_custom_query_with_workload_defaults_to_either_direction():
    planned = plan({"name": "queue", "query": 'max(queue{ns="{{ namespace }}", workload="{{ workload }}", w="{{ interval }}"})',
                    "compare_with_primary": {}})
    assert 'workload="podinfo"' in planned["query"] and 'workload="podinfo-primary"' in planned["compare"]["primary_query"]
    assert 'w="10s"' in planned["query"] and planned["compare"]["direction"] == "either"


@pytest.mark.parametrize("check, message", [
    ({"name": "x", "web": {"url": "http://a/", "value_path": "a"}, "compare_with_primary": {}}, "web check has no primary"),
    ({"name": "request-success-rate", "threshold_range": {"min": 99}, "compare_with_primary": {}}, "two kinds of check"),
    ({"name": "request-success-rate", "on_no_data": "pass", "compare_with_primary": {}}, "never passes"),
    ({"name": "cpu", "compare_with_primary": {}}, "'cpu' is neither"),
    ({"name": "q", "query": "sum(up{job=\"{{ target }}\"})", "compare_with_primary": {}}, r"select one side with \{\{ workload \}\}"),
    ({"name": "q", "query": "up{w=\"{{ workload }}\"}", "compare_with_primary": {"metric": "request-duration"}}, "not both"),
    ({"name": "request-duration", "interval": "40s", "compare_with_primary": {}}, "at most 4 samples per side, fewer than min_samples 5"),
    ({"name": "request-duration", "compare_with_primary": {"step": "10x"}}, "step"),
    ({"name": "request-duration", "compare_with_primary": {"confidence": 100}}, "confidence"),
    ({"name": "request-duration", "compare_with_primary": {"confidence": 0.95}}, "confidence"),
    ({"name": "request-duration", "compare_with_primary": {"max_degradation": -1}}, "max_degradation"),
    ({"name": "request-duration", "compare_with_primary": {"min_samples": 2}}, "min_samples must be at least 3"),
    ({"name": "request-duration", "compare_with_primary": {"direction": "down"}}, "direction"),
    ({"name": "q", "query": "up{w=\"{{ workload }}\"}", "template_variables": {"workload": "x"}, "compare_with_primary": {}},
     "may not redefine workload"),
])
def test_refused_before_any_query(check, message):
    with pytest.raises(AnalysisConfigError, match=message):
        plan(check)


def test_significantly_and_materially_lower_fails():
    verdict, why, stats = judge_samples([99.0, 99.1, 98.9, 99.0, 99.2, 98.8], [99.5, 99.6, 99.4, 99.5, 99.5, 99.6], settings())
    assert verdict == "fail" and "significantly lower" in why and "beyond the allowed 0.25 %" in why
    assert stats["canary_median"] == 99.0 and stats["primary_median"] == 99.5 and stats["p_value"] < 0.01
    assert stats["method"] == "asymptotic" and (stats["canary_samples"], stats["primary_samples"]) == (6, 6)


def test_significant_but_within_the_allowed_degradation_passes():
    verdict, why, _stats = judge_samples([99.4, 99.41, 99.42, 99.43, 99.44], [99.5, 99.51, 99.52, 99.53, 99.54], settings())
    assert verdict == "pass" and "but within the allowed 0.25 %" in why


def test_materially_worse_but_not_significant_passes():
    verdict, why, stats = judge_samples([90.0, 100.0, 100.0, 95.0, 100.0], [100.0, 99.0, 91.0, 100.0, 100.0], settings())
    assert verdict == "pass" and "not significantly lower" in why and stats["p_value"] >= 0.05


def test_better_is_never_worse_one_sided_but_is_with_either():
    faster, slower = [10.0, 11.0, 12.0, 13.0, 14.0], [30.0, 31.0, 32.0, 33.0, 34.0]
    assert judge_samples(faster, slower, settings("request-duration"))[0] == "pass"
    assert judge_samples(faster, slower, settings("request-duration", direction="either"))[0] == "fail"
    assert judge_samples(slower, faster, settings("request-duration"))[0] == "fail"


def test_relative_effect_with_a_zero_primary():
    assert relative_effect(99.41, 99.95) == pytest.approx(-0.5403, abs=1e-4)
    assert relative_effect(0.0, 0.0) == 0.0 and relative_effect(0.5, 0.0) == float("inf")


def test_the_line_a_person_reads():
    comparison = {"canary_median": 99.41, "primary_median": 99.95, "p_value": 0.0031, "effect": relative_effect(99.41, 99.95)}
    assert comparison_text("request-success-rate", comparison, "fail") == \
        "request-success-rate vs primary: 99.41 vs 99.95, p=0.003, -0.54 % -> fail"
    assert comparison_text("request-duration", dict(comparison, p_value=0.00001, effect=12.5), "pass").endswith(
        "p=1.0e-05, +12.50 % -> pass")
    assert comparison_text("request-duration", {"p_value": None}, "no data") == "request-duration vs primary: no data"
    assert "effect n/a" in comparison_text("errors", dict(comparison, effect=None), "fail")


@pytest.mark.parametrize("text, seconds", [
    ("1800000000", 1800000000.0), (1800000000.5, 1800000000.5),
    ("2027-01-15T08:00:00Z", 1800000000.0), ("2027-01-15T09:30:00.250+01:30", 1800000000.25),
])
def test_evaluation_time_as_prometheus_takes_it(text, seconds):
    assert unix_seconds(text) == seconds


# Identical canary and primary, per-step success rates as binomial noise of 0.5 % errors: how often the defaults fail.
@pytest.mark.parametrize("requests_per_step, samples", [(50, 6), (50, 30), (500, 6), (500, 30), (2000, 30)])
def test_false_failures_of_identical_sides_stay_below_one_minus_confidence(requests_per_step, samples):
    rng = numpy.random.default_rng(requests_per_step * 100 + samples)
    runs = 1000
    failed = 0
    for _run in range(runs):
        canary, primary = (list(100 * (1 - rng.binomial(requests_per_step, 0.005, samples) / requests_per_step)) for _side in "cp")
        failed += judge_samples(canary, primary, settings())[0] == "fail"
    print("false failures at %d requests per step, %d samples: %.1f %%" % (requests_per_step, samples, 100.0 * failed / runs))
    assert failed / float(runs) <= 0.05
