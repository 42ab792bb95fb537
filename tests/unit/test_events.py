"""The Events' words (module_utils/canary/events.py): Flagger's messages, and the rollout role's rollback reasons -
as the scheduler really makes them - said as Flagger says them."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary import events
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.scheduler import merge_shift, next_step

NAMES = CanaryNames("podinfo", "test")
FAILED = {"passed": False, "state": {"failed_checks": 2}, "hooks": [],
          "checks": [{"name": "request-success-rate", "value": 80.0, "verdict": "fail", "passed": False,
                      "threshold_range": {"min": 99}, "reason": "80 < 99"}]}


@pytest.mark.parametrize("reason, message", [
    (next_step({"weight": 20, "failed_checks": 1, "history": []}, [10, 20], 2, FAILED, {"skipped": True})["reason"],
     "Rolling back podinfo.test failed checks threshold reached 2"),
    (merge_shift({}, {"ready": False, "msg": "Deployment test/podinfo: ProgressDeadlineExceeded"}, 30)["reason"],
     "Rolling back podinfo.test progress deadline exceeded (30s): Deployment test/podinfo: ProgressDeadlineExceeded"),
    (next_step({"weight": 20, "failed_checks": 0, "history": []}, [10, 20], 2, {"skipped": True},
               {"rollback_requested": True, "msg": "stop"})["reason"],
     "Rolling back podinfo.test manual webhook invoked"),
    ("the confirm-promotion gate stayed closed: 403", "Rolling back podinfo.test: the confirm-promotion gate stayed closed: 403"),
    ("", "Rolling back podinfo.test: rolled back by canary_rollback"),
])
def test_rollback_reasons_in_flaggers_words(reason, message):
    assert events.rolling_back(NAMES, reason) == ("Warning", message)


@pytest.mark.parametrize("failed, message", [
    ({"name": "request-success-rate", "value": 95.0, "threshold_range": {"min": 99}}, "Halt podinfo.test advancement request-success-rate 95.00 < 99"),
    ({"name": "request-duration", "value": 812.4, "threshold_range": {"max": 500}}, "Halt podinfo.test advancement request-duration 812.40 > 500"),
    ({"name": "latency", "value": None, "reason": "no data"}, "Halt advancement no values found for custom metric: latency: no data"),
    ({"name": "load-test", "reason": "HTTP 500"}, "Halt podinfo.test advancement external check load-test failed HTTP 500"),
])
def test_halt_in_flaggers_words(failed, message):
    assert events.halted(NAMES, failed) == ("Warning", message)


def test_the_same_words_find_the_same_event():
    body = events.event_body({"metadata": {"name": "podinfo", "namespace": "test", "uid": "u1"}, "kind": "Deployment",
                              "apiVersion": "apps/v1"}, "Normal", "Advance podinfo.test canary weight 20", "2026-12-01T19:00:00Z")
    assert body["metadata"]["name"] == events.event_name("podinfo", "Normal", "Advance podinfo.test canary weight 20")
    assert body["metadata"]["name"] != events.event_name("podinfo", "Normal", "Advance podinfo.test canary weight 40")
    assert body["involvedObject"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo", "namespace": "test", "uid": "u1"}
    assert (body["reason"], body["type"], body["source"]["component"], body["count"]) == ("Synced", "Normal", "progressive-canary", 1)


def test_a_release_does_not_collide_with_an_earlier_releases_same_words():
    said = ("podinfo", "Normal", "Advance podinfo.test canary weight 50")
    assert events.event_name(*said, revision="rev-a") == events.event_name(*said, revision="rev-a"), "a repeat aggregates"
    assert events.event_name(*said, revision="rev-a") != events.event_name(*said, revision="rev-b")
    assert events.event_name(*said, revision="rev-a") != events.event_name(*said)
