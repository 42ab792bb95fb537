# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state document (``state.json`` of ``<target>-canary-state``): every key, its schema version, Flagger's phases
and every transition a module makes, as a named method of CanaryState. ``state.py`` stores it and holds its lease.

A state edited by hand, truncated by a tool or written by something else must stop a run with a message naming
the field and what it holds, never with a Python error deep inside a module. Keys this release does not know
are accepted (a newer release may have written them); a known key with a value of the wrong type or shape is
refused. ``validate(data)`` returns None or the first problem as text (``"field lease.expires: ..."``).

Versions (``schema_version``; a document without it is version 1): 1, written by the releases before it had one,
also held ``iterations`` (always 0) and ``generated`` (the objects init created), which nothing read; 2 drops them
(``upgrade``). A document is upgraded when it is read and written as version 2 at its next change."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
SCHEMA_VERSION = 2
# Keys version 1 wrote that nothing reads: Flagger's ``iterations`` (always 0 then; A/B testing and Blue/Green now
# write it again, with ``strategy``, see record_iteration);
# ``generated`` listed what init created, which cleanup derives from the canary's names instead.
DROPPED_IN_VERSION_2 = ("iterations", "generated")

# Flagger's phase names. WaitingPromotion (Flagger: a confirm-promotion gate is closed) is never written by this
# release, which keeps the phase Progressing while canary_webhook polls that gate; a state holding it is read as
# an analysis under way.
INITIALIZING = "Initializing"
INITIALIZED = "Initialized"
PROGRESSING = "Progressing"
WAITING_PROMOTION = "WaitingPromotion"
PROMOTING = "Promoting"
FINALISING = "Finalising"
SUCCEEDED = "Succeeded"
FAILED = "Failed"
PHASES = (INITIALIZING, INITIALIZED, PROGRESSING, WAITING_PROMOTION, PROMOTING, FINALISING, SUCCEEDED, FAILED)
# A revision under analysis; a promotion under way (the primary may already run the new revision).
ANALYSIS_PHASES = (PROGRESSING, WAITING_PROMOTION)
PROMOTION_PHASES = (PROMOTING, FINALISING)
# Phases where no run is midway: the ones the primary's record (recovery.py) may hold.
SETTLED_PHASES = (INITIALIZING, INITIALIZED, SUCCEEDED, FAILED)
# The traffic provider of a state without the ``provider`` key: the releases before the key routed with Istio only.
PROVIDER_BEFORE_RECORDING = "istio"


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def format_time(moment):
    return moment.strftime(TIME_FORMAT)


def parse_time(text):
    return datetime.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=datetime.timezone.utc)


class SchemaError(ValueError):
    """One field of the state document is not what the schema says."""

    def __init__(self, field, value, expected):
        super(SchemaError, self).__init__("field %s is %s, expected %s" % (field, _shown(value), expected))
        self.field = field


def _shown(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _string(field, value, optional=True):
    if value is None and optional:
        return
    if not isinstance(value, str) or not value:
        raise SchemaError(field, value, "a non-empty string" + (" or null" if optional else ""))


def _text(field, value):
    if value is not None and not isinstance(value, str):
        raise SchemaError(field, value, "a string or null")


def _count(field, value, high=None, optional=False):
    if value is None and optional:
        return
    if not _is_int(value) or value < 0 or (high is not None and value > high):
        raise SchemaError(field, value, "a whole number from 0" + (" to %d" % high if high is not None else ""))


def _time(field, value):
    if not isinstance(value, str):
        raise SchemaError(field, value, "a UTC time such as 2026-01-01T00:00:00Z")
    try:
        datetime.datetime.strptime(value, TIME_FORMAT)
    except ValueError:
        raise SchemaError(field, value, "a UTC time such as 2026-01-01T00:00:00Z")


def _mapping(field, value, optional=False):
    if value is None and optional:
        return False
    if not isinstance(value, dict):
        raise SchemaError(field, value, "a JSON object" + (" or null" if optional else ""))
    return True


def _string_map(field, value):
    _mapping(field, value)
    for key, item in value.items():
        if not isinstance(item, str):
            raise SchemaError("%s[%s]" % (field, key), item, "a string")


def _phase(field, value):
    if value not in PHASES:
        raise SchemaError(field, value, "one of " + ", ".join(PHASES))


def _required_string(field, value):
    _string(field, value, optional=False)


def _optional_object(*checks):
    """A check of a JSON object or null whose keys are checked by ``checks`` ((key, check) pairs)."""
    def check_object(field, value):
        if _mapping(field, value, optional=True):
            for key, check in checks:
                check(field + "." + key, value.get(key))
    return check_object


_lease = _optional_object(("holder", _required_string), ("expires", _time))
_hpa = _optional_object(("name", _required_string), ("spec", _mapping))


def _schema_version(field, value):
    if not _is_int(value) or value < 1:
        raise SchemaError(field, value, "a whole number from 1")
    if value > SCHEMA_VERSION:
        raise SchemaError(field, value, "at most %d: a newer release of progressive.canary wrote this state; run that "
                                        "release, or upgrade the collection" % SCHEMA_VERSION)


def _apex_service(field, value):
    if not _mapping(field, value, optional=True):
        return
    _mapping(field + ".spec", value.get("spec"))
    for key in ("labels", "annotations"):
        if value.get(key) is not None:
            _string_map(field + "." + key, value[key])


def _originals(field, value):
    _mapping(field, value)
    if not value:
        return      # a killed init may leave none yet
    _count(field + ".target_replicas", value.get("target_replicas"), optional=True)
    _string(field + ".selector_label", value.get("selector_label"), optional=False)
    _string(field + ".selector_value", value.get("selector_value"), optional=False)
    _apex_service(field + ".apex_service", value.get("apex_service"))
    _mapping(field + ".virtual_service", value.get("virtual_service"), optional=True)
    _mapping(field + ".openshift_route", value.get("openshift_route"), optional=True)
    if _mapping(field + ".http_route", value.get("http_route"), optional=True):     # provider gatewayapi
        _string(field + ".http_route.name", value["http_route"].get("name"), optional=False)
        _mapping(field + ".http_route.spec", value["http_route"].get("spec"))
    _hpa(field + ".hpa", value.get("hpa"))


# Every key of the state this release reads, with its check; a key absent from the document takes its default.
FIELDS = (
    ("schema_version", _schema_version),
    ("phase", _phase),
    ("canary_weight", lambda field, value: _count(field, value, high=100)),
    ("failed_checks", _count),
    ("step", _count),
    ("strategy", _text),
    ("iterations", _count),
    ("iterations_total", _count),
    ("last_applied_revision", _string),
    ("last_promoted_revision", _string),
    ("failed_revision", _string),
    ("failure_reason", _text),
    ("last_failed_check", _text),
    ("rebuilt_from", _string),
    ("provider", _string),
    ("tracked_configs", _string_map),
    ("originals", _originals),
    ("last_transition_time", _time),
    ("lease", _lease),
)


def validate(data):
    """None when ``data`` (the decoded document) fits the schema, else the first problem as text."""
    if not isinstance(data, dict):
        return "the document is %s, expected a JSON object" % type(data).__name__
    for field, check in FIELDS:
        if field in data:
            try:
                check(field, data[field])
            except SchemaError as exc:
                return str(exc)
    return None


def empty_state():
    """The document of a canary nothing was recorded for yet. The keys set later: ``step`` (weight changes of the
    analysis under way), ``failed_revision`` and ``failure_reason`` (the revision rolled back last, why),
    ``last_failed_check`` (the last failed check's reason), ``rebuilt_from`` (where a lost state was rebuilt from),
    ``provider`` (the traffic provider canary_init routed with; absent: PROVIDER_BEFORE_RECORDING), ``strategy``,
    ``iterations`` and ``iterations_total`` (an A/B or Blue/Green test under way: record_iteration)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "phase": INITIALIZING,
        "canary_weight": 0,
        "failed_checks": 0,         # failed checks of the analysis under way (cumulative, as Flagger)
        "last_applied_revision": None,
        "last_promoted_revision": None,
        "tracked_configs": {},      # "ConfigMap/name" -> checksum of its data
        "originals": {},            # target_replicas, selector_label, selector_value, apex_service, virtual_service, hpa
        "last_transition_time": format_time(utc_now()),
        "lease": None,              # {"holder", "operation", "scope", "expires", "host", "node", "processes"}
    }


def upgrade(data):
    """``data`` (a document that passed ``validate``) as a copy at SCHEMA_VERSION."""
    version = data.get("schema_version") or 1
    upgraded = copy.deepcopy(data)
    if version < 2:
        for key in DROPPED_IN_VERSION_2:
            upgraded.pop(key, None)
    upgraded["schema_version"] = SCHEMA_VERSION
    return upgraded


class CanaryState(object):
    """The decoded state (upgraded to SCHEMA_VERSION, defaults filled in) plus the resourceVersion it was read at.
    ``data`` is a plain JSON-able dict; it changes only through the transitions below."""

    def __init__(self, data, resource_version=None):
        merged = empty_state()
        merged.update(upgrade(data or {}))
        self.data = merged
        self.resource_version = resource_version

    def __getitem__(self, key):
        return self.data[key]

    def get(self, key, default=None):
        return self.data.get(key, default)

    @property
    def phase(self):
        return self.data["phase"]

    @property
    def provider(self):
        """The traffic provider the canary routes with (a state written before it was recorded: Istio)."""
        return self.data.get("provider") or PROVIDER_BEFORE_RECORDING

    def public(self):
        """The state without the lease, for module output."""
        shown = copy.deepcopy(self.data)
        shown.pop("lease", None)
        return shown

    # -- transitions (each returns self) ------------------------------------------------------------------
    def set_phase(self, phase):
        """Set the phase; last_transition_time moves only when the phase really changes."""
        if phase not in PHASES:
            raise ValueError("unknown phase %r, expected one of %s" % (phase, ", ".join(PHASES)))
        if self.data["phase"] != phase:
            self.data["phase"] = phase
            self.data["last_transition_time"] = format_time(utc_now())
        return self

    def record_originals(self, originals, checksums, revision):
        """canary_init: the user's objects as found (kept when already recorded), the tracked configs and the revision."""
        if not self.data["originals"]:
            self.data["originals"] = originals
        self.data["tracked_configs"] = checksums
        self.data["last_applied_revision"] = revision
        return self

    def record_provider(self, provider):
        """canary_init: the traffic provider the canary's routes are made with (later calls must name the same)."""
        self.data["provider"] = provider
        return self

    def rebuilt_from(self, rebuilt, checksums=None, revision=None):
        """canary_init after a loss: everything from ``rebuilt`` (a CanaryState, recovery.py) but the lease; with
        ``checksums`` and ``revision`` (an init still under way) those of the target as it is."""
        lease = self.data.get("lease")
        self.data.clear()
        self.data.update(copy.deepcopy(rebuilt.data))
        self.data["lease"] = lease
        if checksums is not None:
            self.data["tracked_configs"] = checksums
            self.data["last_applied_revision"] = revision
        return self

    def initialized(self, revision):
        """canary_init finished: the primary runs ``revision``, all traffic on it."""
        self.set_phase(INITIALIZED)
        self.data["last_promoted_revision"] = revision
        self.data["last_applied_revision"] = revision
        self.data["canary_weight"] = 0
        return self

    def start_analysis(self, revision):
        """A (re)started analysis of ``revision``: weight 0, no step, no failed check."""
        self.set_phase(PROGRESSING)
        self.data["last_applied_revision"] = revision
        self.data["canary_weight"] = 0
        self.data["step"] = 0
        self.data["failed_checks"] = 0
        self.data.pop("last_failed_check", None)
        self._forget_iterations()
        return self

    def _forget_iterations(self):
        for key in ("iterations", "iterations_total", "strategy"):
            self.data.pop(key, None)

    def record_iteration(self, strategy, iterations, total):
        """A/B testing or Blue/Green (strategy.py): the ``strategy`` text, the ``iterations`` passed so far (Flagger's
        status.iterations) of ``total`` (its analysis.iterations); the analysis phase is kept (or Progressing set)."""
        self.data["strategy"] = strategy
        self.data["iterations"] = iterations
        self.data["iterations_total"] = total
        if self.phase not in ANALYSIS_PHASES:
            self.set_phase(PROGRESSING)
        return self

    def record_weight(self, weight):
        """The canary's weight; a new weight is one more step. The analysis phase is kept (or Progressing set)."""
        if self.data["canary_weight"] != weight:
            self.data["canary_weight"] = weight
            self.data["step"] = int(self.data.get("step") or 0) + 1
        if self.phase not in ANALYSIS_PHASES:
            self.set_phase(PROGRESSING)
        return self

    def clear_weight(self):
        """All traffic back on the primary, nothing else changed (a rollback with nothing to roll back)."""
        self.data["canary_weight"] = 0
        return self

    def abandon_analysis(self, revision):
        """The target went back to ``revision``, which is not pending: no analysis, the primary serves alone."""
        self.set_phase(SUCCEEDED if revision == self.data["last_promoted_revision"] else FAILED)
        self.data["last_applied_revision"] = revision
        self.data["canary_weight"] = 0
        self.data["step"] = 0
        return self

    def count_failed_check(self, reason=None):
        """Count one failed check (cumulative for the analysis, as Flagger); keeps the last reason."""
        self.data["failed_checks"] = int(self.data.get("failed_checks") or 0) + 1
        if reason is not None:
            self.data["last_failed_check"] = reason
        return self

    def promoting(self, revision):
        """canary_promote started for ``revision`` (a promotion already Finalising stays so)."""
        if self.phase not in PROMOTION_PHASES:
            self.set_phase(PROMOTING)
        self.data["last_applied_revision"] = revision
        return self

    def finalising(self, revision):
        """The primary runs ``revision``: traffic and the target are put back next."""
        self.set_phase(FINALISING)
        self.data["last_applied_revision"] = revision
        return self

    def promoted(self, revision, checksums):
        """``revision`` is the primary's, with the tracked configs' ``checksums``; the analysis is over."""
        self.set_phase(SUCCEEDED)
        self.data["last_promoted_revision"] = revision
        self.data["last_applied_revision"] = revision
        self.data["tracked_configs"] = dict(checksums)
        self.data["canary_weight"] = 0
        self.data["step"] = 0
        self._forget_iterations()     # as the step: the analysis is over
        return self

    def fail(self, revision, reason):
        """``revision`` rolled back for ``reason`` (a second rollback of the same revision keeps the first reason)."""
        if not (self.phase == FAILED and self.data.get("failed_revision") == revision):
            self.set_phase(FAILED)
            self.data["failed_revision"] = revision
            self.data["failure_reason"] = reason
        self.data["last_applied_revision"] = revision
        self.data["canary_weight"] = 0
        return self

    def take_lease(self, record):
        """The lease ``record`` (state.Lease.record) as the holder's."""
        self.data["lease"] = record
        return self

    def clear_lease(self):
        self.data["lease"] = None
        return self
