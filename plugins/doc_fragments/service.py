# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""canary_init's service option; specified by plugins/module_utils/arguments/service.py (SERVICE)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  service:
    description:
    - The Services and routing, named like Flagger's Canary C(service) spec.
    type: dict
    required: true
    suboptions:
      port:
        description: Port of the C(-primary), C(-canary) (and a created apex) Service, 1 to 65535.
        type: int
        required: true
      target_port:
        description:
        - Container port (number, or an IANA port name of at most 15 characters) the Services send to; defaults to
          I(port). A container must expose it.
        type: raw
      port_name:
        description: Name of the Service port, a DNS-1123 label (at most 63 lower case letters, digits and C(-)).
        type: str
        default: http
      hosts:
        description:
        - Provider C(istio) only. Hosts of the VirtualService besides the target's own name. DNS names (the first label may be a
          wildcard) or IP addresses, as istiod accepts them; C(*) only when C(mesh) is not among the gateways.
        type: list
        elements: str
        default: []
      gateways:
        description: Provider C(istio) only. Gateways of the VirtualService, C(mesh) or C(<namespace>/<name>).
        type: list
        elements: str
        default: [mesh]
      retries:
        description:
        - Istio HTTPRetry of the managed route, for example C(attempts=3), C(perTryTimeout=1s).
        - Only HTTPRetry's fields; C(attempts) 0 or more (0 disables retries and then allows no other field),
          durations as for I(timeout), C(retryOn) a comma-separated list of Envoy retry policies or HTTP status codes.
        type: dict
      timeout:
        description:
        - Timeout of the managed route.
        - Provider C(istio), the VirtualService route's C(timeout), a Go duration of at least 1ms to the millisecond, e.g.
          C(10s), C(1m30s).
        - Provider C(gatewayapi) (as Flagger's), the managed rule's C(timeouts.request), a Gateway API duration (up to four
          parts of 1 to 5 digits and a unit C(h), C(m), C(s) or C(ms), e.g. C(10s), C(1m30s), C(1500ms); C(0s) disables
          it). On an adopted HTTPRoute the rule's C(timeouts.backendRequest) is kept, and the API server refuses it
          longer than this timeout.
        type: str
      headers:
        description:
        - "Header manipulation of the managed route, as Istio Headers, for example
          C({request: {set: {x-release: canary}, remove: [x-debug]}, response: {add: {x-served-by: podinfo}}})."
        - Provider C(istio), the VirtualService route's C(headers).
        - Provider C(gatewayapi) (as Flagger's), the managed rule's C(RequestHeaderModifier) filter (from C(request)) and
          C(ResponseHeaderModifier) filter (from C(response)), each C(set) and C(add) a dict of header name to a value of
          1 to 4096 characters, C(remove) a list of names, at most 16 of each. On an adopted HTTPRoute a direction
          given replaces the rule's filter of that type (an empty one removes it); its other filters stay.
        - Values are never shown in error messages (they can be credentials); a diff of the route shows them.
        type: dict
      cors_policy:
        description: Istio CorsPolicy of the managed route.
        type: dict
      traffic_policy:
        description:
        - Istio TrafficPolicy of both DestinationRules; only TrafficPolicy's fields, C(loadBalancer.simple) one of
          Istio's load balancers. The rest is judged by the API server and istiod in the dry run.
        type: dict
      expose:
        description:
        - With I(provider=openshift), create a Route named like the target (its host assigned by OpenShift) when no
          Route sends to the apex Service; canary_cleanup deletes it. Without it, canary_init adopts the one Route to the
          apex Service and refuses, before any change, when there is none.
        - Provider C(openshift) only.
        type: bool
        default: false
      gateway_refs:
        description:
        - Provider C(gatewayapi) only (Flagger's C(gatewayRefs)). The Gateways the generated HTTPRoute attaches to
          (north-south), each a Gateway API ParentReference as the spec spells it (C(name), C(namespace),
          C(sectionName), C(port)); C(group) and C(kind) default to a Gateway.
        - Not given, the HTTPRoute attaches to the apex Service itself (GAMMA, east-west mesh traffic).
        - Also decides which user HTTPRoute is adopted, as the one routing the apex Service through these parents.
        type: list
        elements: dict
      hostnames:
        description:
        - Provider C(gatewayapi) only. Hostnames of the generated HTTPRoute (C(spec.hostnames)), for example
          C(app.example.com) or C(*.example.com); none matches every host of its parents.
        type: list
        elements: str
      match:
        description:
        - "Provider C(gatewayapi) only (Flagger's C(service.match)). The requests the managed rule takes, as Istio
          HTTPMatchRequests (any one matching), written as the rule's Gateway API C(matches), for example
          C([{uri: {prefix: /api}, headers: {x-canary: {exact: insider}}}])."
        - C(uri) (C(exact), C(prefix), C(regex)) becomes the C(path) match (C(Exact), C(PathPrefix),
          C(RegularExpression)); note that a Gateway API C(PathPrefix) matches whole path elements (C(/api) matches
          C(/api/v1), not C(/apiv1)). C(method) (C(exact)) becomes C(method); C(headers) and C(queryParams)
          (name to C(exact) or C(regex)) become header and query parameter matches. Istio fields the Gateway API has
          no match for (C(authority), C(scheme), C(port), C(sourceLabels), C(withoutHeaders), a header C(prefix), ...)
          are refused before anything is read, as are paths, names and values the HTTPRoute CRD refuses.
        - Not given, the generated rule takes every path (C(PathPrefix /)) and an adopted rule keeps its own
          matches. Given, it replaces them; an HTTPRoute with several rules to the apex Service is then refused (they
          would all get the same matches). A request no rule of the route matches is not routed by it (a generated
          route has no other rule, so such requests get a 404 from the Gateway or the mesh).
        type: list
        elements: dict
"""
