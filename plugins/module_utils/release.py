# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every release step (shift, promote, rollback, info) shares: reading an initialized canary, its
target's revision and whether it is pending, the steps that move traffic, scale the target and record
state, and the plan-then-lease driver.

Revisions (contract phase 2): the revision of the target is the workload's ``revision`` of its live pod template
plus the checksums of the ConfigMaps/Secrets it tracks. The state keeps ``last_applied_revision`` (under
analysis), ``last_promoted_revision`` (on the primary) and ``failed_revision`` (rolled back): a revision
equal to the last promoted or the failed one is not pending and never starts a rollout."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils import validation
from ansible_collections.progressive.canary.plugins.module_utils.connection import CanaryApiError, ConflictError
from ansible_collections.progressive.canary.plugins.module_utils.generated import up_to_date
from ansible_collections.progressive.canary.plugins.module_utils.names import (
    CONFIGMAP, HPA, CanaryNames, is_managed)
from ansible_collections.progressive.canary.plugins.module_utils.plan import Plan, Refusal, Step
from ansible_collections.progressive.canary.plugins.module_utils.routers import factory as routers
from ansible_collections.progressive.canary.plugins.module_utils.state import Lease, StateError, StateStore
# Re-exported: the phase modules take the phase groups from here.
from ansible_collections.progressive.canary.plugins.module_utils.state_schema import ANALYSIS_PHASES, PROMOTION_PHASES  # noqa: F401 pylint: disable=unused-import
from ansible_collections.progressive.canary.plugins.module_utils.workloads import config_tracker, factory as workloads
from ansible_collections.progressive.canary.plugins.module_utils.workloads.base import primary_value
from ansible_collections.progressive.canary.plugins.module_utils.workloads.wait import NotReadyError
# Plans run under the lease at most this many times: a write refused as stale (409, or a failed JSON-patch test
# because the object's spec moved since it was read) re-reads everything and plans again from there.
PLAN_ATTEMPTS = 3


class ReleaseRequest(object):
    """Options every release module takes; ``extra`` holds the module's own (weight, reason...)."""

    def __init__(self, target, namespace, ready_timeout=None, lease_holder=None, lease_seconds=300,
                 provider=routers.DEFAULT_PROVIDER, **extra):
        self.names = CanaryNames(target, namespace)
        self.provider = provider
        self.ready_timeout = ready_timeout
        self.lease_holder = lease_holder
        self.lease_seconds = lease_seconds
        self.extra = extra


class ReleaseFacts(object):
    """An initialized canary as read from the cluster (all reads happen before planning)."""

    def __init__(self):
        self.state = None
        self.target = None
        self.primary = None
        self.router = None          # the provider's Router
        self.routing = None         # what it read: only the objects that hold the route
        self.weights = None         # (primary, canary) of the managed route
        self.label = None
        self.value = None
        self.tracked = {}
        self.checksums = {}
        self.revision = None

    @property
    def originals(self):
        return self.state["originals"] or {}

    @property
    def pending(self):
        return is_pending(self.revision, self.state)

    @property
    def rollout_restarted(self):
        """A new revision arrived while another one was under analysis with traffic on it."""
        return (self.state.phase in ANALYSIS_PHASES and self.revision != self.state["last_applied_revision"]
                and self.state["last_applied_revision"] is not None)


def is_pending(revision, state):
    """True when ``revision`` is neither the promoted one nor one known to have failed."""
    return revision not in (state["last_promoted_revision"], state.get("failed_revision"))


def read_state(api, names):
    """The state of an initialized canary; Refusal when there is none or init did not finish."""
    try:
        state = StateStore(api, names).read()
    except StateError as exc:
        raise Refusal(str(exc))
    if (state is None or not state["originals"]) and is_managed(workloads.workload(api, names).read(names.primary), names.target):
        raise Refusal("canary %s/%s lost its state object %s while its primary Deployment %s still serves: run canary_init, which "
                      "rebuilds the state from the record on the primary and changes no workload (the rollout role does this)"
                      % (names.namespace, names.target, names.state, names.primary))
    if state is None or state.phase == "Initializing" or not state["originals"]:
        raise Refusal("canary %s/%s is not initialized (%s): run canary_init first"
                      % (names.namespace, names.target, "no state object %s" % names.state if state is None else "phase " + state.phase))
    return state


def read_facts(api, names, provider=routers.DEFAULT_PROVIDER):
    facts = ReleaseFacts()
    facts.state = read_state(api, names)
    routers.check_recorded(names, provider, facts.state)
    facts.label = facts.originals.get("selector_label")
    facts.value = facts.originals.get("selector_value")
    facts.workload = workload = workloads.workload(api, names)
    facts.target = workload.read(names.target)
    if facts.target is None:
        raise Refusal("Deployment %s/%s (the canary target) not found" % (names.namespace, names.target))
    primary = workload.read(names.primary)
    if primary is None or not is_managed(primary, names.target):
        raise Refusal("primary Deployment %s/%s not found (or not ours): run canary_init again" % (names.namespace, names.primary))
    facts.primary = primary
    facts.router = routers.router_for(provider)
    facts.routing = facts.router.read_routes(api, names)
    facts.weights = facts.router.require_routes(facts.routing)
    facts.tracked = config_tracker.read_tracked(api, names.namespace, workload.pod_spec(facts.target))
    facts.checksums = config_tracker.tracked_checksums(facts.tracked)
    facts.revision = workload.revision(facts.target, facts.checksums)
    return facts


class ReleaseRun(object):
    """One planned run on an initialized canary. Subclasses add steps in ``build()`` and say what they
    report in ``result()``; the steps close over ``self.lease``, which the driver sets before running.

    ``REPORTED_FLAGS`` name the boolean attributes ``result()`` reports that a run re-planned after a stale write
    keeps from the plan before (that plan's step either happened, or is planned again)."""

    REPORTED_FLAGS = ()
    OPERATION = "release"   # recorded in the lease: what its holder is doing

    def __init__(self, api, request, facts):
        self.api = api
        self.request = request
        self.facts = facts
        self.names = request.names
        self.plan = Plan()
        self.lease = None

    def build(self):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def carry_over(self, previous):
        for flag in self.REPORTED_FLAGS:
            setattr(self, flag, getattr(self, flag) or getattr(previous, flag))

    def current_state(self):
        return self.lease.state if self.lease is not None and self.lease.state is not None else self.facts.state

    # -- steps ----------------------------------------------------------------------------------------------
    def route_step(self, canary_weight):
        """Set the managed route to 100-w / w; nothing when it already is. Only managed routes change."""
        for step in self.facts.router.set_routes(self.facts.routing, 100 - canary_weight, canary_weight):
            self.plan.add(step)

    def scale_step(self, name, live, replicas):
        """Scale the workload ``name`` (only if its spec is still the one read); nothing when it already has ``replicas``."""
        step = self.facts.workload.scale_step(live, replicas)
        if step is not None:
            self.plan.add(step)

    def wait_step(self, name, live):
        workload = self.facts.workload
        timeout = workload.ready_timeout(self.request.ready_timeout, live)
        # The lease is read when the step runs: planning in check mode has none.
        # pylint: disable-next=unnecessary-lambda
        self.plan.add(workload.wait_step(name, timeout, on_poll=lambda: self.lease.renew(),
                                         description="wait for %s to be ready (deadline %ss)" % (workload.ref(name), timeout)))

    def record_step(self, description, mutator):
        """Write the state; planned only when ``mutator`` really changes it (so a finished run writes nothing)."""
        probe = copy.deepcopy(self.facts.state)
        mutator(probe)
        if _comparable(probe) == _comparable(self.facts.state):
            return
        self.plan.add(Step("%s in %s" % (description, self.names.ref(CONFIGMAP, self.names.state)),
                           lambda ctx: self.lease.update(mutator), show_diff=False))

    def ensure_step(self, kind_pair, desired):
        """Create ``desired`` when absent, replace it when its spec-hash differs; Refusal for a name that is not ours."""
        name = desired["metadata"]["name"]
        live = self.api.get_kind(self.names.namespace, kind_pair, name)
        ref = self.names.ref(kind_pair, name)
        if live is None:
            self.plan.add(Step("create " + ref, lambda ctx: self.api.create(desired), after=desired))
        elif not is_managed(live, self.names.target):
            raise Refusal("%s exists and was not created by progressive.canary for %s; rename or remove it" % (ref, self.names.target))
        elif not up_to_date(live, desired):
            body = copy.deepcopy(desired)
            body["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
            self.plan.add(Step("update " + ref, lambda ctx: self.api.replace(body), before=live, after=desired))

    def selector_steps(self):
        """Whole selectors on the generated Services before traffic moves (KubernetesRouter.whole_selectors says why)."""
        primary_selector = self.facts.workload.primary_selector(self.facts.target, self.facts.label, self.facts.primary)
        services = routers.service_router()
        steps = services.whole_selectors(services.read(self.api, self.names), self.facts.label, primary_value(self.facts.value),
                                         self.facts.workload.match_labels(self.facts.target), primary_selector)
        for step in steps:
            self.plan.add(step)

    def target_hpa(self):
        """The target's HPA recorded by init (live), or None."""
        recorded = self.facts.originals.get("hpa")
        if not recorded:
            return None
        return self.api.get_kind(self.names.namespace, HPA, recorded["name"])


def _comparable(state):
    """State fields a run sets, without the clock: an unchanged phase keeps its transition time anyway."""
    data = dict(state.data)
    data.pop("lease", None)
    data.pop("last_transition_time", None)
    return data


def describe_revisions(revision, state):
    """The revisions, as every release module reports them (from the state after the run)."""
    return {
        "revision": revision,
        "last_applied_revision": state["last_applied_revision"],
        "last_promoted_revision": state["last_promoted_revision"],
        "failed_revision": state.get("failed_revision"),
        "pending": is_pending(revision, state),
    }


def _run_plan(plan, done):
    """Run the plan's steps in order, appending each one that wrote to ``done``; a NotReadyError carries the
    descriptions of all writes so far (``actions``) for the report."""
    for step in plan.steps:
        try:
            step.execute(None)
        except NotReadyError as exc:
            actions = [item.description for item in done]
            exc.result.update(ready=False, changed=bool(actions), actions=actions)
            raise
        if step.changes:
            done.append(step)


def _planned(api, request, run_class, lease=None):
    run = run_class(api, request, read_facts(api, request.names, request.provider))
    run.lease = lease
    run.build()
    return run


def _spec_generations(facts):
    """What a stale write is judged by: the generations of the objects the release patches."""
    return [(obj or {}).get("metadata", {}).get("generation")
            for obj in [facts.target, facts.primary] + facts.router.route_objects(facts.routing)]


def _stale(exc, api, run):
    """True when a failed write was planned from reads that are out of date, so planning again may succeed: a 409
    Conflict, or a 422 (a failed JSON-patch ``test``) while the spec of an object we patch moved since it was read.
    Any other 422 (e.g. an invalid object) would fail the same way again and is reported at once."""
    if isinstance(exc, ConflictError):
        return True
    if exc.status != 422:
        return False
    try:
        return _spec_generations(read_facts(api, run.names, run.request.provider)) != _spec_generations(run.facts)
    except (Refusal, CanaryApiError):
        return True     # what was read is gone or changed shape: the next plan says what is wrong


def execute(api, request, run_class, check_mode=False, want_diff=False):
    """Plan from reads; in check mode, or when nothing changes, stop there (no write, not even the lease).
    Otherwise take the lease, re-read and re-plan (another run may have gone first), and run the plan; a write
    refused as stale (see ``_stale``) re-reads and re-plans, at most PLAN_ATTEMPTS plans in all.
    Raises Refusal, CanaryApiError, NotReadyError, StateError (CanaryLeaseHeld) with a readable message."""
    validation.check_release_request(request)
    run = _planned(api, request, run_class)
    if check_mode or not run.plan.changed:
        result = run.result()
        result.update({"changed": run.plan.changed, "actions": run.plan.descriptions()})
        if want_diff:
            result["diff"] = run.plan.diffs()
        return result
    done = []
    with Lease(StateStore(api, request.names), request.lease_holder, request.lease_seconds, operation=run_class.OPERATION) as lease:
        previous = None
        for attempt in range(1, PLAN_ATTEMPTS + 1):
            run = _planned(api, request, run_class, lease)
            if previous is not None:
                run.carry_over(previous)
            previous = run
            try:
                _run_plan(run.plan, done)
                break
            except CanaryApiError as exc:
                if attempt == PLAN_ATTEMPTS or not _stale(exc, api, run):
                    raise
        result = run.result()
        result.update({"changed": bool(done), "actions": [step.description for step in done]})
        if want_diff:
            result["diff"] = [step.diff() for step in done if step.show_diff]
    return result


def run_module(module, run_class, extra_options=()):
    """The body of canary_shift / canary_promote / canary_rollback once the module parsed its options:
    execute, report. A target that does not become ready fails the task with ``ready: false`` so that the
    caller rolls back."""
    # Imported here so that the rest of this file imports without Ansible (unit tests, the sandbox).
    # pylint: disable=import-outside-toplevel
    from ansible.module_utils.basic import missing_required_lib
    from ansible_collections.progressive.canary.plugins.module_utils.canary_module import failing
    from ansible_collections.progressive.canary.plugins.module_utils.connection import HAS_KUBERNETES, KUBERNETES_IMPORT_ERROR
    from ansible_collections.progressive.canary.plugins.module_utils.arguments.common import api_from_params

    if not HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=str(KUBERNETES_IMPORT_ERROR))
    params = module.params
    request = ReleaseRequest(params["target"], params["namespace"], ready_timeout=params["ready_timeout"],
                             lease_holder=params["lease_holder"], lease_seconds=params["lease_seconds"], provider=params["provider"],
                             **dict((name, params[name]) for name in extra_options))
    with failing(module):
        result = execute(api_from_params(params), request, run_class, check_mode=module.check_mode, want_diff=module._diff)
    module.exit_json(**result)
