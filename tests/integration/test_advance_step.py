"""canary_advance's step (phases/advance.py) over HTTP: a steady step reads the canary once and writes the route and
the state once (the run's lease renewed by that write), a failed step writes only its count, check mode and a decision
without a shift write nothing, bad input is refused before the first request, and a call without a run lease takes
one for itself and gives it back."""
import re

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.arguments.advance import ARGUMENT_SPEC
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.run_lease import LeaseRequest, acquire, release
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import StateStore
from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError
from ansible_collections.progressive.canary.plugins.module_utils.phases.advance import advance
from tests.integration.canary_scenario import NAMESPACE, kube_api, reset_request_log, run_playbook  # noqa: F401  pylint: disable=unused-import
from tests.integration.release_scenario import init_podinfo, route, set_template, shift

pytestmark = pytest.mark.needs_crds
NAMES = CanaryNames("podinfo", NAMESPACE)
HOLDER = "rollout/test/podinfo/42"
# Nothing listens there: a check against it fails (Prometheus unreachable), without waiting.
UNREACHABLE = {"url": "http://127.0.0.1:9", "timeout": 1}
FAILING_CHECK = {"name": "errors", "query": "sum(up)", "threshold_range": {"max": 1}}


def params(**options):
    """The module's parameters as Ansible gives them: every option of its spec, defaults filled in."""
    values = dict((name, spec.get("default")) for name, spec in ARGUMENT_SPEC.items())
    values.update(target="podinfo", namespace=NAMESPACE, lease_holder=HOLDER, weights=[20, 40, 60], threshold=2,
                  ready_timeout=60, run={})
    values.update(options)
    return values


def _under_analysis(emulator, api, weight=20):
    """podinfo initialized, the new image at ``weight``, the run's lease taken (as the role holds it)."""
    init_podinfo(emulator, api)
    set_template(api)
    revision = shift(api, weight, ready_timeout=60)["revision"]
    acquire(api, LeaseRequest(NAMES, HOLDER, 300, operation="rollout"))
    reset_request_log(emulator)
    return revision


def _requests(emulator):
    """The step's GETs and writes of the canary's objects (the Events it records on the target aside: _events)."""
    records = [r for r in emulator.request_log.records() if "/events" not in r.path]
    gets = [r.method for r in records if r.method == "GET"]
    return gets, [(r.method, r.path.rsplit("/", 2)[-2]) for r in records if r.method != "GET"]


def _event_messages(emulator):
    """The Events' messages on the namespace, and how many Events the requests logged since the last reset created."""
    created = sum(1 for r in emulator.request_log.records() if r.method == "POST" and r.path.endswith("/events"))
    status, body = emulator.request("GET", "/api/v1/namespaces/%s/events" % NAMESPACE)
    assert status == 200, body
    return [item["message"] for item in body["items"]], created


def test_a_steady_step_reads_once_and_writes_route_and_state_once(emulator, kube_api):  # noqa: F811
    revision = _under_analysis(emulator, kube_api)
    result = advance(kube_api, params(run={"weight": 20, "revision": revision, "history": []}))
    assert result["next_action"] == "shift" and result["run"]["weight"] == 40 and result["changed"], result
    assert re.fullmatch(r"step 1 of 3 at weight 20% \(\d\d:\d\d:\d\d UTC\): no checks -> weight 40%", result["line"]), result["line"]
    gets, writes = _requests(emulator)
    assert writes == [("PATCH", "virtualservices"), ("PUT", "configmaps")], writes
    assert len(gets) == 4, emulator.request_log.counts()   # state, target, primary, route (the run record has the revision)
    messages, created = _event_messages(emulator)
    assert created == 1 and "Advance podinfo.%s canary weight 40" % NAMESPACE in messages, messages
    assert route(kube_api)[1] == ("podinfo-canary", 40)
    state = StateStore(kube_api, NAMES).read()
    assert state["canary_weight"] == 40 and state["lease"]["holder"] == HOLDER and state["lease"]["scope"] == "run"


def test_a_lease_near_its_expiry_is_renewed_first_and_the_canary_read_under_it(emulator, kube_api):  # noqa: F811
    revision = _under_analysis(emulator, kube_api)    # the run's lease was written for 300 s
    result = advance(kube_api, params(run={"weight": 20, "revision": revision}, lease_seconds=3000))
    gets, writes = _requests(emulator)
    assert writes == [("PUT", "configmaps"), ("PATCH", "virtualservices"), ("PUT", "configmaps")], writes
    assert len(gets) == 10, "read (4), take the lease (1), read again under it (4), the state write's read (1)"
    assert result["next_action"] == "shift" and route(kube_api)[1] == ("podinfo-canary", 40)


def test_a_failed_step_counts_once_and_holds_then_rolls_back(emulator, kube_api):  # noqa: F811
    _under_analysis(emulator, kube_api)
    options = dict(checks=[FAILING_CHECK], prometheus=UNREACHABLE)
    first = advance(kube_api, params(run={"weight": 20, "history": []}, **options))
    assert first["next_action"] == "hold" and first["decision"] == "hold at 20%" and first["checks"]["state"]["failed_checks"] == 1
    assert re.match(r"step 1 of \d at weight 20% \([^)]*\): errors=no data", first["line"]) and first["line"].endswith("-> hold at 20%")
    assert _requests(emulator)[1] == [("PUT", "configmaps")], "the count is the step's one write; the weight stays"
    reset_request_log(emulator)
    second = advance(kube_api, params(run=first["run"], **options))
    assert second["next_action"] == "rollback" and second["run"]["failed_checks"] == 2, second
    assert second["run"]["reason"].startswith("2 failed checks reached the threshold 2; last: ")
    assert [entry["step"] for entry in second["run"]["history"]] == [1, 2]
    assert _requests(emulator)[1] == [("PUT", "configmaps")] and route(kube_api)[1] == ("podinfo-canary", 20)


def test_check_mode_and_a_promotion_write_nothing(emulator, kube_api):  # noqa: F811
    _under_analysis(emulator, kube_api, weight=40)
    planned = advance(kube_api, params(run={"weight": 40}), check_mode=True)
    assert planned["next_action"] == "shift" and planned["changed"] and planned["shift"]["weight"] == 60, planned
    assert _requests(emulator)[1] == [] and route(kube_api)[1] == ("podinfo-canary", 40)
    assert advance(kube_api, params(run={"weight": 40}))["run"]["weight"] == 60
    reset_request_log(emulator)
    for _again in range(2):
        done = advance(kube_api, params())     # from the canary's recorded weight, 60: the last one
        assert done["next_action"] == "promote" and not done["changed"] and done["shift"] == {}, done
        assert _requests(emulator)[1] == []


@pytest.mark.parametrize("options, message", [
    ({"weights": [40, 20]}, "weights must be whole numbers increasing between 1 and 100"),
    ({"threshold": 0}, "threshold must be 1 or more"),
    ({"webhooks": [{"name": "load", "type": "rollout", "url": "ftp://load"}]}, "invalid analysis: "),
])
def test_bad_input_is_refused_before_any_request(emulator, kube_api, options, message):  # noqa: F811
    _under_analysis(emulator, kube_api)
    with pytest.raises(CanaryError) as refused:
        advance(kube_api, params(**options))
    assert message in str(refused.value)
    assert emulator.request_log.records() == []


def test_another_runs_lease_is_refused_and_a_free_one_taken_for_the_step(emulator, kube_api):  # noqa: F811
    _under_analysis(emulator, kube_api)
    with pytest.raises(CanaryError) as held:
        advance(kube_api, params(lease_holder="another-run", run={"weight": 20}))
    assert "locked by %s" % HOLDER in str(held.value)
    assert _requests(emulator)[1] == []

    release(kube_api, LeaseRequest(NAMES, HOLDER, 300))
    result = advance(kube_api, params(lease_holder=None, run={"weight": 20}))
    assert result["next_action"] == "shift" and route(kube_api)[1] == ("podinfo-canary", 40)
    assert StateStore(kube_api, NAMES).read()["lease"] is None, "the step's own lease is given back"


def test_through_ansible_repeat_steps_until_promote_then_writes_nothing(emulator, kube_api, kubeconfig, tmp_path):  # noqa: F811
    _under_analysis(emulator, kube_api)
    step = {"target": "podinfo", "namespace": NAMESPACE, "lease_holder": HOLDER, "weights": [20, 40], "threshold": 2,
            "wait": 1, "ready_timeout": 60}
    tasks = [{"name": "all steps", "progressive.canary.canary_advance": dict(step, run={"weight": 20, "history": []}, repeat=True)},
             {"name": "again", "progressive.canary.canary_advance": dict(step, repeat=True)},
             {"name": "checked", "progressive.canary.canary_advance": dict(step, run={"weight": 20}), "check_mode": True}]
    reset_request_log(emulator)
    rc, results = run_playbook(tmp_path, tasks, kubeconfig)
    assert rc == 0, results
    steps = results["all steps"]
    assert steps["next_action"] == "promote" and steps["changed"] and steps["steps"] == 2, steps
    assert [re.sub(r" \([^)]*\)", "", line) for line in steps["lines"]] == [
        "step 1 of 2 at weight 20%: no checks -> weight 40%", "step 2 of 2 at weight 40%: no checks -> promote"], steps["lines"]
    assert [entry["weight"] for entry in steps["run"]["history"]] == [20, 40] and steps["run"]["weight"] == 40
    assert len(steps["step_seconds"]) == 2
    writes = [(r.method, r.path.rsplit("/", 2)[-2]) for r in emulator.request_log.writes() if "/events" not in r.path]
    assert writes == [("PATCH", "virtualservices"), ("PUT", "configmaps")], "only the first step shifts; promote writes nothing"
    again = results["again"]
    assert again["next_action"] == "promote" and not again["changed"] and again["steps"] == 1
    checked = results["checked"]
    assert checked["next_action"] == "shift" and checked["steps"] == 1 and checked["actions"] == [], checked
    assert route(kube_api)[1] == ("podinfo-canary", 40)
