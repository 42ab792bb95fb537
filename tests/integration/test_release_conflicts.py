"""Optimistic writes of canary_shift / canary_promote / canary_rollback: a write refused as stale (409 Conflict, or
a failed JSON-patch test because the object's spec moved since it was read) re-reads and plans again, so a
controller or an HPA writing meanwhile never fails a release; any other refusal is reported at once."""
import threading

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import CanaryApiError
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.phases.release import PLAN_ATTEMPTS
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import StateStore
from tests.integration.canary_scenario import NAMESPACE, kube_api, reset_request_log  # noqa: F401  pylint: disable=unused-import
from tests.integration.release_scenario import DEPLOYMENT, NEW_IMAGE, get, init_podinfo, promote, rollback, route, set_template, shift
from tests.integration.release_scenario import progressing  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.sandbox.fixtures_api import wait_for

pytestmark = pytest.mark.needs_crds
NAMES = CanaryNames("podinfo", NAMESPACE)
PRIMARY_PATCH = ("PATCH", "/deployments/podinfo-primary$")
TARGET_PATCH = ("PATCH", "/deployments/podinfo$")
ROUTE_PATCH = ("PATCH", "/virtualservices/podinfo$")


def _requests(emulator, verb_path):
    verb, path = verb_path
    return [r for r in emulator.request_log.records() if r.method == verb and r.path.endswith(path.rstrip("$"))]


def _released(api):
    return StateStore(api, NAMES).read()["lease"] is None


@pytest.mark.parametrize("verb_path", [TARGET_PATCH, ROUTE_PATCH])
def test_shift_re_plans_after_a_409_on_its_write(emulator, kube_api, verb_path):  # noqa: F811
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    reset_request_log(emulator)
    fault = emulator.faults.add(verb=verb_path[0], path_regex=verb_path[1], status=409, times=1)
    result = shift(kube_api, 20, ready_timeout=60)
    assert fault.matched == 1
    assert result["weight"] == 20 and result["step"] == 1 and route(kube_api) == [("podinfo-primary", 80), ("podinfo-canary", 20)]
    assert get(kube_api, DEPLOYMENT, "podinfo")["spec"]["replicas"] == 2
    assert [r.status for r in _requests(emulator, verb_path)] == [409, 200]
    assert _released(kube_api)


@pytest.mark.parametrize("verb_path", [PRIMARY_PATCH, ROUTE_PATCH, TARGET_PATCH])
def test_promote_re_plans_after_a_409_and_writes_the_primary_once(progressing, emulator, verb_path):  # pylint: disable=redefined-outer-name
    generation = get(progressing, DEPLOYMENT, "podinfo-primary")["metadata"]["generation"]
    fault = emulator.faults.add(verb=verb_path[0], path_regex=verb_path[1], status=409, times=1)
    result = promote(progressing, ready_timeout=60)
    assert fault.matched == 1
    assert result["phase"] == "Succeeded" and result["primary_updated"], "a re-plan keeps reporting the primary's update"
    primary = get(progressing, DEPLOYMENT, "podinfo-primary")
    assert primary["spec"]["template"]["spec"]["containers"][0]["image"] == NEW_IMAGE
    assert primary["metadata"]["generation"] == generation + 1
    assert route(progressing) == [("podinfo-primary", 100), ("podinfo-canary", 0)]
    assert get(progressing, DEPLOYMENT, "podinfo")["spec"]["replicas"] == 0
    # The route is patched twice (0/100 while the primary's pods are replaced, then 100/0), the others once.
    assert [r.status for r in _requests(emulator, verb_path)] == ([409, 200, 200] if verb_path == ROUTE_PATCH else [409, 200])


def test_rollback_re_plans_after_a_409_on_the_scale_down(progressing, emulator):  # pylint: disable=redefined-outer-name
    fault = emulator.faults.add(verb=TARGET_PATCH[0], path_regex=TARGET_PATCH[1], status=409, times=1)
    result = rollback(progressing, reason="error rate")
    assert fault.matched == 1 and result["rolled_back"] and result["phase"] == "Failed"
    assert get(progressing, DEPLOYMENT, "podinfo")["spec"]["replicas"] == 0
    assert route(progressing) == [("podinfo-primary", 100), ("podinfo-canary", 0)]


def test_promote_re_plans_when_the_primary_is_scaled_between_its_read_and_its_write(progressing, emulator):  # pylint: disable=redefined-outer-name
    """An HPA scaling the primary moves its generation: the template patch's test fails (422), the run reads again."""
    generation = get(progressing, DEPLOYMENT, "podinfo-primary")["metadata"]["generation"]
    # The template patch is held at the server while the primary is scaled; the hold is what orders the two
    # writes (the scale is answered long before the held patch is handled).
    fault = emulator.faults.add(verb=PRIMARY_PATCH[0], path_regex=PRIMARY_PATCH[1], latency=3, times=1)
    outcome = {}
    runner = threading.Thread(target=lambda: outcome.update(result=promote(progressing, ready_timeout=60)))
    runner.start()
    wait_for(lambda: fault.matched == 1, timeout=30, what="promote's template patch")
    progressing.patch(DEPLOYMENT[0], DEPLOYMENT[1], NAMESPACE, "podinfo-primary", {"spec": {"replicas": 3}})
    runner.join()
    assert [r.status for r in _requests(emulator, PRIMARY_PATCH)] == [200, 422, 200], "scale, stale template patch, re-planned patch"
    assert outcome["result"]["phase"] == "Succeeded"
    primary = get(progressing, DEPLOYMENT, "podinfo-primary")
    assert primary["spec"]["template"]["spec"]["containers"][0]["image"] == NEW_IMAGE and primary["spec"]["replicas"] == 3
    assert primary["metadata"]["generation"] == generation + 2, "the scale and one template write"


def test_a_422_that_is_not_stale_fails_at_once(progressing, emulator):  # pylint: disable=redefined-outer-name
    emulator.faults.add(verb=PRIMARY_PATCH[0], path_regex=PRIMARY_PATCH[1], status=422, times=1)
    with pytest.raises(CanaryApiError) as failed:
        promote(progressing, ready_timeout=60)
    assert "podinfo-primary" in str(failed.value) and "422" in str(failed.value)
    assert len(_requests(emulator, PRIMARY_PATCH)) == 1, "nothing moved since the read: no second plan"
    assert _released(progressing)


def test_conflicts_that_never_end_fail_after_the_last_plan(progressing, emulator):  # pylint: disable=redefined-outer-name
    emulator.faults.add(verb=PRIMARY_PATCH[0], path_regex=PRIMARY_PATCH[1], status=409)
    with pytest.raises(CanaryApiError) as failed:
        promote(progressing, ready_timeout=60)
    assert "podinfo-primary" in str(failed.value) and "409" in str(failed.value)
    assert len(_requests(emulator, PRIMARY_PATCH)) == PLAN_ATTEMPTS
    assert _released(progressing)
    assert StateStore(progressing, NAMES).read().phase == "Promoting"
