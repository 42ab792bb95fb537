# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Marking, comparing and showing the objects the collection generates.

Each generated object carries a hash of what we asked for (``progressive.canary/spec-hash``) so that a
second run compares hashes instead of diffing against server-defaulted fields, and writes nothing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import json

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import (
    ANNOTATION_PREFIX, managed_annotations, managed_labels)

SPEC_HASH_ANNOTATION = ANNOTATION_PREFIX + "spec-hash"
# Fields the server sets; never part of a comparison, a diff or a restore.
SERVER_METADATA = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
                   "deletionTimestamp", "deletionGracePeriodSeconds")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def digest(value):
    """A short stable hash of any JSON-able value."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()[:16]


def build(api_version, kind, namespace, name, target, body_fields, labels=None, annotations=None):
    """A generated object: our labels/annotations, ``body_fields`` (spec, data, ...) and its spec-hash."""
    body = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": managed_labels(labels),
            "annotations": managed_annotations(target, annotations),
        },
    }
    body.update(copy.deepcopy(body_fields))
    body["metadata"]["annotations"][SPEC_HASH_ANNOTATION] = digest(
        {"metadata": {"labels": body["metadata"]["labels"], "annotations": body["metadata"]["annotations"]},
         "body": body_fields})
    return body


def spec_hash(obj):
    return (((obj or {}).get("metadata") or {}).get("annotations") or {}).get(SPEC_HASH_ANNOTATION)


def up_to_date(live, desired):
    """True when ``live`` was written from exactly ``desired`` (same spec-hash)."""
    return live is not None and spec_hash(live) == spec_hash(desired)


def strip_server_fields(obj):
    """A copy of ``obj`` without status and server-set metadata: what a user would write."""
    if obj is None:
        return None
    clean = copy.deepcopy(obj)
    clean.pop("status", None)
    metadata = clean.get("metadata") or {}
    for field in SERVER_METADATA:
        metadata.pop(field, None)
    annotations = metadata.get("annotations")
    if annotations is not None:
        annotations.pop(LAST_APPLIED, None)
        if not annotations:
            metadata.pop("annotations")
    return clean


def redact(obj):
    """Secrets never appear in output: their values are replaced by a checksum."""
    if obj is None or obj.get("kind") != "Secret":
        return obj
    shown = copy.deepcopy(obj)
    for field in ("data", "stringData"):
        if shown.get(field):
            shown[field] = dict((key, "<redacted sha256:%s>" % digest(value)) for key, value in shown[field].items())
    return shown


def diff_entry(label, before, after):
    """One entry of Ansible's --diff list (before/after as dicts, Secrets redacted)."""
    return {
        "before_header": label,
        "after_header": label,
        "before": redact(strip_server_fields(before)) if before is not None else {},
        "after": redact(strip_server_fields(after)) if after is not None else {},
    }
