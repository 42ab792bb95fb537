# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a write whose answer was lost is already in effect.

A create, a PUT at a resourceVersion or a JSON patch guarded by a ``test`` op that is retried after the first try
did reach the server (the connection dropped after the write, a 504 from a proxy) answers 409 AlreadyExists, 409
Conflict or 422 (failed test): the object moved because of our own write. These functions look at the live object
and say whether it holds exactly what we sent, so that the retried write counts as done; anything else stays a
conflict for the caller to report or re-plan."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils.kube.generated import spec_hash

# Metadata the server sets or moves on every write: never part of what we sent.
_SERVER_MOVED = ("resourceVersion", "generation", "uid", "creationTimestamp", "managedFields")


def _contains(live, sent):
    """True when every field of ``sent`` is in ``live`` with the same value (fields the server added are ignored)."""
    if isinstance(sent, dict):
        return isinstance(live, dict) and all(key in live and _contains(live[key], value) for key, value in sent.items())
    if isinstance(sent, list):
        return isinstance(live, list) and len(live) == len(sent) and all(_contains(a, b) for a, b in zip(live, sent))
    return live == sent


def holds(live, sent):
    """True when ``live`` is the object ``sent`` (a create or replace body) asked for: the same spec-hash for the
    objects we generate, else every field we sent present with our value."""
    if live is None:
        return False
    if spec_hash(sent) is not None:
        return spec_hash(live) == spec_hash(sent)
    wanted = copy.deepcopy(sent)
    for field in _SERVER_MOVED:
        (wanted.get("metadata") or {}).pop(field, None)
    return _contains(live, wanted)


def _tokens(pointer):
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]


def _resolve(document, tokens):
    """The container holding the last token, or None when the path does not exist."""
    node = document
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def _already_applied(document, operation):
    tokens = _tokens(operation["path"])
    if not tokens:
        return operation["op"] in ("add", "replace") and document == operation.get("value")
    parent = _resolve(document, tokens)
    last = tokens[-1]
    if isinstance(parent, dict):
        present = last in parent
        current = parent.get(last)
    elif isinstance(parent, list) and last.isdigit():
        present = int(last) < len(parent)
        current = parent[int(last)] if present else None
        if operation["op"] == "add":
            return False     # an add on a list index inserts again
    else:
        return operation["op"] == "remove" and parent is None
    if operation["op"] == "remove":
        return not present
    if operation["op"] in ("add", "replace"):
        return present and current == operation["value"]
    return operation["op"] == "test"


def patch_in_effect(live, operations):
    """True when applying the JSON patch ``operations`` (its ``test`` ops aside) to ``live`` would change nothing."""
    if live is None:
        return False
    return all(_already_applied(live, operation) for operation in operations if operation["op"] != "test")
