"""A canary that never becomes ready: canary_shift reports it (with the Deployment's condition text) and sends it no
traffic; canary_rollback leaves 100/0 and zero replicas, records the failed revision and its reason, is idempotent,
and a plain re-run does not retry that revision."""
import threading

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import CanaryApiError
from ansible_collections.progressive.canary.plugins.module_utils.phases.info import canary_info
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.workloads.wait import NotReadyError
from tests.integration.canary_scenario import NAMESPACE, kube_api, reset_request_log  # noqa: F401  pylint: disable=unused-import
from tests.integration.release_scenario import DEPLOYMENT, get, init_podinfo, promote, rollback, route, set_template, shift

pytestmark = pytest.mark.needs_crds
NAMES = CanaryNames("podinfo", NAMESPACE)
APEX_HOST = "podinfo.test"
BEHAVIOUR = "sandbox.progressive.canary/behaviour"


def test_never_ready_canary_gets_no_traffic_and_rollback_restores_100_0(emulator, kube_api, mesh):  # noqa: F811
    init_podinfo(emulator, kube_api)
    mesh.add_target(APEX_HOST)
    set_template(kube_api, annotations={BEHAVIOUR: "never-ready"})
    with pytest.raises(NotReadyError) as not_ready:
        shift(kube_api, 20, ready_timeout=2)
    assert "Deployment test/podinfo not ready after 2s" in str(not_ready.value)
    assert not_ready.value.result["actions"][-1] == "scale Deployment test/podinfo to 2", "the run stopped at the wait"
    assert route(kube_api) == [("podinfo-primary", 100), ("podinfo-canary", 0)], "no traffic to a canary with no ready replica"
    status = canary_info(kube_api, NAMES)
    assert status["phase"] == "Progressing" and status["weight"] == 0 and not status["target"]["ready"]

    planned = rollback(kube_api, check_mode=True, reason="canary not ready")
    assert planned["changed"] and planned["rolled_back"] and planned["phase"] == "Progressing"
    assert get(kube_api, DEPLOYMENT, "podinfo")["spec"]["replicas"] == 2, "check mode wrote nothing"
    result = rollback(kube_api, reason="canary not ready")
    assert result["changed"] and result["phase"] == "Failed" and result["failed_revision"] == result["revision"]
    assert result["failure_reason"] == "canary not ready" and not result["pending"]
    assert route(kube_api) == [("podinfo-primary", 100), ("podinfo-canary", 0)]
    assert get(kube_api, DEPLOYMENT, "podinfo")["spec"]["replicas"] == 0

    reset_request_log(emulator)
    again = rollback(kube_api, reason="another reason")
    assert not again["changed"] and again["failure_reason"] == "canary not ready"
    assert emulator.request_log.writes() == []
    with pytest.raises(Refusal) as refused:
        shift(kube_api, 20)
    assert "rolled back (canary not ready)" in str(refused.value) and "not retried" in str(refused.value)
    with pytest.raises(Refusal):
        promote(kube_api)
    assert not canary_info(kube_api, NAMES)["pending"]
    assert mesh.failed(APEX_HOST) == 0

    set_template(kube_api, annotations={BEHAVIOUR: "none"})
    assert shift(kube_api, 20)["weight"] == 20, "a new revision after a failure rolls out"


def test_crash_looping_canary_is_reported_with_the_progress_deadline_condition(emulator, kube_api):  # noqa: F811
    init_podinfo(emulator, kube_api, deployment_changes={"spec.progressDeadlineSeconds": 1})
    set_template(kube_api, annotations={BEHAVIOUR: "crash-loop"})
    with pytest.raises(NotReadyError) as not_ready:
        shift(kube_api, 20, ready_timeout=60)
    message = str(not_ready.value)
    assert "cannot become ready: progress deadline exceeded" in message and "has timed out progressing" in message
    assert route(kube_api)[1] == ("podinfo-canary", 0)
    assert rollback(kube_api, reason=message)["phase"] == "Failed"
    assert get(kube_api, DEPLOYMENT, "podinfo")["spec"]["replicas"] == 0

    # Until the controller observes the next spec, the Deployment's status still says the previous revision exceeded
    # its deadline: the next revision must be judged by its own progress, not by that stale condition.
    emulator.controllers_paused.set()
    set_template(kube_api, image="stefanprodan/podinfo:3.1.2", annotations={BEHAVIOUR: "none"})
    shifted = {}
    shifting = threading.Thread(target=lambda: shifted.update(shift(kube_api, 20, ready_timeout=60)), daemon=True)
    shifting.start()
    shifting.join(1.0)
    assert shifting.is_alive(), "the shift waits for the controller instead of failing on the previous spec's deadline"
    emulator.controllers_paused.clear()
    shifting.join(60)
    assert shifted.get("weight") == 20, "a new revision after a progress deadline rolls out"


def test_rollback_of_a_promoted_revision_only_puts_traffic_back(emulator, kube_api):  # noqa: F811
    init_podinfo(emulator, kube_api)
    reset_request_log(emulator)
    result = rollback(kube_api)
    assert not result["changed"] and not result["rolled_back"] and result["phase"] == "Initialized"
    assert emulator.request_log.writes() == []


def test_rollback_is_refused_during_a_promotion(emulator, kube_api):  # noqa: F811
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    shift(kube_api, 50)
    emulator.faults.add(verb="PATCH", path_regex="virtualservices/podinfo$", status=500)  # outlasting the retries
    with pytest.raises(CanaryApiError):
        promote(kube_api)
    emulator.faults.clear()
    with pytest.raises(Refusal) as refused:
        rollback(kube_api)
    assert "run canary_promote to finish" in str(refused.value)
    assert promote(kube_api)["phase"] == "Succeeded"
