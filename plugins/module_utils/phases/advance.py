# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""canary_advance: one step of the analysis (Flagger's tick) in one call, with the functions the one-by-one modules
use: wait the interval, read the canary once (release.read_facts), run the rollout hooks and the checks
(analysis_run.analyse, so every check kind of gate.py), ask the rollback hooks, decide (scheduler.next_step, as the
rollout_step filter), ask the confirm-traffic-increase gates (scheduler.close_gate), set the weight (shift.ShiftRun
through planning/driver.py and the router) and merge the shift (scheduler.merge_shift).

Requests: the facts are read once, after the wait, under the run's lease (state.Lease.adopt: its own run's lease,
renewed by the previous step, is joined without a write), and that plan is run without reading again. A healthy step
writes the route and the state once; the lease's renewal rides on that state write. A failed step writes its failed
check count instead (one state write), and a step that writes nothing renews the lease only when a third of it has
passed. Check mode reads, calls only the questions (rollback hooks, gates) and writes nothing.

A step of a ``repeat`` task after another one (the action plugin hands over ``written``: the state and the route as
the API server answered the previous step's writes) reads neither: it plans from them and writes at them, the state
PUT at its resourceVersion, the route patch guarded by its generation, so a change by anyone else since is refused
(409, 422) and the step reads and plans again (driver.py). It still reads the target (a new revision restarts the
analysis; its readiness) and the primary (still ours) every step. The handed-over state is used only while its lease
is this run's with more than two thirds of it left and, when it records this host's processes, one of them still runs
(a killed run's lease may be taken over at once: then the step reads)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys
import time

from ansible_collections.progressive.canary.plugins.module_utils.analysis.analysis_run import analyse, tell_failures
from ansible_collections.progressive.canary.plugins.module_utils.analysis.gate import AnalysisConfigError, prepare_checks, summary
from ansible_collections.progressive.canary.plugins.module_utils.analysis.webhooks import (
    build_payload, prepare_hooks, run_webhooks, summary as hooks_summary)
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CONFIGMAP, CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.run_lease import renewing_sleep
from ansible_collections.progressive.canary.plugins.module_utils.canary.processes import is_running, node_id, process_identity, watched_sleep
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import Lease, StaleKnownState, StateError, StateStore, stored
from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError, reworded
from ansible_collections.progressive.canary.plugins.module_utils.phases.release import (
    ANALYSIS_PHASES, ReleasePhase, ReleaseRequest, read_facts, read_state)
from ansible_collections.progressive.canary.plugins.module_utils.phases.shift import ShiftRun
from ansible_collections.progressive.canary.plugins.module_utils.planning.driver import drive_planned
from ansible_collections.progressive.canary.plugins.module_utils.routers import factory as routers
from ansible_collections.progressive.canary.plugins.module_utils.routers.strategy import (
    any_shape, check_strategy, route_shape, strategy_text)
from ansible_collections.progressive.canary.plugins.module_utils.scheduler import (
    analysed, as_int, close_gate, merge_shift, merged, next_step)
from ansible_collections.progressive.canary.plugins.module_utils.workloads.wait import NotReadyError

# The decisions after which the analysis goes on with another step.
GOING_ON = ("shift", "hold")
CONTEXT_OPTIONS = ("namespace", "target", "service", "name", "interval", "provider")


def check_params(params):
    """Refuse what no step can run with, before anything is read or called (AnalysisConfigError, a CanaryError)."""
    check_strategy(params)
    weights = params["weights"]
    if params["iterations"] and weights:
        raise AnalysisConfigError("iterations (A/B testing, Blue/Green) and weights (a canary with step weights) are both set; "
                                  "nothing was changed. Set one of them")
    _check_shape(params)
    if params["iterations"]:
        weights = [100]     # not stepped through: the iterations are
    elif not weights:
        raise AnalysisConfigError("weights (the step weights of a canary) are required unless iterations (A/B testing, Blue/Green) is set")
    if not weights or any(not 1 <= weight <= 100 for weight in weights) or weights != sorted(set(weights)):
        raise AnalysisConfigError("weights must be whole numbers increasing between 1 and 100, got %s" % weights)
    if params["threshold"] < 1:
        raise AnalysisConfigError("threshold must be 1 or more failed checks, got %s" % params["threshold"])
    if params["wait"] < 0:
        raise AnalysisConfigError("wait must be 0 or more seconds, got %s" % params["wait"])
    prepare_hooks(params["webhooks"])
    if params["checks"]:
        prepare_checks(params["checks"], _context(params))


def _check_shape(params):
    """Refuse what the provider cannot route before anything is read: every part of the shape any step would use."""
    routers.router_for(params["provider"]).check_shape(any_shape(params))


def strategy_params(params):
    """The strategy options as the scheduler takes them."""
    return dict((key, params.get(key)) for key in ("iterations", "match", "mirror", "mirror_weight", "session_affinity"))


def _context(params):
    return dict((key, params.get(key)) for key in CONTEXT_OPTIONS)


def _hooks_of(params, hook_type):
    return [hook for hook in params["webhooks"] if hook["type"] == hook_type]


class _StepLease(object):
    """The lease the step works under: the run's own lease as the facts show it (adopted, no write), else acquired for
    the step (joined and renewed when it is the run's, taken for this call when free; CanaryLeaseHeld otherwise).
    None in check mode."""

    def __init__(self, api, names, params, check_mode):
        self.lease = None if check_mode else Lease(StateStore(api, names), params["lease_holder"], params["lease_seconds"],
                                                   operation="analysis")
        self.adopted = False

    def enter(self, state, unread=False):
        if self.lease is not None:
            self.adopted = self.lease.adopt(state, unread=unread)
            if not self.adopted:
                self.lease.acquire(create=False)
        return self.lease

    def leave(self, exc_info):
        if self.lease is not None and self.lease.state is not None:
            self.lease.__exit__(*exc_info)


def _wait(api, names, params, check_mode, sleep):
    """The interval at the current weight. A wait longer than a third of the lease keeps the run's lease renewed (a
    shorter one ends long before the lease the previous step renewed does). True when it wrote the state (the
    previous step's ``written`` state is out of date then)."""
    seconds = params["wait"]
    if check_mode:
        return False    # check mode neither writes nor waits (the release modules' check mode)
    if seconds < params["lease_seconds"] / 3.0:
        sleep(seconds)
        return False
    lease = Lease(StateStore(api, names), params["lease_holder"], params["lease_seconds"], operation="analysis")
    if lease.acquire(create=False) is None:
        sleep(seconds)
        return False
    try:
        renewing_sleep(lease, sleep=sleep)(seconds)
    finally:
        lease.__exit__(None, None, None)
    return True


def _watching_the_controller(controller_pid, sleep):
    """The interval's sleep, ending the step (CanaryError) once the ansible-playbook that runs it has ended: the rerun
    of a killed run resumes from the state, and this step must not check, decide or write beside it."""
    if not controller_pid or node_id() is None:
        return sleep    # not on the controller, or no /proc to watch a process with

    def gone():
        raise CanaryError("ansible-playbook (pid %d) that runs this step has ended: the step stopped while it waited, "
                          "before its checks; the next run resumes the analysis" % controller_pid)
    identity = process_identity(controller_pid)
    if identity is None:
        gone()          # it ended between the action plugin's last look and this step's start
    return watched_sleep(identity, gone, sleep=sleep)


def _known(api, names, params, check_mode):
    """read_facts' ``state`` and ``routing`` from what the previous step of this task wrote (``written``), when they
    can stand for a read (the module docstring says when); {} for what must be read."""
    written = params.get("written") or {}
    if check_mode or not params["lease_holder"]:
        return {}
    known = {}
    state = _known_state(api, names, params, written.get("state"))
    if state is not None:
        known["state"] = state
    routing = routers.router_for(params["provider"]).known_routes(api, names, written.get("routes") or [])
    if routing is not None:
        known["routing"] = routing
    return known


def _known_state(api, names, params, written):
    """The state the previous step wrote, while its lease is this run's and cannot have been taken over; else None."""
    if not isinstance(written, dict) or not written.get("resource_version"):
        return None
    try:
        state = StateStore(api, names).known(written.get("data"), written["resource_version"])
    except StateError:
        return None
    lease = state.get("lease") or {}
    if lease.get("holder") != params["lease_holder"] or lease.get("scope") != "run":
        return None
    processes = lease.get("processes") or []
    if processes and lease.get("node") == node_id() and not any(is_running(process) for process in processes):
        return None     # the run's processes ended (a killed run): another run may hold the lease already
    return state


def written_result(lease, phase_written):
    """``written`` for the next step of the task: the state after this step (the run's lease stays held) and the route
    objects this step wrote, as the API server answered; {} when the next step must read."""
    written = {}
    if lease is not None and lease.joined and lease.state is not None and lease.state.resource_version:
        # As stored (state.stored: URL credentials redacted), which is what the API server holds at that version.
        written["state"] = {"data": stored(lease.state.data), "resource_version": lease.state.resource_version}
    routes = [dict(obj, metadata=dict((key, value) for key, value in obj["metadata"].items() if key != "managedFields"))
              for obj in (phase_written or {}).values()]
    if routes:
        written["routes"] = routes
    return written


def _checks(params, checksum, check_mode):
    """The rollout hooks and the checks (canary_analysis's run, so every check kind of gate.py); a skipped result ({})
    when there are none."""
    if not params["checks"] and not _hooks_of(params, "rollout"):
        return {}
    analysis = dict(params, webhook_type="rollout", checksum=checksum, validate_only=False)
    with reworded("invalid analysis: "):
        outcome = analyse(analysis, _context(params), check_mode)
    return dict(outcome, msg=outcome.pop("msg", None) or summary(outcome))


def _recorded(checks, facts, lease):
    """The checks' result with the state after them, as canary_analysis's record_in_state gives it: a failure counted
    as one failed check (the step's one state write), a pass as read. Check mode records nothing (no ``state``:
    next_step counts the failure in the run)."""
    if not checks or lease is None:
        return checks
    if checks["passed"]:
        return dict(checks, state=facts.state.public())
    reason = summary(checks)
    with reworded("%s; recording the outcome in the state object failed: " % checks["msg"]):
        try:
            state = lease.update(lambda state: state.count_failed_check(reason))
        except StaleKnownState:     # changed since the previous step wrote it: counted on a fresh read, planned again
            state = lease.update(lambda state: state.count_failed_check(reason))
            checks = dict(checks, stale=True)
    return dict(checks, state=state.public())


def _questions(params, hook_type, payload, check_mode, lease):
    """canary_webhook's result for the rollback hooks or a gate; {} (skipped) when there are none of the type."""
    if not _hooks_of(params, hook_type):
        return {}
    outcome = run_webhooks(params["webhooks"], hook_type, payload, check_mode=check_mode,
                           sleep=renewing_sleep(lease) if lease is not None else time.sleep)
    return dict(outcome, msg=hooks_summary(outcome, hook_type))


def _shift(api, params, facts, lease, run, check_mode, want_diff):
    """canary_shift's result at the run's next weight, in its strategy's route shape, planned from the facts already
    read, as the role registered it (failed_when false): a failure is a result without ``weight`` (merge_shift makes it
    a rollback or an error)."""
    weight = as_int(run["next_weight"])
    strategy = dict(strategy_params(params), mirrored=run.get("mirrored"))
    iteration = run.get("iteration") if params["iterations"] else None
    request = ReleaseRequest(params["target"], params["namespace"], ready_timeout=params["ready_timeout"],
                             lease_holder=params["lease_holder"], lease_seconds=params["lease_seconds"],
                             provider=params["provider"], weight=weight, route_settle_seconds=params["route_settle_seconds"],
                             route_shape=route_shape(strategy, facts.revision, weight), iteration=iteration,
                             iterations=params["iterations"],
                             strategy=strategy_text(params) if iteration is not None else None)
    phase = ReleasePhase(api, request, ShiftRun)
    run = phase.new_run(facts)
    run.lease = lease
    try:
        run.build()
        return dict(drive_planned(phase, run, lease, check_mode=check_mode, want_diff=want_diff), _written=phase.written)
    except NotReadyError as exc:
        return dict(exc.result_fields(), ready=False, msg=str(exc))
    except CanaryError as exc:
        return dict(exc.result_fields(), msg=str(exc))


def _start(api, names, run, params):
    """Where the step starts: the run record's weight and revision, else the canary's recorded ones (and, for A/B
    testing or Blue/Green, its recorded iterations, when the analysis under way is of that strategy)."""
    if "weight" in run and run.get("revision"):
        return as_int(run["weight"]), run["revision"]
    state = read_state(api, names)
    if params["iterations"] and run.get("iteration") is None and state.get("iterations") is not None \
            and state.phase in ANALYSIS_PHASES and state.get("strategy") == strategy_text(params):
        run["iteration"] = state["iterations"]
    return as_int(run["weight"] if "weight" in run else state.get("canary_weight")), run.get("revision") or state["last_applied_revision"]


def advance(api, params, check_mode=False, want_diff=False, sleep=time.sleep):
    """One step; returns the task's result: ``run`` (the run record with the decision and the shift merged: the role's
    ``__rollout_run``), ``next_action``, ``decision``, ``line`` (the step's progress line; empty at weight 0), ``checks``
    (the hooks' and checks' outcome), ``shift`` (canary_shift's result), ``changed``, ``actions`` and ``diff``.
    ``written`` (what the next step of a ``repeat`` task plans from without reading: written_result) is for the action
    plugin, which keeps it out of the task's result. Raises CanaryError (an unusable input before anything is read, an
    API error, a lease held by another run)."""
    with reworded("invalid analysis: "):
        check_params(params)
    names = CanaryNames(params["target"], params["namespace"])
    run = dict(params["run"] or {})
    run["weight"], revision = _start(api, names, run, params)
    checksum = params["checksum"] or revision
    payload = build_payload(params["name"] or params["target"], params["namespace"], "Progressing", checksum)
    checks, renewed = {}, False
    if analysed(run):
        renewed = _wait(api, names, params, check_mode, _watching_the_controller(params.get("controller_pid"), sleep))
        checks = _checks(params, checksum, check_mode)
    rollback_hooks = _questions(params, "rollback", payload, check_mode, None)
    # Read after the hooks and checks (which may take long), as canary_shift read after them in the role's step; the
    # state and the route the previous step wrote are not read again (unless the wait wrote the state).
    known = _known(api, names, dict(params, written=None) if renewed else params, check_mode)
    facts = read_facts(api, names, params["provider"], **known)
    step_lease = _StepLease(api, names, params, check_mode)
    lease = step_lease.enter(facts.state, unread="state" in known)
    if not step_lease.adopted and lease is not None:
        facts = read_facts(api, names, params["provider"])   # read before the lease was ours: read under it
    try:
        result = _step(api, params, facts, lease, run, dict(checks=checks, rollback_hooks=rollback_hooks, payload=payload, checksum=checksum),
                       check_mode, want_diff)
        if lease is not None and not result["changed"]:
            lease.renew()   # writes only when a third of the lease has passed since it was written
    except BaseException:
        step_lease.leave(sys.exc_info())
        raise
    step_lease.leave((None, None, None))
    result["written"] = written_result(lease, result.pop("_written", None))
    return result


def _step(api, params, facts, lease, run, asked, check_mode, want_diff):
    """Under the lease: count a failure, decide, ask the confirm-traffic-increase gates, shift; the task's result."""
    names = CanaryNames(params["target"], params["namespace"])
    checks = _recorded(asked["checks"], facts, lease)
    if checks.pop("stale", False):
        facts = read_facts(api, names, params["provider"])  # the state the previous step wrote had changed: plan from reads
    counted = bool(checks) and not checks["passed"] and lease is not None
    checked = analysed(run)
    run = merged(run, next_step(run, params["weights"] or [100], params["threshold"], checks, asked["rollback_hooks"],
                                strategy=strategy_params(params)))
    run["strategy"] = strategy_text(params)
    # As Flagger, an A/B or Blue/Green iteration increases no traffic: its confirm-traffic-increase gates are not asked.
    if run["action"] == "shift" and not params["iterations"] and _hooks_of(params, "confirm-traffic-increase"):
        gate = _questions(params, "confirm-traffic-increase", asked["payload"], check_mode, lease)
        run = merged(run, close_gate(run, gate, "confirm-traffic-increase"))
        if gate.get("hooks"):
            facts = read_facts(api, names, params["provider"])  # a gate may poll for long: plan the shift from fresh reads
    decided, shift = run["action"], {}
    written = {}
    if run["action"] in GOING_ON:
        shift = _shift(api, params, facts, lease, run, check_mode, want_diff)
        written = shift.pop("_written", None) or {}
        run = merged(run, merge_shift(run, shift, params["ready_timeout"]))
    # The step's entry is the last with a line (a restart on a new revision adds its note after it).
    line = "%s -> %s" % (next(entry["line"] for entry in reversed(run["history"]) if "line" in entry), run["decision"]) if checked else ""
    actions = (["count a failed check in %s" % names.ref(CONFIGMAP, names.state)] if counted else []) + list(shift.get("actions") or [])
    # The decision; the shift's outcome when it overrides it (a canary not ready: rollback; an error). The run record
    # says shift after any shift, a hold's included (the role's record).
    action = run["action"] if run["action"] in ("rollback", "error") else decided
    result = {"changed": counted or bool(shift.get("changed")), "run": run, "next_action": action,
              "decision": run["decision"], "line": line, "checks": checks, "shift": shift, "actions": actions,
              "_written": written}
    if counted:
        # The halt Events and a notification per failed check or hook, as canary_analysis tells what it counted.
        warnings = tell_failures(api, names, checks, params["alerts"], asked["checksum"], checks["state"])
        if warnings:
            result["warnings"] = warnings
    if want_diff:
        result["diff"] = shift.get("diff") or []
    return result
