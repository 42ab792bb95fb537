# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""canary_webhook's run once its options are parsed: the canary's webhooks of one type called (webhooks.py) while
the canary's lease, when a holder is given, is kept renewed. Every failure is a CanaryError whose message and fields
are the failed task's (canary_module.failing reports it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import CanaryApiError
from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError, reworded
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.run_lease import renewing_sleep
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import Lease, StateError, StateStore
from ansible_collections.progressive.canary.plugins.module_utils.analysis.webhooks import (
    WebhookConfigError, build_payload, run_webhooks, summary)


def _kept_lease(params, check_mode, connect):
    """The canary's lease, taken or joined for the gates to renew; None without lease_holder, in check mode, or
    when the canary has no state object (nothing to keep)."""
    if not params["lease_holder"] or check_mode:
        return None
    lease = Lease(StateStore(connect(), CanaryNames(params["name"], params["namespace"])), params["lease_holder"],
                  params["lease_seconds"], operation="webhook")
    return lease if lease.acquire(create=False) is not None else None


def _leave(lease):
    """Release a lease taken for this call; a joined run lease stays the run's."""
    if lease is not None and not lease.joined:
        try:
            lease.release()
        except (CanaryApiError, StateError):
            pass    # it expires on its own; the hooks' outcome is what the caller needs


def call_webhooks(params, check_mode, connect):
    """The task's result. ``connect()`` gives the KubeApi of the lease (the module's kube_api). Raises CanaryError:
    ``invalid webhooks: ...`` before any hook is called, ``keeping the lease of canary ...`` when the lease cannot be
    kept, and (with fail_on_failure) a call that did not pass with its whole result."""
    payload = build_payload(params["name"], params["namespace"], params["phase"], params["checksum"])
    lease = None
    try:
        with reworded("invalid webhooks: ", WebhookConfigError), \
                reworded("keeping the lease of canary %s/%s: " % (params["namespace"], params["name"]), CanaryApiError, StateError):
            lease = _kept_lease(params, check_mode, connect)
            outcome = run_webhooks(params["webhooks"], params["type"], payload, check_mode=check_mode,
                                   sleep=renewing_sleep(lease) if lease is not None else time.sleep)
    finally:
        _leave(lease)
    result = dict(changed=False, msg=summary(outcome, params["type"]), **outcome)
    if not outcome["passed"] and params["fail_on_failure"]:
        raise CanaryError(result.pop("msg"), **result)
    return result
