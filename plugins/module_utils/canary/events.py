# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes Events on the target Deployment for each transition of a release, in Flagger's words, so that
``kubectl describe deployment podinfo`` and ``kubectl get events`` tell the story as they do for Flagger's users.

Flagger records its events on the Canary object (``pkg/controller/events.go``: reason ``Synced``, type Normal or
Warning); there is no Canary object here, so they go on the target. The messages are Flagger's
(``pkg/controller/scheduler.go``, ``scheduler_metrics.go``, ``scheduler_hooks.go``) where it has one.

An event is a core/v1 Event named after the target and a digest of its type, message and, for a release's events, the
revision released: the same message again in the same release (a step held at the same value, a re-run) adds to its
``count`` and ``lastTimestamp`` as the kubelet's recorder aggregates, instead of a new object. Recording never fails a
release: an error (RBAC forbidden, a lost answer) comes back as a warning text for the module's result. Check mode
records nothing (the callers only record after their writes happened)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import re
import socket

from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import CanaryApiError, ConflictError

COMPONENT = "progressive-canary"
REASON = "Synced"   # Flagger's reason for every event it records
NORMAL = "Normal"
WARNING = "Warning"


# ---------------------------------------------------------------- Flagger's words

def _ref(names):
    return "%s.%s" % (names.target, names.namespace)


def initialized(names):
    return NORMAL, "Initialization done! %s" % _ref(names)


def new_revision(names):
    return NORMAL, "New revision detected! Scaling up %s" % _ref(names)


def analysis_started(names):
    return NORMAL, "Starting canary analysis for %s" % _ref(names)


def restarted(names):
    return NORMAL, "New revision detected! Restarting analysis for %s" % _ref(names)


def advanced(names, weight):
    return NORMAL, "Advance %s canary weight %s" % (_ref(names), weight)


def iteration_advanced(names, iteration, iterations):
    """A passing A/B or Blue/Green iteration (Flagger's words)."""
    return NORMAL, "Advance %s canary iteration %d/%d" % (_ref(names), iteration, iterations)


def copying(names):
    return NORMAL, "Copying %s template spec to %s-primary.%s" % (_ref(names), names.target, names.namespace)


def promoted(names):
    return NORMAL, "Promotion completed! Scaling down %s" % _ref(names)


def canary_failed(names):
    return WARNING, "Canary failed! Scaling down %s" % _ref(names)


def cleaned_up(names):
    """canary_cleanup gave the target back (Flagger has no word for it: it finalizes a deleted Canary silently)."""
    return NORMAL, "Canary management removed! %s restored to its promoted template" % _ref(names)


def _number(value):
    return "%.2f" % value if isinstance(value, (int, float)) else str(value)


def halted(names, failed):
    """A failed check or hook of canary_analysis's outcome (gate.py's entries): Flagger's "Halt ... advancement"."""
    if "value" not in failed:  # a webhook
        return WARNING, "Halt %s advancement external check %s failed %s" % (_ref(names), failed.get("name"), failed.get("reason") or "")
    if failed.get("value") is None:
        return WARNING, "Halt advancement no values found for custom metric: %s: %s" % (failed.get("name"), failed.get("reason") or "")
    bounds = failed.get("threshold_range") or {}
    value = failed["value"]
    if bounds.get("min") is not None and value < bounds["min"]:
        comparison = "%s < %s" % (_number(value), bounds["min"])
    elif bounds.get("max") is not None and value > bounds["max"]:
        comparison = "%s > %s" % (_number(value), bounds["max"])
    else:
        comparison = "%s: %s" % (_number(value), failed.get("reason") or "failed")
    return WARNING, "Halt %s advancement %s %s" % (_ref(names), failed.get("name"), comparison)


# The rollout role's rollback reasons (scheduler.py) in Flagger's words; anything else is said as given.
_ROLLBACK_WORDS = (
    (re.compile(r"^(\d+) failed checks reached the threshold"), lambda match, reason: "failed checks threshold reached %s" % match.group(1)),
    (re.compile(r"^the canary did not become ready within the progress deadline (\(\w+\))(: .*)?$", re.S),
     lambda match, reason: "progress deadline exceeded %s%s" % (match.group(1), match.group(2) or "")),
    (re.compile(r"^a rollback hook asked for it"), lambda match, reason: "manual webhook invoked"),
)


def rolling_back(names, reason):
    for pattern, words in _ROLLBACK_WORDS:
        match = pattern.match(reason or "")
        if match:
            return WARNING, "Rolling back %s %s" % (_ref(names), words(match, reason))
    return WARNING, "Rolling back %s: %s" % (_ref(names), reason or "rolled back by canary_rollback")


# ---------------------------------------------------------------- recording

def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_name(target, event_type, message, revision=None):
    """The Event's name: the target's and a digest of what it says (and of the revision it is about), so that a repeat
    finds it. With the revision, a release does not collide with an earlier release's same words ("Advance ... canary
    weight 50" of each release is its own Event: one create, not a failed create, a read and a patch)."""
    said = "%s\n%s" % (event_type, message) if revision is None else "%s\n%s\n%s" % (event_type, message, revision)
    digest = hashlib.sha256(said.encode("utf-8")).hexdigest()[:16]
    return "%s.%s" % (target, digest)


def event_body(target, event_type, message, now, revision=None):
    """A core/v1 Event about ``target`` (the live Deployment: its uid makes ``kubectl describe`` find it)."""
    metadata = target.get("metadata") or {}
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": event_name(metadata.get("name"), event_type, message, revision), "namespace": metadata.get("namespace")},
        "involvedObject": {"apiVersion": target.get("apiVersion") or "apps/v1", "kind": target.get("kind") or "Deployment",
                           "name": metadata.get("name"), "namespace": metadata.get("namespace"), "uid": metadata.get("uid")},
        "reason": REASON, "message": message, "type": event_type,
        "source": {"component": COMPONENT, "host": socket.gethostname()},
        "reportingComponent": COMPONENT, "reportingInstance": socket.gethostname(),
        "firstTimestamp": now, "lastTimestamp": now, "count": 1,
    }


def _record_one(api, target, event_type, message, revision):
    body = event_body(target, event_type, message, _now(), revision)
    namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
    try:
        api.create(body)
    except ConflictError:  # said before: one more of the same
        live = api.get("v1", "Event", namespace, name) or {}
        api.patch("v1", "Event", namespace, name, {"count": int(live.get("count") or 1) + 1, "lastTimestamp": body["lastTimestamp"]})


def record(api, target, events, revision=None):
    """Record ``events`` ((type, message) pairs, in order) on ``target`` (about its ``revision`` when given: the
    release's); returns the warnings of those that failed. Nothing is raised: an Event is what a person reads, never a
    reason for a release to fail."""
    warnings = []
    for event_type, message in events:
        try:
            _record_one(api, target, event_type, message, revision)
        except (CanaryApiError, Exception) as exc:  # pylint: disable=broad-except  # an Event never fails a release
            warnings.append("the Event %r on %s/%s was not recorded: %s"
                            % (message, (target.get("metadata") or {}).get("namespace"), (target.get("metadata") or {}).get("name"), exc))
    return warnings


def failures(outcome):
    """The failed hooks and checks of canary_analysis's ``outcome`` (gate.py), hooks first as they ran first."""
    return [item for item in list(outcome.get("hooks") or []) + list(outcome.get("checks") or []) if not item.get("passed")]


def record_halt(api, names, outcome):
    """canary_analysis's failed ``outcome`` (gate.py) as Flagger's "Halt ... advancement" Events on the target, one per
    failed hook and check; returns the warnings of what could not be recorded (the target read included)."""
    failed = failures(outcome)
    if not failed:
        return []
    try:
        target = api.get("apps/v1", "Deployment", names.namespace, names.target)
    except Exception as exc:  # pylint: disable=broad-except  # an Event never fails a release
        return ["the Events of the failed checks of %s/%s were not recorded: %s" % (names.namespace, names.target, exc)]
    if target is None:
        return []
    return record(api, target, [halted(names, item) for item in failed])
