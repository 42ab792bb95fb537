"""The collection's one duration parser (module_utils/durations.py) and the role's filter over it: Go's syntax
(Flagger's interval and webhook timeouts), Prometheus' day/week/year units, and what both refuse."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.progressive.canary.plugins.filter.duration_seconds import FilterModule
from ansible_collections.progressive.canary.plugins.module_utils.analysis.durations import DurationError, parse_duration, prometheus_duration

ACCEPTED = [
    ("1m30s", 90), ("1h2m3.5s", 3723.5), ("500ms", 0.5), ("1.5h", 5400), ("30s", 30), ("1m", 60), ("2h", 7200),
    ("300us", 0.0003), ("1d", 86400), ("1w", 604800), ("1y", 31536000), ("1d12h", 129600), ("30s1m", 90),
    ("10", 10), ("1", 1), ("2.5", 2.5), (5, 5), (0.25, 0.25), (" 10s ", 10),
]
REFUSED = ["1x", "-1s", "", "1.5.3s", "0s", "0", 0, -3, "s", "m1", "1 m", "1m-30s", "ten seconds", ".5s", None, True, "1ss",
           float("nan"), float("inf")]


@pytest.mark.parametrize("value, seconds", ACCEPTED)
def test_parse_duration(value, seconds):
    assert parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", REFUSED)
def test_parse_duration_refuses(value):
    with pytest.raises(DurationError, match="interval must be a"):
        parse_duration(value, "interval")


@pytest.mark.parametrize("value, written", [
    ("1m30s", "1m30s"), ("90s", "1m30s"), ("1.5m", "1m30s"), ("10s", "10s"), ("1m", "1m"), ("1500ms", "1s500ms"),
    ("1d", "1d"), ("25h", "1d1h"), ("8d", "1w1d"), ("365d", "1y"), (60, "1m"),
])
def test_prometheus_duration_is_what_a_range_selector_takes(value, written):
    assert prometheus_duration(value) == written


@pytest.mark.parametrize("value", ["300us", "1.0005s", "1x"])
def test_prometheus_duration_refuses_what_prometheus_cannot_express(value):
    with pytest.raises(DurationError):
        prometheus_duration(value)


def test_filter_is_the_same_parser_and_names_the_field():
    duration_seconds = FilterModule().filters()["duration_seconds"]
    assert duration_seconds("1m30s") == 90
    with pytest.raises(AnsibleFilterError, match=r"rollout_analysis.interval must be a duration like .*, got '1x'"):
        duration_seconds("1x", "rollout_analysis.interval")
