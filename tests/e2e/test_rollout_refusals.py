"""Analysis settings the run can know are wrong are refused by playbooks/rollout.yml before its first write: the
settings check and canary_analysis's validate_only (every check and webhook validated, every query parsed by the live
Prometheus) run before init, the image change and the canary scale-up. Each case: a failed run naming the problem,
and 0 writes in the emulator's request log, on a Deployment that is not under management yet. Likewise a
``rollout_service`` the cluster would refuse: the run fails at canary_init, before any write."""
import pytest

from tests.e2e.rollout_scenario import NEW_IMAGE, OLD_IMAGE, failure_message, needs_crds
from tests.integration.canary_scenario import reset_request_log, writes

pytestmark = needs_crds

SUCCESS_RATE = {"name": "request-success-rate", "interval": "10s", "threshold_range": {"min": 99}}
ANALYSIS = {"interval": "3s", "threshold": 2, "step_weight": 30, "max_weight": 60, "metrics": [SUCCESS_RATE]}
# Custom PromQL written `!unsafe` in a variables file, as docs/rollout.md shows, so that the module renders it.
QUERY_ANALYSIS = ("rollout_analysis: {interval: 3s, threshold: 2, step_weight: 30, max_weight: 60, "
                  "metrics: [{name: canary-requests, query: !unsafe '%s', threshold_range: {min: 1}}]}\n")


DATA_URL_CHECK = {"name": "score", "threshold_range": {"min": 1}, "web": {"url": "data:,{}", "value_path": "a"}}


def _analysis(**changes):
    return dict(ANALYSIS, **changes)


def _hook(url):
    return {"name": "load-test", "type": "rollout", "url": url}


CASES = {
    "negative step_weight": (dict(rollout_analysis=_analysis(step_weight=-10)), None, "whole-number step weights"),
    "zero step_weight": (dict(rollout_analysis=_analysis(step_weight=0)), None, "whole-number step weights"),
    "step_weights not numbers": (dict(rollout_analysis=_analysis(step_weights=[10, "x"])), None, "option 'step_weights'"),
    "step_weights above 100": (dict(rollout_analysis=_analysis(step_weights=[50, 120])), None, "whole-number step weights"),
    "prometheus url not a url": (dict(rollout_prometheus={"url": "prometheus:9090"}), None,
                                 "the Prometheus URL 'prometheus:9090' is not an http:// or https:// URL"),
    "threshold_range min above max": (dict(rollout_analysis=_analysis(metrics=[dict(SUCCESS_RATE, threshold_range={"min": 99, "max": 50})])),
                                      None, "threshold_range min 99.0 is above max 50.0"),
    "file url of a webhook": (dict(rollout_analysis=_analysis(webhooks=[_hook("file:///etc/passwd")])), None,
                              "webhook 'load-test': url 'file:///etc/passwd' is not an http:// or https:// URL"),
    "data url of a web check": (dict(rollout_analysis=_analysis(metrics=[DATA_URL_CHECK])), None,
                                "web.url 'data:,{}' is not an http:// or https:// URL"),
    "unknown query placeholder": ({}, QUERY_ANALYSIS % 'sum(rate(istio_requests_total{destination_workload="{{ workload }}"}[1m]))',
                                  "query template uses undefined variable(s) workload"),
    "promql syntax error": ({}, QUERY_ANALYSIS % 'sum(rate(istio_requests_total{destination_workload="{{ target }}"}[{{ interval }}])',
                            "Prometheus refused the query"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_analysis_setting_is_refused_before_the_first_write(podinfo, case):
    overrides, yaml_vars, expected = CASES[case]
    podinfo.load(traffic=False)
    podinfo.patch_template(image=NEW_IMAGE)
    podinfo.emulator.request_log.reset()

    returncode, _result, plays, output = podinfo.run(yaml_vars=yaml_vars, **overrides)

    assert returncode != 0, output
    message = failure_message(plays)
    assert expected in message, message
    assert podinfo.emulator.request_log.writes() == [], "written before the refusal"
    assert podinfo.state() is None and podinfo.names("Deployment") == ["podinfo"]


def test_valid_custom_query_without_data_is_not_refused(podinfo):
    """At the check no data is fine: the canary has no traffic before the release starts."""
    podinfo.load(traffic=False)
    podinfo.emulator.request_log.reset()
    query = 'sum(rate(istio_requests_total{destination_workload_namespace="{{ namespace }}",destination_workload="{{ target }}"}[{{ interval }}]))'

    returncode, _result, plays, output = podinfo.run(yaml_vars=QUERY_ANALYSIS % query, options=("--check",))

    assert returncode == 0, output
    checked = next(task for play in plays for task in play if "validate_only" in str(task.get("invocation", "")) or
                   str(task.get("msg", "")).startswith("valid:"))
    assert checked["msg"].startswith("valid: 1 checks (1 queries parsed by Prometheus)"), checked
    assert podinfo.emulator.request_log.writes() == []


SEED_SERVICE = {"port": 9898, "hosts": ["app.example.com"]}


@pytest.mark.parametrize("service, expected", [
    (dict(SEED_SERVICE, hosts=["not a host!!"]), "service.hosts: 'not a host!!' is not a DNS name"),
    (dict(SEED_SERVICE, timeout="1x"), "service.timeout '1x' is not a duration"),
    (dict(SEED_SERVICE, port_name="Bad_Name!"), "service.port_name 'Bad_Name!' is not a DNS-1123 label"),
    (dict(SEED_SERVICE, traffic_policy={"connectionPool": {}}),
     'admission webhook "validation.istio.io" denied the request: configuration is invalid: connection pool must have at least one field'),
], ids=["host", "timeout", "port-name", "traffic-policy-judged-by-the-dry-run"])
def test_a_service_the_cluster_refuses_fails_before_the_first_write(podinfo, service, expected):
    podinfo.load()
    inventory_before = podinfo.inventory()
    reset_request_log(podinfo.emulator)
    returncode, _result, plays, output = podinfo.run(rollout_image=NEW_IMAGE, rollout_service=service)
    assert returncode != 0, output
    assert expected in (failure_message(plays) or ""), output
    assert writes(podinfo.emulator) == [], "refused before the first write"
    assert podinfo.inventory() == inventory_before and podinfo.image("podinfo") == OLD_IMAGE


@pytest.mark.oldest  # ansible-core before 2.19 templates the block's module_defaults for every task, its always too
def test_a_refused_analysis_fails_one_task_and_the_run_still_releases_nothing(podinfo):
    podinfo.load(traffic=False)
    podinfo.emulator.request_log.reset()

    returncode, _result, plays, output = podinfo.run(rollout_analysis=_analysis(metrics=None))

    assert returncode != 0, output
    failed = [task.get("msg") for play in plays for task in play if task.get("failed")]
    assert len(failed) == 1 and "rollout_analysis.metrics is null" in str(failed[0]), failed
    assert podinfo.emulator.request_log.writes() == []
