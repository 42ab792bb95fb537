"""The Events a release leaves on the target Deployment, in Flagger's words, read back with the real kubectl from the
sandbox as a person would (`kubectl describe deployment podinfo`, `kubectl get events`): init, the start of the
analysis, each weight, a halted step, the rollback; a repeat counts up; check mode and an unchanged call add none; a
forbidden Event write is a warning, never a failed release."""
import json

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary import events
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from tests import rbac
from tests.integration.canary_scenario import NAMESPACE, kube_api, reset_request_log  # noqa: F401  pylint: disable=unused-import
from tests.integration.release_scenario import DEPLOYMENT, get, init_podinfo, promote, rollback, set_template, shift

pytestmark = pytest.mark.needs_crds
NAMES = CanaryNames("podinfo", NAMESPACE)


def _events(kubectl):
    listed = json.loads(kubectl("get", "events", "-n", NAMESPACE, "-o", "json").stdout)["items"]
    listed.sort(key=lambda item: int(item["metadata"]["resourceVersion"]))  # in the order they were written
    return [(item["type"], item["reason"], item["message"], item.get("count")) for item in listed
            if item["involvedObject"]["name"] == "podinfo" and item["source"].get("component") == events.COMPONENT]


def _event_writes(emulator):
    return [record for record in emulator.request_log.writes() if "/events" in record.path]


def test_a_release_tells_its_story_on_the_deployment(emulator, kube_api, kubectl):  # noqa: F811
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    shift(kube_api, 0)
    shift(kube_api, 20)
    reset_request_log(emulator)
    shift(kube_api, 20)  # the same weight again: nothing written, nothing told
    assert _event_writes(emulator) == []
    shift(kube_api, 40, check_mode=True)
    assert _event_writes(emulator) == [], "check mode records no Event"
    shift(kube_api, 40)
    promote(kube_api)

    told = _events(kubectl)
    ref = "podinfo.%s" % NAMESPACE
    assert [message for _type, _reason, message, _count in told] == [
        "Initialization done! " + ref,
        "New revision detected! Scaling up " + ref,
        "Starting canary analysis for " + ref,
        "Advance %s canary weight 20" % ref,
        "Advance %s canary weight 40" % ref,
        "Copying %s template spec to podinfo-primary.%s" % (ref, NAMESPACE),
        "Promotion completed! Scaling down " + ref,
    ]
    assert {(event_type, reason) for event_type, reason, _message, _count in told} == {("Normal", "Synced")}

    described = kubectl("describe", "deployment", "podinfo", "-n", NAMESPACE).stdout
    events_part = described.split("Events:", 1)[1]
    assert "Synced" in events_part and "progressive-canary" in events_part
    assert "Advance %s canary weight 40" % ref in events_part and "Promotion completed! Scaling down " + ref in events_part
    listed = kubectl("get", "events", "-n", NAMESPACE, "--field-selector", "involvedObject.name=podinfo,type=Normal").stdout
    assert any(line.split()[1:4] == ["Normal", "Synced", "deployment/podinfo"] and line.endswith("Promotion completed! Scaling down " + ref)
               for line in listed.splitlines()), listed


def test_a_rollback_and_a_repeated_halt_are_warnings(emulator, kube_api, kubectl):  # noqa: F811
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    shift(kube_api, 20)
    target = get(kube_api, DEPLOYMENT, "podinfo")
    failed = {"hooks": [], "checks": [{"name": "request-success-rate", "value": 95.0, "passed": False,
                                       "threshold_range": {"min": 99}, "reason": "95 < 99"}]}
    assert events.record_halt(kube_api, NAMES, failed) == []
    reset_request_log(emulator)
    assert events.record_halt(kube_api, NAMES, failed) == []
    needed, _cluster_scoped = rbac.used(emulator.request_log.records())
    assert {permission for permission in needed if permission[2] == "events"} == {
        ("create", "", "events"), ("get", "", "events"), ("patch", "", "events")}, \
        "the same message again: a refused create, then get and patch (docs/rbac/role.yml grants them for this)"
    rollback(kube_api, reason="2 failed checks reached the threshold 2; last: x")

    told = _events(kubectl)
    ref = "podinfo.%s" % NAMESPACE
    halt = ("Warning", "Synced", "Halt %s advancement request-success-rate 95.00 < 99" % ref, 2)
    assert halt in told, told
    assert ("Warning", "Synced", "Rolling back %s failed checks threshold reached 2" % ref, 1) in told
    assert ("Warning", "Synced", "Canary failed! Scaling down " + ref, 1) in told
    assert target["metadata"]["uid"] and "Halt %s advancement" % ref in kubectl(
        "describe", "deployment", "podinfo", "-n", NAMESPACE).stdout


def test_a_forbidden_event_write_is_a_warning_and_the_release_goes_on(emulator, kube_api):  # noqa: F811
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    forbidden = emulator.faults.add(verb="POST", path_regex=r"/namespaces/%s/events$" % NAMESPACE, status=403)
    result = shift(kube_api, 20)
    assert forbidden.matched == 3, "each of the three Events was tried"
    assert result["changed"] and result["weight"] == 20 and result["phase"] == "Progressing"
    assert len(result["warnings"]) == 3 and all("was not recorded" in warning for warning in result["warnings"]), result["warnings"]
    assert result["warnings"][2].startswith("the Event 'Advance podinfo.%s canary weight 20' on %s/podinfo was not recorded: "
                                            % (NAMESPACE, NAMESPACE)), result["warnings"]
