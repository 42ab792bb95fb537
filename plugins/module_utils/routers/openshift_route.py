# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenShift: the Route (route.openshift.io/v1) that sends the apex's traffic through the HAProxy router.

The managed Route sends ``spec.to`` to ``<apex>-primary`` and one ``alternateBackends`` entry to ``<apex>-canary``.
The weight mapping is the identity: a percent split (primary, canary), primary + canary = 100, is written as Route
weights primary and canary. Both lie in 0..100, inside the Route's 0..256, and HAProxy's roundrobin gives a backend
weight / sum of weights of the requests, so the ratio is exact and reads back unchanged (get_routes).

A user's Route whose ``spec.to`` is the apex Service is adopted: only ``spec.to`` and the canary's alternate backend
change; host, path, port, TLS, the user's other alternate backends (the Route takes at most 3) and metadata stay the
user's. The state records only the Route's name, ``spec.to`` and ``spec.alternateBackends`` (a Route's spec may hold a
TLS private key, which never goes into the state), and cleanup puts exactly those back. Without such a Route none is
created unless the service option's ``expose`` asks for one (named like the apex, its host left to OpenShift).

HAProxy applies the weights only with the roundrobin balance, which the router uses by default for a Route with more
than one backend of non-zero weight; a ``haproxy.router.openshift.io/balance`` annotation naming another algorithm
overrides it, so such a Route is refused (see docs/lifecycle.md)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import is_managed
from ansible_collections.progressive.canary.plugins.module_utils.kube.generated import build
from ansible_collections.progressive.canary.plugins.module_utils.kube.patch_guards import unchanged_since_read
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.routers.strategy import PLAIN
from ansible_collections.progressive.canary.plugins.module_utils.routers import factory
from ansible_collections.progressive.canary.plugins.module_utils.routers.base import (
    RESTORED, Observed, Router, RouterStep, clash, delete, ensure, json_patch)

ROUTE = ("route.openshift.io/v1", "Route")
# The Route API's limits (RouteSpec): at most 3 alternate backends, weights 0..256, 100 when unset.
MAX_ALTERNATE_BACKENDS = 3
DEFAULT_WEIGHT = 100
BALANCE_ANNOTATION = "haproxy.router.openshift.io/balance"
EXACT_BALANCE = "roundrobin"
ORIGINAL_KEY = "openshift_route"


def backend(name, weight):
    return {"kind": "Service", "name": name, "weight": int(weight)}


def _is_service(reference, name):
    return (reference or {}).get("name") == name and (reference or {}).get("kind") in (None, "", "Service")


def _weight(reference):
    weight = (reference or {}).get("weight")
    return DEFAULT_WEIGHT if weight is None else int(weight)


def canary_index(spec, names):
    """Index of the canary's entry in ``alternateBackends`` when ``spec`` is a managed Route's (to the primary), else None."""
    if not _is_service((spec or {}).get("to"), names.primary):
        return None
    for index, reference in enumerate(spec.get("alternateBackends") or []):
        if _is_service(reference, names.canary):
            return index
    return None


def sends_to_apex(route, names):
    return _is_service((route.get("spec") or {}).get("to"), names.apex)


def get_weights(spec, names):
    """(primary, canary) Route weights of a managed Route's spec; None when it is not one."""
    index = canary_index(spec, names)
    if index is None:
        return None
    return _weight(spec["to"]), _weight(spec["alternateBackends"][index])


def routed_spec(spec, names, primary, canary):
    """A copy of ``spec`` sending ``to`` the primary and one alternate backend to the canary at the given weights; the
    other alternate backends (the user's) keep their place and weight."""
    desired = copy.deepcopy(spec)
    desired["to"] = backend(names.primary, primary)
    others = [item for item in desired.get("alternateBackends") or []
              if not (_is_service(item, names.canary) or _is_service(item, names.primary))]
    index = canary_index(spec, names)
    others.insert(len(others) if index is None else min(index, len(others)), backend(names.canary, canary))
    desired["alternateBackends"] = others
    return desired


def generated_route(names, service_options, weights=(100, 0)):
    """The Route created when the user has none and ``expose`` asks for one: no host (OpenShift assigns one)."""
    spec = {"to": backend(names.primary, weights[0]), "alternateBackends": [backend(names.canary, weights[1])],
            "port": {"targetPort": service_options.get("port_name") or "http"}}
    return build(ROUTE[0], ROUTE[1], names.namespace, names.apex, names.target, {"spec": spec})


def shown(route):
    """``route`` as a diff may show it: a TLS private key replaced by a mark."""
    if route is None or not ((route.get("spec") or {}).get("tls") or {}).get("key"):
        return route
    copied = copy.deepcopy(route)
    copied["spec"]["tls"]["key"] = "<redacted>"
    return copied


def recorded_backends(route):
    """What the state records of an adopted Route: its name and the two fields the canary changes."""
    spec = route.get("spec") or {}
    recorded = {"name": route["metadata"]["name"], "to": copy.deepcopy(spec.get("to"))}
    if "alternateBackends" in spec:
        recorded["alternateBackends"] = copy.deepcopy(spec["alternateBackends"])
    return recorded


def with_recorded_backends(spec, recorded):
    restored = copy.deepcopy(spec)
    restored["to"] = copy.deepcopy(recorded["to"])
    restored.pop("alternateBackends", None)
    if "alternateBackends" in recorded:
        restored["alternateBackends"] = copy.deepcopy(recorded["alternateBackends"])
    return restored


def backends_patch(live, spec):
    """JSON patch operations setting ``to`` and ``alternateBackends`` of ``live`` to those of ``spec``."""
    operations = [{"op": "replace", "path": "/spec/to", "value": copy.deepcopy(spec["to"])}]
    if "alternateBackends" in spec:
        operations.append({"op": "add", "path": "/spec/alternateBackends", "value": copy.deepcopy(spec["alternateBackends"])})
    elif "alternateBackends" in (live.get("spec") or {}):
        operations.append({"op": "remove", "path": "/spec/alternateBackends"})
    return operations


class OpenShiftRouter(Router):
    """The Route to the apex, its backends split between primary and canary (no Flagger counterpart)."""

    PROVIDER = factory.OPENSHIFT
    KINDS = (ROUTE,)
    OPTIONS = ("port", "target_port", "port_name", "expose")

    # -- reads ----------------------------------------------------------------------------------------------
    @staticmethod
    def _refuse_unserved(api):
        if not api.serves(*ROUTE):
            return "the OpenShift Route API is not installed: the API server does not serve %s %s; use an OpenShift cluster" % ROUTE
        return None

    def read(self, api, names, options=None, missing_ok=False):
        problem = self._refuse_unserved(api)
        if problem is not None:
            if missing_ok:
                return Observed(api, names, served=False)
            raise Refusal(problem)
        return self.read_routes(api, names)

    def read_routes(self, api, names):
        """Every Route of the namespace in ``others`` (an adopted Route is found by its recorded name); in ``live`` the
        ones that concern the canary: named like the apex, to the apex, or to the primary and canary."""
        problem = self._refuse_unserved(api)
        if problem is not None:
            raise Refusal(problem)
        observed = Observed(api, names)
        observed.others = api.list(ROUTE[0], ROUTE[1], names.namespace)
        observed.live[(ROUTE, names.apex)] = None
        for route in observed.others:
            name = route["metadata"]["name"]
            if name == names.apex or sends_to_apex(route, names) or canary_index(route.get("spec"), names) is not None:
                observed.live[(ROUTE, name)] = route
        return observed

    @staticmethod
    def _named(observed, name):
        for route in observed.others:
            if route["metadata"]["name"] == name:
                return route
        return None

    @staticmethod
    def _managed(observed):
        """The Routes sending to the primary and the canary, by name."""
        return sorted((route for route in observed.live.values() if route is not None and canary_index(route.get("spec"), observed.names) is not None),
                      key=lambda route: route["metadata"]["name"])

    @staticmethod
    def _to_apex(observed):
        return sorted((route for route in observed.live.values() if route is not None and sends_to_apex(route, observed.names)),
                      key=lambda route: route["metadata"]["name"])

    def original(self, observed):
        """The user's Route to the apex (name and backends); Refusal when several are: which one the canary takes over
        would be a guess."""
        names = observed.names
        found = self._to_apex(observed)
        if len(found) > 1:
            raise Refusal("%s all send to Service %s/%s: the canary splits the traffic of one Route only. Nothing was changed. "
                          "Keep one Route to %s (the others may send to another Service) and run canary_init again"
                          % (", ".join(names.ref(ROUTE, route["metadata"]["name"]) for route in found), names.namespace,
                             names.apex, names.apex))
        return {ORIGINAL_KEY: recorded_backends(found[0]) if found else None}

    # -- init -----------------------------------------------------------------------------------------------
    def reconcile(self, observed, options, weights, original):
        names = observed.names
        recorded = (original or {}).get(ORIGINAL_KEY)
        named = observed.get(ROUTE, names.apex)
        if named is not None and is_managed(named) and not is_managed(named, names.target):
            raise clash(names, named, ROUTE)
        if recorded is None:
            return self._generated_steps(observed, options, weights)
        live = self._named(observed, recorded["name"])
        if live is None:
            raise Refusal("%s, recorded by canary_init, is gone. Nothing was changed. Run canary_cleanup, then canary_init "
                          "with the Route to %s in place" % (names.ref(ROUTE, recorded["name"]), names.apex))
        self._refuse_inexact(names, live, recorded)
        self._refuse_unreachable_port(names, live, options)
        desired_spec = routed_spec(with_recorded_backends(live["spec"], recorded), names, *weights)
        if live.get("spec") == desired_spec:
            return []
        ref = names.ref(ROUTE, recorded["name"])
        patch = [unchanged_since_read(live)] + backends_patch(live, desired_spec)
        return [RouterStep("send %s to %s and %s" % (ref, names.primary, names.canary), json_patch(observed, ROUTE, recorded["name"], patch),
                           ref=ref, before=shown(live), after=shown(dict(copy.deepcopy(live), spec=desired_spec)))]

    def _generated_steps(self, observed, options, weights):
        names = observed.names
        late = [route for route in self._to_apex(observed) if not is_managed(route)]
        if late:
            raise Refusal("%s sends to Service %s/%s but was created after canary_init recorded the originals: it is not taken "
                          "over. Nothing was changed. Remove it and run canary_init again, or run canary_cleanup first and then "
                          "canary_init, which adopts it" % (names.ref(ROUTE, late[0]["metadata"]["name"]), names.namespace, names.apex))
        if not options.get("expose"):
            if observed.get(ROUTE, names.apex) is not None:     # ours, from an init with expose: kept until cleanup
                return []
            raise Refusal("no Route sends to Service %s/%s, so provider openshift has no traffic to split. Nothing was changed. "
                          "Create a Route to %s (canary_init adopts it), or set service.expose: true to have one created"
                          % (names.namespace, names.apex, names.apex))
        return ensure(observed, ROUTE, generated_route(names, options, weights))

    @staticmethod
    def _refuse_inexact(names, live, recorded):
        """Refuse, before any write, a Route on which the percent split would not be what HAProxy does."""
        ref = names.ref(ROUTE, live["metadata"]["name"])
        others = [item for item in recorded.get("alternateBackends") or []
                  if not (_is_service(item, names.canary) or _is_service(item, names.primary))]
        if len(others) + 1 > MAX_ALTERNATE_BACKENDS:
            raise Refusal("%s already has %d alternate backends (%s), the most a Route takes: there is no room for %s. Nothing was "
                          "changed. Remove one of them from the Route and run canary_init again"
                          % (ref, len(others), ", ".join(item.get("name", "?") for item in others), names.canary))
        if others and _weight(recorded.get("to")) != DEFAULT_WEIGHT:
            raise Refusal("%s sends to %s at weight %d beside other backends: the canary writes primary + canary = %d, which would "
                          "change the share of %s. Nothing was changed. Set spec.to.weight to %d (scaling the other backends' "
                          "weights to keep their share) and run canary_init again"
                          % (ref, names.apex, _weight(recorded.get("to")), DEFAULT_WEIGHT,
                             ", ".join(item.get("name", "?") for item in others), DEFAULT_WEIGHT))
        balance = ((live["metadata"].get("annotations") or {}).get(BALANCE_ANNOTATION) or "").strip()
        if balance and balance != EXACT_BALANCE:
            raise Refusal("%s has annotation %s: %s: HAProxy splits by the backends' weights only with %s, so the canary's "
                          "share would not be the one asked. Nothing was changed. Remove the annotation (a Route with two backends "
                          "of non-zero weight is balanced %s by default) or set it to %s, then run canary_init again"
                          % (ref, BALANCE_ANNOTATION, balance, EXACT_BALANCE, EXACT_BALANCE, EXACT_BALANCE))

    @staticmethod
    def _refuse_unreachable_port(names, live, options):
        """The Route's ``spec.port.targetPort`` is looked up among the endpoint ports of each backend: the -primary and
        -canary Services carry one port, named ``port_name``, to ``target_port`` (or ``port``). Another port name or
        number would leave the Route without endpoints once it sends to them."""
        target_port = ((live.get("spec") or {}).get("port") or {}).get("targetPort")
        carried = (options.get("port_name") or "http", options.get("target_port") or options.get("port"))
        if target_port is None or str(target_port) in [str(port) for port in carried]:
            return
        raise Refusal("%s sends to port %s, which %s and %s do not carry (their one port is named %s, to %s): the Route would "
                      "have no endpoints. Nothing was changed. Set the Route's spec.port.targetPort to %s, or service.port_name "
                      "to %s, and run canary_init again"
                      % (names.ref(ROUTE, live["metadata"]["name"]), target_port, names.primary, names.canary, carried[0],
                         carried[1], carried[0], target_port))

    # -- weights --------------------------------------------------------------------------------------------
    def _route(self, observed):
        managed = self._managed(observed)
        return managed[0] if managed else None

    def get_routes(self, observed):
        route = self._route(observed)
        return get_weights(route["spec"], observed.names) if route is not None else None

    def require_routes(self, observed):
        weights = self.get_routes(observed)
        if weights is None:
            names = observed.names
            raise Refusal("no Route in namespace %s sends to %s with %s as an alternate backend: run canary_init again"
                          % (names.namespace, names.primary, names.canary))
        return weights

    ROUTE_KIND = ROUTE

    def route_object(self, observed):
        return self._route(observed)

    # A Route splits by backend weights and nothing else: no header match, no mirror, no response header.
    SHAPES = ()

    def weighted_spec(self, spec, names, primary, canary, shape=PLAIN):
        return routed_spec(spec, names, primary, canary)

    def spec_patch(self, live, desired_spec):
        return backends_patch(live, desired_spec)

    def shown(self, obj):
        return shown(obj)

    def settled(self, observed):
        """Nothing usable: a Route's ``status.ingress[].conditions`` say a router admitted the host, with no generation
        (a weight change leaves them as they were), and the router reloads HAProxy at most every ``RELOAD_INTERVAL``
        after admitting. The settle time decides (settling.py)."""
        return None

    def route_objects(self, observed):
        """The managed Route; before init and after cleanup, the Route to the apex (the one the canary takes over)."""
        return self._managed(observed)[:1] or self._to_apex(observed)[:1] or [None]

    # -- cleanup --------------------------------------------------------------------------------------------
    def finalize(self, observed, original):
        """The adopted Route's ``to`` and ``alternateBackends`` back as recorded, or the Route we created deleted. An
        adopted Route the user deleted stays deleted (the state holds its backends only, not a whole Route to re-create)."""
        if not observed.served:
            return []
        names = observed.names
        recorded = (original or {}).get(ORIGINAL_KEY)
        if recorded is None:
            live = observed.get(ROUTE, names.apex)
            return [delete(observed, ROUTE, live)] if live is not None and is_managed(live, names.target) else []
        live = self._named(observed, recorded["name"])
        if live is None:
            return []
        restored = with_recorded_backends(live["spec"], recorded)
        if live.get("spec") == restored:
            return []
        ref = names.ref(ROUTE, recorded["name"])
        patch = [unchanged_since_read(live)] + backends_patch(live, restored)
        return [RouterStep("restore the backends of " + ref + " as recorded", json_patch(observed, ROUTE, recorded["name"], patch),
                           ref=ref, outcome=RESTORED, before=shown(live), after=shown(dict(copy.deepcopy(live), spec=restored)))]

    def removals(self, observed):
        return []   # the Route is the only object, and finalize deleted it when it was ours

    def managed_names(self, names):
        """The Services the managed Route sends to (the Route itself is the user's, of any name, or ours named like the
        apex)."""
        return {"route_backends": [names.primary, names.canary]}
