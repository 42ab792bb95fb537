"""The one wait loop: a predicate's verdicts (done, not yet, final), the deadline and the lease renewal between polls,
on a fake clock (no real sleeping)."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.workloads.wait import NotReadyError, wait_until


class FakeClock(object):
    """time.monotonic and time.sleep of a clock that moves only when slept on."""

    def __init__(self):
        self.now = 100.0
        self.slept = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def _wait(observations, predicate, timeout=10, on_poll=None):
    clock = FakeClock()
    reads = iter(observations)
    result = wait_until(lambda: next(reads), predicate, timeout, "Deployment test/podinfo", on_poll=on_poll,
                        clock=clock.monotonic, sleep=clock.sleep, interval=1)
    return result, clock


def _ready_when_true(observed):
    return bool(observed), "ready" if observed else "not yet", False


def test_returns_the_object_read_once_the_predicate_is_done_renewing_between_polls():
    renewals = []
    result, clock = _wait([None, False, {"ok": 1}], _ready_when_true, on_poll=lambda: renewals.append(1))
    assert result == {"ok": 1}
    assert clock.slept == [1, 1] and len(renewals) == 2, "one renewal before each sleep, none after the last read"


def test_a_final_verdict_stops_at_once_without_waiting_for_the_deadline():
    clock = FakeClock()
    with pytest.raises(NotReadyError) as raised:
        wait_until(lambda: {"stuck": True}, lambda observed: (False, "progress deadline exceeded: m", True), 600,
                   "Deployment test/podinfo", clock=clock.monotonic, sleep=clock.sleep)
    assert str(raised.value) == "Deployment test/podinfo cannot become ready: progress deadline exceeded: m"
    assert clock.slept == []


def test_not_ready_by_the_deadline_names_the_object_the_timeout_and_the_last_reason():
    clock = FakeClock()
    renewals = []
    with pytest.raises(NotReadyError) as raised:
        wait_until(lambda: {}, lambda observed: (False, "1 of 2 replicas updated, 0 available", False), 3,
                   "Deployment test/podinfo", on_poll=lambda: renewals.append(clock.now), clock=clock.monotonic, sleep=clock.sleep,
                   interval=1)
    assert str(raised.value) == "Deployment test/podinfo not ready after 3s: 1 of 2 replicas updated, 0 available"
    assert clock.now == 103.0 and renewals == [100.0, 101.0, 102.0], "polled until the deadline, renewing the lease each time"
