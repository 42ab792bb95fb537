# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a workload's pods shut down gracefully: what canary_init and canary_info warn about.

The phases wait until a routing change is in effect before they remove anything (routers/settling.py), but the
pods of a Deployment are also replaced by its own rolling updates (a new revision of the target during an
analysis, the primary's replaced pods while they still serve after a promotion without a drain) and deleted
on scale-down, and the endpoints reach every proxy only after a delay. A pod whose process exits on SIGTERM at
once fails the requests that still reach it meanwhile; a ``preStop`` hook that sleeps a few seconds (shorter than
``terminationGracePeriodSeconds``) keeps it answering until every proxy stopped sending to it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DEFAULT_GRACE_SECONDS = 30


def graceful_shutdown_warning(ref, pod_spec):
    """A warning naming ``ref`` (e.g. "Deployment test/podinfo") when its pod spec has no ``preStop`` hook, or a
    termination grace period of 0; None when every container has one."""
    containers = (pod_spec or {}).get("containers") or []
    without = [c.get("name") for c in containers if not ((c.get("lifecycle") or {}).get("preStop"))]
    grace = (pod_spec or {}).get("terminationGracePeriodSeconds", DEFAULT_GRACE_SECONDS)
    if not without and grace:
        return None
    problem = ("container%s %s ha%s no preStop hook" % ("s" if len(without) > 1 else "", ", ".join(without), "ve" if len(without) > 1 else "s")
               if without else "terminationGracePeriodSeconds is 0")
    return ("%s: %s, so a pod that is scaled down or replaced exits at once while proxies that have not heard of it yet "
            "may still send it requests, which then fail. Give each container a preStop hook that sleeps a few seconds "
            "(lifecycle.preStop.sleep.seconds, or exec sleep) within terminationGracePeriodSeconds (see the collection's "
            "docs/lifecycle.md, \"Routing changes and graceful shutdown\")" % (ref, problem))
