"""API requests and wall time of each canary operation on the podinfo scenario, called through the module_utils
entry points with kubernetes.core's client over HTTP; requests are counted from the emulator's request log."""
import time

from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.phases.info import canary_info
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE
from tests.integration.release_scenario import NEW_IMAGE, promote, rollback, set_template, shift
from tests.sandbox.fixtures_api import wait_for

from bench.sandbox_session import podinfo_session

READY_TIMEOUT = 60
SECOND_IMAGE = "stefanprodan/podinfo:3.1.2"


class BenchError(RuntimeError):
    """An operation did not do what the scenario needs: its figures would be meaningless."""


def _expect(name, result, condition):
    if not condition(result):
        raise BenchError("%s returned an unexpected result: %r" % (name, result))
    return result


def _init(api):
    request = InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo", ready_timeout=READY_TIMEOUT)
    return _expect("canary_init", run_init(api, request), lambda r: r["phase"] == "Initialized")


def _target_settled(api):
    """Wait until the controller has caught up with the target Deployment (status of its current generation).

    Shift, promote and cleanup write the target with a resourceVersion precondition and fail with HTTP 422 when
    the controller updates its status in between (README, "Found"): the scenario lets it settle first."""
    def settled():
        target = api.get("apps/v1", "Deployment", NAMESPACE, "podinfo")
        status = target.get("status") or {}
        wanted = target["spec"].get("replicas", 1)
        return (status.get("observedGeneration") == target["metadata"]["generation"]
                and (status.get("replicas") or 0) == wanted and (status.get("updatedReplicas") or 0) == wanted)
    wait_for(settled, timeout=READY_TIMEOUT, what="the controller to catch up with Deployment podinfo")


def _new_template(image):
    def change(api):
        set_template(api, image=image)
        _target_settled(api)
    return change


def _phase_is(*phases):
    return lambda result: result.get("phase") in phases and not result.get("failed")


# (figure id, what it is, call on a KubeApi, unmeasured scenario step that must run before it). Run in this order on one
# emulator they are one release rejected by a rollback, then one promoted, then the canary removed.
SEQUENCE = (
    ("canary_init", "canary_init on podinfo", _init, None),
    ("canary_init_noop", "canary_init again (no-op)", lambda api: _expect("canary_init (no-op)", _init(api), lambda r: not r["changed"]), None),
    ("canary_info", "canary_info", lambda api: canary_info(api, CanaryNames("podinfo", NAMESPACE)), None),
    ("canary_shift_first", "canary_shift 0->10 (new revision: scale up, wait)",
     lambda api: _expect("shift", shift(api, 10, ready_timeout=READY_TIMEOUT), _phase_is("Progressing")), _new_template(NEW_IMAGE)),
    ("canary_shift_next", "canary_shift 10->20 (weights only)",
     lambda api: _expect("shift", shift(api, 20, ready_timeout=READY_TIMEOUT), _phase_is("Progressing")), None),
    ("canary_rollback", "canary_rollback at 20",
     lambda api: _expect("rollback", rollback(api, ready_timeout=READY_TIMEOUT), _phase_is("Failed")), None),
    ("canary_shift_retry", "canary_shift 0->50 (next revision after a rollback)",
     lambda api: _expect("shift", shift(api, 50, ready_timeout=READY_TIMEOUT), _phase_is("Progressing")),
     _new_template(SECOND_IMAGE)),
    ("canary_promote", "canary_promote at 50",
     lambda api: _expect("promote", promote(api, ready_timeout=READY_TIMEOUT), _phase_is("Succeeded")), None),
    ("canary_cleanup", "canary_cleanup after the promotion",
     lambda api: run_cleanup(api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=READY_TIMEOUT)), _target_settled),
)


def settled_records(emulator):
    """Every request logged so far. The emulator logs a request after answering it: a marker GET that is logged
    means the client's earlier requests are too."""
    marker = "/api/v1/namespaces/bench-marker-%d" % time.monotonic_ns()
    emulator.request("GET", marker)
    while True:
        records = emulator.request_log.records()
        if any(record.path == marker for record in records):
            return [record for record in records if record.path != marker]
        time.sleep(0.01)


def requests_of(records):
    gets = [r for r in records if r.method == "GET" and not r.is_watch]
    return {"gets": len(gets), "writes": sum(1 for r in records if r.method != "GET" and not r.is_dry_run),
            "dry_runs": sum(1 for r in records if r.is_dry_run),
            "watches": sum(1 for r in records if r.is_watch),
            "requests": ["%s %s %s" % (r.method, r.path, r.status) for r in records]}


def _measure(session, call, api):
    session.forget_requests()
    started = time.perf_counter()
    call(api)
    seconds = time.perf_counter() - started
    figures = requests_of(settled_records(session.emulator))
    figures["seconds"] = seconds
    return figures


def run_sequence():
    """One pass over SEQUENCE on a fresh sandbox: {figure id: {gets, writes, watches, requests, seconds}}."""
    measured = {}
    with podinfo_session() as session:
        connected = []
        measured["connect"] = _measure(session, lambda _api: connected.append(session.connect()), None)
        api = connected[0]
        for figure, _what, call, setup in SEQUENCE:
            if setup is not None:
                setup(api)
            measured[figure] = _measure(session, call, api)
    return measured


DESCRIPTIONS = dict([("connect", "connect (kubernetes.core client, cold discovery cache)")] + [(f, what) for f, what, _c, _s in SEQUENCE])


def bench_operations(runs):
    """``runs`` passes: request counts of the first pass (a later pass that differs is noted), seconds of each pass."""
    passes = [run_sequence() for _run in range(runs)]
    figures = {}
    for figure, first in passes[0].items():
        entry = dict(first, seconds=[one[figure]["seconds"] for one in passes], description=DESCRIPTIONS[figure])
        counts = [(one[figure]["gets"], one[figure]["writes"]) for one in passes]
        if len(set(counts)) > 1:
            entry["counts_vary"] = "(GETs, writes) per run: %s" % counts
        figures[figure] = entry
    return figures
