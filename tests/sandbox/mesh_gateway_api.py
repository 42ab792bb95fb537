"""The mesh simulator's Gateway API routing: how HTTPRoutes (gateway.networking.k8s.io/v1) route a host's requests.

mesh.resolve asks here when no mesh VirtualService routes the host (a VirtualService first, as the mesh always did).
Two attachments, as the Gateway API spec defines them:

- east-west / mesh (GAMMA): a host naming a Service (``podinfo``, ``podinfo.test``, the cluster FQDN) is routed by the
  HTTPRoutes of the Service's namespace whose parentRefs name that Service (group ``""``, kind ``Service``); their
  ``hostnames`` do not apply to a Service parent;
- north-south: any other host (``app.example.com``) is routed by the HTTPRoutes of the client's namespace whose
  parentRefs name a Gateway and whose ``hostnames`` cover the host (none: every host). The Gateway itself (its
  listeners, allowedRoutes, addresses) is not modelled: the synthetic traffic enters through every Gateway.

Every match of every rule of the attached routes (a rule without ``matches``: PathPrefix ``/``) becomes an entry of the
host's route table (mesh_routes), ordered by the spec's precedence: an Exact path, then the longest PathPrefix, then a
method match, then the most header matches, then the most query param matches, then the oldest route and rule order (a
RegularExpression path after the prefixes: its precedence is implementation-specific). A request takes the first entry
its path, headers (Exact, RegularExpression: full match), query and method match (mesh_matching); no entry: 404. The
entry sends to its rule's backendRefs by weight (unset: 1; 0: none). A backendRef that is not a core Service, and a rule
whose weights are all 0, answer 500 as the spec asks.

Filters: ``RequestMirror`` (rule level; ``percent`` or ``fraction``, none: 100 %; several allowed) sends a copy as
Istio's mirrors do (mesh.py); ``ResponseHeaderModifier`` (rule level and backendRef level: ``set``/``add``/``remove``)
changes the response the user gets (``Set-Cookie`` reaches its jar). Other filters (request header modifiers,
redirects, rewrites) are accepted and not modelled.
"""

from tests.sandbox.mesh_matching import gateway_api_match, gateway_api_precedence
from tests.sandbox.mesh_routes import Mirror, Route, gateway_api_response_ops

GATEWAY_API_PREFIX = "/apis/gateway.networking.k8s.io/v1"


def _creation_order(obj):
    return (obj["metadata"].get("creationTimestamp") or "", obj["metadata"]["name"])


def _hostname_covers(pattern, host):
    return pattern == host or (pattern.startswith("*.") and host.endswith(pattern[1:]))


def _service_parent(ref, route_namespace, name, namespace):
    return (ref.get("group") == "" and ref.get("kind") == "Service" and ref.get("name") == name
            and (ref.get("namespace") or route_namespace) == namespace)


def _gateway_parent(ref):
    return ref.get("group", "gateway.networking.k8s.io") == "gateway.networking.k8s.io" and ref.get("kind", "Gateway") == "Gateway"


def mesh_routes(cluster, service_name, service_namespace):
    """HTTPRoutes attached to the Service (GAMMA producer routes), oldest first."""
    routes = []
    for route in cluster.http_routes(service_namespace):
        parents = (route.get("spec") or {}).get("parentRefs") or []
        if any(_service_parent(ref, service_namespace, service_name, service_namespace) for ref in parents):
            routes.append(route)
    return sorted(routes, key=_creation_order)


def gateway_routes(cluster, host, namespace):
    """HTTPRoutes of ``namespace`` attached to a Gateway whose hostnames cover ``host``, oldest first."""
    routes = []
    for route in cluster.http_routes(namespace):
        spec = route.get("spec") or {}
        if not any(_gateway_parent(ref) for ref in spec.get("parentRefs") or []):
            continue
        hostnames = spec.get("hostnames") or []
        if not hostnames or any(_hostname_covers(pattern, host) for pattern in hostnames):
            routes.append(route)
    return sorted(routes, key=_creation_order)


def _backend_fqdn(ref, route_namespace):
    return "%s.%s.svc.cluster.local" % (ref["name"], ref.get("namespace") or route_namespace)


def _mirror_percent(mirror):
    """``percent``, or ``fraction`` (numerator / denominator, default 100), of a RequestMirror filter; none: 100 %."""
    if mirror.get("percent") is not None:
        return float(mirror["percent"])
    fraction = mirror.get("fraction")
    if fraction:
        return 100.0 * float(fraction.get("numerator", 0)) / float(fraction.get("denominator", 100) or 100)
    return 100.0


def _mirrors(filters, route_namespace, service_destination, destination):
    mirrors = []
    for item in filters or []:
        if item.get("type") != "RequestMirror":
            continue
        mirror = item.get("requestMirror") or {}
        ref = mirror.get("backendRef") or {}
        if ref.get("group", "") != "" or ref.get("kind", "Service") != "Service":
            target = destination(100, 500)
        else:
            target = service_destination(_backend_fqdn(ref, route_namespace), 100)
        percent = _mirror_percent(mirror)
        if percent > 0:
            mirrors.append(Mirror(target, percent))
    return tuple(mirrors)


def _rule_destinations(rule, route_namespace, service_destination, destination):
    found = []
    for ref in rule.get("backendRefs") or []:
        weight = int(ref.get("weight", 1))
        if weight <= 0:
            continue
        if ref.get("group", "") != "" or ref.get("kind", "Service") != "Service":
            found.append(destination(weight, 500))
            continue
        target = service_destination(_backend_fqdn(ref, route_namespace), weight)
        found.append(target._replace(response_ops=gateway_api_response_ops(ref.get("filters"))))
    return found or [destination(100, 500)]


def route_table(routes, service_destination, destination):
    """The route table (mesh_routes.Route, first match wins) of the attached ``routes`` (oldest first): one entry per
    match of each rule (a rule without matches: PathPrefix ``/``), ordered by the spec's precedence (most specific
    match first, then the older route, then rule order). None when no route is attached. ``service_destination(fqdn,
    weight)`` and ``destination(weight, status)`` build mesh Destinations."""
    if not routes:
        return None
    entries = []
    for route_order, route in enumerate(routes):
        route_namespace = route["metadata"]["namespace"]
        for rule_order, rule in enumerate((route.get("spec") or {}).get("rules") or []):
            destinations = _rule_destinations(rule, route_namespace, service_destination, destination)
            mirrors = _mirrors(rule.get("filters"), route_namespace, service_destination, destination)
            response_ops = gateway_api_response_ops(rule.get("filters"))
            for match_order, match in enumerate(rule.get("matches") or [{}]):
                key = gateway_api_precedence(match) + (route_order, rule_order, match_order)
                entries.append((key, Route((gateway_api_match(match),), destinations, mirrors, response_ops,
                                           "%s/%s#%d" % (route_namespace, route["metadata"]["name"], rule_order))))
    return tuple(entry for _key, entry in sorted(entries, key=lambda e: e[0]))


def resolve_http_route(cluster, candidates, namespace, split_service_fqdn, service_destination, destination):
    """Where the HTTPRoutes send a request from ``namespace`` to a host (``candidates``: the FQDNs it may mean);
    None when no HTTPRoute is attached for it (the caller falls back to the Service)."""
    for fqdn in candidates:
        parsed = split_service_fqdn(fqdn)
        if parsed:
            found = route_table(mesh_routes(cluster, *parsed), service_destination, destination)
            if found is not None:
                return found
    if any(split_service_fqdn(fqdn) for fqdn in candidates):
        return None     # a Service's host: mesh traffic, never a Gateway's
    return route_table(gateway_routes(cluster, candidates[-1], namespace), service_destination, destination)
