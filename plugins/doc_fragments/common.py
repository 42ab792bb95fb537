# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options every canary module takes (besides kubernetes.core.k8s_auth_options)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  target:
    description:
    - Name of the target Deployment (the canary). Every managed object is named after it.
    - The C(-primary) and C(-canary) Services are named after it, so it must be a DNS-1035 label of at most 55
      characters (C(<target>-primary) then has the 63 a Service name may have); other names are refused before
      anything is written.
    type: str
    required: true
  namespace:
    description:
    - Namespace of the target Deployment and of every object the canary manages.
    type: str
    required: true
  request_timeout:
    description:
    - Seconds to wait for any single API request before failing with a clear error. Must be positive.
    type: float
    default: 30
  lease_holder:
    description:
    - Name recorded as the holder of the canary's lease while this run changes it (shown to a concurrent run).
    - Defaults to C(<hostname>/<pid>).
    type: str
  lease_seconds:
    description:
    - Validity of the lease in seconds; it is renewed while the run waits. A run killed while holding it blocks
      other runs until it expires, after which any run takes it over.
    - Must be at least 1.
    type: int
    default: 300
  provider:
    description:
    - The traffic provider that routes the canary's traffic, C(istio) (DestinationRules and a VirtualService).
    - C(gatewayapi) routes through one Gateway API HTTPRoute (C(gateway.networking.k8s.io/v1)), attached to the Gateways
      of I(service.gateway_refs), else to the apex Service for mesh traffic.
    - C(openshift) routes through an OpenShift Route (route.openshift.io/v1), its C(spec.to) sent to the C(-primary) and
      one alternate backend to the C(-canary) Service; see I(service.expose).
    - A I(service) suboption the chosen provider does not read is refused before anything is read.
    - canary_init records it in the canary's state; canary_shift, canary_promote, canary_rollback, canary_cleanup,
      canary_info and a later canary_init refuse another one before anything is written (a state written before this
      option existed means C(istio)). canary_analysis measures its builtin checks on this provider's metrics (Istio's for C(istio)
      and C(gatewayapi), the router's HAProxy metrics for C(openshift)); canary_image and canary_lease route nothing
      and use it only to read the canary's status their I(info) option returns (they take it so that one set of options
      serves every canary module, as the rollout role passes them).
    - Not for the C(group/progressive.canary.canary) entry of C(module_defaults), because canary_webhook and the
      kubernetes.core modules of the group do not take it.
    type: str
    choices: [gatewayapi, istio, openshift]
    default: istio
"""

    SELECTOR = r"""
options:
  selector_labels:
    description:
    - Candidate selector labels, in order; the first one found in the target's C(spec.selector.matchLabels) is used.
    type: list
    elements: str
    default: [app, name, app.kubernetes.io/name]
  ready_timeout:
    description:
    - Seconds to wait for a Deployment to become ready (the primary in init, the target in cleanup). Must be at least 1.
    type: int
    default: 300
"""
