# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state's record on the primary Deployment, and the state rebuilt from it when the state object is lost.

A state ConfigMap deleted by a namespace clean-up or a GitOps prune must never look like a fresh start while the
canary's objects still serve: init would then record the re-pointed apex Service and the scaled-down target as
"originals" and build the primary from whatever template the target has (an outage). So the primary Deployment
carries, in its annotation ``progressive.canary/record``, what the state holds that the live objects cannot
prove: the originals, the promoted and the failed revision, the tracked configs' checksums and the settled phase.
canary_init writes it with the primary and when init finishes, canary_promote with the primary's template (one
patch, so the record always names the revision the primary runs), canary_rollback with the failed revision. It
is an annotation of the Deployment's metadata: writing it never restarts a pod."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import DEPLOYMENT, ANNOTATION_PREFIX
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import CanaryState, format_time, utc_now
from ansible_collections.progressive.canary.plugins.module_utils.canary.state_schema import SETTLED_PHASES, validate

RECORD_ANNOTATION = ANNOTATION_PREFIX + "record"
RECORD_VERSION = 1
# The state fields the record keeps (the rest is either provable from live objects or belongs to a run).
RECORDED_FIELDS = ("originals", "last_promoted_revision", "failed_revision", "failure_reason", "tracked_configs")


class RecordError(ValueError):
    """The primary carries no usable record: the state cannot be rebuilt exactly."""


def record(state_data, phase):
    """The record of a state (a dict, or a CanaryState) at a settled ``phase`` (Initializing, Initialized,
    Succeeded, Failed)."""
    data = state_data.data if isinstance(state_data, CanaryState) else state_data
    kept = dict((field, copy.deepcopy(data.get(field))) for field in RECORDED_FIELDS)
    kept.update({"version": RECORD_VERSION, "phase": phase})
    return kept


def encode(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def live_record_text(deployment):
    return (((deployment or {}).get("metadata") or {}).get("annotations") or {}).get(RECORD_ANNOTATION)


def with_record(body, value):
    """``body`` (a Deployment to create or replace) carrying the record ``value``, in place; returns it."""
    body["metadata"].setdefault("annotations", {})[RECORD_ANNOTATION] = encode(value)
    return body


def record_op(value):
    """The JSON-patch operation setting the record ``value`` on a Deployment that has annotations."""
    return {"op": "add", "path": "/metadata/annotations/" + RECORD_ANNOTATION.replace("~", "~0").replace("/", "~1"), "value": encode(value)}


def record_ops(deployment, value):
    """JSON-patch operations writing the record ``value`` on ``deployment``; [] when it already carries it."""
    if live_record_text(deployment) == encode(value):
        return []
    if not (deployment.get("metadata") or {}).get("annotations"):
        return [{"op": "add", "path": "/metadata/annotations", "value": {RECORD_ANNOTATION: encode(value)}}]
    return [record_op(value)]


def read_record(names, primary):
    """The record on the primary, checked; RecordError saying why it cannot be used."""
    ref = names.ref(DEPLOYMENT, names.primary)
    text = live_record_text(primary)
    if text is None:
        raise RecordError("%s carries no annotation %s (it was created by a release older than this one)" % (ref, RECORD_ANNOTATION))
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise RecordError("the annotation %s of %s is not JSON (%s)" % (RECORD_ANNOTATION, ref, exc))
    if not isinstance(value, dict) or value.get("version") != RECORD_VERSION:
        raise RecordError("the annotation %s of %s is not a record of version %d" % (RECORD_ANNOTATION, ref, RECORD_VERSION))
    problem = validate(dict((field, value[field]) for field in RECORDED_FIELDS if field in value))
    if problem is None and not value.get("originals"):
        problem = "field originals is empty"
    if problem is None and value.get("phase") not in SETTLED_PHASES:
        problem = "field phase is %r" % (value.get("phase"),)
    if problem is not None:
        raise RecordError("the annotation %s of %s: %s" % (RECORD_ANNOTATION, ref, problem))
    return value


def rebuilt_state(names, primary, target_revision, current=None):
    """The state rebuilt from the primary's record: the settled phase (Failed when the target still has the failed
    revision), weight 0 and no analysis under way (a pending revision starts a new one). RecordError when the
    record is missing or unusable. ``current``: the state object as read, when one exists without originals."""
    value = read_record(names, primary)
    phase = value["phase"]
    if phase != "Initializing" and target_revision is not None and target_revision == value.get("failed_revision"):
        phase = "Failed"
    data = dict((field, copy.deepcopy(value.get(field))) for field in RECORDED_FIELDS)
    data["tracked_configs"] = data["tracked_configs"] or {}
    data.update({
        "phase": phase,
        "last_applied_revision": value["failed_revision"] if phase == "Failed" else value["last_promoted_revision"],
        "rebuilt_from": "%s (annotation %s) at %s" % (names.ref(DEPLOYMENT, names.primary), RECORD_ANNOTATION, format_time(utc_now())),
    })
    if current is not None:
        # The empty state a lease created after the loss: written over at its resourceVersion, its lease kept.
        data["lease"] = current.get("lease")
        return CanaryState(data, current.resource_version)
    return CanaryState(data)


def lost_state_message(names, reason):
    """Why a lost state cannot be rebuilt, and what to do (nothing was written)."""
    return ("the state object ConfigMap %s/%s of canary %s is missing while its primary Deployment %s still serves, and it cannot "
            "be rebuilt: %s. Nothing was changed. Restore the ConfigMap from a backup, or run canary_cleanup (it gives "
            "%s back the primary's template and replica count) and then canary_init"
            % (names.namespace, names.state, names.target, names.primary, reason, names.target))
