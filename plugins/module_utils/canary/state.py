# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-canary state object (ConfigMap ``<target>-canary-state``) and its lease. The document it stores, with its
schema, phases and transitions, is state_schema.CanaryState.

Usage by any module that changes a canary::

    store = StateStore(api, CanaryNames(target, namespace))
    with Lease(store, holder="awx-job-42") as lease:        # CanaryLeaseHeld names the holder and expiry
        state = lease.update(lambda s: s.start_analysis(revision))  # re-read, transition, optimistic write
        state = lease.update(lambda s: s.count_failed_check("request-success-rate: no data"))

Every write carries the resourceVersion it read: a concurrent change is re-read and the mutation
re-applied, never overwritten blindly. A run killed while holding the lease blocks others only until
the lease expires, or, on the host it ran on, until its processes are gone; then any run takes it over.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import json
import os
import socket
import time

from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import ConflictError, CanaryApiError
from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import (
    CONFIGMAP, TARGET_ANNOTATION, managed_annotations, managed_labels)
from ansible_collections.progressive.canary.plugins.module_utils.canary.processes import is_running, node_id, process_identity
from ansible_collections.progressive.canary.plugins.module_utils.redaction import redact
from ansible_collections.progressive.canary.plugins.module_utils.kube.retry import retry_stale
# The document itself (schema, phases, transitions) lives in state_schema; its names are importable from here too.
from ansible_collections.progressive.canary.plugins.module_utils.canary.state_schema import (  # noqa: F401 pylint: disable=unused-import
    ANALYSIS_PHASES, PHASES, PROMOTION_PHASES, SCHEMA_VERSION, CanaryState, empty_state, format_time, parse_time, utc_now, validate)

STATE_KEY = "state.json"
DEFAULT_LEASE_SECONDS = 300
# How often a run waiting for another holder's lease reads it again.
LEASE_POLL_SECONDS = 2.0
CONFLICT_RETRIES = 5


def default_holder():
    """Who holds the lease when the caller does not say: host and process id."""
    return "%s/%d" % (socket.gethostname(), os.getpid())


class StateError(CanaryError):
    """A state object that cannot be used (unreadable JSON, written by someone else...)."""


class CanaryLeaseHeld(StateError):
    """Another run holds the canary's lease (``lease`` is its record, ``why`` says why it is not taken over)."""

    def __init__(self, names, lease, why, waited=0):
        super(CanaryLeaseHeld, self).__init__(
            "canary %s/%s is locked by %s until %s (lease in ConfigMap %s; %s)%s; wait for that run to finish or for the lease to expire"
            % (names.namespace, names.target, describe_holder(lease), lease.get("expires"), names.state, why,
               "; waited %d s for it" % waited if waited else ""))
        self.lease = lease
        self.result = {"held_by": lease}
        self.holder = lease.get("holder")
        self.expires = lease.get("expires")
        self.why = why


class LeaseLost(StateError):
    """Our lease expired and another run took the canary over while we were working."""


class StaleKnownState(ConflictError):
    """The write at a state this process did not read (Lease.adopt ``unread``: the advance step's previous step wrote it)
    was refused (409): someone changed the state since. Not retried by the lease: the caller reads and plans again."""


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
        # A document of an older schema version is upgraded here; it is written at its version at its next change.
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

    def known(self, data, resource_version):
        """The state as this canary's last write stored it (``data`` at ``resource_version``, the API server's answer),
        checked as a read one is; StateError when it is not a state document."""
        return self.decode({"metadata": {"annotations": managed_annotations(self.names.target), "resourceVersion": resource_version},
                            "data": {STATE_KEY: json.dumps(data)}})

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


def describe_holder(lease):
    """``<holder> (operation <op>, host <host>)``: who holds a lease, for messages."""
    details = ["%s %s" % (label, lease[key]) for key, label in (("operation", "operation"), ("host", "host")) if lease.get(key)]
    return "%s (%s)" % (lease.get("holder"), ", ".join(details)) if details else str(lease.get("holder"))


def taken_over_warning(lease):
    """What a run says when it took the lease of an expired or dead holder (``lease`` as in Lease.taken_over)."""
    return "took over the lease of %s: %s" % (describe_holder(lease), lease["why"])


def _pids(processes):
    return ", ".join(str(process.get("pid")) for process in processes)


def judge_lease(names, lease, node, now):
    """Whether another holder's lease may be taken over: ``(verdict, why)``, verdict one of ``dead`` (every process
    it names ended, on this node), ``alive`` (one still runs on this node: never taken over, even past its expiry),
    ``expired`` (its processes cannot be checked here and its expiry passed) or ``unknown`` (neither)."""
    try:
        expires = parse_time(lease.get("expires"))
    except (TypeError, ValueError):
        raise StateError("ConfigMap %s/%s: the lease of %s has an expiry that is not a time (%r); remove the lease field of the state to"
                         " release it" % (names.namespace, names.state, lease.get("holder"), lease.get("expires")))
    processes = lease.get("processes") or []
    if processes and node is not None and lease.get("node") == node:
        running = [process for process in processes if is_running(process)]
        if running:
            late = "its lease expired at %s but " % lease["expires"] if expires <= now else ""
            return "alive", "%sits process %s on this host still runs" % (late, _pids(running))
        return "dead", "its process %s on this host ended" % _pids(processes)
    if expires <= now:
        return "expired", "its lease expired at %s" % lease["expires"]
    if not processes:
        return "unknown", "its processes are not recorded, so only the expiry frees it"
    return "unknown", "its process %s runs on host %s, out of sight from here" % (_pids(processes), lease.get("host"))


# Where the state Lease.update() writes at without reading came from (Lease._known_origin).
READ, HANDED_OVER, WRITTEN = "read", "handed over", "written"


class Lease(object):
    """Exclusive right to change one canary, stored in its state object.

    acquire(): creates the state object when absent; takes the lease when it is free, ours, expired, or held by
    processes that all ended on this node (a killed run); else waits up to ``wait`` seconds, then fails with
    CanaryLeaseHeld naming the holder, its operation, its expiry and why it is not taken over.
    update(mutator): re-read, check the lease is still ours, apply ``mutator(state)``, renew the expiry, write
    optimistically (retried on conflict). release(): clears the lease (no-op when the state object is gone).

    ``scope``: ``call`` (a module call; the lease is released when the call ends) or ``run`` (a whole run of
    several module calls, taken and released by canary_lease). A call that finds a run lease of its own holder
    joins it: it renews it while it works and leaves it held on exit, for the run to release.
    ``processes``: process ids whose life bounds the holder's: by default this process for a call, none (unknown:
    only the expiry frees it) for a run, unless the run's controller process is given.
    """

    def __init__(self, store, holder=None, duration=DEFAULT_LEASE_SECONDS, operation=None, scope="call", processes=None):
        self.store = store
        self.holder = holder or default_holder()
        self.duration = int(duration)
        if self.duration < 1:
            raise StateError("the lease must last at least 1 second (lease_seconds %d)" % self.duration)
        self.operation = operation
        self.scope = scope
        if processes is None:
            processes = [os.getpid()] if scope == "call" else []
        self.processes = [identity for identity in (process_identity(pid) for pid in processes) if identity]
        self.node = node_id()
        self.joined = False         # the lease was our run's: leave it held on exit
        self.found_version = None   # the state's resourceVersion as acquire() found it, before its own write
        self.taken_over = None      # the record of the expired or dead holder we took the lease from
        self.state = None
        self._written_at = None     # monotonic time of our last write of the lease
        self._known = None          # a state update() writes at without reading again, and where it came from:
        self._known_origin = None   # READ (adopt), HANDED_OVER (adopt, the previous step's write) or WRITTEN (_wrote)

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, exc_type, exc, traceback):
        # On an exception the lease is released too: the run stopped cleanly, the next one may go on.
        if self.joined:
            return False
        try:
            self.release()
        except (CanaryApiError, StateError):
            if exc_type is None:
                raise
        return False

    def _expiry(self):
        return format_time(utc_now() + datetime.timedelta(seconds=self.duration))

    def record(self):
        """The lease as written in the state object."""
        return {"holder": self.holder, "operation": self.operation, "scope": self.scope, "expires": self._expiry(),
                "host": socket.gethostname(), "node": self.node, "processes": self.processes}

    def _join(self, lease):
        """Work under our own run's lease: keep its operation and the process that bounds the run (the controller),
        add this process (a module still working after its controller died still holds the lease)."""
        self.joined = True
        self.operation = lease.get("operation") or self.operation
        if self.scope == "call":
            recorded = lease.get("processes") or []
            if recorded and lease.get("node") == self.node:
                self.processes = recorded[:1] + self.processes
            else:
                self.node, self.processes = lease.get("node"), recorded
        self.scope = "run"

    def _take(self, create):
        def attempt():
            state = self.store.read()
            self.joined, self.taken_over = False, None
            self.found_version = state.resource_version if state is not None else None
            if state is None:
                if not create:
                    return None
                fresh = CanaryState({}).take_lease(self.record())
                return self._wrote(self.store.create(fresh))
            lease = state.get("lease") or {}
            if lease.get("holder") == self.holder:
                if lease.get("scope") == "run":
                    self._join(lease)
            elif lease.get("holder"):
                verdict, why = judge_lease(self.store.names, lease, self.node, utc_now())
                if verdict in ("alive", "unknown"):
                    raise CanaryLeaseHeld(self.store.names, lease, why)
                self.taken_over = dict(lease, why=why)
            state.take_lease(self.record())
            return self._wrote(self.store.write(state))

        return self._retried_on_conflict(attempt, "take the lease of")

    def _wrote(self, state):
        """``state`` as our write stored it (the API server's answer): the next update() writes at its resourceVersion
        without reading it again; anyone else's change since makes that write conflict, and the change is then applied
        to a fresh read, as after any conflict. A release's state is written several times under one lease (the
        phase, the weight, the lease's renewal): one GET less each time."""
        self.state = state
        self._known = CanaryState(copy.deepcopy(state.data), state.resource_version)  # update() changes it in place
        self._known_origin = WRITTEN
        self._written_at = time.monotonic()
        return state

    def adopt(self, state, unread=False):
        """Work under our own run's lease as ``state`` (just read) records it, without writing: True when it is this
        holder's run lease and more than two thirds of its duration are left (so it was written a moment ago); the next
        update() then writes at ``state``'s resourceVersion without reading again (a conflict re-reads) and renews the
        lease with it. False otherwise: acquire() as usual. The advance step's way to fold the renewal into its one
        state write. ``unread``: ``state`` is what the previous step of the run wrote, not read here; a write at it that
        conflicts raises StaleKnownState (the caller reads and plans again) instead of being re-applied to a fresh read."""
        lease = (state.get("lease") or {}) if state is not None else {}
        if lease.get("holder") != self.holder or lease.get("scope") != "run":
            return False
        try:
            left = (parse_time(lease.get("expires")) - utc_now()).total_seconds()
        except (TypeError, ValueError):
            return False
        if left <= self.duration * 2.0 / 3.0:
            return False
        self._join(lease)
        self.state = state
        self._known = CanaryState(copy.deepcopy(state.data), state.resource_version)  # update() changes it in place
        self._known_origin = HANDED_OVER if unread else READ
        self._written_at = time.monotonic() - (self.duration - left)
        return True

    def acquire(self, wait=0, create=True, sleep=time.sleep, clock=time.monotonic):
        """Take the lease, waiting up to ``wait`` seconds for a live holder (the lease is read again every
        LEASE_POLL_SECONDS, so an expired or dead holder is taken over as soon as it is one). Returns the state,
        or None when there is no state object and ``create`` is false."""
        started = clock()
        while True:
            try:
                return self._take(create)
            except CanaryLeaseHeld as held:
                left = started + wait - clock()
                if left <= 0:
                    if wait > 0:
                        raise CanaryLeaseHeld(self.store.names, held.lease, held.why, waited=clock() - started)
                    raise
                sleep(min(LEASE_POLL_SECONDS, left))

    def update(self, mutator, renew=False):
        """Apply ``mutator`` (a function changing a CanaryState in place) and write it with a renewed expiry;
        returns the new state. Nothing is written when the mutation changed nothing, unless ``renew``."""
        def attempt():
            known, self._known = self._known, None
            state = known or self.store.read()
            if state is None:
                raise self._disappeared()
            if (state.get("lease") or {}).get("holder") != self.holder:
                taker = (state.get("lease") or {}).get("holder")
                raise LeaseLost("the lease of %s/%s was %s while %s worked (it expired)"
                                % (self.store.names.namespace, self.store.names.state,
                                   "taken over by %s" % taker if taker else "released by another run", self.holder))
            before = json.dumps(state.data, sort_keys=True)
            mutator(state)
            if json.dumps(state.data, sort_keys=True) == before and not renew:
                if known is not None and self._known_origin == WRITTEN:
                    # Nothing to write at our own last write, which may be long past: judged again on a read, so a
                    # lease lost meanwhile (or a state deleted) is said now, as it was before a write without a read.
                    return attempt()
                self.state = state
                return state
            # A renewal by a holder that did not say what it does (canary_lease state=held) keeps the operation.
            self.operation = self.operation or state["lease"].get("operation")
            state.take_lease(self.record())
            try:
                written = self.store.write(state)
            except ConflictError as exc:
                if known is not None and self._known_origin == HANDED_OVER:
                    raise StaleKnownState("the state object %s/%s changed since the previous step wrote it (%s)"
                                          % (self.store.names.namespace, self.store.names.state, exc), status=409, reason="Conflict")
                raise
            except CanaryApiError as exc:
                if known is not None and exc.status == 404:     # written at without a read: gone since
                    raise self._disappeared()
                raise
            return self._wrote(written)

        return self._retried_on_conflict(attempt, "update")

    def _disappeared(self):
        return LeaseLost("the state object %s/%s disappeared while %s held its lease"
                         % (self.store.names.namespace, self.store.names.state, self.holder))

    def renew(self):
        """Extend the lease (call during long waits). Cheap to call often: nothing is read or written until a
        third of the lease has passed since our last write."""
        if self._written_at is not None and time.monotonic() - self._written_at < self.duration / 3.0:
            return self.state
        if self._known_origin == HANDED_OVER:
            self._known = None      # a renewal is no step's plan: it reads rather than fail on a state changed meanwhile
        return self.update(lambda state: None, renew=True)

    def hold(self, seconds, sleep=time.sleep, clock=time.monotonic):
        """Keep the lease for ``seconds`` while nothing else happens (a step's interval), renewing it every third of
        its duration and once more at the end; LeaseLost when another run took it meanwhile."""
        end = clock() + seconds
        while True:
            left = end - clock()
            if left <= 0:
                return self.state
            sleep(min(left, self.duration / 3.0))
            self.update(lambda state: None, renew=True)

    def release(self):
        """Clear the lease if it is ours (a joined call leaves it to its run: see __exit__)."""
        def attempt():
            state = self.store.read()     # read: the run may have deleted the state object (cleanup)
            if state is None or (state.get("lease") or {}).get("holder") != self.holder:
                return
            state.clear_lease()
            self.state = self.store.write(state)

        # A lease that keeps conflicting is left to expire.
        self._retried_on_conflict(attempt, None)

    def _retried_on_conflict(self, attempt, what):
        """``attempt()`` (read, change, write at the resourceVersion read) again from a fresh read while its write
        conflicts, at most CONFLICT_RETRIES times (retry.retry_stale); then StateError "could not <what> ...", or
        nothing when ``what`` is None."""
        try:
            return retry_stale(attempt, lambda exc: isinstance(exc, ConflictError) and not isinstance(exc, StaleKnownState), CONFLICT_RETRIES)
        except StaleKnownState:
            raise
        except ConflictError:
            if what is None:
                return None
            raise StateError("could not %s %s/%s: the state object kept changing" % (what, self.store.names.namespace, self.store.names.state))
