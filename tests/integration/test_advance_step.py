"""canary_advance's step (phases/advance.py) over HTTP: a steady step reads the canary once and writes the route and
the state once (the run's lease renewed by that write), and the step after it in the same task reads only the target
and the primary (it writes at the state and route versions the previous step wrote: a hand edit of either meanwhile is
refused, read and planned again; a new revision still restarts; a killed run's handed-over state is not trusted); a
failed step writes only its count, check mode and a decision without a shift write nothing, bad input is refused before
the first request, and a call without a run lease takes one for itself and gives it back."""
import json
import multiprocessing
import re
import subprocess

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.arguments.advance import ARGUMENT_SPEC
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CONFIGMAP, VIRTUAL_SERVICE, CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.run_lease import LeaseRequest, acquire, release
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import StateStore
from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import connect
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


def _statuses(emulator):
    """(method, kind, status) of the step's requests to the state ConfigMap and the VirtualService, in order."""
    return [(r.method, r.path.rsplit("/", 2)[-2], r.status) for r in emulator.request_log.records()
            if r.path.endswith("/configmaps/" + NAMES.state) or r.path.endswith("/virtualservices/podinfo")]


def _first_step(emulator, kube_api, **options):  # noqa: F811
    """podinfo under analysis at 20 and one step to 40; returns that step's result (its ``written`` for the next)."""
    revision = _under_analysis(emulator, kube_api)
    first = advance(kube_api, params(run={"weight": 20, "revision": revision, "history": []}, **options))
    assert first["next_action"] == "shift" and route(kube_api)[1] == ("podinfo-canary", 40), first
    assert sorted(first["written"]) == ["routes", "state"], first["written"]
    return first


def test_the_next_step_of_a_task_reads_only_the_target_and_the_primary(emulator, kube_api):  # noqa: F811
    first = _first_step(emulator, kube_api)
    reset_request_log(emulator)
    second = advance(kube_api, params(run=first["run"], written=first["written"]))
    gets, writes = _requests(emulator)
    assert writes == [("PATCH", "virtualservices"), ("PUT", "configmaps")], writes
    assert [r.path.rsplit("/", 1)[-1] for r in emulator.request_log.records() if r.method == "GET"] == ["podinfo", "podinfo-primary"]
    assert len(gets) == 2, "the target and the primary; the state and the route as the first step wrote them"
    assert second["next_action"] == "shift" and second["run"]["weight"] == 60 and route(kube_api)[1] == ("podinfo-canary", 60)
    messages, created = _event_messages(emulator)
    assert created == 1 and "Advance podinfo.%s canary weight 60" % NAMESPACE in messages, messages
    state = StateStore(kube_api, NAMES).read()
    assert state["canary_weight"] == 60 and state["lease"]["holder"] == HOLDER, "the state PUT renewed the lease"
    assert state.resource_version == second["written"]["state"]["resource_version"]


def test_a_hand_edit_of_the_state_between_steps_is_refused_then_read(emulator, kube_api):  # noqa: F811
    first = _first_step(emulator, kube_api)
    configmap = kube_api.get(CONFIGMAP[0], CONFIGMAP[1], NAMESPACE, NAMES.state)
    document = json.loads(configmap["data"]["state.json"])
    document["failed_checks"] = 1                                   # kubectl edit: a new resourceVersion
    configmap["data"]["state.json"] = json.dumps(document)
    kube_api.replace(configmap)
    reset_request_log(emulator)
    second = advance(kube_api, params(run=first["run"], written=first["written"]))
    assert second["next_action"] == "shift" and second["run"]["weight"] == 60, second
    # Refused, then read and planned again (the route is at 40 % already: only the state is written, read under the lease).
    assert _statuses(emulator) == [("PATCH", "virtualservices", 200), ("PUT", "configmaps", 409), ("GET", "configmaps", 200),
                                   ("GET", "virtualservices", 200), ("GET", "configmaps", 200), ("PUT", "configmaps", 200)]
    state = StateStore(kube_api, NAMES).read()
    assert state["canary_weight"] == 60 and route(kube_api)[1] == ("podinfo-canary", 60)
    assert state["failed_checks"] == 1, "planned from the state as edited, not overwritten with the one handed over"


def test_a_hand_edit_of_the_route_between_steps_is_refused_then_read_and_kept(emulator, kube_api):  # noqa: F811
    first = _first_step(emulator, kube_api)
    kube_api.patch(VIRTUAL_SERVICE[0], VIRTUAL_SERVICE[1], NAMESPACE, "podinfo",
                   [{"op": "add", "path": "/spec/http/0/timeout", "value": "7s"}], "json")       # a new generation
    reset_request_log(emulator)
    second = advance(kube_api, params(run=first["run"], written=first["written"]))
    assert second["next_action"] == "shift" and second["run"]["weight"] == 60, second
    # Refused (the generation tested), judged stale from a read (ReleasePhase.stale), read and planned again.
    assert _statuses(emulator) == [("PATCH", "virtualservices", 422), ("GET", "configmaps", 200), ("GET", "virtualservices", 200),
                                   ("GET", "configmaps", 200), ("GET", "virtualservices", 200),
                                   ("PATCH", "virtualservices", 200), ("PUT", "configmaps", 200)]
    live = kube_api.get(VIRTUAL_SERVICE[0], VIRTUAL_SERVICE[1], NAMESPACE, "podinfo")
    assert live["spec"]["http"][0]["timeout"] == "7s" and route(kube_api)[1] == ("podinfo-canary", 60), "the hand edit stays"


def test_a_new_revision_between_steps_still_restarts_the_analysis(emulator, kube_api):  # noqa: F811
    first = _first_step(emulator, kube_api)
    set_template(kube_api, image="ghcr.io/stefanprodan/podinfo:6.0.3")
    reset_request_log(emulator)
    second = advance(kube_api, params(run=first["run"], written=first["written"]))
    assert second["shift"]["restarted"] and second["run"]["weight"] == 0, second
    assert route(kube_api)[1] == ("podinfo-canary", 0)
    state = StateStore(kube_api, NAMES).read()
    assert state["last_applied_revision"] == second["shift"]["revision"] != first["run"]["revision"]
    assert state["canary_weight"] == 0


def _step_in_its_own_process(kubeconfig, options):
    """advance() in a process of its own, as the module runs (the lease records that process: it has ended when this
    returns); its result."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=lambda: results.put(advance(connect({"kubeconfig": kubeconfig}, request_timeout=10), params(**options))))
    child.start()
    result = results.get(timeout=120)
    child.join(timeout=30)
    return result


def test_a_killed_runs_handed_over_state_is_read_again(emulator, kube_api, kubeconfig):  # noqa: F811
    weights = [20, 40, 60, 80]
    controller = subprocess.Popen(["sleep", "120"])   # the run's ansible-playbook, recorded in its lease
    try:
        init_podinfo(emulator, kube_api)
        set_template(kube_api)
        revision = shift(kube_api, 20, ready_timeout=60)["revision"]
        acquire(kube_api, LeaseRequest(NAMES, HOLDER, 300, operation="rollout", controller_pid=controller.pid))
        first = _step_in_its_own_process(kubeconfig, {"run": {"weight": 20, "revision": revision, "history": []}, "weights": weights})
        assert first["run"]["weight"] == 40 and len(first["written"]["state"]["data"]["lease"]["processes"]) == 2, first
        reset_request_log(emulator)
        second = advance(kube_api, params(run=first["run"], written=first["written"], weights=weights))
        assert second["run"]["weight"] == 60 and ("GET", "configmaps", 200) not in _statuses(emulator), "the first step's process ended, the run's runs"
        third = _step_in_its_own_process(kubeconfig, {"run": second["run"], "written": second["written"], "weights": weights})
        assert third["run"]["weight"] == 80, third
    finally:
        controller.kill()
        controller.wait()
    reset_request_log(emulator)
    last = advance(kube_api, params(run=third["run"], written=third["written"], weights=weights))
    assert last["next_action"] == "promote", last
    assert ("GET", "configmaps", 200) in _statuses(emulator), "the run's processes ended: another run may hold the lease, so the state is read"


def test_a_lease_near_its_expiry_is_renewed_first_and_the_canary_read_under_it(emulator, kube_api):  # noqa: F811
    revision = _under_analysis(emulator, kube_api)    # the run's lease was written for 300 s
    result = advance(kube_api, params(run={"weight": 20, "revision": revision}, lease_seconds=3000))
    gets, writes = _requests(emulator)
    assert writes == [("PUT", "configmaps"), ("PATCH", "virtualservices"), ("PUT", "configmaps")], writes
    assert len(gets) == 9, "read (4), take the lease (1), read again under it (4); the state is written at the lease's write"
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


@pytest.mark.parametrize("ended", [
    {"action": "none", "reason": "revision 2 is the promoted one: nothing to release"},
    {"action": "done", "outcome": "checked", "reason": "check mode, nothing written; a real run would release ..."},
    {"action": "error", "reason": "canary_promote did not finish"},
])
def test_through_ansible_finish_returns_a_run_that_has_ended_as_it_is_asking_nothing(
        emulator, kube_api, kubeconfig, tmp_path, ended):  # noqa: F811
    """The rollout role hands every run to the release task: one that has ended (check mode's plan, a run in error)
    comes back as it is, with no request, in check mode too."""
    _under_analysis(emulator, kube_api)
    step = {"target": "podinfo", "namespace": NAMESPACE, "lease_holder": HOLDER, "weights": [20, 40], "threshold": 2,
            "wait": 1, "ready_timeout": 60, "finish": True, "run": dict(ended, history=[], weight=20)}
    tasks = [{"name": "ended", "progressive.canary.canary_advance": step},
             {"name": "checked", "progressive.canary.canary_advance": step, "check_mode": True}]
    reset_request_log(emulator)
    rc, results = run_playbook(tmp_path, tasks, kubeconfig)
    assert rc == 0, results
    for name in ("ended", "checked"):
        result = results[name]
        assert result["run"] == dict(ended, history=[], weight=20), result
        assert not result["changed"] and result["next_action"] == ended["action"] and result["steps"] == 0, result
        assert result["lines"] == [] and result["actions"] == [], result
    assert emulator.request_log.records() == [], "nothing was asked"
