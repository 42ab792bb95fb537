"""The mesh simulator's Gateway API routing: where an HTTPRoute (gateway.networking.k8s.io/v1) sends a plain ``GET /``.

mesh.resolve asks here when no mesh VirtualService routes the host (a VirtualService first, as the mesh always did).
Two attachments, as the Gateway API spec defines them:

- east-west / mesh (GAMMA): a host naming a Service (``podinfo``, ``podinfo.test``, the cluster FQDN) is routed by the
  HTTPRoutes of the Service's namespace whose parentRefs name that Service (group ``""``, kind ``Service``); their
  ``hostnames`` do not apply to a Service parent;
- north-south: any other host (``app.example.com``) is routed by the HTTPRoutes of the client's namespace whose
  parentRefs name a Gateway and whose ``hostnames`` cover the host (none: every host). The Gateway itself (its
  listeners, allowedRoutes, addresses) is not modelled: the synthetic traffic enters through every Gateway.

Among the attached routes, the oldest first (the spec's tie-break), the first rule matching a plain ``GET /`` (no
``matches``, or a path match of ``/`` alone) sends to its backendRefs by weight (unset: 1; 0: none). A backendRef that is
not a core Service, and a rule whose weights are all 0, answer 500 as the spec asks; no matching rule answers 404.
Match precedence between rules (the spec's most-specific-wins) is not modelled: the first matching rule wins.
"""

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


def _plain_request_matches(rule):
    """Whether a synthetic ``GET /`` without headers or query matches the rule's ``matches``."""
    matches = rule.get("matches") or []
    if not matches:
        return True
    for match in matches:
        if set(match) - {"path", "method"} or match.get("method", "GET") != "GET":
            continue
        path = match.get("path") or {"type": "PathPrefix", "value": "/"}
        if path.get("value", "/") == "/" and path.get("type", "PathPrefix") in ("PathPrefix", "Exact"):
            return True
        if path.get("type") == "RegularExpression" and path.get("value") in (".*", "/.*"):
            return True
    return False


def route_destinations(routes, service_destination, destination):
    """The weighted destinations of the first rule (of ``routes``, in order) matching ``GET /``; None when no route is
    attached. ``service_destination(fqdn, weight)`` and ``destination(weight, status)`` build mesh Destinations."""
    if not routes:
        return None
    for route in routes:
        route_namespace = route["metadata"]["namespace"]
        for rule in (route.get("spec") or {}).get("rules") or []:
            if not _plain_request_matches(rule):
                continue
            found = []
            for ref in rule.get("backendRefs") or []:
                weight = int(ref.get("weight", 1))
                if weight <= 0:
                    continue
                if ref.get("group", "") != "" or ref.get("kind", "Service") != "Service":
                    found.append(destination(weight, 500))
                    continue
                fqdn = "%s.%s.svc.cluster.local" % (ref["name"], ref.get("namespace") or route_namespace)
                found.append(service_destination(fqdn, weight))
            return found or [destination(100, 500)]
    return [destination(100, 404)]


def resolve_http_route(cluster, candidates, namespace, split_service_fqdn, service_destination, destination):
    """Where the HTTPRoutes send a request from ``namespace`` to a host (``candidates``: the FQDNs it may mean);
    None when no HTTPRoute is attached for it (the caller falls back to the Service)."""
    for fqdn in candidates:
        parsed = split_service_fqdn(fqdn)
        if parsed:
            found = route_destinations(mesh_routes(cluster, *parsed), service_destination, destination)
            if found is not None:
                return found
    if any(split_service_fqdn(fqdn) for fqdn in candidates):
        return None     # a Service's host: mesh traffic, never a Gateway's
    return route_destinations(gateway_routes(cluster, candidates[-1], namespace), service_destination, destination)
