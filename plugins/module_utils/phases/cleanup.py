# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""canary_cleanup: the contract's phase 3, a true revert, from any phase (even a half-finished init)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.module_utils.canary import events, recovery, validation
from ansible_collections.progressive.canary.plugins.module_utils.planning.driver import Phase, PhaseFacts, PhaseRequest, PhaseRun, drive
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import (
    CONFIGMAP, DEFAULT_SELECTOR_LABELS, HPA, MANAGED_BY_LABEL, MANAGED_BY_VALUE, SECRET,
    SelectorLabelError, is_managed, selector_label)
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal, Step
from ansible_collections.progressive.canary.plugins.module_utils.routers import factory as routers
from ansible_collections.progressive.canary.plugins.module_utils.routers import settling
from ansible_collections.progressive.canary.plugins.module_utils.routers.base import REMOVED, RESTORED
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import StateError, StateStore, taken_over_warning
from ansible_collections.progressive.canary.plugins.module_utils.workloads import config_tracker, factory as workloads
from ansible_collections.progressive.canary.plugins.module_utils.workloads.base import primary_value


class CleanupRequest(PhaseRequest):
    def __init__(self, target, namespace, selector_labels=DEFAULT_SELECTOR_LABELS, ready_timeout=300, lease_holder=None,
                 lease_seconds=300, provider=routers.DEFAULT_PROVIDER, route_settle_seconds=None):
        super(CleanupRequest, self).__init__(target, namespace, ready_timeout, lease_holder, lease_seconds)
        self.route_settle_seconds = route_settle_seconds
        self.provider = provider
        self.selector_labels = list(selector_labels or DEFAULT_SELECTOR_LABELS)


class CleanupFacts(PhaseFacts):
    def __init__(self):
        super(CleanupFacts, self).__init__()
        self.originals = {}
        self.primary = None
        self.services = None    # the apex / -primary / -canary Services as read (routers.base.Observed)
        self.routing = None     # the provider's routing objects as read (none when its kinds are not served)
        self.tracked_keys = []
        self.deletable = []     # (kind pair, live object) of generated objects, in deletion order
        self.config_drift = []  # warnings: originals whose data differs from their promoted -primary copy
        self.record_note = None  # warning: the state was lost and the primary carries no usable record


def _ours(api, names, kind_pair):
    """Objects of a kind labelled as ours and annotated for this target."""
    found = api.list(kind_pair[0], kind_pair[1], names.namespace, label_selector="%s=%s" % (MANAGED_BY_LABEL, MANAGED_BY_VALUE))
    return sorted((item for item in found if is_managed(item, names.target)), key=lambda item: item["metadata"]["name"])


def _selector(request, facts):
    """The selector label and its value: recorded by init, else found on the target as init would."""
    if facts.originals.get("selector_label"):
        return facts.originals["selector_label"], facts.originals["selector_value"]
    if facts.target is None:
        return None, None
    match_labels = facts.workload.match_labels(facts.target) or {}
    try:
        label = selector_label(match_labels, request.selector_labels)
    except SelectorLabelError:
        return None, None
    return label, match_labels[label]


def read_facts(api, request):
    names = request.names
    validation.check_cleanup_request(request)
    facts = CleanupFacts()
    try:
        facts.state = StateStore(api, names).read()
    except StateError as exc:
        raise Refusal(str(exc))
    routers.check_recorded(names, request.provider, facts.state)
    facts.originals = (facts.state["originals"] if facts.state is not None else None) or {}
    facts.tracked_keys = sorted(tuple(key.split("/", 1)) for key in ((facts.state or {}).get("tracked_configs") or {})) \
        if facts.state is not None else []
    facts.workload = workload = workloads.workload(api, names)
    facts.target = workload.read(names.target)
    validation.check_not_generated(names, facts.target)
    primary = workload.read(names.primary)
    facts.primary = primary if primary is not None and is_managed(primary, names.target) else None
    if facts.target is None and facts.primary is not None:
        # Restoring the apex Service would then select nothing, and deleting the primary would remove the
        # only workload serving: refuse rather than cause that outage.
        raise Refusal("Deployment %s/%s is missing while %s still serves its traffic: re-create %s (any template; cleanup "
                      "gives it the promoted one) before cleanup, or delete the canary's objects yourself"
                      % (names.namespace, names.target, names.primary, names.target))
    if not facts.originals and facts.primary is not None:
        _originals_from_record(names, facts)
    facts.services = routers.service_router().read(api, names)
    facts.label, facts.value = _selector(request, facts)
    facts.routing = routers.router_for(request.provider).read(api, names, missing_ok=True)
    deletable = [(HPA, item) for item in _ours(api, names, HPA)]
    for kind_pair in (CONFIGMAP, SECRET):
        deletable += [(kind_pair, item) for item in _ours(api, names, kind_pair) if item["metadata"]["name"] != names.state]
    deletable.append((workload.kind, facts.primary))
    facts.deletable = [(kind_pair, obj) for kind_pair, obj in deletable if obj is not None and is_managed(obj, names.target)]
    if not facts.tracked_keys and facts.primary is not None:
        # Without a state, the copies the primary refers to tell which configs were tracked.
        copies = set((item["kind"] if "kind" in item else kind_pair[1], item["metadata"]["name"])
                     for kind_pair, item in facts.deletable if kind_pair in (CONFIGMAP, SECRET))
        facts.tracked_keys = sorted((kind, name[:-len("-primary")]) for kind, name in copies if name.endswith("-primary"))
    facts.config_drift = _config_drift(api, names, facts.deletable)
    return facts


def _originals_from_record(names, facts):
    """The state was lost: the primary's record (recovery.py) has the originals, so the revert stays exact."""
    try:
        value = recovery.read_record(names, facts.primary)
    except recovery.RecordError as exc:
        facts.record_note = ("the state object %s/%s was missing and %s: a selector of the apex Service aimed at the primary is "
                             "pointed back at %s (init changes nothing else of it)" % (names.namespace, names.state, exc, names.target))
        return
    facts.originals = value["originals"]
    facts.tracked_keys = sorted(tuple(key.split("/", 1)) for key in (value.get("tracked_configs") or {}))


def _config_drift(api, names, deletable):
    """Warnings for the tracked configs changed in place and never promoted (e.g. a failed rollout of new config
    data): the restored target refers to the original, so it runs the unpromoted data. Cleanup does not write
    the promoted data back over the user's object; it says so (names only, never data)."""
    warnings = []
    for kind_pair, copy_object in deletable:
        name = copy_object["metadata"]["name"]
        if kind_pair not in (CONFIGMAP, SECRET) or not name.endswith("-primary"):
            continue
        original = api.get_kind(names.namespace, kind_pair, name[:-len("-primary")])
        if original is not None and config_tracker.config_checksum(original) != config_tracker.config_checksum(copy_object):
            warnings.append("%s holds data that was never promoted (its promoted copy %s differs): the restored target "
                            "%s/%s uses it from now on; revert it if that data is what failed"
                            % (names.ref(kind_pair, original["metadata"]["name"]), name, names.namespace, names.target))
    return warnings


class CleanupRun(PhaseRun):
    def __init__(self, api, request, facts):
        super(CleanupRun, self).__init__(api, request, facts)
        self.restored = []
        self.removed = []
        self.workload = facts.workload
        self.services = routers.service_router()
        self.router = routers.router_for(request.provider)
        # Deleted after the user's objects are given back: then nothing routes to them any more.
        self.router_removals = self.router.removals(facts.routing) + self.services.removals(facts.services)

    def build(self):
        self._target_step()
        self._router_steps(self.services.finalize(self.facts.services, self.facts.originals, self.facts.label, self.facts.value,
                                                  primary_value(self.facts.value) if self.facts.value is not None else None))
        self._router_steps(self.router.finalize(self.facts.routing, self.facts.originals))
        if self.router_removals or self.facts.deletable:
            # Not before every proxy routes the apex host to the target again (routers/settling.py).
            self.plan.add(settling.phase_settle_step(self, self.router, "deleting what routed to %s" % self.names.primary))
        self._router_steps(self.router_removals)
        for kind_pair, obj in self.facts.deletable:
            self._delete(kind_pair, obj)
        if self.facts.state is not None:
            ref = self.names.ref(CONFIGMAP, self.names.state)
            self.removed.append(ref)
            self.plan.add(Step("delete " + ref, lambda ctx: StateStore(self.api, self.names).delete(), show_diff=False))
        return self.plan

    def _router_steps(self, steps):
        for step in steps:
            if step.outcome == RESTORED:
                self.restored.append(step.ref)
            elif step.outcome == REMOVED:
                self.removed.append(step.ref)
            self.plan.add(step)

    def _delete(self, kind_pair, obj):
        ref = self.names.ref(kind_pair, obj["metadata"]["name"])
        self.removed.append(ref)
        name = obj["metadata"]["name"]
        self.plan.add(Step("delete " + ref, lambda ctx: self.api.delete(kind_pair[0], kind_pair[1], self.names.namespace, name),
                           before=obj))

    # -- 1. the target, serving the promoted template at its replica count -------------------------------
    def _target_step(self):
        target = self.facts.target
        if target is None or (self.facts.state is None and not self.facts.deletable and not self.router_removals):
            return
        replicas = self.workload.restore_replicas(self.facts.primary, self.facts.originals.get("target_replicas"), target)
        template = self.workload.restored_template(self.facts.primary, self.facts.label, self.facts.value,
                                                   config_tracker.original_renames(self.facts.tracked_keys))
        restore = self.workload.restore_step(target, replicas, template)
        if restore is not None:
            self.restored.append(self.workload.ref(self.names.target))
            self.plan.add(restore)
        if replicas > 0:
            self.plan.add(self.workload.wait_step(self.names.target, self.request.ready_timeout,
                                                  on_poll=lambda: self.lease.renew() if self.lease else None))


class CleanupPhase(Phase):
    operation = "cleanup"
    reader = staticmethod(read_facts)
    run_class = CleanupRun

    def events(self, runs, done):
        restored = [ref for run in runs for ref in run.restored]
        return [events.cleaned_up(self.request.names)] if restored else []

    def report(self, runs, steps, lease):
        facts = runs[-1].facts
        # The objects any of the plans wrote (an earlier plan's writes are not planned again).
        written = " ".join(" %s " % step.description.replace(":", " ") for step in steps)

        def done(field):
            refs = []
            for ref in (ref for run in runs for ref in getattr(run, field)):
                if ref not in refs and " %s " % ref in written:
                    refs.append(ref)
            return refs

        result = {"restored": done("restored"), "removed": done("removed")}
        warnings = list(facts.config_drift) + ([facts.record_note] if facts.record_note else [])
        if lease is not None and lease.taken_over:
            warnings.append(taken_over_warning(lease.taken_over))
        if warnings:
            result["warnings"] = warnings
        return result


def run_cleanup(api, request, check_mode=False, want_diff=False):
    """Plan, and unless in check mode execute, canary_cleanup (driver.drive); returns the module result dict. A recorded
    object the API server refuses stops cleanup in the dry run, before its first write."""
    return drive(CleanupPhase(api, request), check_mode=check_mode, want_diff=want_diff)
