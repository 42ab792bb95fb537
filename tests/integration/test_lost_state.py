"""The state object lost or garbled while the canary's objects still serve: never a fresh start. canary_init rebuilds
the state from the record on the primary (and writes nothing but the state); without a record it refuses before
any write; the release modules say how to recover; a garbage field is named, not an "Unknown error"."""
import json

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.phases.info import canary_info
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CONFIGMAP, DEPLOYMENT, SERVICE, CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.canary.recovery import RECORD_ANNOTATION
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import StateError, StateStore
from ansible_collections.progressive.canary.plugins.module_utils.routers import kubernetes as services
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, load_podinfo, reset_request_log, user_view
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.integration.test_cleanup_recovery import APEX_HOST, _kill_init_at
from tests.integration.release_scenario import get, init_podinfo, promote, rollback, route, set_template, shift
from tests.sandbox.fixtures_mesh import wait_ready

pytestmark = pytest.mark.needs_crds
NAMES = CanaryNames("podinfo", NAMESPACE)
STATE_PATH = "/configmaps/podinfo-canary-state"


def _released_then_rolled_back(emulator, api):
    """3.1.1 promoted, then a bad revision rolled back (the issue's scenario, through the modules)."""
    init_podinfo(emulator, api)
    set_template(api)
    shift(api, 60, ready_timeout=60)
    promote(api, ready_timeout=60)
    set_template(api, image="stefanprodan/podinfo:3.1.2")
    shift(api, 30, ready_timeout=60)
    rollback(api, reason="2 failed checks")
    return StateStore(api, NAMES).read()


def _delete_state(api):
    api.delete(CONFIGMAP[0], CONFIGMAP[1], NAMESPACE, NAMES.state)


def test_init_rebuilds_a_lost_state_and_writes_nothing_else(emulator, kube_api):  # noqa: F811  pylint: disable=redefined-outer-name
    before = _released_then_rolled_back(emulator, kube_api)
    primary_before = user_view(get(kube_api, DEPLOYMENT, NAMES.primary))
    _delete_state(kube_api)
    assert canary_info(kube_api, NAMES)["initialized"] is False
    reset_request_log(emulator)
    planned = run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo"), check_mode=True)
    assert planned["changed"] and planned["actions"][0].startswith("rebuild the lost state") and emulator.request_log.writes() == []

    result = run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo", ready_timeout=60))

    assert result["actions"] == ["rebuild the lost state ConfigMap test/podinfo-canary-state from the record on "
                                 "Deployment test/podinfo-primary (phase Failed)"], result
    assert {record.path.split("/namespaces/test")[1] for record in emulator.request_log.writes()} == {"/configmaps", STATE_PATH}
    assert user_view(get(kube_api, DEPLOYMENT, NAMES.primary)) == primary_before, "the primary is not touched"
    rebuilt = StateStore(kube_api, NAMES).read()
    for field in ("phase", "last_promoted_revision", "failed_revision", "failure_reason", "originals", "tracked_configs"):
        assert rebuilt[field] == before[field], field
    assert rebuilt["lease"] is None and rebuilt["rebuilt_from"].startswith("Deployment test/podinfo-primary")
    info = canary_info(kube_api, NAMES)
    assert info["initialized"] and not info["pending"] and info["revision"] == before["failed_revision"]
    reset_request_log(emulator)
    assert run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo"))["changed"] is False
    assert emulator.request_log.writes() == []


def test_a_lost_state_without_a_record_is_refused_before_any_write(emulator, kube_api):  # noqa: F811  pylint: disable=redefined-outer-name
    init_podinfo(emulator, kube_api)
    # A primary made by an earlier release carries no record.
    kube_api.patch(DEPLOYMENT[0], DEPLOYMENT[1], NAMESPACE, NAMES.primary,
                   [{"op": "remove", "path": "/metadata/annotations/" + RECORD_ANNOTATION.replace("/", "~1")}], "json")
    _delete_state(kube_api)
    reset_request_log(emulator)
    with pytest.raises(Refusal) as error:
        run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo", ready_timeout=60))
    message = str(error.value)
    assert "ConfigMap test/podinfo-canary-state of canary podinfo is missing while its primary Deployment podinfo-primary" in message
    assert "carries no annotation progressive.canary/record" in message and "Nothing was changed" in message
    assert "run canary_cleanup" in message
    assert emulator.request_log.writes() == []
    assert get(kube_api, SERVICE, "podinfo")["spec"]["selector"]["app"] == "podinfo-primary"

    # Cleanup still reverts: the apex selector is pointed back at the target, and it says why it could do no more.
    result = run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))
    assert "carries no annotation progressive.canary/record" in result["warnings"][-1]
    assert get(kube_api, SERVICE, "podinfo")["spec"]["selector"] == {"app": "podinfo"}


def test_an_init_killed_then_its_state_lost_is_finished_from_the_record(emulator, kubeconfig, kube_api, mesh):  # noqa: F811  pylint: disable=redefined-outer-name
    load_podinfo(emulator)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    service_before = user_view(get(kube_api, SERVICE, "podinfo"))
    mesh.add_target(APEX_HOST)
    _kill_init_at(emulator, kubeconfig, "POST", "/virtualservices$")     # the apex already selects the primary
    assert get(kube_api, SERVICE, "podinfo")["spec"]["selector"] == {"app": "podinfo-primary"}
    _delete_state(kube_api)

    result = run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo", ready_timeout=60))

    assert result["actions"][0].endswith("(phase Initializing)") and result["phase"] == "Initialized", result
    state = StateStore(kube_api, NAMES).read()
    assert state["originals"]["apex_service"] == services.record(dict(service_before)), "the originals, not the re-pointed Service"
    assert state["originals"]["target_replicas"] == 2
    assert route(kube_api) == [("podinfo-primary", 100), ("podinfo-canary", 0)]
    run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))
    assert user_view(get(kube_api, SERVICE, "podinfo")) == service_before
    mesh.send(APEX_HOST, 20)
    counts = mesh.counts(APEX_HOST)
    assert counts["total"] > 0 and counts["failed"] == 0, counts


@pytest.mark.parametrize("call", [lambda api: shift(api, 30), promote, rollback])
def test_release_modules_on_a_lost_state_say_how_to_recover(emulator, kube_api, call):  # noqa: F811  pylint: disable=redefined-outer-name
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    _delete_state(kube_api)
    reset_request_log(emulator)
    with pytest.raises(Refusal) as error:
        call(kube_api)
    assert "lost its state object podinfo-canary-state while its primary Deployment podinfo-primary still serves: run canary_init" \
        in str(error.value)
    assert emulator.request_log.writes() == []
    assert route(kube_api) == [("podinfo-primary", 100), ("podinfo-canary", 0)]


def test_a_garbage_lease_expiry_is_named_not_an_unknown_error(emulator, kube_api):  # noqa: F811  pylint: disable=redefined-outer-name
    init_podinfo(emulator, kube_api)
    configmap = kube_api.get(CONFIGMAP[0], CONFIGMAP[1], NAMESPACE, NAMES.state)
    data = json.loads(configmap["data"]["state.json"])
    data["lease"] = {"holder": "awx-job-3", "expires": "in five minutes"}
    configmap["data"]["state.json"] = json.dumps(data)
    kube_api.replace(configmap)
    set_template(kube_api)
    reset_request_log(emulator)
    expected = ("ConfigMap test/podinfo-canary-state (state of canary podinfo), key state.json: field lease.expires is "
                "'in five minutes', expected a UTC time such as 2026-01-01T00:00:00Z")
    for call in (lambda: shift(kube_api, 30), lambda: run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE)),
                 lambda: run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE))):
        with pytest.raises((Refusal, StateError)) as error:
            call()
        assert str(error.value).startswith(expected), str(error.value)
    assert canary_info(kube_api, NAMES)["reason"].startswith(expected)
    assert emulator.request_log.writes() == []


def test_cleanup_after_a_lost_state_gives_the_apex_service_back_exactly(emulator, kube_api, mesh):  # noqa: F811  pylint: disable=redefined-outer-name
    # An apex selector that is not just the selector label: only the record can tell what it was.
    load_podinfo(emulator, with_hpa=False, deployment_changes={"spec.template.metadata.labels": {"app": "podinfo", "tier": "web"}})
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    kube_api.patch(SERVICE[0], SERVICE[1], NAMESPACE, "podinfo", {"metadata": {"annotations": {"team": "web"}},
                                                                  "spec": {"selector": {"app": "podinfo", "tier": "web"}}})
    service_before = user_view(get(kube_api, SERVICE, "podinfo"))
    deployment_before = user_view(get(kube_api, DEPLOYMENT, "podinfo"))
    run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, ready_timeout=60))
    mesh.add_target(APEX_HOST)
    _delete_state(kube_api)

    result = run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))

    assert result.get("warnings") is None, result
    assert user_view(get(kube_api, SERVICE, "podinfo")) == service_before
    assert user_view(get(kube_api, DEPLOYMENT, "podinfo")) == deployment_before
    assert get(kube_api, DEPLOYMENT, NAMES.primary) is None
    mesh.send(APEX_HOST, 20)
    counts = mesh.counts(APEX_HOST)
    assert counts["total"] > 0 and counts["failed"] == 0, counts


def test_a_lost_state_and_primary_with_the_apex_still_aimed_at_it_is_refused(emulator, kube_api):  # noqa: F811  pylint: disable=redefined-outer-name
    init_podinfo(emulator, kube_api)
    _delete_state(kube_api)
    kube_api.delete(DEPLOYMENT[0], DEPLOYMENT[1], NAMESPACE, NAMES.primary)
    reset_request_log(emulator)
    with pytest.raises(Refusal) as error:
        run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo", ready_timeout=60))
    assert str(error.value).startswith("Service test/podinfo selects app=podinfo-primary, the pods of a primary Deployment "
                                       "podinfo-primary that is gone, and no state records what it selected before"), str(error.value)
    assert emulator.request_log.writes() == []
    # The way out the message gives: cleanup points the Service back at the target, then init starts afresh.
    run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))
    assert get(kube_api, SERVICE, "podinfo")["spec"]["selector"] == {"app": "podinfo"}
    assert run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo", ready_timeout=60))["phase"] == "Initialized"
    assert StateStore(kube_api, NAMES).read()["originals"]["apex_service"]["spec"]["selector"] == {"app": "podinfo"}
