# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The schema of the state document (``state.json`` of ``<target>-canary-state``), checked when it is read.

A state edited by hand, truncated by a tool or written by something else must stop a run with a message naming
the field and what it holds, never with a Python error deep inside a module. Keys this release does not know
are accepted (a newer release may have written them); a known key with a value of the wrong type or shape is
refused. ``validate(data)`` returns None or the first problem as text (``"field lease.expires: ..."``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# Flagger's phase names (state.PHASES is the same tuple; kept here so that this file imports nothing of ours).
PHASES = ("Initializing", "Initialized", "Progressing", "WaitingPromotion", "Promoting", "Finalising", "Succeeded", "Failed")


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


def _generated(field, value):
    if not isinstance(value, list):
        raise SchemaError(field, value, "a JSON list")
    for index, entry in enumerate(value):
        _mapping("%s[%d]" % (field, index), entry)
        for key in ("apiVersion", "kind", "name"):
            _string("%s[%d].%s" % (field, index, key), entry.get(key), optional=False)


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
    _hpa(field + ".hpa", value.get("hpa"))


# Every key of the state this release reads, with its check; a key absent from the document takes its default.
FIELDS = (
    ("phase", _phase),
    ("canary_weight", lambda field, value: _count(field, value, high=100)),
    ("failed_checks", _count),
    ("iterations", _count),
    ("step", _count),
    ("last_applied_revision", _string),
    ("last_promoted_revision", _string),
    ("failed_revision", _string),
    ("failure_reason", _text),
    ("last_failed_check", _text),
    ("rebuilt_from", _string),
    ("tracked_configs", _string_map),
    ("originals", _originals),
    ("generated", _generated),
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
