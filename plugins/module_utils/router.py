# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Istio routing: the DestinationRules, the VirtualService and its managed route's weights.

The managed route is every HTTP route whose destinations are exactly the ``-primary`` and ``-canary``
hosts; nothing else in a VirtualService is ever touched (flagger#1066, #1715)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils.generated import build
from ansible_collections.progressive.canary.plugins.module_utils.names import DESTINATION_RULE, VIRTUAL_SERVICE

ROUTE_OPTION_FIELDS = (("retries", "retries"), ("timeout", "timeout"), ("headers", "headers"), ("cors_policy", "corsPolicy"))


def destination_rule(names, host, traffic_policy=None):
    spec = {"host": host}
    if traffic_policy:
        spec["trafficPolicy"] = copy.deepcopy(traffic_policy)
    return build(DESTINATION_RULE[0], DESTINATION_RULE[1], names.namespace, host, names.target, {"spec": spec})


def weighted_destinations(names, primary_weight, canary_weight):
    return [
        {"destination": {"host": names.primary}, "weight": int(primary_weight)},
        {"destination": {"host": names.canary}, "weight": int(canary_weight)},
    ]


def _hosts(route):
    return [(item.get("destination") or {}).get("host") for item in route.get("route") or []]


def _short_host(host, names):
    """``podinfo.test.svc.cluster.local`` and ``podinfo.test`` name the Service ``podinfo`` too."""
    for suffix in (".%s.svc.cluster.local" % names.namespace, ".%s.svc" % names.namespace, ".%s" % names.namespace):
        if host and host.endswith(suffix):
            return host[:-len(suffix)]
    return host


def qualified_host(host, namespace):
    """A VirtualService host as the mesh reads it in ``namespace``: ``podinfo``, ``podinfo.test`` and
    ``podinfo.test.svc`` all name ``podinfo.test.svc.cluster.local``; other names (``app.example.com``) stay."""
    parts = (host or "").split(".")
    if not host or "*" in host:
        return host
    if len(parts) == 1:
        return "%s.%s.svc.cluster.local" % (host, namespace)
    if len(parts) == 2 or (len(parts) == 3 and parts[2] == "svc"):
        return "%s.%s.svc.cluster.local" % (parts[0], parts[1])
    return host


def _host_covers(pattern, host):
    """Istio host matching: ``*`` and ``*.example.com`` are wildcards, anything else is one exact host."""
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return pattern == host


def _gateways(spec, namespace):
    """The gateways a VirtualService binds to, as ``mesh`` or ``namespace/name`` (Istio's default is the mesh)."""
    return set(gateway if gateway == "mesh" or "/" in gateway else "%s/%s" % (namespace, gateway)
               for gateway in (spec or {}).get("gateways") or ["mesh"])


def routed_hosts(names, service_options):
    """The hosts the canary's VirtualService routes (configured hosts and the apex), qualified, with its gateways."""
    hosts = [qualified_host(host, names.namespace) for host in list(service_options.get("hosts") or []) + [names.apex]]
    return hosts, _gateways({"gateways": service_options.get("gateways")}, names.namespace)


def shared_hosts(virtual_service, hosts, gateways):
    """The hosts of ``hosts`` that ``virtual_service`` also routes through one of ``gateways`` (then Istio gives the
    host's traffic to one of the two VirtualServices only)."""
    namespace = virtual_service["metadata"]["namespace"]
    spec = virtual_service.get("spec") or {}
    if not _gateways(spec, namespace) & gateways:
        return []
    patterns = [qualified_host(pattern, namespace) for pattern in spec.get("hosts") or []]
    return [host for host in hosts if any(_host_covers(pattern, host) for pattern in patterns)]


def is_managed_route(route, names):
    return sorted(_short_host(host, names) for host in _hosts(route)) == sorted([names.primary, names.canary])


def _sends_to_apex(route, names):
    hosts = _hosts(route)
    return bool(hosts) and all(_short_host(host, names) == names.apex for host in hosts)


def managed_route(names, service_options, primary_weight=100, canary_weight=0):
    route = {"route": weighted_destinations(names, primary_weight, canary_weight)}
    for option, field in ROUTE_OPTION_FIELDS:
        if service_options.get(option):
            route[field] = copy.deepcopy(service_options[option])
    return route


def get_weights(vs_spec, names):
    """(primary, canary) weights of the first managed route, or None when there is none."""
    for route in (vs_spec or {}).get("http") or []:
        if is_managed_route(route, names):
            weights = dict((_short_host(item["destination"]["host"], names), int(item.get("weight") or 0)) for item in route["route"])
            return weights.get(names.primary, 0), weights.get(names.canary, 0)
    return None


def set_weights(vs_spec, names, primary_weight, canary_weight):
    """A copy of ``vs_spec`` with every managed route at the given weights (the rest untouched)."""
    spec = copy.deepcopy(vs_spec)
    for route in spec.get("http") or []:
        if is_managed_route(route, names):
            route["route"] = weighted_destinations(names, primary_weight, canary_weight)
    return spec


def generated_virtual_service(names, service_options, weights=(100, 0)):
    """The VirtualService when the user had none."""
    hosts = []
    for host in list(service_options.get("hosts") or []) + [names.apex]:
        if host not in hosts:
            hosts.append(host)
    spec = {
        "hosts": hosts,
        "gateways": list(service_options.get("gateways") or ["mesh"]),
        "http": [managed_route(names, service_options, *weights)],
    }
    return build(VIRTUAL_SERVICE[0], VIRTUAL_SERVICE[1], names.namespace, names.virtual_service, names.target, {"spec": spec})


def adopted_spec(user_spec, names, service_options, weights=(100, 0)):
    """A user's VirtualService spec with our route managed: routes that sent everything to the apex host now
    split between primary and canary (their match, rewrite, etc. kept); without such a route ours is appended.
    Hosts, gateways and every other route stay as the user wrote them."""
    spec = copy.deepcopy(user_spec)
    routes = spec.setdefault("http", [])
    took_over = False
    for route in routes:
        if is_managed_route(route, names) or _sends_to_apex(route, names):
            route["route"] = weighted_destinations(names, *weights)
            took_over = True
    if not took_over:
        routes.append(managed_route(names, service_options, *weights))
    return spec
