"""The comparison check (compare_with_primary) against real Prometheus on backfilled Istio series.

Each target ``<t>`` has a primary ``<t>-primary``. ``errors``: primary 0.5 % errors, canary 1 % (exact rates);
``noisy-errors``: the same with the noise of real traffic; ``slow`` / ``near``: primary 30 ms, canary 60 / 31 ms
(noisy); ``same-<i>``: 20 pairs with identical behaviour (0.5 % errors, 30 ms), noise from different seeds, the
false-failure measurement; ``half``: a canary whose traffic started late (too few samples); ``ghost``: no canary
series at all. Queries end at the data's last timestamp.
"""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.analysis.gate import AnalysisConfigError, run_checks, summary
from ansible_collections.progressive.canary.plugins.module_utils.analysis.prometheus_api import PrometheusConnection
from ansible_collections.progressive.canary.plugins.module_utils.scheduler import next_step
from tests.integration.test_analysis_module import run_playbook
from tests.sandbox.fixtures_mesh import _require_prometheus
from tests.sandbox.prometheus import Prometheus, istio_series, noisy_istio_series, render_openmetrics

NS = "test"
END = 1_800_000_000
DURATION_S = 330
IDENTICAL_RUNS = 20
FIXED_SUCCESS = {"name": "request-success-rate", "interval": "1m", "threshold_range": {"min": 99}}
COMPARE_SUCCESS = {"name": "success-rate-vs-primary", "interval": "5m", "compare_with_primary": {"metric": "request-success-rate"}}
COMPARE_DURATION = {"name": "request-duration", "interval": "5m", "compare_with_primary": {}}


def _pair(target, primary, canary):
    """Series of ``target`` and ``target-primary``: (builder, error rate, latency ms, seed or None) each."""
    series = []
    for workload, (error_rate, latency_ms, seed) in ((target + "-primary", primary), (target, canary)):
        if seed is None:
            series.append(istio_series(NS, workload, 50, error_rate, latency_ms, duration_s=DURATION_S, step_s=5, end=END))
        else:
            series.append(noisy_istio_series(NS, workload, 50, error_rate, latency_ms, seed, duration_s=DURATION_S, end=END))
    return series


@pytest.fixture(scope="module")
def prometheus():
    _require_prometheus()
    series = (_pair("errors", (0.005, 30, None), (0.01, 30, None))
              + _pair("noisy-errors", (0.005, 30, 1), (0.01, 30, 2))
              + _pair("slow", (0.005, 30, 3), (0.005, 60, 4))
              + _pair("near", (0.005, 30, 5), (0.005, 31, 6))
              + [istio_series(NS, "half-primary", 50, 0.005, 30, duration_s=DURATION_S, step_s=5, end=END),
                 istio_series(NS, "half", 50, 0.005, 30, duration_s=30, step_s=5, end=END),
                 istio_series(NS, "ghost-primary", 50, 0.005, 30, duration_s=DURATION_S, step_s=5, end=END)])
    for run in range(IDENTICAL_RUNS):
        series += _pair("same-%d" % run, (0.005, 30, 100 + 2 * run), (0.005, 30, 101 + 2 * run))
    server = Prometheus.backfill(render_openmetrics(*series))
    yield server
    server.stop()


def gate(prometheus, checks, target):  # pylint: disable=redefined-outer-name
    return run_checks(PrometheusConnection(prometheus.url), checks, {"namespace": NS, "target": target},
                      at_time=prometheus.default_query_time)


def test_canary_at_1_percent_errors_passes_min_99_but_fails_against_a_primary_at_half_a_percent(prometheus):
    outcome = gate(prometheus, [FIXED_SUCCESS, COMPARE_SUCCESS], "errors")
    fixed, compared = outcome["checks"]
    assert fixed["verdict"] == "pass" and fixed["value"] == pytest.approx(99.0)
    assert compared["verdict"] == "fail" and outcome["failed_check_names"] == ["success-rate-vs-primary"]
    numbers = compared["comparison"]
    assert numbers["canary_median"] == pytest.approx(99.0) and numbers["primary_median"] == pytest.approx(99.5)
    assert numbers["effect"] == pytest.approx(-0.5025, abs=1e-3) and numbers["p_value"] < 0.001
    assert numbers["canary_samples"] == numbers["primary_samples"] == 30
    assert numbers["workloads"] == {"canary": "errors", "primary": "errors-primary"}
    assert 'destination_workload=~"errors-primary"' in numbers["primary_query"] and "[10s]" in numbers["primary_query"]
    assert 'destination_workload=~"errors"' in compared["query"]
    assert compared["reason"].startswith("success-rate-vs-primary vs primary: 99.00 vs 99.50, p=")
    assert "-0.50 % -> fail" in compared["reason"] and "-0.50 % -> fail" in summary(outcome)


def test_the_failed_comparison_rolls_the_release_back(prometheus):
    outcome = gate(prometheus, [FIXED_SUCCESS, COMPARE_SUCCESS], "errors")
    decision = next_step({"weight": 10, "failed_checks": 0, "history": []}, [10, 20], 1, outcome, None)
    assert decision["action"] == "rollback" and "success-rate-vs-primary vs primary: 99.00 vs 99.50" in decision["reason"]
    line = decision["history"][-1]["line"]
    assert "request-success-rate=99.0 (>= 99.0) pass" in line and "success-rate-vs-primary vs primary: 99.00 vs 99.50, p=" in line
    assert line.endswith("-0.50 % -> fail -> failed checks 1/1")


def test_noisy_errors_are_caught_too(prometheus):
    compared = gate(prometheus, [COMPARE_SUCCESS], "noisy-errors")["checks"][0]
    assert compared["verdict"] == "fail", compared["reason"]
    assert compared["comparison"]["p_value"] < 0.05 and compared["comparison"]["method"] == "asymptotic"


def test_latency_60_ms_against_30_fails_and_31_passes(prometheus):
    slow = gate(prometheus, [COMPARE_DURATION], "slow")["checks"][0]
    near = gate(prometheus, [COMPARE_DURATION], "near")["checks"][0]
    assert slow["verdict"] == "fail" and slow["comparison"]["effect"] > 50, slow["reason"]
    assert near["verdict"] == "pass", near["reason"]
    assert abs(near["comparison"]["effect"]) < 10, near["reason"]


def test_identical_behaviour_passes_across_20_runs(prometheus):
    failures, significant = [], 0
    for run in range(IDENTICAL_RUNS):
        outcome = gate(prometheus, [COMPARE_SUCCESS, COMPARE_DURATION], "same-%d" % run)
        failures.extend(check["reason"] for check in outcome["checks"] if not check["passed"])
        significant += sum(1 for check in outcome["checks"] if check["comparison"]["p_value"] < 0.05)
    print("false failures: %d of %d checks; p < 0.05 alone: %d" % (len(failures), 2 * IDENTICAL_RUNS, significant))
    assert failures == []


def test_a_canary_with_too_few_samples_is_no_data_naming_it(prometheus):
    outcome = gate(prometheus, [COMPARE_SUCCESS], "half")
    check = outcome["checks"][0]
    assert outcome["passed"] is False and check["verdict"] == "no data"
    assert "the canary (half) has" in check["reason"] and "fewer than min_samples 5" in check["reason"]
    assert "the primary" not in check["reason"]
    assert check["comparison"]["p_value"] is None


def test_a_side_without_series_is_no_data_naming_it(prometheus):
    ghost = gate(prometheus, [COMPARE_SUCCESS], "ghost")["checks"][0]
    assert ghost["verdict"] == "no data" and "the canary (ghost) returned no series" in ghost["reason"]
    orphan = gate(prometheus, [COMPARE_SUCCESS], "half-primary")["checks"][0]
    assert orphan["verdict"] == "no data" and "the primary (half-primary-primary) returned no series" in orphan["reason"]


def test_a_custom_query_names_the_side_with_workload(prometheus):
    query = ('sum(rate(istio_requests_total{destination_workload_namespace="{{ namespace }}",destination_workload="{{ workload }}",'
             'response_code=~"5.."}[{{ interval }}]))')
    check = {"name": "errors-per-second", "interval": "5m", "query": query, "compare_with_primary": {"direction": "increase"}}
    compared = gate(prometheus, [check], "errors")["checks"][0]
    assert compared["verdict"] == "fail" and compared["comparison"]["effect"] == pytest.approx(100.0)
    assert compared["comparison"]["canary_median"] == pytest.approx(0.5) and compared["comparison"]["primary_median"] == pytest.approx(0.25)
    with pytest.raises(AnalysisConfigError, match=r"must select one side with \{\{ workload \}\}"):
        gate(prometheus, [dict(check, query=query.replace("{{ workload }}", "{{ target }}"))], "errors")


def test_prometheus_down_is_an_error_verdict():
    outcome = run_checks(PrometheusConnection("http://127.0.0.1:9", timeout=2), [COMPARE_SUCCESS], {"namespace": NS, "target": "errors"},
                         at_time=END)
    check = outcome["checks"][0]
    assert check["verdict"] == "error" and "unreachable" in check["reason"] and "the canary's samples" in check["reason"]


def test_through_ansible_the_module_takes_the_option_and_fails_the_canary(prometheus, tmp_path):
    base = {"namespace": NS, "target": "errors", "evaluation_time": str(END), "prometheus": {"url": prometheus.url}}
    checks = [FIXED_SUCCESS, COMPARE_SUCCESS]
    tasks = [
        {"progressive.canary.canary_analysis": dict(base, checks=checks, validate_only=True)},
        {"progressive.canary.canary_analysis": dict(base, checks=checks, fail_on_failure=False)},
        {"progressive.canary.canary_analysis": dict(base, checks=checks)},
        {"progressive.canary.canary_analysis": dict(base, checks=[dict(COMPARE_SUCCESS, threshold_range={"min": 99})])},
    ]
    (validated, judged, failed, refused), _output = run_playbook(tmp_path, tasks)

    assert validated["passed"] is True and [c["parsed"] for c in validated["checks"]] == [True, True], validated
    assert judged["passed"] is False and judged["failed_check_names"] == ["success-rate-vs-primary"], judged
    compared = judged["checks"][1]
    assert compared["type"] == "comparison" and compared["threshold_range"] is None and compared["value"] == pytest.approx(99.0)
    assert compared["comparison"]["primary_median"] == pytest.approx(99.5) and compared["comparison"]["canary_samples"] == 30
    assert failed["failed"] is True and "success-rate-vs-primary vs primary: 99.00 vs 99.50, p=" in failed["msg"]
    assert refused["failed"] is True and "invalid analysis: check 'success-rate-vs-primary'" in refused["msg"]
    assert "two kinds of check" in refused["msg"]
