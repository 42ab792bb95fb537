"""OpenShift Routes in the mesh simulator: a request to a Route's host goes through the HAProxy router.

As OpenShift's router does (docs: "Route-specific annotations", "Load balancing across multiple services"):

- the Route for a host is the oldest one (creationTimestamp, then name) of any namespace whose ``spec.host`` is the
  host and whose ``spec.path`` is empty or ``/`` (a plain ``GET /`` matches no longer path);
- its backends are ``spec.to`` and ``spec.alternateBackends``, each Service getting weight / sum of weights of the
  requests (roundrobin, the balance of a Route with more than one backend of non-zero weight); weight 0 gets none;
- a backend without ready endpoints gets none either ("when a service has no endpoints, the weight is effectively 0"),
  and neither does one whose Service has no port matching ``spec.port.targetPort`` (a name is looked up among the
  endpoint port names, a number among the endpoint ports);
- no backend left answers 503, as the router does for a Route without endpoints.

mesh.resolve asks ``routed_backends`` first; a host no Route claims resolves as before (VirtualService, Service)."""

ROUTE_PATH = "/apis/route.openshift.io/v1/routes"
DEFAULT_WEIGHT = 100


def _creation_order(route):
    return (route["metadata"].get("creationTimestamp") or "", route["metadata"]["name"])


def route_for_host(routes, host):
    """The Route serving ``GET /`` on ``host`` (oldest claim first), or None."""
    claims = [route for route in routes
              if ((route.get("spec") or {}).get("host") or "").lower() == host.lower()
              and ((route.get("spec") or {}).get("path") or "/") == "/"]
    return min(claims, key=_creation_order) if claims else None


def _port_matches(service, target_port):
    """Whether the Service's endpoints carry ``target_port`` (any port when the Route names none)."""
    if target_port is None:
        return True
    for port in (service.get("spec") or {}).get("ports") or []:
        if isinstance(target_port, str) and not target_port.isdigit():
            if port.get("name") == target_port:
                return True
        elif int(target_port) == int(port.get("targetPort") or port.get("port") or 0):
            return True
    return False


def route_backends(cluster, host):
    """``[(service fqdn, weight)]`` of the Route for ``host``, the backends HAProxy would send to (weight > 0, a port
    matching the Route's); None when no Route claims the host."""
    routed = routed_backends(cluster, host)
    return None if routed is None else routed[1]


def routed_backends(cluster, host):
    """``(route name, route_backends)`` of the Route for ``host`` (its name labels the router's metrics); None when no
    Route claims the host."""
    route = route_for_host(cluster.routes(), host)
    if route is None:
        return None
    namespace = route["metadata"]["namespace"]
    spec = route.get("spec") or {}
    target_port = (spec.get("port") or {}).get("targetPort")
    services = dict((service["metadata"]["name"], service) for service in cluster.services(namespace))
    backends = []
    for reference in [spec.get("to") or {}] + list(spec.get("alternateBackends") or []):
        weight = reference.get("weight", DEFAULT_WEIGHT)
        service = services.get(reference.get("name"))
        if weight > 0 and service is not None and _port_matches(service, target_port):
            backends.append(("%s.%s.svc.cluster.local" % (reference["name"], namespace), weight))
    return route["metadata"]["name"], backends
