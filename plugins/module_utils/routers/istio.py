# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Istio: the ``-primary``/``-canary`` DestinationRules and the VirtualService with its managed route's weights.

The managed route is every HTTP route whose destinations are exactly the ``-primary`` and ``-canary``
hosts; nothing else in a VirtualService is ever touched (flagger#1066, #1715). The kinds are named at
networking.istio.io/v1; KubeApi uses them at an older version a server serves instead (names.OLDER_API_VERSIONS)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils.kube.generated import build, strip_server_fields
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import (
    DESTINATION_RULE, OLDER_API_VERSIONS, VIRTUAL_SERVICE, is_managed)
from ansible_collections.progressive.canary.plugins.module_utils.kube.patch_guards import unchanged_since_read
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.routers import factory
from ansible_collections.progressive.canary.plugins.module_utils.routers.base import (
    RESTORED, Observed, Router, RouterStep, clash, delete, delete_generated, ensure, json_patch, refuse_clashes)
from ansible_collections.progressive.canary.plugins.module_utils.routers.strategy import (
    EXPIRY_ROUTE, MATCH_ROUTE, PLAIN, STICKY_ROUTE, STRATEGY_ROUTES, cookie_of, cookie_regex, session_route)

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
    if route.get("name") in STRATEGY_ROUTES:
        return False
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


def set_weights(vs_spec, names, primary_weight, canary_weight, shape=PLAIN):
    """A copy of ``vs_spec`` with every managed route at the given weights and in ``shape`` (strategy.py): the
    strategy's routes of the spec replaced by those of ``shape``, the rest untouched."""
    spec = copy.deepcopy(vs_spec)
    routes = spec.get("http") or []
    expired = _expired_cookie(routes, names)
    shaped = []
    for route in routes:
        if route.get("name") in STRATEGY_ROUTES:
            continue
        if is_managed_route(route, names):
            shaped.extend(_shaped_routes(route, names, primary_weight, canary_weight, shape, expired))
        else:
            shaped.append(route)
    if "http" in spec:
        spec["http"] = shaped
    return spec


def _set_cookie_on(destination, value):
    destination["headers"] = {"response": {"add": {"Set-Cookie": value}}}
    return destination


def _shaped_routes(route, names, primary_weight, canary_weight, shape, expired):
    """The managed ``route`` at the weights, with the routes ``shape`` puts before it (Flagger's SetRoutes)."""
    weighted = copy.deepcopy(route)
    if _mirrors_to_canary(weighted, names):     # the strategy's mirror; a user's mirror elsewhere stays
        weighted.pop("mirror")
        weighted.pop("mirrorPercentage", None)
    weighted["route"] = weighted_destinations(names, primary_weight, canary_weight)
    before = []
    if shape.match:
        ab_route = dict(copy.deepcopy(weighted), name=MATCH_ROUTE, match=merged_match(shape.match, route.get("match")))
        ab_route["route"] = weighted_destinations(names, 0, 100)
        before.append(ab_route)
    session = session_route(shape, canary_weight, *expired)
    if session is not None:
        kind, cookie, set_cookie = session
        primary_cookie, canary_cookie = (None, set_cookie) if kind == STICKY_ROUTE else (set_cookie, None)
        if canary_cookie and shape.cookie:
            _set_cookie_on(weighted["route"][1], canary_cookie)
        routed = dict(copy.deepcopy(weighted), name=kind,
                      match=merged_match([{"headers": {"cookie": {"regex": cookie_regex(cookie)}}}], route.get("match")))
        routed["route"] = weighted_destinations(names, *((0, 100) if kind == STICKY_ROUTE else (100, 0)))
        _set_cookie_on(routed["route"][1 if canary_cookie else 0], canary_cookie or primary_cookie)
        before.append(routed)
    if shape.mirror_weight is not None:
        weighted["mirror"] = {"host": names.canary}
        if shape.mirror_weight:
            weighted["mirrorPercentage"] = {"value": float(shape.mirror_weight)}
    return before + [weighted]


def _mirrors_to_canary(route, names):
    return _short_host(((route.get("mirror") or {}).get("host")), names) == names.canary


def _expired_cookie(routes, names):
    """(cookie, route name) of the spec's session affinity (its sticky route, or the route expiring it), else (None, None)."""
    for route in routes:
        if route.get("name") in (STICKY_ROUTE, EXPIRY_ROUTE):
            for destination in route.get("route") or []:
                value = (((destination.get("headers") or {}).get("response") or {}).get("add") or {}).get("Set-Cookie")
                if value:
                    return cookie_of(value), route["name"]
    return None, None


def merged_match(conditions, route_match):
    """Flagger's mergeMatchConditions: each strategy condition with each of the route's own (its headers added to
    theirs); the strategy's alone when the route has none."""
    if not route_match:
        return copy.deepcopy(conditions)
    merged = []
    for condition in conditions:
        for own in route_match:
            both = copy.deepcopy(own)
            both["headers"] = dict(own.get("headers") or {}, **copy.deepcopy(condition.get("headers") or {}))
            merged.append(both)
    return merged


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


class IstioRouter(Router):
    """DestinationRules + VirtualService (Flagger's IstioRouter)."""

    PROVIDER = factory.ISTIO
    KINDS = (DESTINATION_RULE, VIRTUAL_SERVICE)
    OPTIONS = ("hosts", "gateways", "retries", "timeout", "headers", "cors_policy", "traffic_policy")

    # -- reads ----------------------------------------------------------------------------------------------
    def _served(self, api):
        for kind_pair in self.KINDS:
            if not api.serves(*kind_pair):
                versions = ", ".join((kind_pair[0],) + tuple(OLDER_API_VERSIONS.get(kind_pair[0], ())))
                return ("the Istio CRDs are not installed: the API server serves %s at none of %s; install Istio first"
                        % (kind_pair[1], versions))
        return None

    def read(self, api, names, options=None, missing_ok=False):
        problem = self._served(api)
        if problem is not None:
            if missing_ok:
                return Observed(api, names, served=False)
            raise Refusal(problem)
        observed = self.read_routes(api, names)
        for name in (names.primary, names.canary):
            observed.live[(DESTINATION_RULE, name)] = api.get_kind(names.namespace, DESTINATION_RULE, name)
        if options is not None:
            observed.others = api.list(VIRTUAL_SERVICE[0], VIRTUAL_SERVICE[1], names.namespace)
        return observed

    def read_routes(self, api, names):
        problem = self._served(api)
        if problem is not None:
            raise Refusal(problem)
        observed = Observed(api, names)
        observed.live[(VIRTUAL_SERVICE, names.virtual_service)] = api.get_kind(names.namespace, VIRTUAL_SERVICE, names.virtual_service)
        return observed

    def known_routes(self, api, names, objects):
        """The VirtualService is all read_routes reads: known when ``objects`` is it."""
        if len(objects) != 1 or (objects[0].get("kind"), objects[0]["metadata"].get("name")) != (VIRTUAL_SERVICE[1], names.virtual_service):
            return None
        observed = Observed(api, names)
        observed.live[(VIRTUAL_SERVICE, names.virtual_service)] = objects[0]
        return observed

    @staticmethod
    def _virtual_service(observed):
        return observed.get(VIRTUAL_SERVICE, observed.names.virtual_service)

    def original(self, observed):
        live = self._virtual_service(observed)
        return {"virtual_service": copy.deepcopy(live["spec"]) if live is not None and not is_managed(live) else None}

    # -- init -----------------------------------------------------------------------------------------------
    def reconcile(self, observed, options, weights, original):
        names = observed.names
        refuse_clashes(observed, DESTINATION_RULE, (names.primary, names.canary))
        live = self._virtual_service(observed)
        if live is not None and is_managed(live) and not is_managed(live, names.target):
            raise clash(names, live, VIRTUAL_SERVICE)
        self._refuse_shared_hosts(observed, options)
        self._refuse_a_late_virtual_service(observed, original)
        steps = []
        for name in (names.primary, names.canary):
            steps += ensure(observed, DESTINATION_RULE, destination_rule(names, name, options.get("traffic_policy")))
        return steps + self._virtual_service_steps(observed, options, weights, original.get("virtual_service"))

    @staticmethod
    def _refuse_shared_hosts(observed, options):
        """A VirtualService of another name routing one of the canary's hosts through one of its gateways: Istio gives a
        host's traffic to one VirtualService only, the canary would get none."""
        names = observed.names
        hosts, gateways = routed_hosts(names, options)
        for virtual_service in observed.others:
            name = virtual_service["metadata"]["name"]
            shared = shared_hosts(virtual_service, hosts, gateways)
            if name == names.virtual_service or is_managed(virtual_service, names.target) or not shared:
                continue
            raise Refusal("%s already routes %s, which the canary's VirtualService %s would route too: Istio sends a host's traffic "
                          "to one of them only, so the canary would get none. Nothing was changed. Either rename it to %s (canary_init "
                          "then adopts it: only its route to %s is split between %s and %s, and canary_cleanup gives its spec back), "
                          "or remove %s from its hosts"
                          % (names.ref(VIRTUAL_SERVICE, name), ", ".join(shared), names.virtual_service, names.virtual_service,
                             names.apex, names.primary, names.canary, "them" if len(shared) > 1 else "it"))

    def _refuse_a_late_virtual_service(self, observed, original):
        """A user's VirtualService named like ours that appeared after init recorded the originals: a user's object is
        adopted only when recorded before any change."""
        names = observed.names
        live = self._virtual_service(observed)
        if live is not None and original and original.get("virtual_service") is None and not is_managed(live):
            raise Refusal("%s was created after canary_init recorded the originals (it was not there then): it is not taken over. "
                          "Nothing was changed. Remove it and run canary_init again, or run canary_cleanup first and then canary_init, "
                          "which adopts it (recorded, only its route to %s managed)"
                          % (names.ref(VIRTUAL_SERVICE, names.virtual_service), names.apex))

    def _virtual_service_steps(self, observed, options, weights, user_spec):
        """Ours generated when the user had none; else the user's (as recorded) with the canary route managed."""
        names = observed.names
        live = self._virtual_service(observed)
        if user_spec is None:
            return ensure(observed, VIRTUAL_SERVICE, generated_virtual_service(names, options, weights))
        desired_spec = adopted_spec(user_spec, names, options, weights)
        if live is not None and live.get("spec") == desired_spec:
            return []
        ref = names.ref(VIRTUAL_SERVICE, names.virtual_service)
        if live is None:
            body = {"apiVersion": VIRTUAL_SERVICE[0], "kind": VIRTUAL_SERVICE[1],
                    "metadata": {"name": names.virtual_service, "namespace": names.namespace}, "spec": desired_spec}
            return [RouterStep("create " + ref + " from its recorded spec", lambda ctx: observed.api.create(body), ref=ref, after=body)]
        patch = [unchanged_since_read(live), {"op": "replace", "path": "/spec", "value": desired_spec}]
        return [RouterStep("manage the canary route of " + ref, json_patch(observed, VIRTUAL_SERVICE, names.virtual_service, patch),
                           ref=ref, before=live, after=dict(copy.deepcopy(live), spec=desired_spec))]

    # -- weights --------------------------------------------------------------------------------------------
    def get_routes(self, observed):
        return get_weights((self._virtual_service(observed) or {}).get("spec"), observed.names)

    def require_routes(self, observed):
        weights = self.get_routes(observed)
        if weights is None:
            names = observed.names
            raise Refusal("VirtualService %s/%s has no route to %s and %s: run canary_init again"
                          % (names.namespace, names.virtual_service, names.primary, names.canary))
        return weights

    ROUTE_KIND = VIRTUAL_SERVICE

    def route_object(self, observed):
        return self._virtual_service(observed)

    def weighted_spec(self, spec, names, primary, canary, shape=PLAIN):
        return set_weights(spec, names, primary, canary, shape)

    def same_shape(self, live_spec, desired_spec):
        return live_spec == desired_spec

    def route_objects(self, observed):
        return [self._virtual_service(observed)]

    def settled(self, observed):
        """istiod with status enabled (``PILOT_ENABLE_STATUS``, Istio's config distribution tracking) writes on the
        VirtualService ``status.observedGeneration`` and a ``Reconciled`` condition, True once every connected proxy
        acknowledged that generation. Without it (status is off by default) there is nothing to read: None."""
        live = self._virtual_service(observed)
        status = (live or {}).get("status") or {}
        reconciled = [c for c in status.get("conditions") or [] if c.get("type") == "Reconciled"]
        if live is None or not reconciled:
            return None
        generation = live["metadata"].get("generation")
        message = reconciled[0].get("message") or ""
        if str(status.get("observedGeneration")) != str(generation):
            return False, "istiod reports generation %s, the VirtualService is at %s" % (status.get("observedGeneration"), generation), False
        if reconciled[0].get("status") != "True":
            return False, "istiod: Reconciled %s %s" % (reconciled[0].get("status"), message), False
        return True, "istiod: %s" % (message or "Reconciled"), False

    # -- cleanup --------------------------------------------------------------------------------------------
    def finalize(self, observed, original):
        """The user's VirtualService back as recorded (re-created when it is gone), or ours deleted."""
        names = observed.names
        live = self._virtual_service(observed)
        recorded = (original or {}).get("virtual_service")
        ref = names.ref(VIRTUAL_SERVICE, names.virtual_service)
        if recorded is None:
            if live is not None and is_managed(live, names.target):
                return [delete(observed, VIRTUAL_SERVICE, live)]
            return []
        if live is None:
            body = {"apiVersion": VIRTUAL_SERVICE[0], "kind": VIRTUAL_SERVICE[1],
                    "metadata": {"name": names.virtual_service, "namespace": names.namespace}, "spec": copy.deepcopy(recorded)}
            return [RouterStep("re-create " + ref + " as recorded", lambda ctx: observed.api.create(body), ref=ref, outcome=RESTORED,
                               after=body)]
        if live.get("spec") == recorded:
            return []
        patch = [unchanged_since_read(live), {"op": "replace", "path": "/spec", "value": copy.deepcopy(recorded)}]
        return [RouterStep("restore " + ref + " as recorded", json_patch(observed, VIRTUAL_SERVICE, names.virtual_service, patch),
                           ref=ref, outcome=RESTORED, before=live, after=dict(strip_server_fields(live), spec=recorded))]

    def removals(self, observed):
        return delete_generated(observed, DESTINATION_RULE, (observed.names.primary, observed.names.canary))

    def managed_names(self, names):
        return {"virtual_service": names.virtual_service, "destination_rules": [names.primary, names.canary]}
