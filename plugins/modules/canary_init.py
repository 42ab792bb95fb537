#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: canary_init
short_description: Put a Deployment under canary management (primary, Services, Istio routing)
version_added: 0.1.0
description:
- Phase 1 of the canary lifecycle, in an order that keeps the apex host serving throughout.
- Records the originals (target replicas, apex Service, pre-existing VirtualService, HPA) in the state
  ConfigMap C(<target>-canary-state); creates the C(<target>-primary) and C(<target>-canary) Services,
  C(-primary) copies of the ConfigMaps and Secrets the pod template references, and the C(<target>-primary)
  Deployment, and waits until it is ready; creates the primary HPA; re-points the apex Service at the primary
  keeping all its ports (or creates it when absent); creates the DestinationRules and the VirtualService
  (primary 100 / canary 0), or manages only the canary route of a pre-existing VirtualService; then scales the
  target to 0 and sets the phase C(Initialized).
- The C(-canary) Service selects the target's whole C(matchLabels); the C(-primary) Service and the re-pointed
  apex Service select the primary's whole selector (the target's with the selector label's value suffixed
  C(-primary), or the live primary's own), so no other instance of the same app is selected.
- The primary Deployment carries a record in its annotation C(progressive.canary/record) (the originals, the
  promoted and the failed revision) that canary_promote and canary_rollback keep current. When the state ConfigMap is
  lost while the primary exists, init rebuilds the state from that record and changes no workload; without a
  usable record it refuses, writing nothing, and says what to do; so it does when the state and the primary are
  gone but the apex Service still selects the primary's label value.
- Refuses before writing anything when the Deployment is missing, its selector has none of the candidate
  labels, no container exposes the service's target port, a generated name is taken by an object that is not
  ours, the Istio CRDs are not installed, or the target is already managed by another canary.
- Also refuses, writing nothing, a VirtualService of another name that routes the apex host (in any of its
  forms) or a configured host through the same gateway (rename it to the target's name to have it adopted, or
  remove the host from it), and a VirtualService named like the target's that appeared after init recorded the
  originals.
- Also refuses, before writing anything, every option the cluster would refuse (see each option), a selector label
  value too long for the primary's (the value plus C(-primary) must fit in 63 characters), and an apex Service
  without a selector (traffic to hand-written Endpoints) or of type C(ExternalName).
- Then sends every object it would create or replace to the API server as a server-side dry run (C(dryRun=All));
  what the API server or a validating webhook (istiod's) refuses ends the run, naming the object, before the first
  write. Check mode does the same dry run.
- A second run with the same input writes nothing. After the rollout started, a re-run only converges the
  Services, DestinationRules and VirtualService settings, keeping the current weights.
- A ConfigMap or Secret annotated C(progressive.canary/track=false) is not copied for the primary.
- With I(provider=gatewayapi), no DestinationRule or VirtualService; one HTTPRoute whose managed rule splits between
  C(<target>-primary) and C(<target>-canary), generated (named like the target) or adopted (the user's route to the apex
  Service, only that rule managed, given back byte for byte by cleanup). I(service.match), I(service.headers) and
  I(service.timeout) become that rule's C(matches), header modifier C(filters) and C(timeouts.request) (Flagger's
  mapping); on an adopted rule, what is not given stays the user's.
- With I(provider=openshift), no DestinationRule or VirtualService; the one Route whose C(spec.to) is the apex Service is
  adopted, its C(spec.to) sent to C(<target>-primary) and one alternate backend added for C(<target>-canary) (weight =
  percent); the state records only its name, C(spec.to) and C(spec.alternateBackends), which cleanup puts back. Refuses,
  writing nothing, when there is no such Route (unless I(service.expose)), several, one with 3 alternate backends
  already, a C(haproxy.router.openshift.io/balance) other than C(roundrobin), a C(spec.to.weight) other than 100 beside
  other backends, or a C(spec.port.targetPort) the C(-primary) and C(-canary) Services do not carry.
- Once it is done, records the Kubernetes Event C(Initialization done! <target>.<namespace>) (reason C(Synced)) on the
  target, as Flagger does; an Event that cannot be written is a warning.
author:
- progressive.canary developers (!UNKNOWN)
extends_documentation_fragment:
- kubernetes.core.k8s_auth_options
- progressive.canary.common
- progressive.canary.cluster
- progressive.canary.routing
- progressive.canary.common.selector
- progressive.canary.service
attributes:
  check_mode:
    support: full
    description: Reads the cluster, plans, and reports what would change without writing.
  diff_mode:
    support: full
    description: Shows every object created or changed (Secret values redacted).
options:
  hpa:
    description:
    - Name of the target's HorizontalPodAutoscaler; a C(<hpa>-primary) copy is made for the primary.
    type: str
"""

EXAMPLES = r"""
- name: Put podinfo under canary management
  progressive.canary.canary_init:
    target: podinfo
    namespace: test
    hpa: podinfo
    service:
      port: 9898
      hosts: [app.example.com]
      retries:
        attempts: 3
        perTryTimeout: 1s
        retryOn: gateway-error,connect-failure,refused-stream

- name: Put podinfo under canary management on OpenShift, splitting the traffic of its Route
  progressive.canary.canary_init:
    target: podinfo
    namespace: test
    provider: openshift
    service:
      port: 9898

- name: The same with the Gateway API, mesh traffic (an HTTPRoute attached to the Service podinfo, GAMMA)
  progressive.canary.canary_init:
    target: podinfo
    namespace: test
    hpa: podinfo
    provider: gatewayapi
    service:
      port: 9898

- name: The same with the Gateway API, through a Gateway for one hostname (north-south)
  progressive.canary.canary_init:
    target: podinfo
    namespace: test
    provider: gatewayapi
    service:
      port: 9898
      gateway_refs:
        - name: public
          namespace: istio-system
      hostnames: [app.example.com]

- name: The Gateway API with Flagger's service options on the managed rule (matches, header filters, timeout)
  progressive.canary.canary_init:
    target: podinfo
    namespace: test
    provider: gatewayapi
    service:
      port: 9898
      match:
        - uri:
            prefix: /api
        - headers:
            x-canary:
              exact: insider
      headers:
        request:
          set:
            x-release: canary
        response:
          remove: [server]
      timeout: 10s
"""

RETURN = r"""
phase:
  description: Phase recorded in the state after the run (C(Initialized) once done).
  returned: always
  type: str
  sample: Initialized
revision:
  description: Revision of the target (hash of its pod template and tracked config data), recorded as promoted.
  returned: always
  type: str
  sample: 3f1c2a9b0d4e5f60
managed:
  description:
  - Names of everything the canary manages. The routing objects are the provider's, C(virtual_service) and
    C(destination_rules) with C(istio), C(http_route) with C(gatewayapi) (the apex's name; an adopted HTTPRoute of
    another name is named in the state's originals), C(route_backends) with C(openshift) (the Services the managed
    Route sends to).
  returned: always
  type: dict
  sample:
    primary: podinfo-primary
    primary_service: podinfo-primary
    canary_service: podinfo-canary
    apex_service: podinfo
    virtual_service: podinfo
    destination_rules: [podinfo-primary, podinfo-canary]
    state: podinfo-canary-state
    selector_label: app
    hpa: podinfo-primary
    config_copies: []
actions:
  description: What was done (or, in check mode, what would be done), in order.
  returned: always
  type: list
  elements: str
  sample: ["create Service test/podinfo-primary", "scale Deployment test/podinfo to 0"]
"""

from ansible_collections.progressive.canary.plugins.module_utils.arguments.common import SELECTOR, argument_spec
from ansible_collections.progressive.canary.plugins.module_utils.arguments.service import SERVICE
from ansible_collections.progressive.canary.plugins.module_utils.arguments.routing import ROUTING
from ansible_collections.progressive.canary.plugins.module_utils.canary_module import CanaryModule, failing
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init

ARGUMENT_SPEC = argument_spec(SELECTOR, SERVICE, ROUTING, {"hpa": {"type": "str"}})


def main():
    module = CanaryModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    request = InitRequest(params["target"], params["namespace"], params["service"], hpa=params["hpa"],
                          selector_labels=params["selector_labels"], ready_timeout=params["ready_timeout"],
                          lease_holder=params["lease_holder"], lease_seconds=params["lease_seconds"], provider=params["provider"],
                          route_settle_seconds=params["route_settle_seconds"])
    with failing(module):
        result = run_init(module.kube_api(), request, check_mode=module.check_mode, want_diff=module._diff)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
