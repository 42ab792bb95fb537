# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""canary_cleanup: the contract's phase 3, a true revert, from any phase (even a half-finished init)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils import config_copies, recovery, services, validation, workload
from ansible_collections.progressive.canary.plugins.module_utils.driver import Phase, PhaseFacts, PhaseRequest, PhaseRun, drive
from ansible_collections.progressive.canary.plugins.module_utils.generated import strip_server_fields
from ansible_collections.progressive.canary.plugins.module_utils.names import (
    CONFIGMAP, DEFAULT_SELECTOR_LABELS, DEPLOYMENT, DESTINATION_RULE, HPA, MANAGED_BY_LABEL, MANAGED_BY_VALUE, SECRET, SERVICE,
    VIRTUAL_SERVICE, SelectorLabelError, is_managed, selector_label)
from ansible_collections.progressive.canary.plugins.module_utils.plan import Refusal, Step
from ansible_collections.progressive.canary.plugins.module_utils.state import StateError, StateStore, taken_over_warning
from ansible_collections.progressive.canary.plugins.module_utils.patch_guards import unchanged_since_read


class CleanupRequest(PhaseRequest):
    def __init__(self, target, namespace, selector_labels=DEFAULT_SELECTOR_LABELS, ready_timeout=300, lease_holder=None,
                 lease_seconds=300):
        super(CleanupRequest, self).__init__(target, namespace, ready_timeout, lease_holder, lease_seconds)
        self.selector_labels = list(selector_labels or DEFAULT_SELECTOR_LABELS)


class CleanupFacts(PhaseFacts):
    def __init__(self):
        super(CleanupFacts, self).__init__()
        self.originals = {}
        self.primary = None
        self.apex = None
        self.virtual_service = None
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
    match_labels = facts.target["spec"]["selector"].get("matchLabels") or {}
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
    facts.originals = (facts.state["originals"] if facts.state is not None else None) or {}
    facts.tracked_keys = sorted(tuple(key.split("/", 1)) for key in ((facts.state or {}).get("tracked_configs") or {})) \
        if facts.state is not None else []
    facts.target = api.get_kind(names.namespace, DEPLOYMENT, names.target)
    validation.check_not_generated(names, facts.target)
    primary = api.get_kind(names.namespace, DEPLOYMENT, names.primary)
    facts.primary = primary if primary is not None and is_managed(primary, names.target) else None
    if facts.target is None and facts.primary is not None:
        # Restoring the apex Service would then select nothing, and deleting the primary would remove the
        # only workload serving: refuse rather than cause that outage.
        raise Refusal("Deployment %s/%s is missing while %s still serves its traffic: re-create %s (any template; cleanup "
                      "gives it the promoted one) before cleanup, or delete the canary's objects yourself"
                      % (names.namespace, names.target, names.primary, names.target))
    if not facts.originals and facts.primary is not None:
        _originals_from_record(names, facts)
    facts.apex = api.get_kind(names.namespace, SERVICE, names.apex)
    facts.label, facts.value = _selector(request, facts)
    istio = api.serves(*VIRTUAL_SERVICE)
    if istio:
        facts.virtual_service = api.get_kind(names.namespace, VIRTUAL_SERVICE, names.virtual_service)
    deletable = []
    if istio:
        deletable += [(DESTINATION_RULE, api.get_kind(names.namespace, DESTINATION_RULE, name)) for name in (names.primary, names.canary)]
    deletable += [(SERVICE, api.get_kind(names.namespace, SERVICE, name)) for name in (names.primary, names.canary)]
    deletable += [(HPA, item) for item in _ours(api, names, HPA)]
    for kind_pair in (CONFIGMAP, SECRET):
        deletable += [(kind_pair, item) for item in _ours(api, names, kind_pair) if item["metadata"]["name"] != names.state]
    deletable.append((DEPLOYMENT, facts.primary))
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
        if original is not None and config_copies.config_checksum(original) != config_copies.config_checksum(copy_object):
            warnings.append("%s holds data that was never promoted (its promoted copy %s differs): the restored target "
                            "%s/%s uses it from now on; revert it if that data is what failed"
                            % (names.ref(kind_pair, original["metadata"]["name"]), name, names.namespace, names.target))
    return warnings


class CleanupRun(PhaseRun):
    def __init__(self, api, request, facts):
        super(CleanupRun, self).__init__(api, request, facts)
        self.restored = []
        self.removed = []

    def build(self):
        self._target_step()
        self._apex_step()
        self._virtual_service_step()
        for kind_pair, obj in self.facts.deletable:
            self._delete(kind_pair, obj)
        if self.facts.state is not None:
            ref = self.names.ref(CONFIGMAP, self.names.state)
            self.removed.append(ref)
            self.plan.add(Step("delete " + ref, lambda ctx: StateStore(self.api, self.names).delete(), show_diff=False))
        return self.plan

    def _delete(self, kind_pair, obj):
        ref = self.names.ref(kind_pair, obj["metadata"]["name"])
        self.removed.append(ref)
        name = obj["metadata"]["name"]
        self.plan.add(Step("delete " + ref, lambda ctx: self.api.delete(kind_pair[0], kind_pair[1], self.names.namespace, name),
                           before=obj))

    # -- 1. the target, serving the promoted template at its replica count -------------------------------
    def desired_replicas(self):
        primary_replicas = ((self.facts.primary or {}).get("spec") or {}).get("replicas")
        if primary_replicas:
            return int(primary_replicas)
        recorded = self.facts.originals.get("target_replicas")
        if recorded is not None:
            return int(recorded)
        # Nothing recorded (init killed before recording): the target was not scaled down yet, keep its count.
        current = ((self.facts.target or {}).get("spec") or {}).get("replicas")
        return int(current) if current else 1

    def promoted_template(self):
        """The primary's template moved back to the target's labels and configs; None without a primary."""
        if self.facts.primary is None or self.facts.label is None:
            return None
        return workload.target_template(self.facts.primary["spec"]["template"], self.facts.label, self.facts.value,
                                        config_copies.original_renames(self.facts.tracked_keys))

    def _target_step(self):
        target = self.facts.target
        if target is None or (self.facts.state is None and not self.facts.deletable):
            return
        replicas = self.desired_replicas()
        template = self.promoted_template()
        # No resourceVersion guard here: the Deployment controller bumps it with every status update, so a guard
        # fails at random; both values are absolute (what cleanup must restore), whatever changed meanwhile.
        patch = []
        if target["spec"].get("replicas") != replicas:
            patch.append({"op": "replace" if "replicas" in target["spec"] else "add", "path": "/spec/replicas", "value": replicas})
        if template is not None and template != target["spec"]["template"]:
            patch.append({"op": "replace", "path": "/spec/template", "value": template})
        ref = self.names.ref(DEPLOYMENT, self.names.target)
        if patch:
            after = copy.deepcopy(target)
            after["spec"]["replicas"] = replicas
            if template is not None:
                after["spec"]["template"] = template
            self.restored.append(ref)
            self.plan.add(Step("restore %s: %d replicas, promoted template" % (ref, replicas),
                               lambda ctx: self.api.patch(DEPLOYMENT[0], DEPLOYMENT[1], self.names.namespace, self.names.target, patch, "json"),
                               before=target, after=after))
        if replicas > 0:
            self.plan.add(Step("wait for %s to be ready" % ref, self._wait_target, changes=False))

    def _wait_target(self, context):
        workload.wait_ready(self.api, self.names.namespace, self.names.target, self.request.ready_timeout,
                            on_poll=self.lease.renew if self.lease else None)

    # -- 2. the apex Service and the VirtualService -------------------------------------------------------
    def _apex_step(self):
        live = self.facts.apex
        recorded = self.facts.originals.get("apex_service")
        ref = self.names.ref(SERVICE, self.names.apex)
        if live is not None and services.was_created_by_us(live) and is_managed(live, self.names.target):
            self._delete(SERVICE, live)
            return
        if recorded is not None:
            self._restore_recorded_apex(live, recorded, ref)
        elif live is not None and self.facts.label is not None:
            self._unpoint_apex(live, ref)

    def _restore_recorded_apex(self, live, recorded, ref):
        if live is None:
            body = {"apiVersion": SERVICE[0], "kind": SERVICE[1],
                    "metadata": {"name": self.names.apex, "namespace": self.names.namespace,
                                 "labels": recorded.get("labels") or {}, "annotations": recorded.get("annotations") or {}},
                    "spec": copy.deepcopy(recorded["spec"])}
            self.restored.append(ref)
            self.plan.add(Step("re-create " + ref + " as recorded", lambda ctx: self.api.create(body), after=body))
        elif not services.matches_record(live, recorded):
            body = services.restored(live, recorded)
            self.restored.append(ref)
            self.plan.add(Step("restore " + ref + " as recorded", lambda ctx: self.api.replace(body), before=live, after=body))

    def _unpoint_apex(self, live, ref):
        """No record (the state was lost): point a selector aimed at the primary back at the target."""
        selector = (live.get("spec") or {}).get("selector") or {}
        if selector.get(self.facts.label) != workload.primary_value(self.facts.value):
            return
        wanted = dict(selector)
        wanted[self.facts.label] = self.facts.value
        patch = services.repoint_patch(live, wanted)
        after = copy.deepcopy(live)
        after["spec"]["selector"] = wanted
        self.restored.append(ref)
        self.plan.add(Step("point " + ref + " back at the target", lambda ctx: self.api.patch(SERVICE[0], SERVICE[1], self.names.namespace,
                                                                                              self.names.apex, patch, "json"),
                           before=live, after=after))

    def _virtual_service_step(self):
        live = self.facts.virtual_service
        recorded = self.facts.originals.get("virtual_service")
        ref = self.names.ref(VIRTUAL_SERVICE, self.names.virtual_service)
        if recorded is None:
            if live is not None and is_managed(live, self.names.target):
                self._delete(VIRTUAL_SERVICE, live)
            return
        if live is None:
            body = {"apiVersion": VIRTUAL_SERVICE[0], "kind": VIRTUAL_SERVICE[1],
                    "metadata": {"name": self.names.virtual_service, "namespace": self.names.namespace}, "spec": copy.deepcopy(recorded)}
            self.restored.append(ref)
            self.plan.add(Step("re-create " + ref + " as recorded", lambda ctx: self.api.create(body), after=body))
        elif live.get("spec") != recorded:
            patch = [unchanged_since_read(live),
                     {"op": "replace", "path": "/spec", "value": copy.deepcopy(recorded)}]
            self.restored.append(ref)
            self.plan.add(Step("restore " + ref + " as recorded", lambda ctx: self.api.patch(
                VIRTUAL_SERVICE[0], VIRTUAL_SERVICE[1], self.names.namespace, self.names.virtual_service, patch, "json"),
                before=live, after=dict(strip_server_fields(live), spec=recorded)))


class CleanupPhase(Phase):
    operation = "cleanup"
    reader = staticmethod(read_facts)
    run_class = CleanupRun

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
