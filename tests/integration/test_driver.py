"""The one driver (plugins/module_utils/planning/driver.py) that every writing phase goes through, over HTTP against the sandbox:
the objects judged in a dry run before the first write, check mode writes nothing (not even the lease), the first
write is the lease and everything is read again under it (unless the lease was already the caller's run's and the
state object is the version read: then the plan is built again from the same reads), and a write made stale between the plan and the run is read and planned
again in init and cleanup as in the release phases, at most PLAN_ATTEMPTS plans."""
import threading

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import CanaryApiError
from ansible_collections.progressive.canary.plugins.module_utils.planning.driver import PLAN_ATTEMPTS
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import DEPLOYMENT, SERVICE, VIRTUAL_SERVICE, CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import Lease, StateStore
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, load_podinfo, reset_request_log, writes
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.integration.release_scenario import NEW_IMAGE, get, init_podinfo, promote, rollback, set_template, shift
from tests.sandbox.fixtures_api import wait_for
from tests.sandbox.fixtures_mesh import wait_ready

pytestmark = pytest.mark.needs_crds
NAMES = CanaryNames("podinfo", NAMESPACE)
APEX = r"/services/podinfo$"
STATE = "/configmaps/podinfo-canary-state"


def _init(api, **options):
    return run_init(api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo", ready_timeout=60), **options)


def _cleanup(api, **options):
    return run_cleanup(api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60), **options)


def _podinfo(emulator):
    load_podinfo(emulator)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)


# (what the canary is before the call, the call): every call would change something.
PHASES = {
    "init": (_podinfo, _init),
    "cleanup": (init_podinfo, _cleanup),
    "shift": (lambda emulator, api: (init_podinfo(emulator, api), set_template(api)),
              lambda api, **options: shift(api, 20, ready_timeout=60, **options)),
    "promote": (lambda emulator, api: (init_podinfo(emulator, api), set_template(api), shift(api, 60, ready_timeout=60)), promote),
    "rollback": (lambda emulator, api: (init_podinfo(emulator, api), set_template(api), shift(api, 60, ready_timeout=60)), rollback),
}


def _prepare(emulator, api, phase):
    prepare, call = PHASES[phase]
    if phase == "init":
        prepare(emulator)
    else:
        prepare(emulator, api)
    reset_request_log(emulator)
    return call


@pytest.mark.parametrize("phase", sorted(PHASES))
def test_check_mode_writes_nothing_not_even_the_lease(emulator, kube_api, phase):  # noqa: F811
    call = _prepare(emulator, kube_api, phase)
    before = StateStore(kube_api, NAMES).read()
    planned = call(kube_api, check_mode=True)
    assert planned["changed"] and planned["actions"], planned
    assert writes(emulator) == [], "check mode plans and stops: no write, not even the lease"
    after = StateStore(kube_api, NAMES).read()
    assert (after is None) == (before is None) and (after is None or after.get("lease") is None)
    if phase in ("init", "cleanup"):
        assert emulator.request_log.dry_runs(), "the planned objects are judged by the API server"


@pytest.mark.parametrize("phase", ["init", "shift"])
def test_the_first_write_is_the_lease_and_everything_is_read_again_under_it(emulator, kube_api, phase):  # noqa: F811
    call = _prepare(emulator, kube_api, phase)
    assert call(kube_api)["changed"]
    records = [r for r in emulator.request_log.records() if not r.is_watch]
    dry_runs = emulator.request_log.dry_runs()
    real_writes = writes(emulator)
    first_write = records.index(real_writes[0])
    # The lease creates the state object on a fresh init (a POST to the ConfigMaps), else writes it (a PUT).
    lease = ("POST", "/namespaces/test/configmaps") if phase == "init" else ("PUT", STATE)
    assert (real_writes[0].method, real_writes[0].path[-len(lease[1]):]) == lease, "the lease before any other write: %s" % real_writes[0]
    if phase == "init":
        assert dry_runs and all(records.index(record) < first_write for record in dry_runs), "judged before the first write"
    else:
        assert dry_runs == [], "a release step's patches are not dry-run (bench/budgets.yml)"
    target_reads = [i for i, r in enumerate(records) if r.method == "GET" and r.path.endswith("/deployments/podinfo")]
    assert target_reads[0] < first_write < target_reads[-1], "planned, then planned again under the lease"


RUN_HOLDER = "rollout/test/podinfo/7"


def _run_lease(api):
    """The lease a rollout run takes for all its module calls (canary_lease, operation rollout), held on return."""
    lease = Lease(StateStore(api, NAMES), RUN_HOLDER, 300, operation="rollout", scope="run")
    lease.acquire()
    return lease


def _gets(emulator, path_end):
    return [r for r in emulator.request_log.records() if r.method == "GET" and r.path.endswith(path_end)]


@pytest.mark.parametrize("under_run_lease", [False, True])
def test_a_call_under_its_runs_lease_plans_under_it_from_the_reads_it_made(emulator, kube_api, under_run_lease):  # noqa: F811
    """A call of its own takes the lease and reads everything again under it; a call of a run that holds the lease
    (the rollout role's) joins it: nothing that honours the lease changed since its reads, so it reads them once."""
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    if under_run_lease:
        _run_lease(kube_api)
    reset_request_log(emulator)

    result = shift(kube_api, 20, ready_timeout=60, lease_holder=RUN_HOLDER if under_run_lease else None)

    assert result["weight"] == 20 and result["step"] == 1, result
    reads = 1 if under_run_lease else 2
    assert len(_gets(emulator, "/deployments/podinfo-primary")) == reads, "the primary read %d time(s)" % reads
    # Read as the plan builds (the Services' selectors, the HPA the scale-up sizes the target from): once as well.
    assert len(_gets(emulator, "/services/podinfo-canary")) == reads
    assert len(_gets(emulator, "/horizontalpodautoscalers/podinfo")) == reads
    # The state: by the plan and the lease; a call of its own also by the plan again and by the release of its lease.
    assert len(_gets(emulator, STATE)) == (2 if under_run_lease else 4)
    lease = StateStore(kube_api, NAMES).read()["lease"]
    if under_run_lease:
        assert lease["holder"] == RUN_HOLDER, "left held for the run"
    else:
        assert lease is None, "released when the call ends"


def test_a_call_under_its_runs_lease_reads_again_when_the_state_changed_since_its_reads(emulator, kube_api):  # noqa: F811
    """The state object is what no write guard of the plan covers (a transition is applied to whatever state is there):
    when it is not the version the plan read (a hand edit between the plan's reads and the lease), everything is read
    and planned again under the lease, as for a call of its own."""
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    _run_lease(kube_api)
    reset_request_log(emulator)

    def hand_edit():
        edited = StateStore(kube_api, NAMES).read()
        edited.data["last_failed_check"] = "a person's note"
        StateStore(kube_api, NAMES).write(edited)

    # The plan's last read (the HPA the scale-up sizes the target from) is held while someone edits the state object.
    result = _hold_and_change(emulator, "GET", "/horizontalpodautoscalers/podinfo$",
                              lambda: shift(kube_api, 20, ready_timeout=60, lease_holder=RUN_HOLDER), hand_edit)

    assert result["weight"] == 20 and result["step"] == 1, result
    assert len(_gets(emulator, "/deployments/podinfo-primary")) == 2, "read again under the lease"
    assert StateStore(kube_api, NAMES).read()["canary_weight"] == 20


def test_a_write_planned_before_joining_the_runs_lease_and_made_stale_meanwhile_is_planned_again(emulator, kube_api):  # noqa: F811
    """The reads made before the lease was joined are used under it: another writer that does not honour the lease (an
    HPA scaling the primary) between those reads and the write makes the write stale, and it is read and planned again."""
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    shift(kube_api, 60, ready_timeout=60)
    _run_lease(kube_api)
    generation = get(kube_api, DEPLOYMENT, "podinfo-primary")["metadata"]["generation"]
    reset_request_log(emulator)

    # The lease's renewal as the call joins it (its first state write) is held while the primary is scaled.
    result = _hold_and_change(emulator, "PUT", STATE + "$", lambda: promote(kube_api, ready_timeout=60, lease_holder=RUN_HOLDER),
                              lambda: kube_api.patch(DEPLOYMENT[0], DEPLOYMENT[1], NAMESPACE, "podinfo-primary", {"spec": {"replicas": 3}}))

    assert _statuses(emulator, "PATCH", "/deployments/podinfo-primary$") == [200, 422, 200], \
        "the scale, the template patch planned before it (its test fails), the one planned again"
    assert result["phase"] == "Succeeded", result
    primary = get(kube_api, DEPLOYMENT, "podinfo-primary")
    assert primary["spec"]["template"]["spec"]["containers"][0]["image"] == NEW_IMAGE and primary["spec"]["replicas"] == 3
    assert primary["metadata"]["generation"] == generation + 2, "the scale and one template write"
    assert get(kube_api, VIRTUAL_SERVICE, "podinfo")["spec"]["http"][0]["route"][0]["weight"] == 100


def _hold_and_change(emulator, verb, path_regex, run, change):
    """Run ``run()`` in a thread, hold its write ``verb path_regex`` at the server while ``change()`` moves the object
    (another writer between the run's plan and its write), then let the write through; returns run's result."""
    fault = emulator.faults.add(verb=verb, path_regex=path_regex, latency=3, times=1)
    outcome = {}

    def target():
        try:
            outcome["result"] = run()
        except Exception as exc:  # pylint: disable=broad-except  # reported by the test below
            outcome["error"] = exc

    runner = threading.Thread(target=target)
    runner.start()
    wait_for(lambda: fault.matched == 1, timeout=60, what="the held %s %s" % (verb, path_regex))
    change()
    runner.join()
    assert "error" not in outcome, outcome.get("error")
    return outcome["result"]


def _label_apex(api, value):
    """Another writer: a label on the apex Service (its resourceVersion moves, the write guard of our plan fails)."""
    api.patch(SERVICE[0], SERVICE[1], NAMESPACE, "podinfo", {"metadata": {"labels": {"edited-by": value}}})


def _statuses(emulator, verb, path_regex):
    """The statuses of the real requests ``verb path_regex`` (dry runs aside), in the order they were answered."""
    dry_runs = emulator.request_log.dry_runs()
    return [r.status for r in emulator.request_log.records()
            if r.method == verb and r.path.endswith(path_regex.rstrip("$")) and r not in dry_runs]


def test_init_plans_again_after_a_write_made_stale_between_plan_and_run(emulator, kube_api):  # noqa: F811
    _prepare(emulator, kube_api, "init")
    result = _hold_and_change(emulator, "PATCH", APEX, lambda: _init(kube_api), lambda: _label_apex(kube_api, "user"))
    assert _statuses(emulator, "PATCH", APEX) == [200, 422, 200], "the other writer's label, the stale re-point, the re-planned one"
    assert result["changed"] and result["phase"] == "Initialized", result
    assert result["actions"].count("re-point Service test/podinfo at the primary (ports kept)") == 1, result["actions"]
    assert result["actions"].count("create Deployment test/podinfo-primary") == 1, "the first plan's writes are not made again"
    apex = get(kube_api, SERVICE, "podinfo")
    assert apex["spec"]["selector"] == {"app": "podinfo-primary"} and apex["metadata"]["labels"]["edited-by"] == "user"
    assert StateStore(kube_api, NAMES).read().get("lease") is None


def test_cleanup_plans_again_after_a_write_made_stale_between_plan_and_run(emulator, kube_api):  # noqa: F811
    _prepare(emulator, kube_api, "cleanup")
    result = _hold_and_change(emulator, "PUT", APEX, lambda: _cleanup(kube_api), lambda: _label_apex(kube_api, "user"))
    assert _statuses(emulator, "PUT", APEX) == [409, 200], "the stale restore, then the re-planned one"
    assert result["restored"] == ["Deployment test/podinfo", "Service test/podinfo"], result
    assert result["actions"].count("restore Service test/podinfo as recorded") == 1, result["actions"]
    assert get(kube_api, SERVICE, "podinfo")["spec"]["selector"] == {"app": "podinfo"}
    assert get(kube_api, DEPLOYMENT, "podinfo-primary") is None and StateStore(kube_api, NAMES).read() is None


def test_init_gives_up_after_the_last_plan_when_its_writes_keep_conflicting(emulator, kube_api):  # noqa: F811
    _prepare(emulator, kube_api, "init")
    emulator.faults.add(verb="PATCH", path_regex=APEX, status=409)
    with pytest.raises(CanaryApiError) as failed:
        _init(kube_api)
    assert "Service test/podinfo" in str(failed.value) and "409" in str(failed.value)
    assert len(_statuses(emulator, "PATCH", APEX)) == PLAN_ATTEMPTS
    assert StateStore(kube_api, NAMES).read().get("lease") is None, "released on the way out"
