"""The rollout_settings filter: the rollout role's analysis over its defaults, checked, and the step weights, interval
and webhook types derived from it (roles/rollout/vars/main.yml)."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.progressive.canary.plugins.filter.rollout_settings import rollout_settings

DEFAULTS = {"interval": "1m", "threshold": 5, "max_weight": 50, "step_weight": 10, "step_weights": [], "webhooks": [],
            "metrics": [{"name": "request-success-rate", "interval": "1m", "threshold_range": {"min": 99}}]}
PROMETHEUS = "http://prometheus:9090"
WEB_CHECK = {"name": "score", "threshold_range": {"min": 1}, "web": {"url": "https://score.example", "value_path": "a"}}


def test_defaults_give_flaggers_weights_and_the_interval_in_seconds():
    settings = rollout_settings({}, DEFAULTS, [], PROMETHEUS)
    assert settings["weights"] == [10, 20, 30, 40, 50]
    assert settings["interval_seconds"] == 60
    assert settings["analysis"]["threshold"] == 5 and settings["webhook_types"] == []


def test_given_keys_replace_the_defaults_and_the_last_step_is_max_weight():
    settings = rollout_settings({"interval": "1m30s", "step_weight": 30, "max_weight": 100}, DEFAULTS, [], PROMETHEUS)
    assert settings["weights"] == [30, 60, 90, 100]
    assert settings["interval_seconds"] == 90


def test_step_weights_win_and_digits_become_numbers():
    settings = rollout_settings({"step_weights": ["5", 25, 100]}, DEFAULTS, [], PROMETHEUS)
    assert settings["weights"] == [5, 25, 100]


def test_an_interval_below_a_second_rounds_up():
    assert rollout_settings({"interval": "500ms"}, DEFAULTS, [], PROMETHEUS)["interval_seconds"] == 1


def test_extra_metrics_follow_the_analysis_metrics_and_webhook_types_keep_their_order():
    hooks = [{"name": "gate", "type": "confirm-rollout", "url": "http://gate"}, {"name": "load", "type": "rollout", "url": "http://load"}]
    comparison = [{"name": "request-success-rate-vs-primary", "compare_with_primary": {"metric": "request-success-rate"}}]
    settings = rollout_settings({"webhooks": hooks}, DEFAULTS, comparison, PROMETHEUS)
    assert [metric["name"] for metric in settings["analysis"]["metrics"]] == ["request-success-rate", "request-success-rate-vs-primary"]
    assert settings["webhook_types"] == ["confirm-rollout", "rollout"]
    assert DEFAULTS["metrics"] == [DEFAULTS["metrics"][0]], "the defaults are not changed"


def test_web_checks_alone_need_no_prometheus():
    assert rollout_settings({"metrics": [WEB_CHECK]}, DEFAULTS, [], "")["weights"]


@pytest.mark.parametrize("analysis, url, shown", [
    ({"step_weight": 0}, PROMETHEUS, "step_weight 0,"),
    ({"step_weight": -10}, PROMETHEUS, "step_weight -10,"),
    ({"step_weight": True}, PROMETHEUS, "step_weight True,"),
    ({"max_weight": "x"}, PROMETHEUS, "max_weight x,"),
    ({"step_weights": [50, 120]}, PROMETHEUS, "step_weights [50, 120]"),
    ({"step_weights": [50, 20]}, PROMETHEUS, "step_weights [50, 20]"),
    ({"step_weights": [20, 20]}, PROMETHEUS, "step_weights [20, 20]"),
    ({"step_weights": [0, 20]}, PROMETHEUS, "step_weights [0, 20]"),
    ({"step_weight": 60, "max_weight": 120}, PROMETHEUS, "max_weight 120,"),
    ({"threshold": 0}, PROMETHEUS, "rollout_analysis must have"),
    ({"threshold": "many"}, PROMETHEUS, "rollout_analysis must have"),
    ({}, "", "rollout_prometheus.url unless every metric is a web check"),
])
def test_what_no_release_can_run_with_is_refused_naming_the_values(analysis, url, shown):
    with pytest.raises(AnsibleFilterError) as refused:
        rollout_settings(analysis, DEFAULTS, [], url)
    assert "rollout_analysis must have an interval such as 30s" in str(refused.value)
    assert shown in str(refused.value)


@pytest.mark.parametrize("interval", ["soon", "0s", -5])
def test_an_interval_that_is_no_duration_is_refused_naming_the_option(interval):
    with pytest.raises(AnsibleFilterError, match="rollout_analysis.interval"):
        rollout_settings({"interval": interval}, DEFAULTS, [], PROMETHEUS)


@pytest.mark.parametrize("key", ["metrics", "webhooks", "step_weights"])
def test_a_list_left_null_is_refused_not_taken_for_none(key):
    # `metrics:` left empty in YAML is null: taking it for [] would release with no checks at all.
    with pytest.raises(AnsibleFilterError, match="rollout_analysis.%s is null" % key):
        rollout_settings({key: None}, DEFAULTS, [], PROMETHEUS)


def test_no_analysis_at_all_takes_the_defaults():
    assert rollout_settings(None, DEFAULTS, [], PROMETHEUS)["weights"] == [10, 20, 30, 40, 50]


def test_a_metric_that_is_no_mapping_needs_prometheus_and_a_webhook_that_is_none_has_no_type():
    with pytest.raises(AnsibleFilterError, match="rollout_prometheus.url"):
        rollout_settings({"metrics": ["web-check"]}, DEFAULTS, [], "")
    assert rollout_settings({"webhooks": ["not-a-hook"]}, DEFAULTS, [], PROMETHEUS)["webhook_types"] == [None]
