# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one wait loop of the collection (as kubernetes.core's waiter): read an object, judge it with a readiness
predicate, and poll again until it is ready, can never become ready, or the deadline passes.

A predicate is data: a function of the object read (None when absent) returning ``(done, reason, final)``,
``final`` meaning that waiting longer cannot help (a Deployment past its progress deadline)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError

POLL_SECONDS = 0.5


class NotReadyError(CanaryError):
    """A workload did not become ready before its deadline (or can never become ready)."""


def wait_until(read, predicate, timeout, what, on_poll=None, clock=time.monotonic, sleep=time.sleep, interval=POLL_SECONDS):
    """Poll ``read()`` until ``predicate`` says done and return what was read; NotReadyError naming ``what``
    (e.g. "Deployment test/podinfo") after ``timeout`` seconds or at a final verdict.

    ``on_poll`` (the lease's renew) is called between polls, so that a long wait keeps the lease."""
    deadline = clock() + float(timeout)
    while True:
        observed = read()
        done, reason, final = predicate(observed)
        if done:
            return observed
        if final:
            raise NotReadyError("%s cannot become ready: %s" % (what, reason))
        if clock() >= deadline:
            raise NotReadyError("%s not ready after %ss: %s" % (what, timeout, reason))
        if on_poll is not None:
            on_poll()
        sleep(interval)
