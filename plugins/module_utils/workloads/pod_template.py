# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pod templates, whatever workload kind carries them: a template moved between the target's selector value and the
primary's (labels, pod selectors, config references, the config checksum), and the revision hash."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils.kube.generated import digest
from ansible_collections.progressive.canary.plugins.module_utils.workloads.config_tracker import rename_references

# On the primary's pod template: a checksum of the data of the tracked ConfigMaps/Secrets it runs with (as
# Flagger's). Pods read env/envFrom (and subPath mounts) only when they start, so new config data must change
# the template to roll the primary; unchanged data leaves the template, and the primary's pods, alone.
CONFIG_CHECKSUM_ANNOTATION = "progressive.canary/config-checksum"


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
