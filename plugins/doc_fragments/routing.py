# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The option of the phases that remove something a route sent to; specified by
plugins/module_utils/arguments/routing.py (ROUTING)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  route_settle_seconds:
    description:
    - After a routing change and before it scales down or deletes what that change routed away from (canary_init
      before scaling the target to 0, canary_promote before replacing the primary's pods and before scaling the
      canary to 0, canary_rollback before scaling the canary to 0, canary_shift and canary_advance before scaling the canary to 0 when
      the target went back to the promoted revision, canary_cleanup before deleting the primary and the objects
      routing to it), the module waits until the change is in effect on every proxy of the mesh.
    - When the routing object reports it (provider C(istio) with istiod writing status, C(PILOT_ENABLE_STATUS), the
      VirtualService's C(Reconciled) condition at its C(observedGeneration); provider C(gatewayapi), the
      HTTPRoute's C(status.parents[]) C(Accepted) and C(ResolvedRefs) at its generation), until it does (at most
      O(ready_timeout), 300 s when unset). Otherwise (istiod without status, provider C(openshift), a deleted
      routing object, a Service selector change) it waits this many seconds.
    - Unset, the environment variable C(PROGRESSIVE_CANARY_ROUTE_SETTLE_SECONDS) of the module's process, else 10
      (istiod debounces pushes for up to 10 s, C(PILOT_DEBOUNCE_MAX); the OpenShift router reloads at most every
      5 s). 0 waits only for what the mesh reports; negative values are refused.
    type: float
"""
