# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-canary state object (ConfigMap ``<target>-canary-state``) and its lease.

Usage by any module that changes a canary::

    store = StateStore(api, CanaryNames(target, namespace))
    with Lease(store, holder="awx-job-42") as lease:        # CanaryLeaseHeld names the holder and expiry
        state = lease.update(lambda s: s.set_phase("Progressing"))  # re-read, mutate, optimistic write
        state = lease.update(lambda s: s.add_failed_check("request-success-rate: no data"))

Every write carries the resourceVersion it read: a concurrent change is re-read and the mutation
re-applied, never overwritten blindly. A run killed while holding the lease blocks others only until
the lease expires; after that any run takes it over.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import json
import os
import socket
import time

from ansible_collections.progressive.canary.plugins.module_utils.connection import ConflictError, CanaryApiError
from ansible_collections.progressive.canary.plugins.module_utils.names import (
    CONFIGMAP, TARGET_ANNOTATION, managed_annotations, managed_labels)
from ansible_collections.progressive.canary.plugins.module_utils.redaction import redact
from ansible_collections.progressive.canary.plugins.module_utils.state_schema import PHASES, validate

STATE_KEY = "state.json"
DEFAULT_LEASE_SECONDS = 300
CONFLICT_RETRIES = 5


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def format_time(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def default_holder():
    """Who holds the lease when the caller does not say: host and process id."""
    return "%s/%d" % (socket.gethostname(), os.getpid())


def empty_state():
    return {
        "phase": "Initializing",
        "canary_weight": 0,
        "failed_checks": 0,
        "iterations": 0,
        "last_applied_revision": None,
        "last_promoted_revision": None,
        "tracked_configs": {},      # "ConfigMap/name" -> checksum of its data
        "originals": {},            # target_replicas, apex_service, virtual_service, hpa
        "generated": [],            # [{"apiVersion", "kind", "name"}] in creation order
        "last_transition_time": format_time(utc_now()),
        "lease": None,              # {"holder", "expires"}
    }


class StateError(Exception):
    """A state object that cannot be used (unreadable JSON, written by someone else...)."""


class CanaryLeaseHeld(StateError):
    """Another run holds the canary's lease."""

    def __init__(self, names, holder, expires):
        super(CanaryLeaseHeld, self).__init__(
            "canary %s/%s is locked by %s until %s (lease in ConfigMap %s); wait for that run to finish or for the lease to expire"
            % (names.namespace, names.target, holder, expires, names.state))
        self.holder = holder
        self.expires = expires


class LeaseLost(StateError):
    """Our lease expired and another run took the canary over while we were working."""


class CanaryState(object):
    """The decoded state plus the resourceVersion it was read at. ``data`` is a plain JSON-able dict."""

    def __init__(self, data, resource_version=None):
        merged = empty_state()
        merged.update(data or {})
        self.data = merged
        self.resource_version = resource_version

    def __getitem__(self, key):
        return self.data[key]

    def __setitem__(self, key, value):
        self.data[key] = value

    def get(self, key, default=None):
        return self.data.get(key, default)

    @property
    def phase(self):
        return self.data["phase"]

    def set_phase(self, phase):
        """Set the phase; last_transition_time moves only when the phase really changes."""
        if phase not in PHASES:
            raise ValueError("unknown phase %r, expected one of %s" % (phase, ", ".join(PHASES)))
        if self.data["phase"] != phase:
            self.data["phase"] = phase
            self.data["last_transition_time"] = format_time(utc_now())
        return self

    def add_failed_check(self, reason=None):
        """Count one failed check (cumulative for the run, as Flagger); keeps the last reason."""
        self.data["failed_checks"] = int(self.data.get("failed_checks") or 0) + 1
        if reason is not None:
            self.data["last_failed_check"] = reason
        return self

    def record_generated(self, api_version, kind, name):
        entry = {"apiVersion": api_version, "kind": kind, "name": name}
        if entry not in self.data["generated"]:
            self.data["generated"].append(entry)
        return self

    def public(self):
        """The state without the lease, for module output."""
        shown = copy.deepcopy(self.data)
        shown.pop("lease", None)
        return shown


def stored(data):
    """What is written of the state: every text with its URLs' credentials redacted (failure reasons quote check and
    webhook URLs), except the originals, which are exact copies of the user's objects that cleanup restores."""
    shown = redact(dict((key, value) for key, value in data.items() if key != "originals"))
    if "originals" in data:
        shown["originals"] = data["originals"]
    return shown


class StateStore(object):
    """Reads and writes the state ConfigMap of one canary with optimistic concurrency."""

    def __init__(self, api, names):
        self.api = api
        self.names = names

    def read_object(self):
        return self.api.get(CONFIGMAP[0], CONFIGMAP[1], self.names.namespace, self.names.state)

    def read(self):
        """The current state, or None when the canary has no state object."""
        return self.decode(self.read_object())

    def decode(self, configmap):
        if configmap is None:
            return None
        annotations = (configmap.get("metadata") or {}).get("annotations") or {}
        if annotations.get(TARGET_ANNOTATION) != self.names.target:
            raise StateError("ConfigMap %s/%s exists but is not the state of canary %s (annotation %s missing); rename or remove it"
                             % (self.names.namespace, self.names.state, self.names.target, TARGET_ANNOTATION))
        raw = (configmap.get("data") or {}).get(STATE_KEY)
        try:
            data = json.loads(raw) if raw else {}
        except ValueError as exc:
            raise StateError("ConfigMap %s/%s: key %s is not JSON (%s)" % (self.names.namespace, self.names.state, STATE_KEY, exc))
        problem = validate(data)
        if problem is not None:
            raise StateError("ConfigMap %s/%s (state of canary %s), key %s: %s; correct it, or delete the ConfigMap and run "
                             "canary_init, which rebuilds the state from the canary's objects"
                             % (self.names.namespace, self.names.state, self.names.target, STATE_KEY, problem))
        return CanaryState(data, (configmap.get("metadata") or {}).get("resourceVersion"))

    def _body(self, state):
        metadata = {
            "name": self.names.state,
            "namespace": self.names.namespace,
            "labels": managed_labels(),
            "annotations": managed_annotations(self.names.target),
        }
        if state.resource_version:
            metadata["resourceVersion"] = state.resource_version
        return {"apiVersion": CONFIGMAP[0], "kind": CONFIGMAP[1], "metadata": metadata,
                "data": {STATE_KEY: json.dumps(stored(state.data), sort_keys=True, indent=1)}}

    def create(self, state):
        """Create the state object; ConflictError when it already exists."""
        created = self.api.create(self._body(state))
        return CanaryState(state.data, created["metadata"]["resourceVersion"])

    def write(self, state):
        """Replace the state object at ``state.resource_version``; ConflictError when it changed meanwhile."""
        replaced = self.api.replace(self._body(state))
        return CanaryState(state.data, replaced["metadata"]["resourceVersion"])

    def delete(self):
        return self.api.delete(CONFIGMAP[0], CONFIGMAP[1], self.names.namespace, self.names.state)


class Lease(object):
    """Exclusive right to change one canary, stored in its state object.

    acquire(): creates the state object when absent; fails with CanaryLeaseHeld when another holder's
    lease has not expired; takes over an expired one. update(mutator): re-read, check the lease is still
    ours, apply ``mutator(state)``, renew the expiry, write optimistically (retried on conflict).
    release(): clears the lease (no-op when the state object is gone, e.g. after cleanup deleted it).
    """

    def __init__(self, store, holder=None, duration=DEFAULT_LEASE_SECONDS):
        self.store = store
        self.holder = holder or default_holder()
        self.duration = int(duration)
        self.state = None
        self._written_at = None     # monotonic time of our last write of the lease

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, exc_type, exc, traceback):
        # On an exception the lease is released too: the run stopped cleanly, the next one may go on.
        try:
            self.release()
        except (CanaryApiError, StateError):
            if exc_type is None:
                raise
        return False

    def _expiry(self):
        return format_time(utc_now() + datetime.timedelta(seconds=self.duration))

    def _held_by_other(self, state):
        lease = state.get("lease") or {}
        if not lease.get("holder") or lease["holder"] == self.holder:
            return False
        return parse_time(lease["expires"]) > utc_now()

    def acquire(self):
        for _attempt in range(CONFLICT_RETRIES):
            state = self.store.read()
            try:
                if state is None:
                    fresh = CanaryState({})
                    fresh["lease"] = {"holder": self.holder, "expires": self._expiry()}
                    self.state = self.store.create(fresh)
                    self._written_at = time.monotonic()
                    return self.state
                if self._held_by_other(state):
                    raise CanaryLeaseHeld(self.store.names, state["lease"]["holder"], state["lease"]["expires"])
                state["lease"] = {"holder": self.holder, "expires": self._expiry()}
                self.state = self.store.write(state)
                self._written_at = time.monotonic()
                return self.state
            except ConflictError:
                continue
        raise StateError("could not take the lease of %s/%s: the state object kept changing" % (self.store.names.namespace,
                                                                                                self.store.names.state))

    def update(self, mutator, renew=False):
        """Apply ``mutator`` (a function changing a CanaryState in place) and write it with a renewed expiry;
        returns the new state. Nothing is written when the mutation changed nothing, unless ``renew``."""
        for _attempt in range(CONFLICT_RETRIES):
            state = self.store.read()
            if state is None:
                raise LeaseLost("the state object %s/%s disappeared while %s held its lease"
                                % (self.store.names.namespace, self.store.names.state, self.holder))
            if (state.get("lease") or {}).get("holder") != self.holder:
                taker = (state.get("lease") or {}).get("holder")
                raise LeaseLost("the lease of %s/%s was %s while %s worked (it expired)"
                                % (self.store.names.namespace, self.store.names.state,
                                   "taken over by %s" % taker if taker else "released by another run", self.holder))
            before = json.dumps(state.data, sort_keys=True)
            mutator(state)
            if json.dumps(state.data, sort_keys=True) == before and not renew:
                self.state = state
                return state
            state["lease"] = {"holder": self.holder, "expires": self._expiry()}
            try:
                self.state = self.store.write(state)
                self._written_at = time.monotonic()
                return self.state
            except ConflictError:
                continue
        raise StateError("could not update %s/%s: the state object kept changing" % (self.store.names.namespace, self.store.names.state))

    def renew(self):
        """Extend the lease (call during long waits). Cheap to call often: nothing is read or written until a
        third of the lease has passed since our last write."""
        if self._written_at is not None and time.monotonic() - self._written_at < self.duration / 3.0:
            return self.state
        return self.update(lambda state: None, renew=True)

    def release(self):
        for _attempt in range(CONFLICT_RETRIES):
            state = self.store.read()
            if state is None or (state.get("lease") or {}).get("holder") != self.holder:
                return
            state["lease"] = None
            try:
                self.state = self.store.write(state)
                return
            except ConflictError:
                continue
