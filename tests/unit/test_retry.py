"""The retry policy and the judgement of a retried write (pure functions, no network)."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.kube import retry
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.phases.image import find_container
from ansible_collections.progressive.canary.plugins.module_utils.workloads import factory as workloads
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.kube.retried_writes import holds, patch_in_effect

LIVE = {"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "podinfo", "resourceVersion": "9", "labels": {"app": "podinfo"}},
        "spec": {"selector": {"app": "podinfo-primary"}, "ports": [{"port": 9898, "protocol": "TCP", "targetPort": 9898}]}}


@pytest.mark.parametrize("retry_number", [1, 2, 3, 10])
def test_backoff_is_jittered_and_bounded(retry_number):
    delays = [retry.backoff_delay(retry_number) for _attempt in range(200)]
    ceiling = min(retry.MAX_DELAY, retry.FIRST_DELAY * 2 ** (retry_number - 1))
    assert all(ceiling / 2 <= delay <= ceiling for delay in delays) and len(set(delays)) > 1


def test_retry_after_is_honoured_up_to_its_cap():
    assert retry.backoff_delay(1, retry_after=3) == 3
    assert retry.backoff_delay(1, retry_after=3600) == retry.MAX_RETRY_AFTER
    assert retry.parse_retry_after("2") == 2.0 and retry.parse_retry_after(None) is None
    assert retry.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0   # a date in the past: now
    assert retry.parse_retry_after("soon") is None


def test_call_with_retries_sends_the_same_call_until_it_answers_or_gives_up():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise OSError("reset")
        return "answer"

    log = retry.RetryLog()
    assert retry.call_with_retries(flaky, lambda exc: ("reset", 0), log=log, sleep=lambda seconds: None) == "answer"
    assert len(calls) == 3 and log.retried == ["reset", "reset"] and log.note() == " (after retrying: reset; reset)"

    def broken():
        raise OSError("reset")

    log = retry.RetryLog()
    with pytest.raises(OSError):
        retry.call_with_retries(broken, lambda exc: ("reset", 0), log=log, sleep=lambda seconds: None)
    assert log.gave_up_after == retry.MAX_ATTEMPTS and "tried 4 times" in log.note()

    log = retry.RetryLog()
    with pytest.raises(ValueError):
        retry.call_with_retries(lambda: int("x"), lambda exc: None, log=log, sleep=lambda seconds: None)
    assert log.retried == [] and log.note() == ""


class _Stale(Exception):
    pass


def _attempts(outcomes, calls):
    """An attempt that raises or returns the next of ``outcomes``, counting its calls."""
    def attempt():
        calls.append(1)
        outcome = outcomes[min(len(calls), len(outcomes)) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
    return attempt


@pytest.mark.parametrize("outcomes, stale, calls_made, answer", [
    ([_Stale("409"), "written"], True, 2, "written"),   # made again from fresh reads
    ([_Stale("409")], True, 3, None),                   # the last error raised after the last attempt
    ([_Stale("409")], False, 1, None),                  # an error that is not stale raised at once
])
def test_retry_stale_is_the_one_conflict_loop(outcomes, stale, calls_made, answer):
    calls = []
    if answer is None:
        with pytest.raises(_Stale):
            retry.retry_stale(_attempts(outcomes, calls), lambda exc: stale and isinstance(exc, _Stale), 3)
    else:
        assert retry.retry_stale(_attempts(outcomes, calls), lambda exc: stale and isinstance(exc, _Stale), 3) == answer
    assert len(calls) == calls_made


def test_a_put_is_in_effect_when_the_live_object_holds_every_field_sent():
    sent = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "podinfo", "resourceVersion": "8"},
            "spec": {"selector": {"app": "podinfo-primary"}, "ports": [{"port": 9898}]}}
    assert holds(LIVE, sent)
    assert not holds(LIVE, dict(sent, spec={"selector": {"app": "podinfo"}, "ports": [{"port": 9898}]}))
    assert not holds(None, sent)


def test_a_generated_object_is_judged_by_its_spec_hash():
    ours = {"metadata": {"annotations": {"progressive.canary/spec-hash": "abc"}}, "spec": {"x": 1}}
    assert holds({"metadata": {"annotations": {"progressive.canary/spec-hash": "abc"}}, "spec": {"x": 1, "defaulted": 2}}, ours)
    assert not holds({"metadata": {"annotations": {"progressive.canary/spec-hash": "other"}}, "spec": {"x": 1}}, ours)


def test_a_json_patch_is_in_effect_when_applying_it_changes_nothing():
    repoint = [{"op": "test", "path": "/metadata/resourceVersion", "value": "8"},
               {"op": "replace", "path": "/spec/selector", "value": {"app": "podinfo-primary"}}]
    assert patch_in_effect(LIVE, repoint)
    assert not patch_in_effect(LIVE, [{"op": "replace", "path": "/spec/selector", "value": {"app": "podinfo"}}])
    assert patch_in_effect(LIVE, [{"op": "remove", "path": "/spec/clusterIP"}])
    assert not patch_in_effect(LIVE, [{"op": "add", "path": "/spec/ports/0", "value": {"port": 9898}}])   # inserts again
    assert patch_in_effect(LIVE, [{"op": "replace", "path": "/spec/ports/0/port", "value": 9898}])


def test_the_image_patch_touches_the_image_of_the_named_container_only():
    deployment = {"spec": {"template": {"spec": {"containers": [{"name": "app"}, {"name": "sidecar"}]}}}}
    workload = workloads.workload(None, CanaryNames("web", "ns"))
    assert find_container(workload, deployment, "web") == (0, "app")
    assert find_container(workload, deployment, "web", "sidecar") == (1, "sidecar")
    with pytest.raises(Refusal) as refusal:
        find_container(workload, deployment, "web", "ap")
    assert "Deployment ns/web has no container 'ap'; its containers are: app, sidecar" in str(refusal.value)
    assert workload.image_patch(1, "sidecar", "busybox:1") == [
        {"op": "test", "path": "/spec/template/spec/containers/1/name", "value": "sidecar"},
        {"op": "replace", "path": "/spec/template/spec/containers/1/image", "value": "busybox:1"}]
