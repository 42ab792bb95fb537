"""A host's route table, as a proxy holds it: what the mesh resolved from the routing objects, request-independent.

``resolve_table`` (mesh.py) turns a VirtualService, an HTTPRoute, an OpenShift Route or a bare Service into a tuple of
``Route``: its match alternatives (mesh_matching), its weighted destinations (mesh.Destination, each with the header
operations of its own ``route[].headers`` / backendRef filters), its mirrors and its response header operations. A
request is routed by the first route whose matches hold (``route_for``); none: 404, as Envoy answers when no route
matches. The table, not a request's outcome, is what a simulated proxy applies late (mesh_propagation).

Header operations are ``(op, name, value)`` with op ``add`` / ``set`` / ``remove``; only response operations have an
effect here (``Set-Cookie`` reaches the user's jar, mesh_users); request operations are accepted and not modelled (no
workload reads headers).
"""

from collections import namedtuple

from tests.sandbox.mesh_matching import matches

Route = namedtuple("Route", "matches destinations mirrors response_ops name", defaults=((), (), None))
# A copy of the requests the route takes goes to ``destination`` (a mesh.Destination) for ``percent`` of them.
Mirror = namedtuple("Mirror", "destination percent")


def route_for(table, request):
    """``(index, Route)`` of the first route matching ``request``; ``(None, None)`` when none does."""
    for index, route in enumerate(table):
        if matches(route.matches, request):
            return index, route
    return None, None


def istio_response_ops(headers):
    """The response operations of an Istio ``Headers`` (``{request: {...}, response: {add, set, remove}}``)."""
    response = (headers or {}).get("response") or {}
    ops = [("remove", name, None) for name in response.get("remove") or []]
    ops += [("set", name, value) for name, value in sorted((response.get("set") or {}).items())]
    ops += [("add", name, value) for name, value in sorted((response.get("add") or {}).items())]
    return tuple(ops)


def gateway_api_response_ops(filters):
    """The operations of the ``ResponseHeaderModifier`` filters in a Gateway API ``filters`` list."""
    ops = []
    for item in filters or []:
        if item.get("type") != "ResponseHeaderModifier":
            continue
        modifier = item.get("responseHeaderModifier") or {}
        ops += [("remove", name, None) for name in modifier.get("remove") or []]
        ops += [("set", header["name"], header["value"]) for header in modifier.get("set") or []]
        ops += [("add", header["name"], header["value"]) for header in modifier.get("add") or []]
    return tuple(ops)


def apply_response_ops(headers, ops):
    """Apply ``ops`` to a response's ``[(name, value)]`` headers (names case-insensitive); return the new list."""
    headers = list(headers)
    for op, name, value in ops:
        if op in ("remove", "set"):
            headers = [(n, v) for n, v in headers if n.lower() != name.lower()]
        if op in ("set", "add"):
            headers.append((name, value))
    return headers


def set_cookies(headers):
    return [value for name, value in headers if name.lower() == "set-cookie"]
