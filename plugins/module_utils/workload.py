# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deployments: the primary built from the target, readiness and waiting, and the revision hash."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import time

from ansible_collections.progressive.canary.plugins.module_utils.config_copies import rename_references
from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError
from ansible_collections.progressive.canary.plugins.module_utils.generated import build, digest
from ansible_collections.progressive.canary.plugins.module_utils.names import DEPLOYMENT, HPA

POLL_SECONDS = 0.5
# On the primary's pod template: a checksum of the data of the tracked ConfigMaps/Secrets it runs with (as
# Flagger's). Pods read env/envFrom (and subPath mounts) only when they start, so new config data must change
# the template to roll the primary; unchanged data leaves the template, and the primary's pods, alone.
CONFIG_CHECKSUM_ANNOTATION = "progressive.canary/config-checksum"


class NotReadyError(CanaryError):
    """A Deployment did not become ready before its deadline (or can never become ready)."""


def primary_value(value):
    return value + "-primary"


def relabel(labels, label, old_value, new_value):
    """A copy of ``labels`` with ``label`` set to ``new_value`` where it was ``old_value``."""
    relabelled = dict(labels or {})
    if relabelled.get(label) == old_value:
        relabelled[label] = new_value
    return relabelled


def _relabel_selector(selector, label, old_value, new_value):
    """Rewrite a LabelSelector (matchLabels and matchExpressions on ``label``) in place."""
    if not isinstance(selector, dict):
        return
    if selector.get("matchLabels"):
        selector["matchLabels"] = relabel(selector["matchLabels"], label, old_value, new_value)
    for expression in selector.get("matchExpressions") or []:
        if expression.get("key") == label and expression.get("values"):
            expression["values"] = [new_value if item == old_value else item for item in expression["values"]]


def _pod_selectors(pod_spec):
    """Every LabelSelector in a pod spec that selects pods: (anti-)affinity terms and topology spread."""
    selectors = []
    affinity = pod_spec.get("affinity") or {}
    for kind in ("podAffinity", "podAntiAffinity"):
        rules = affinity.get(kind) or {}
        for term in rules.get("requiredDuringSchedulingIgnoredDuringExecution") or []:
            selectors.append(term.get("labelSelector"))
        for weighted in rules.get("preferredDuringSchedulingIgnoredDuringExecution") or []:
            selectors.append((weighted.get("podAffinityTerm") or {}).get("labelSelector"))
    for constraint in pod_spec.get("topologySpreadConstraints") or []:
        selectors.append(constraint.get("labelSelector"))
    return [selector for selector in selectors if selector]


def relabel_template(template, label, old_value, new_value, config_renames):
    """A copy of a pod template moved from one selector value to another: labels, pod selectors, config refs."""
    moved = copy.deepcopy(template)
    metadata = moved.setdefault("metadata", {})
    metadata["labels"] = relabel(metadata.get("labels"), label, old_value, new_value)
    spec = rename_references(moved.get("spec") or {}, config_renames)
    for selector in _pod_selectors(spec):
        _relabel_selector(selector, label, old_value, new_value)
    moved["spec"] = spec
    return moved


def _set_config_checksum(template, config_checksums):
    """Stamp (or, with no tracked config, remove) the config-checksum annotation of ``template`` in place."""
    metadata = template.setdefault("metadata", {})
    annotations = metadata.get("annotations") or {}
    if config_checksums:
        metadata["annotations"] = dict(annotations, **{CONFIG_CHECKSUM_ANNOTATION: digest(dict(config_checksums))})
    elif CONFIG_CHECKSUM_ANNOTATION in annotations:
        annotations = dict(annotations)
        annotations.pop(CONFIG_CHECKSUM_ANNOTATION)
        if annotations:
            metadata["annotations"] = annotations
        else:
            metadata.pop("annotations")


def primary_template(template, label, value, config_renames, config_checksums):
    """The target's pod template as the primary runs it: selector value ``-primary``, configs renamed to their
    copies, and the checksum of the tracked configs' data (``{"ConfigMap/name": checksum}``) stamped on it."""
    moved = relabel_template(template, label, value, primary_value(value), config_renames)
    _set_config_checksum(moved, config_checksums)
    return moved


def target_template(template, label, value, config_renames):
    """The inverse of primary_template: the primary's pod template moved back to the target, without the checksum."""
    moved = relabel_template(template, label, primary_value(value), value, config_renames)
    _set_config_checksum(moved, None)
    return moved


def primary_selector(target, label, live_primary=None):
    """The labels that select exactly the primary's pods: the live primary's own selector when it exists (its
    ``spec.selector`` is immutable, and one made by an earlier release may differ), else the target's whole
    matchLabels with the selector label's value suffixed ``-primary``. Never the selector label alone: a second
    instance of the same app (``instance: staging``) would be selected too."""
    live = (((live_primary or {}).get("spec") or {}).get("selector") or {}).get("matchLabels")
    if live:
        return dict(live)
    match_labels = target["spec"]["selector"]["matchLabels"]
    return relabel(match_labels, label, match_labels[label], primary_value(match_labels[label]))


def primary_deployment(target, names, label, config_renames, replicas, config_checksums=None):
    """The primary Deployment built from the target (contract: selector label value suffixed ``-primary``).

    ``replicas`` is the recorded count, not the target's live one: a re-run after the target was scaled
    to 0 must not scale the primary down with it."""
    value = target["spec"]["selector"]["matchLabels"][label]
    new_value = primary_value(value)
    spec = copy.deepcopy(target["spec"])
    spec.pop("paused", None)
    spec["replicas"] = int(replicas)
    spec["selector"] = copy.deepcopy(spec["selector"])
    spec["selector"]["matchLabels"] = relabel(spec["selector"]["matchLabels"], label, value, new_value)
    spec["template"] = primary_template(spec["template"], label, value, config_renames, config_checksums)
    labels = relabel((target.get("metadata") or {}).get("labels"), label, value, new_value)
    return build(DEPLOYMENT[0], DEPLOYMENT[1], names.namespace, names.primary, names.target, {"spec": spec}, labels=labels)


def initial_replicas(target):
    replicas = (target.get("spec") or {}).get("replicas")
    return 1 if replicas is None else int(replicas)


def primary_hpa(hpa, names):
    """The primary's HPA: the target's HPA spec aimed at the primary Deployment."""
    spec = copy.deepcopy(hpa["spec"])
    spec["scaleTargetRef"] = dict(spec.get("scaleTargetRef") or {}, name=names.primary)
    return build(HPA[0], HPA[1], names.namespace, names.primary_copy(hpa["metadata"]["name"]), names.target, {"spec": spec},
                 labels=(hpa.get("metadata") or {}).get("labels"))


def revision(template, config_checksums):
    """The revision of a workload: its pod template plus the data of the configs it tracks.

    The ``progressive.canary/`` annotations are left out so that recording bookkeeping on a template
    never looks like a new release."""
    clean = copy.deepcopy(template or {})
    annotations = (clean.get("metadata") or {}).get("annotations") or {}
    for key in [key for key in annotations if key.startswith("progressive.canary/")]:
        annotations.pop(key)
    if "annotations" in (clean.get("metadata") or {}) and not annotations:
        clean["metadata"].pop("annotations")
    return digest({"template": clean, "configs": dict(config_checksums or {})})


def readiness(deployment):
    """(ready, reason): ready when the controller observed the current spec and every replica is updated and available."""
    if deployment is None:
        return False, "the Deployment does not exist"
    spec = deployment.get("spec") or {}
    status = deployment.get("status") or {}
    wanted = 1 if spec.get("replicas") is None else int(spec["replicas"])
    generation = (deployment.get("metadata") or {}).get("generation") or 0
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded":
            return False, "progress deadline exceeded: %s" % condition.get("message", "")
    if int(status.get("observedGeneration") or 0) < int(generation):
        return False, "the controller has not observed generation %s yet" % generation
    updated = int(status.get("updatedReplicas") or 0)
    available = int(status.get("availableReplicas") or 0)
    total = int(status.get("replicas") or 0)
    if updated < wanted or available < wanted or total > updated:
        return False, "%d of %d replicas updated, %d available" % (updated, wanted, available)
    return True, "%d of %d replicas ready" % (available, wanted)


def wait_ready(api, namespace, name, timeout, on_poll=None):
    """Poll until the Deployment is ready; NotReadyError after ``timeout`` seconds or a progress deadline.

    ``on_poll`` (e.g. the lease's renew) is called between polls."""
    deadline = time.monotonic() + float(timeout)
    while True:
        deployment = api.get(DEPLOYMENT[0], DEPLOYMENT[1], namespace, name)
        ready, reason = readiness(deployment)
        if ready:
            return deployment
        if deployment is not None and reason.startswith("progress deadline exceeded"):
            raise NotReadyError("Deployment %s/%s cannot become ready: %s" % (namespace, name, reason))
        if time.monotonic() >= deadline:
            raise NotReadyError("Deployment %s/%s not ready after %ss: %s" % (namespace, name, timeout, reason))
        if on_poll is not None:
            on_poll()
        time.sleep(POLL_SECONDS)
