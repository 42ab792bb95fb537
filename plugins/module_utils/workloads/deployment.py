# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Deployment workload (as Flagger's DeploymentController): every Deployment field the collection reads or
writes (selector, replicas, pod template, status and the progress deadline) is handled here."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils.kube.generated import build
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import DEPLOYMENT
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Step
from ansible_collections.progressive.canary.plugins.module_utils.workloads import pod_template
from ansible_collections.progressive.canary.plugins.module_utils.workloads.base import Workload, primary_value
from ansible_collections.progressive.canary.plugins.module_utils.kube.patch_guards import spec_unchanged

# Kubernetes' default spec.progressDeadlineSeconds.
DEFAULT_PROGRESS_DEADLINE = 600


def _spec(obj):
    return (obj or {}).get("spec") or {}


def readiness(deployment):
    """(done, reason, final): ready when the controller observed the current spec and every replica is updated and
    available; final (it cannot become ready) once the controller reports the progress deadline exceeded."""
    if deployment is None:
        return False, "the Deployment does not exist", False
    spec = _spec(deployment)
    status = deployment.get("status") or {}
    wanted = 1 if spec.get("replicas") is None else int(spec["replicas"])
    generation = (deployment.get("metadata") or {}).get("generation") or 0
    # The generation first (as kubectl rollout status): until the controller observed the current spec, its
    # conditions are those of the previous one - a deadline the previous revision exceeded is not this one's.
    if int(status.get("observedGeneration") or 0) < int(generation):
        return False, "the controller has not observed generation %s yet" % generation, False
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded":
            return False, "progress deadline exceeded: %s" % condition.get("message", ""), True
    updated = int(status.get("updatedReplicas") or 0)
    available = int(status.get("availableReplicas") or 0)
    total = int(status.get("replicas") or 0)
    if updated < wanted or available < wanted or total > updated:
        return False, "%d of %d replicas updated, %d available" % (updated, wanted, available), False
    return True, "%d of %d replicas ready" % (available, wanted), False


class DeploymentWorkload(Workload):
    KIND = DEPLOYMENT

    # -- selector --------------------------------------------------------------------------------------------
    def match_labels(self, obj):
        return (_spec(obj).get("selector") or {}).get("matchLabels")

    def primary_selector(self, target, label, live_primary=None):
        """The live primary's own selector when it exists (its ``spec.selector`` is immutable, and one made by an
        earlier release may differ), else the target's whole matchLabels with the selector label's value suffixed
        ``-primary``. Never the selector label alone: a second instance of the same app (``instance: staging``)
        would be selected too."""
        live = self.match_labels(live_primary)
        if live:
            return dict(live)
        match_labels = self.match_labels(target)
        return pod_template.relabel(match_labels, label, match_labels[label], primary_value(match_labels[label]))

    # -- pod template ----------------------------------------------------------------------------------------
    def pod_template(self, obj):
        return _spec(obj).get("template")

    def image_patch(self, index, name, image, has_image=True):
        path = "/spec/template/spec/containers/%d" % index
        return [{"op": "test", "path": path + "/name", "value": name},
                {"op": "replace" if has_image else "add", "path": path + "/image", "value": image}]

    # -- the primary -----------------------------------------------------------------------------------------
    def primary_body(self, target, label, config_renames, replicas, config_checksums=None):
        """``replicas`` is the recorded count, not the target's live one: a re-run after the target was scaled to 0
        must not scale the primary down with it."""
        value = self.match_labels(target)[label]
        new_value = primary_value(value)
        spec = copy.deepcopy(target["spec"])
        spec.pop("paused", None)
        spec["replicas"] = int(replicas)
        spec["selector"] = copy.deepcopy(spec["selector"])
        spec["selector"]["matchLabels"] = pod_template.relabel(spec["selector"]["matchLabels"], label, value, new_value)
        spec["template"] = pod_template.primary_template(spec["template"], label, value, config_renames, config_checksums)
        labels = pod_template.relabel((target.get("metadata") or {}).get("labels"), label, value, new_value)
        return build(DEPLOYMENT[0], DEPLOYMENT[1], self.names.namespace, self.names.primary, self.names.target, {"spec": spec},
                     labels=labels)

    def promote_step(self, primary, target, template, replicas_follow_target, record=None):
        name = primary["metadata"]["name"]
        patch = [spec_unchanged(primary)]
        after = copy.deepcopy(primary)
        what = None
        template_changed = primary["spec"].get("template") != template
        if template_changed:
            patch.append({"op": "replace", "path": "/spec/template", "value": template})
            after["spec"]["template"] = template
            what = "copy the target's template to"
        target_replicas = _spec(target).get("replicas")
        # A target already at 0 (a re-run after the scale-down) says nothing about the replicas wanted.
        if replicas_follow_target and target_replicas and target_replicas != primary["spec"].get("replicas"):
            patch.append({"op": "replace", "path": "/spec/replicas", "value": int(target_replicas)})
            after["spec"]["replicas"] = int(target_replicas)
            what = what or "copy the target's replicas to"
        if record is not None and record[0]:
            record_ops, mark, record_what = record
            patch.extend(record_ops)
            mark(after)
            what = what or record_what
        if what is None:
            return None, template_changed
        return Step("%s %s" % (what, self.ref(name)),
                    lambda ctx: self.api.patch(DEPLOYMENT[0], DEPLOYMENT[1], self.names.namespace, name, patch, "json"),
                    before=primary, after=after), template_changed

    # -- replicas --------------------------------------------------------------------------------------------
    def replicas(self, obj):
        return _spec(obj).get("replicas")

    def replicas_to_record(self, target):
        replicas = self.replicas(target)
        return 1 if replicas is None else int(replicas)

    def scale_step(self, live, replicas, guarded=True):
        """Guarded: a JSON patch applied only while the spec is the one read. Unguarded (init's scale-down of the
        target to 0, an absolute value whatever changed meanwhile): a merge patch."""
        current = self.replicas(live)
        if current == replicas:
            return None
        name = live["metadata"]["name"]
        if guarded:
            patch = [spec_unchanged(live), {"op": "replace" if current is not None else "add", "path": "/spec/replicas", "value": replicas}]
            patch_type = "json"
        else:
            patch = {"spec": {"replicas": replicas}}
            patch_type = "merge"
        return Step("scale %s to %d" % (self.ref(name), replicas),
                    lambda ctx: self.api.patch(DEPLOYMENT[0], DEPLOYMENT[1], self.names.namespace, name, patch, patch_type),
                    before={"spec": {"replicas": current}}, after={"spec": {"replicas": replicas}})

    def scale_from_zero_replicas(self, recorded, primary, target_hpa=None):
        """As Flagger: the target's recorded count, else the primary's, else the HPA's minimum, else 1."""
        for candidate in (recorded, self.replicas(primary), _spec(target_hpa).get("minReplicas")):
            if candidate:
                return int(candidate)
        return 1

    # -- readiness -------------------------------------------------------------------------------------------
    def readiness(self, obj):
        return readiness(obj)

    def ready_timeout(self, option, live):
        """The option when given, else the Deployment's own progressDeadlineSeconds."""
        if option:
            return option
        return int(_spec(live).get("progressDeadlineSeconds") or DEFAULT_PROGRESS_DEADLINE)

    def status(self, obj):
        ready, reason, _final = readiness(obj)
        status = obj.get("status") or {}
        return {"replicas": self.replicas(obj), "ready_replicas": int(status.get("readyReplicas") or 0), "ready": ready, "reason": reason}

    # -- cleanup ---------------------------------------------------------------------------------------------
    def restore_replicas(self, primary, recorded, target):
        """The primary's count (what serves now), else the one recorded by init, else the target's own (init was
        killed before recording: the target was not scaled down yet), else 1."""
        primary_replicas = self.replicas(primary)
        if primary_replicas:
            return int(primary_replicas)
        if recorded is not None:
            return int(recorded)
        current = self.replicas(target)
        return int(current) if current else 1

    def restore_step(self, target, replicas, template):
        # No resourceVersion guard here: the Deployment controller bumps it with every status update, so a guard
        # fails at random; both values are absolute (what cleanup must restore), whatever changed meanwhile.
        patch = []
        if target["spec"].get("replicas") != replicas:
            patch.append({"op": "replace" if "replicas" in target["spec"] else "add", "path": "/spec/replicas", "value": replicas})
        if template is not None and template != target["spec"]["template"]:
            patch.append({"op": "replace", "path": "/spec/template", "value": template})
        if not patch:
            return None
        name = target["metadata"]["name"]
        after = copy.deepcopy(target)
        after["spec"]["replicas"] = replicas
        if template is not None:
            after["spec"]["template"] = template
        return Step("restore %s: %d replicas, promoted template" % (self.ref(name), replicas),
                    lambda ctx: self.api.patch(DEPLOYMENT[0], DEPLOYMENT[1], self.names.namespace, name, patch, "json"),
                    before=target, after=after)
