# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""canary_lease: a canary's lease held across the module calls of one run (the rollout role, the cleanup
playbook), rather than for one module call.

The run takes it before its first write (``acquired``), keeps it renewed while it waits (``held``: a step's
interval) and releases it at its end (``released``, also after a failure). Module calls made with the same
holder in between join it and leave it held (state.Lease, scope ``run``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.progressive.canary.plugins.module_utils.canary.processes import node_id
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import InputError
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import (
    CanaryLeaseHeld, Lease, StateStore, describe_holder, judge_lease, utc_now)


class LeaseRequest(object):
    """What canary_lease is asked; InputError for options no lease can be held with, before anything is read."""

    def __init__(self, names, holder, seconds, operation=None, wait=0, hold=0, controller_pid=None):
        if not holder:
            raise InputError("lease_holder is required: it names the run that holds the lease across its tasks")
        for name, value in (("wait", wait), ("hold", hold)):
            if value < 0:
                raise InputError("%s must be 0 or more seconds (got %d)" % (name, value))
        self.names = names
        self.holder = holder
        self.seconds = seconds
        self.operation = operation
        self.wait = wait
        self.hold = hold
        self.controller_pid = controller_pid


def _lease(api, request):
    return Lease(StateStore(api, request.names), request.holder, request.seconds, operation=request.operation, scope="run",
                 processes=[request.controller_pid] if request.controller_pid else [])


def _result(lease, acquired, changed, msg, waited=0):
    current = lease.state.get("lease") if lease.state is not None else None
    return {"changed": changed, "acquired": acquired, "msg": msg, "lease": current, "taken_over": lease.taken_over,
            "waited": int(waited)}


def _would_acquire(lease):
    """Check mode: whether the lease could be taken now, reading only."""
    state = lease.store.read()
    if state is None:
        return {"changed": False, "acquired": False, "msg": "%s has no state object yet: nothing to lock" % lease.store.names.state,
                "lease": None, "taken_over": None, "waited": 0}
    current = state.get("lease") or {}
    if current.get("holder") and current["holder"] != lease.holder:
        verdict, why = judge_lease(lease.store.names, current, node_id(), utc_now())
        if verdict in ("alive", "unknown"):
            raise CanaryLeaseHeld(lease.store.names, current, why)
    return {"changed": current.get("holder") != lease.holder, "acquired": True, "lease": current or None, "taken_over": None,
            "waited": 0, "msg": "would take the lease of %s as %s" % (lease.store.names.state, lease.holder)}


def acquire(api, request, check_mode=False, clock=time.monotonic):
    """Take the lease for the run, waiting up to ``request.wait`` seconds for another live holder; no state object
    means nothing to lock yet (canary_init creates it under its own lease). Raises CanaryLeaseHeld."""
    lease = _lease(api, request)
    if check_mode:
        return _would_acquire(lease)
    started = clock()
    state = lease.acquire(wait=request.wait, create=False)
    waited = clock() - started
    if state is None:
        return {"changed": False, "acquired": False, "lease": None, "taken_over": None, "waited": int(waited),
                "msg": "%s/%s has no state object yet: nothing to lock (canary_init creates it under its own lease)"
                       % (request.names.namespace, request.names.state)}
    if lease.taken_over:
        msg = "took the lease of %s over from %s: %s" % (request.names.state, describe_holder(lease.taken_over), lease.taken_over["why"])
    else:
        msg = "%s the lease of %s as %s" % ("renewed" if lease.joined else "took", request.names.state, request.holder)
    return _result(lease, True, not lease.joined, msg, waited)


def hold(api, request, check_mode=False):
    """Keep the run's lease renewed for ``request.hold`` seconds. The lease must be the run's already: a run that
    lost it (it expired and another run took it, or the state object was deleted) fails with LeaseLost."""
    lease = _lease(api, request)
    if check_mode:
        time.sleep(request.hold)
        return _result(lease, True, False, "held no lease for %s s (check mode)" % request.hold)
    lease.update(lambda state: None, renew=True)
    lease.hold(request.hold)
    return _result(lease, True, False, "held the lease of %s for %s s" % (request.names.state, request.hold))


def release(api, request, check_mode=False):
    """Release the lease when this holder has it; nothing is written otherwise."""
    store = StateStore(api, request.names)
    state = store.read()
    current = (state.get("lease") or {}) if state is not None else {}
    if current.get("holder") != request.holder:
        return {"changed": False, "acquired": False, "lease": current or None, "taken_over": None, "waited": 0,
                "msg": "the lease of %s/%s is not held by %s: nothing to release" % (request.names.namespace, request.names.state,
                                                                                     request.holder)}
    if not check_mode:
        _lease(api, request).release()
    return {"changed": True, "acquired": False, "lease": None, "taken_over": None, "waited": 0,
            "msg": "released the lease of %s/%s" % (request.names.namespace, request.names.state)}


def renewing_sleep(lease, sleep=time.sleep, clock=time.monotonic):
    """A ``sleep(seconds)`` that keeps ``lease`` (an acquired state.Lease) renewed while it waits: for gates, which
    may poll for an hour, far longer than a lease lasts."""
    def wait(seconds):
        end = clock() + seconds
        while True:
            lease.renew()
            left = end - clock()
            if left <= 0:
                return
            sleep(min(left, lease.duration / 3.0))
    return wait
