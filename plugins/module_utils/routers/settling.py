# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting until a routing change is in effect on every proxy, before what it routed away from is removed.

A routing write (a VirtualService, an HTTPRoute, a Route, a Service's selector) reaches the mesh's proxies after a
delay: istiod debounces and pushes (``PILOT_DEBOUNCE_MAX`` is 10 s), endpoints follow a selector asynchronously, the
OpenShift router reloads HAProxy at most every ``RELOAD_INTERVAL`` (5 s). A proxy that has not heard of the change
still sends to the old backend: scaled down or deleted at once, that is a burst of 503s. So every phase waits, after
its last routing change and before a removal, with ``settle_step``:

- when the provider's routing object reports that its current generation is in effect (``Router.settled``: Istio's
  ``Reconciled`` condition, Gateway API's ``Accepted``/``ResolvedRefs``), until it says so (through the one wait loop,
  workloads/wait.py; at most ``timeout`` seconds, then the phase fails before anything is removed);
- otherwise (istiod without status, OpenShift Routes, a deleted routing object, a Service selector alone) for the
  settle time: the ``route_settle_seconds`` option, else the environment variable
  ``PROGRESSIVE_CANARY_ROUTE_SETTLE_SECONDS``, else ``DEFAULT_SETTLE_SECONDS``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal, Step
from ansible_collections.progressive.canary.plugins.module_utils.workloads.wait import wait_until

DEFAULT_SETTLE_SECONDS = 10.0
SETTLE_ENV = "PROGRESSIVE_CANARY_ROUTE_SETTLE_SECONDS"
DEFAULT_STATUS_TIMEOUT = 300


def settle_seconds(value=None):
    """The settle time: ``value`` (the option), else the environment's, else the default; Refusal when negative."""
    source = "route_settle_seconds"
    if value is None and os.environ.get(SETTLE_ENV, "").strip():
        value, source = os.environ[SETTLE_ENV].strip(), SETTLE_ENV
    if value is None:
        return DEFAULT_SETTLE_SECONDS
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not seconds >= 0:
        raise Refusal("%s must be a number of seconds >= 0, got %r; nothing was changed" % (source, value))
    return seconds


def _read(router, api, names):
    try:
        return router.read_routes(api, names)
    except Refusal:
        return None     # the provider's kinds are not served (cleanup of a half-made canary): nothing to report


def settle_step(router, api, names, seconds, before, timeout=None, on_poll=None, clock=time.monotonic):
    """Step (writing nothing): wait until the last routing change is in effect on every proxy, before ``before``
    (what the phase removes next)."""
    description = "wait until the routing change is in effect on every proxy, before %s" % before

    def execute(ctx):
        started = clock()
        reported = [True]

        def read():
            # Once the mesh reported nothing, the settle time decides: no more reads.
            return _read(router, api, names) if reported[0] else None

        def in_effect(observed):
            verdict = router.settled(observed) if observed is not None else None
            if verdict is None:
                reported[0] = False
                waited = clock() - started
                return waited >= seconds, "the mesh reports no status: waiting the settle time of %ss" % seconds, False
            return verdict

        wait_until(read, in_effect, max(float(timeout or DEFAULT_STATUS_TIMEOUT), seconds), "the routing change of canary %s/%s"
                   % (names.namespace, names.target), on_poll=on_poll, clock=clock)

    return Step(description, execute, changes=False)


def phase_settle_step(run, router, before):
    """``settle_step`` for a phase's run (its request's ``route_settle_seconds`` and ``ready_timeout``, its lease renewed
    while it waits)."""
    request = run.request
    # The lease is read when the step runs: planning in check mode has none.
    return settle_step(router, run.api, run.names, settle_seconds(getattr(request, "route_settle_seconds", None)), before,
                       timeout=request.ready_timeout, on_poll=lambda: run.lease.renew() if run.lease is not None else None)
