# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one driver of every phase that writes (canary_init, canary_cleanup, canary_shift, canary_promote,
canary_rollback): read facts, plan, judge the planned objects in a server-side dry run, stop there in check mode or
when nothing changes (no write, not even the lease), take the lease, read and plan again under it (plan only, from the
same reads, when the lease was already our run's and the state unchanged: _reads_still_hold), run the plan, and read
and plan again after a stale write (a failed write guard, steps.py), at most PLAN_ATTEMPTS plans in all.

A phase (``Phase``) provides only how to read its facts, how to build its plan from them, and its result fields.
canary_info is read-only: it uses a phase's reads and nothing of this driver."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils.canary import events, validation
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import CanaryApiError
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Plan
from ansible_collections.progressive.canary.plugins.module_utils.kube.retry import retry_stale
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import Lease, StateStore

# A run whose write is refused as stale reads and plans again, at most this many plans in all.
PLAN_ATTEMPTS = 3
# 409 Conflict (a stale resourceVersion, or a name created meanwhile) and 422 (a JSON patch whose ``test`` failed):
# what was read is out of date, a new plan from fresh reads may succeed.
STALE_WRITE_STATUSES = (409, 422)


class PhaseRequest(object):
    """The options every phase takes: the canary, the readiness deadline, the lease's holder and duration."""

    def __init__(self, target, namespace, ready_timeout=None, lease_holder=None, lease_seconds=300):
        self.names = CanaryNames(target, namespace)
        self.ready_timeout = ready_timeout
        self.lease_holder = lease_holder
        self.lease_seconds = lease_seconds


class PhaseFacts(object):
    """What every phase reads before it plans: the state, the target, and its selector label and value."""

    def __init__(self):
        self.state = None
        self.target = None
        self.label = None
        self.value = None
        self._read_while_planning = {}

    def read_once(self, key, read):
        """``read()`` (an object a plan reads as it builds), made once for these facts: a plan built again from them
        (under the caller's run's own lease, drive()) gets a copy of the same answer instead of asking again."""
        if key not in self._read_while_planning:
            self._read_while_planning[key] = read()
        return copy.deepcopy(self._read_while_planning[key])


class PhaseRun(object):
    """One plan of a phase: ``build()`` adds its steps to ``plan``; they close over the API and ``lease``, which the
    driver sets before ``build()`` (None while planning outside the lease)."""

    def __init__(self, api, request, facts):
        self.api = api
        self.request = request
        self.facts = facts
        self.names = request.names
        self.lease = None
        self.plan = Plan()

    def build(self):
        raise NotImplementedError


class Phase(object):
    """What one phase gives the driver: how to read its facts, its run class (a PhaseRun), its result fields."""

    operation = None    # what the lease records its holder is doing
    dry_run = True      # judge the planned objects in a server-side dry run before the first write
    run_class = None
    reader = None       # staticmethod(read_facts(api, request)) of the phase

    def __init__(self, api, request):
        self.api = api
        self.request = request

    def read_facts(self):
        """Every read and every refusal of the phase, before anything is planned or written."""
        return self.reader(self.api, self.request)  # pylint: disable=not-callable

    def new_run(self, facts):
        return self.run_class(self.api, self.request, facts)  # pylint: disable=not-callable

    def report(self, runs, steps, lease):
        """The phase's own result fields. ``runs``: the runs planned (the last one ran last); ``steps``: the steps that
        wrote, or, when nothing ran (check mode, or nothing to change: ``lease`` is None), the steps planned to."""
        raise NotImplementedError

    def check_request(self):
        """Refuse bad options before the first read (phases that check them while reading need nothing here)."""

    def stale(self, exc, run):
        """Whether the failed write of ``run`` was planned from reads that are out of date (planning again may work)."""
        return getattr(exc, "status", None) in STALE_WRITE_STATUSES

    def carry_over(self, run, previous):
        """What ``run``, planned again after a stale write, keeps from the ``previous`` plan's run."""

    def failed(self, exc, done):
        """Add to ``exc``, raised by a step, what the phase reports of the writes ``done`` before it."""

    def events(self, runs, done):
        """The Kubernetes Events ((type, message) pairs, events.py) the writes ``done`` by ``runs`` are told by, recorded
        on the target once they all succeeded; none by default."""
        return []

    def plan(self, lease=None, previous=None, facts=None):
        """A run built from ``facts`` (read now when not given) under ``lease`` (None: outside it)."""
        run = self.new_run(facts if facts is not None else self.read_facts())
        run.lease = lease
        if previous is not None:
            self.carry_over(run, previous)
        run.build()
        return run


def drive(phase, check_mode=False, want_diff=False):
    """Run ``phase`` (see the module docstring); returns its result: the phase's fields, ``changed``, ``actions`` (the
    writes done, or planned when nothing ran) and, with ``want_diff``, ``diff``. Raises Refusal, CanaryApiError,
    NotReadyError or StateError, all with a readable message."""
    phase.check_request()
    run = phase.plan()
    if run.plan.changed and phase.dry_run:
        validation.dry_run_plan(phase.api, run.plan)
    if check_mode or not run.plan.changed:
        planned = [step for step in run.plan.steps if step.changes]
        return _result(phase.report([run], planned, None), run.plan.changed, planned, want_diff)
    names = phase.request.names
    with Lease(StateStore(phase.api, names), phase.request.lease_holder, phase.request.lease_seconds, operation=phase.operation) as lease:
        first = phase.plan(lease, facts=run.facts) if _reads_still_hold(lease, run.facts) else None
        runs, done = run_replanning(phase, lease, first=first)
        result = _result(phase.report(runs, done, lease), bool(done), done, want_diff)
    return _told(phase, runs, done, result)


def _reads_still_hold(lease, facts):
    """Whether a plan may be built again under ``lease`` from ``facts``, read before it was taken, instead of reading
    again: the lease was already our own run's (``joined``), so no other run changed anything since, and the state
    object is the very version the plan read (``found_version``), so no one else did either. What others change in
    the other objects meanwhile (an HPA, a person) fails the write guards that catch it after any read (the spec's
    generation, the route's, the state's version); the window between the reads and the writes only grows by the
    lease's own read and write."""
    state = facts.state
    return lease.joined and state is not None and bool(state.resource_version) \
        and lease.found_version == state.resource_version


def _told(phase, runs, done, result):
    """``result`` once the Events of what the run did are recorded on the target; a failed recording is a warning."""
    target = runs[-1].facts.target
    said = phase.events(runs, done) if done and target is not None else []
    # A release's Events are about its revision (events.py: no collision with an earlier release's same words).
    warnings = events.record(phase.api, target, said, getattr(runs[-1].facts, "revision", None)) if said else []
    if warnings:
        result["warnings"] = list(result.get("warnings") or []) + warnings
    return result


def drive_planned(phase, run, lease, check_mode=False, want_diff=False):
    """drive() for a caller that already holds ``lease`` (its own run's, adopted: state.Lease.adopt) and planned ``run``
    from facts read under it (the advance step): runs that plan without reading and planning again; a stale write
    reads and plans again as drive() does. No dry run: only phases without one use it."""
    if check_mode or not run.plan.changed:
        planned = [step for step in run.plan.steps if step.changes]
        return _result(phase.report([run], planned, None), run.plan.changed, planned, want_diff)
    runs, done = run_replanning(phase, lease, first=run)
    return _told(phase, runs, done, _result(phase.report(runs, done, lease), bool(done), done, want_diff))


def run_replanning(phase, lease, first=None):
    """Under ``lease``: read, plan and run (``first``: a run planned under it already, run as is); a write refused as
    stale reads, plans and runs again (an earlier plan's writes are not planned again: the plan converges from whatever
    is there). Returns the runs and the steps that wrote, in order."""
    runs, done = [], []

    def attempt():
        run = first if first is not None and not runs else phase.plan(lease, runs[-1] if runs else None)
        runs.append(run)
        _run_steps(phase, run.plan, done)

    retry_stale(attempt, lambda exc: bool(runs) and isinstance(exc, CanaryApiError) and phase.stale(exc, runs[-1]), PLAN_ATTEMPTS)
    return runs, done


def _run_steps(phase, plan, done):
    """Run the plan's steps in order, appending each one that wrote to ``done`` as it happens."""
    for step in plan.steps:
        try:
            step.execute(None)
        except Exception as exc:  # pylint: disable=broad-except  # re-raised: the phase only adds to its result
            phase.failed(exc, done)
            raise
        if step.changes:
            done.append(step)


def _result(fields, changed, steps, want_diff):
    result = dict(fields)
    result.update({"changed": changed, "actions": [step.description for step in steps]})
    if want_diff:
        result["diff"] = [step.diff() for step in steps if step.show_diff]
    return result
