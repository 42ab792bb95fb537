"""The input rules of validation.py, at their limits (the integration table shows them refused before any write)."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.analysis.durations import go_duration_seconds
from ansible_collections.progressive.canary.plugins.module_utils.canary.validation import (
    InputError, check_istio_duration, check_names, host_problem, label_value_problem, port_name_problem)


@pytest.mark.parametrize("text, seconds", [("10s", 10.0), ("1m30s", 90.0), ("1.5s", 1.5), ("250ms", 0.25), ("1h", 3600.0),
                                           ("0", 0.0), ("-2s", -2.0), ("100us", 0.0001)])
def test_go_durations(text, seconds):
    assert go_duration_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["1x", "10", "", "s", "1.s5", "5sx", "-", "1 s", "1d"])
def test_not_go_durations(text):
    with pytest.raises(ValueError):
        go_duration_seconds(text)


@pytest.mark.parametrize("text, expected", [("0.5ms", "must be at least 1ms"), ("1500us", "to the millisecond only"),
                                            ("soon", "is not a duration")])
def test_istio_durations_refused(text, expected):
    with pytest.raises(InputError, match=expected):
        check_istio_duration("service.timeout", text)


def test_istio_duration_of_one_millisecond_is_accepted():
    check_istio_duration("service.timeout", "1ms")


@pytest.mark.parametrize("host", ["podinfo", "app.example.com", "*.example.com", "*", "10.0.0.1", "istio.io.", "a" * 63 + ".com"])
def test_hosts_istiod_accepts(host):
    assert host_problem(host) is None


@pytest.mark.parametrize("host", ["", "not a host!!", "app..com", "app.*.com", "App.example.com", "app.123", "a" * 64 + ".com"])
def test_hosts_istiod_refuses(host):
    assert host_problem(host)


@pytest.mark.parametrize("name, accepted", [("http", True), ("a" * 15, True), ("h2c-9898", True), ("a" * 16, False),
                                            ("9898", False), ("Http", False), ("a--b", False), ("-http", False)])
def test_port_names(name, accepted):
    assert (port_name_problem(name) is None) is accepted


@pytest.mark.parametrize("value, accepted", [("v" * 63, True), ("", True), ("a.b_c-d", True), ("v" * 64, False),
                                             ("-a", False), ("a b", False)])
def test_label_values(value, accepted):
    assert (label_value_problem(value) is None) is accepted


def test_a_55_character_target_fits_and_56_does_not():
    check_names(CanaryNames("t" * 55, "test"))
    with pytest.raises(InputError, match="at most 55 characters"):
        check_names(CanaryNames("t" * 56, "test"))
