"""canary_shift over HTTP: refusals before any write, the same weight again writes nothing, check mode writes
nothing, only the managed route changes, and a new revision during the analysis restarts it from weight 0."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import StateStore
from tests.integration.canary_scenario import NAMESPACE, kube_api, load_podinfo, reset_request_log  # noqa: F401  pylint: disable=unused-import
from tests.integration.release_scenario import (
    DEPLOYMENT, VIRTUAL_SERVICE, get, init_podinfo, promote, route, set_template, shift)

pytestmark = pytest.mark.needs_crds
NAMES = CanaryNames("podinfo", NAMESPACE)


def test_shift_refuses_a_canary_that_is_not_initialized(emulator, kube_api):  # noqa: F811
    load_podinfo(emulator)
    reset_request_log(emulator)
    with pytest.raises(Refusal) as refused:
        shift(kube_api, 20)
    assert "not initialized" in str(refused.value) and "podinfo-canary-state" in str(refused.value)
    assert emulator.request_log.writes() == []
    assert get(kube_api, ("v1", "ConfigMap"), "podinfo-canary-state") is None


@pytest.mark.parametrize("weight", [-1, 101])
def test_shift_refuses_a_weight_outside_0_to_100_before_writing(emulator, kube_api, weight):  # noqa: F811
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    reset_request_log(emulator)
    with pytest.raises(Refusal) as refused:
        shift(kube_api, weight)
    assert "between 0 and 100" in str(refused.value)
    assert emulator.request_log.writes() == []


def test_shift_refuses_traffic_when_no_revision_is_pending(emulator, kube_api):  # noqa: F811
    init_podinfo(emulator, kube_api)
    reset_request_log(emulator)
    with pytest.raises(Refusal) as refused:
        shift(kube_api, 20)
    assert "nothing to roll out" in str(refused.value)
    assert not shift(kube_api, 0)["changed"], "weight 0 on a promoted revision is already the case"
    assert emulator.request_log.writes() == []


def test_same_weight_again_and_check_mode_write_nothing(emulator, kube_api):  # noqa: F811
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    reset_request_log(emulator)
    planned = shift(kube_api, 20, check_mode=True)
    assert planned["changed"] and planned["weight"] == 20
    assert planned["actions"] == ["start the analysis of revision %s in ConfigMap test/podinfo-canary-state" % planned["revision"],
                                  "scale Deployment test/podinfo to 2",
                                  "route 80/20 (primary/canary) in VirtualService test/podinfo",
                                  "record weight 20 in ConfigMap test/podinfo-canary-state"]
    assert emulator.request_log.writes() == [] and route(kube_api)[1] == ("podinfo-canary", 0)

    assert shift(kube_api, 20)["changed"]
    reset_request_log(emulator)
    again = shift(kube_api, 20)
    assert not again["changed"] and again["weight"] == 20 and again["step"] == 1 and again["actions"] == []
    assert emulator.request_log.writes() == []


def test_only_the_managed_route_changes(emulator, kube_api):  # noqa: F811
    init_podinfo(emulator, kube_api)
    live = get(kube_api, VIRTUAL_SERVICE, "podinfo")
    user_route = {"name": "docs", "match": [{"uri": {"prefix": "/docs"}}], "route": [{"destination": {"host": "docs"}}]}
    kube_api.patch(VIRTUAL_SERVICE[0], VIRTUAL_SERVICE[1], NAMESPACE, "podinfo",
                   [{"op": "add", "path": "/spec/http/0", "value": user_route}], "json")
    set_template(kube_api)
    shift(kube_api, 40)
    spec = get(kube_api, VIRTUAL_SERVICE, "podinfo")["spec"]
    assert spec["http"][0] == user_route
    managed = dict(live["spec"]["http"][0], route=[{"destination": {"host": "podinfo-primary"}, "weight": 60},
                                                   {"destination": {"host": "podinfo-canary"}, "weight": 40}])
    assert spec["http"][1] == managed
    assert {k: v for k, v in spec.items() if k != "http"} == {k: v for k, v in live["spec"].items() if k != "http"}


def test_new_revision_during_the_analysis_restarts_from_weight_0(emulator, kube_api):  # noqa: F811
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    first = shift(kube_api, 20)
    shift(kube_api, 40)
    store = StateStore(kube_api, NAMES)
    with_failure = store.read()
    with_failure.count_failed_check("request-success-rate: no data")
    store.write(with_failure)
    set_template(kube_api, image="stefanprodan/podinfo:3.1.2")
    restarted = shift(kube_api, 60)
    assert restarted["restarted"] and restarted["weight"] == 0 and restarted["revision"] != first["revision"]
    assert route(kube_api) == [("podinfo-primary", 100), ("podinfo-canary", 0)]
    state = store.read()
    assert state.phase == "Progressing" and state["last_applied_revision"] == restarted["revision"]
    assert state["failed_checks"] == 0 and state["canary_weight"] == 0 and state["step"] == 0
    resumed = shift(kube_api, 20)
    assert not resumed["restarted"] and resumed["weight"] == 20 and resumed["step"] == 1
    assert get(kube_api, DEPLOYMENT, "podinfo")["status"]["readyReplicas"] == 2


def test_target_back_at_the_promoted_revision_abandons_the_analysis(emulator, kube_api):  # noqa: F811
    init_podinfo(emulator, kube_api)
    promoted_image = get(kube_api, DEPLOYMENT, "podinfo")["spec"]["template"]["spec"]["containers"][0]["image"]
    set_template(kube_api)
    shift(kube_api, 20)
    set_template(kube_api, image=promoted_image)
    result = shift(kube_api, 40)
    assert result["restarted"] and result["weight"] == 0 and not result["pending"] and result["phase"] == "Succeeded"
    assert route(kube_api)[1] == ("podinfo-canary", 0) and get(kube_api, DEPLOYMENT, "podinfo")["spec"]["replicas"] == 0
    with pytest.raises(Refusal):
        shift(kube_api, 20)
    assert promote(kube_api)["nothing_to_promote"]
