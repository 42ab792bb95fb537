# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON-patch ``test`` operations that make a write fail (422) when the object moved since it was read, so that the
run reads again and plans from what is there instead of overwriting another writer's change."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def unchanged_since_read(live):
    """The object as a whole is still the one read (its resourceVersion): for objects no controller writes to."""
    return {"op": "test", "path": "/metadata/resourceVersion", "value": live["metadata"]["resourceVersion"]}


def spec_unchanged(live):
    """A JSON-patch test that the object's spec is still the one read. Not its resourceVersion: a controller's status
    writes move that all the time, its generation moves only with the spec (a `kubectl set image` meanwhile fails
    the patch, and the run reads again and plans from the new template). An object the server gave no generation
    falls back to its resourceVersion."""
    metadata = live["metadata"]
    if metadata.get("generation") is not None:
        return {"op": "test", "path": "/metadata/generation", "value": metadata["generation"]}
    return unchanged_since_read(live)
