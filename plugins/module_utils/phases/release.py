# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every release step (shift, promote, rollback, info) shares: reading an initialized canary, its
target's revision and whether it is pending, the steps that move traffic, scale the target and record
state; driver.py runs them (ReleasePhase below).

Revisions (contract phase 2): the revision of the target is the workload's ``revision`` of its live pod template
plus the checksums of the ConfigMaps/Secrets it tracks. The state keeps ``last_applied_revision`` (under
analysis), ``last_promoted_revision`` (on the primary) and ``failed_revision`` (rolled back): a revision
equal to the last promoted or the failed one is not pending and never starts a rollout."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils.canary import validation
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import CanaryApiError, ConflictError
from ansible_collections.progressive.canary.plugins.module_utils.planning.driver import (  # noqa: F401 pylint: disable=unused-import
    PLAN_ATTEMPTS, Phase, PhaseFacts, PhaseRequest, PhaseRun, drive)
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import (
    CONFIGMAP, HPA, is_managed)
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal, Step
from ansible_collections.progressive.canary.plugins.module_utils.routers import factory as routers, settling
from ansible_collections.progressive.canary.plugins.module_utils.routers.strategy import PLAIN
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import StateError, StateStore
from ansible_collections.progressive.canary.plugins.module_utils.planning.steps import ensure_step
# Re-exported: the phase modules take the phase groups from here.
from ansible_collections.progressive.canary.plugins.module_utils.canary.state_schema import (  # noqa: F401 pylint: disable=unused-import
    ANALYSIS_PHASES, PROMOTION_PHASES)
from ansible_collections.progressive.canary.plugins.module_utils.workloads import config_tracker, factory as workloads
from ansible_collections.progressive.canary.plugins.module_utils.workloads.base import primary_value
from ansible_collections.progressive.canary.plugins.module_utils.workloads.wait import NotReadyError


class ReleaseRequest(PhaseRequest):
    """Options every release module takes; ``extra`` holds the module's own (weight, reason...)."""

    def __init__(self, target, namespace, ready_timeout=None, lease_holder=None, lease_seconds=300,
                 provider=routers.DEFAULT_PROVIDER, route_settle_seconds=None, **extra):
        super(ReleaseRequest, self).__init__(target, namespace, ready_timeout, lease_holder, lease_seconds)
        self.route_settle_seconds = route_settle_seconds
        self.provider = provider
        self.extra = extra


class ReleaseFacts(PhaseFacts):
    """An initialized canary as read from the cluster (all reads happen before planning)."""

    def __init__(self):
        super(ReleaseFacts, self).__init__()
        self.primary = None
        self.router = None          # the provider's Router
        self.routing = None         # what it read: only the objects that hold the route
        self.weights = None         # (primary, canary) of the managed route
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


# read_state's ``state`` when the caller has not read the state object yet.
UNREAD = object()


def read_state(api, names, state=UNREAD):
    """The state of an initialized canary (``state``, when the caller has just read it, else read here); Refusal when
    there is none or init did not finish."""
    if state is UNREAD:
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


def read_facts(api, names, provider=routers.DEFAULT_PROVIDER, state=UNREAD, routing=None):
    """Everything a release step plans from, read once; ``state`` as read_state takes it, ``routing`` the router's
    Observed when the caller knows it without reading (the advance step: the route its previous step wrote)."""
    facts = ReleaseFacts()
    facts.state = read_state(api, names, state)
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
    facts.routing = routing if routing is not None else facts.router.read_routes(api, names)
    facts.weights = facts.router.require_routes(facts.routing)
    facts.tracked = config_tracker.read_tracked(api, names.namespace, workload.pod_spec(facts.target))
    facts.checksums = config_tracker.tracked_checksums(facts.tracked)
    facts.revision = workload.revision(facts.target, facts.checksums)
    return facts


class ReleaseRun(PhaseRun):
    """One planned run on an initialized canary. Subclasses add steps in ``build()`` and say what they
    report in ``result()``; the steps close over ``self.lease``, which the driver sets before running.

    ``REPORTED_FLAGS`` name the boolean attributes ``result()`` reports that a run re-planned after a stale write
    keeps from the plan before (that plan's step either happened, or is planned again)."""

    REPORTED_FLAGS = ()
    OPERATION = "release"   # recorded in the lease: what its holder is doing
    own_generations = None  # (kind, name) -> generation after this run's own write (remember())
    written = None          # (kind, name) -> the object as this phase's runs last wrote it (ReleasePhase.written)

    def result(self):
        raise NotImplementedError

    def events(self):
        """The Events (events.py) this plan's writes are told by, in order; recorded once they all happened."""
        return list(getattr(self, "told", []))

    def carry_over(self, previous):
        for flag in self.REPORTED_FLAGS:
            setattr(self, flag, getattr(self, flag) or getattr(previous, flag))

    def current_state(self):
        return self.lease.state if self.lease is not None and self.lease.state is not None else self.facts.state

    # -- steps ----------------------------------------------------------------------------------------------
    def route_step(self, canary_weight, shape=PLAIN):
        """Set the managed route to 100-w / w in ``shape`` (a strategy's, strategy.py; plain: the managed route alone);
        nothing when it already is. Only managed routes change."""
        for step in self.facts.router.set_routes(self.facts.routing, 100 - canary_weight, canary_weight, shape):
            self.plan.add(self._remembering(step))

    def _remembering(self, step):
        """``step`` with what its write returns remembered (remember())."""
        execute = step.execute
        step.execute = lambda ctx: self.remember(execute(ctx))
        return step

    def route_step_after_drain(self, canary_weight):
        """route_step for a route an earlier step of this plan moved (the drain of canary_promote): described from the
        read, patched from a fresh read when it runs; planned even when the read already shows those weights."""
        router = self.facts.router
        ref = self.names.ref(router.ROUTE_KIND, router.route_object(self.facts.routing)["metadata"]["name"])

        def execute(ctx):
            for step in router.set_routes(router.read_routes(self.api, self.names), 100 - canary_weight, canary_weight):
                self.remember(step.execute(ctx))

        self.plan.add(Step("route %d/%d (primary/canary) in %s" % (100 - canary_weight, canary_weight, ref), execute, show_diff=False))

    def remember(self, written):
        """Record the generation an object has after this run's own write of it (ReleasePhase.stale: not a change by
        someone else)."""
        if isinstance(written, dict) and written.get("metadata"):
            if self.own_generations is None:
                self.own_generations = {}
            self.own_generations[_identity(written)] = written["metadata"].get("generation")
            if self.written is not None:
                self.written[_identity(written)] = written
        return written

    def settle_step(self, before):
        """Wait until the last routing change is in effect on every proxy (routers/settling.py)."""
        self.plan.add(settling.phase_settle_step(self, self.facts.router, before))

    def scale_down_step(self, name, live):
        """Scale ``name`` to 0 once every proxy routes away from it; nothing when it has no replicas."""
        step = self.facts.workload.scale_step(live, 0)
        if step is not None:
            self.settle_step("scaling %s to 0" % self.facts.workload.ref(name))
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
        ensure_step(self.plan, self.api, self.names, kind_pair, desired, self.get_once(self.names.namespace, kind_pair, name))

    def selector_steps(self):
        """Whole selectors on the generated Services before traffic moves (KubernetesRouter.whole_selectors says why)."""
        primary_selector = self.facts.workload.primary_selector(self.facts.target, self.facts.label, self.facts.primary)
        services = routers.service_router()
        live = services.read(self.api, self.names, get_kind=self.get_once)
        steps = services.whole_selectors(live, self.facts.label, primary_value(self.facts.value),
                                         self.facts.workload.match_labels(self.facts.target), primary_selector)
        for step in steps:
            self.plan.add(step)

    def target_hpa(self):
        """The target's HPA recorded by init (live), or None."""
        recorded = self.facts.originals.get("hpa")
        if not recorded:
            return None
        return self.get_once(self.names.namespace, HPA, recorded["name"])

    def get_once(self, namespace, kind_pair, name):
        """An object this plan reads as it builds (api.get_kind), read once for its facts (PhaseFacts.read_once)."""
        return self.facts.read_once(kind_pair + (namespace, name), lambda: self.api.get_kind(namespace, kind_pair, name))


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


def _identity(obj):
    return obj.get("kind"), obj["metadata"].get("name")


def _spec_generations(facts, own=None):
    """What a stale write is judged by: the generations of the objects the release patches (``own``: those the run
    itself wrote since, by identity, at the generation its write gave them)."""
    own = own or {}
    return [own.get(_identity(obj), obj["metadata"].get("generation")) if obj else None
            for obj in [facts.target, facts.primary] + facts.router.route_objects(facts.routing)]


class ReleasePhase(Phase):
    """canary_shift, canary_promote or canary_rollback (``run_class``) for the driver. Their writes patch objects init
    made the API server accept already: no dry run (it would double a release step's requests)."""

    dry_run = False

    def __init__(self, api, request, run_class):
        super(ReleasePhase, self).__init__(api, request)
        self.run_class = run_class
        self.operation = run_class.OPERATION
        self.written = {}   # what the runs wrote, as the API server answered (ReleaseRun.remember)

    def new_run(self, facts):
        run = super(ReleasePhase, self).new_run(facts)
        run.written = self.written
        return run

    def check_request(self):
        validation.check_release_request(self.request)
        getattr(self.run_class, "check_options", lambda request: None)(self.request)

    def read_facts(self):
        return read_facts(self.api, self.request.names, self.request.provider)

    def carry_over(self, run, previous):
        run.carry_over(previous)

    def stale(self, exc, run):
        """A 409 Conflict, or a 422 (a failed JSON-patch ``test``) while the spec of an object we patch moved since it
        was read. Any other 422 (e.g. an invalid object) would fail the same way again and is reported at once."""
        if isinstance(exc, ConflictError):
            return True
        if exc.status != 422:
            return False
        try:
            return _spec_generations(self.read_facts()) != _spec_generations(run.facts, run.own_generations)
        except (Refusal, CanaryApiError):
            return True     # what was read is gone or changed shape: the next plan says what is wrong

    def failed(self, exc, done):
        """A target that did not become ready: the failed task says so (``ready: false``) and which writes happened
        before the wait (``actions``), so that the caller rolls back."""
        if isinstance(exc, NotReadyError):
            actions = [step.description for step in done]
            exc.result.update(ready=False, changed=bool(actions), actions=actions)

    def report(self, runs, steps, lease):
        return runs[-1].result()

    def events(self, runs, done):
        """What every plan of the run tells (a plan made again after a stale write repeats none of it)."""
        told = []
        for run in runs:
            told.extend(said for said in run.events() if said not in told)
        return told


def execute(api, request, run_class, check_mode=False, want_diff=False):
    """Run ``run_class`` (a ReleaseRun) through the driver (driver.drive, whose docstring says the order: reads, plan,
    check-mode stop, lease, plan again, run, plan again after a stale write, see ReleasePhase.stale). Raises Refusal,
    CanaryApiError, NotReadyError, StateError (CanaryLeaseHeld) with a readable message."""
    return drive(ReleasePhase(api, request, run_class), check_mode=check_mode, want_diff=want_diff)


def run_module(module, run_class, extra_options=()):
    """The body of canary_shift / canary_promote / canary_rollback once the module parsed its options:
    execute, report. A target that does not become ready fails the task with ``ready: false`` so that the
    caller rolls back."""
    # Imported here so that the rest of this file imports without Ansible (unit tests, the sandbox).
    # pylint: disable=import-outside-toplevel
    from ansible.module_utils.basic import missing_required_lib
    from ansible_collections.progressive.canary.plugins.module_utils.canary_module import failing
    from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import HAS_KUBERNETES, KUBERNETES_IMPORT_ERROR
    from ansible_collections.progressive.canary.plugins.module_utils.arguments.common import api_from_params

    if not HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=str(KUBERNETES_IMPORT_ERROR))
    params = module.params
    request = ReleaseRequest(params["target"], params["namespace"], ready_timeout=params["ready_timeout"],
                             lease_holder=params["lease_holder"], lease_seconds=params["lease_seconds"], provider=params["provider"],
                             route_settle_seconds=params.get("route_settle_seconds"),
                             **dict((name, params[name]) for name in extra_options))
    with failing(module):
        result = execute(api_from_params(params), request, run_class, check_mode=module.check_mode, want_diff=module._diff)
    module.exit_json(**result)
