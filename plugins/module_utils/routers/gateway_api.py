# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gateway API: one HTTPRoute (gateway.networking.k8s.io/v1) whose managed rule splits between the ``-primary`` and
``-canary`` Services by backendRef weights (Flagger's GatewayAPIRouter, pkg/router/gateway_api.go).

Two attachments, as the spec defines them: north-south, the route's parentRefs are Gateways (``service.gateway_refs``,
Flagger's ``gatewayRefs``); east-west / mesh (GAMMA), its parentRef is the apex Service itself, the default when no
gateway is given. The managed rule is every rule whose backendRefs are exactly the two Services; nothing else in the
route is touched. A user's HTTPRoute named like the apex, or the one routing the apex Service through the same parent
and hostnames, is adopted (only its rule to the apex managed) and given back byte for byte by cleanup. Unlike Flagger,
a second HTTPRoute for the same parent and hostnames is never created: the Gateway API merges such routes by match
precedence, so the canary would not get the share it is given."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils.kube.generated import build, strip_server_fields
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import is_managed
from ansible_collections.progressive.canary.plugins.module_utils.kube.patch_guards import unchanged_since_read
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import InputError, Refusal
from ansible_collections.progressive.canary.plugins.module_utils.routers import factory
from ansible_collections.progressive.canary.plugins.module_utils.routers.base import (
    RESTORED, Observed, Router, RouterStep, clash, delete, ensure, json_patch)
from ansible_collections.progressive.canary.plugins.module_utils.routers.gateway_api_options import (
    EVERY_PATH, apply_route_options, check_route_options)
from ansible_collections.progressive.canary.plugins.module_utils.routers.strategy import (
    EXPIRY_ROUTE, MATCH_ROUTE, PLAIN, STICKY_ROUTE, STRATEGY_ROUTES, cookie_of, cookie_regex, session_route)

HTTP_ROUTE = ("gateway.networking.k8s.io/v1", "HTTPRoute")
GATEWAY_GROUP = "gateway.networking.k8s.io"


# -- references -------------------------------------------------------------------------------------------------
def _is_service_ref(ref, name, namespace):
    """A backendRef / parentRef naming the core Service ``name`` of ``namespace`` (group "" and kind Service are the
    backendRef defaults; a parentRef must spell them)."""
    return (ref.get("group", "") == "" and ref.get("kind", "Service") == "Service" and ref.get("name") == name
            and ref.get("namespace", namespace) == namespace)


def _parent_key(ref, namespace):
    """A parentRef as the parent it attaches to: sectionName and port narrow the listener, not the parent."""
    return (ref.get("group", GATEWAY_GROUP), ref.get("kind", "Gateway"), ref.get("namespace") or namespace, ref.get("name"))


def gateway_parent_refs(gateway_refs):
    """``service.gateway_refs`` as HTTPRoute parentRefs (ParentReference fields, Gateway the default kind)."""
    refs = []
    for ref in gateway_refs or []:
        parent = {"group": GATEWAY_GROUP, "kind": "Gateway"}
        parent.update(copy.deepcopy(ref))
        refs.append(parent)
    return refs


def parent_refs(names, options):
    """The parents of the canary's route: the Gateways asked for, else the apex Service (GAMMA)."""
    if options.get("gateway_refs"):
        return gateway_parent_refs(options["gateway_refs"])
    return [{"group": "", "kind": "Service", "name": names.apex, "port": int(options["port"])}]


def _hostname_covers(pattern, host):
    return pattern == host or (pattern.startswith("*.") and host.endswith(pattern[1:]))


def hostnames_overlap(ours, theirs):
    """Whether two routes' hostnames share a host (no hostnames: every host of the parent)."""
    if not ours or not theirs:
        return True
    return any(_hostname_covers(a, b) or _hostname_covers(b, a) for a in ours for b in theirs)


def shares_parent(route, parents, hostnames):
    """Whether ``route`` attaches to one of ``parents`` for one of ``hostnames``."""
    namespace = route["metadata"]["namespace"]
    spec = route.get("spec") or {}
    theirs = set(_parent_key(ref, namespace) for ref in spec.get("parentRefs") or [])
    ours = set(_parent_key(ref, namespace) for ref in parents)
    return bool(theirs & ours) and hostnames_overlap(hostnames, spec.get("hostnames"))


# -- the managed rule -------------------------------------------------------------------------------------------
def is_managed_rule(rule, names):
    if rule.get("name") in STRATEGY_ROUTES:
        return False
    refs = rule.get("backendRefs") or []
    return sorted(ref.get("name") for ref in refs) == sorted([names.primary, names.canary]) and all(
        _is_service_ref(ref, ref.get("name"), names.namespace) for ref in refs)


def _sends_to_apex(rule, names):
    refs = rule.get("backendRefs") or []
    return bool(refs) and all(_is_service_ref(ref, names.apex, names.namespace) for ref in refs)


def routes_apex(route, names):
    """Whether one of the route's rules sends to the apex Service (or already splits between ours)."""
    rules = (route.get("spec") or {}).get("rules") or []
    return any(_sends_to_apex(rule, names) or is_managed_rule(rule, names) for rule in rules)


def has_managed_rule(route, names):
    return route is not None and any(is_managed_rule(rule, names) for rule in (route.get("spec") or {}).get("rules") or [])


def weighted_backend_refs(names, port, primary_weight, canary_weight):
    return [{"group": "", "kind": "Service", "name": names.primary, "port": int(port), "weight": int(primary_weight)},
            {"group": "", "kind": "Service", "name": names.canary, "port": int(port), "weight": int(canary_weight)}]


def managed_rule(names, options, weights):
    """The rule we add: every path unless service.match narrows it, with the filters and timeout of the options."""
    return apply_route_options({"backendRefs": weighted_backend_refs(names, options["port"], *weights)}, options, generated=True)


def get_weights(spec, names):
    """(primary, canary) weights of the first managed rule, or None when there is none (a ref without a weight has
    the spec's default, 1)."""
    for rule in (spec or {}).get("rules") or []:
        if is_managed_rule(rule, names):
            weights = dict((ref["name"], int(ref.get("weight", 1))) for ref in rule["backendRefs"])
            return weights[names.primary], weights[names.canary]
    return None


def set_weights(spec, names, primary_weight, canary_weight, shape=PLAIN):
    """A copy of ``spec`` with every managed rule at the given weights (its refs' ports and filters kept) and in
    ``shape`` (strategy.py): the strategy's rules replaced by those of ``shape``, every other rule untouched."""
    spec = copy.deepcopy(spec)
    rules = spec.get("rules") or []
    expired = _expired_cookie(rules)
    shaped = []
    for rule in rules:
        if rule.get("name") in STRATEGY_ROUTES:
            continue
        if is_managed_rule(rule, names):
            for ref in rule["backendRefs"]:
                ref["weight"] = int(primary_weight if ref["name"] == names.primary else canary_weight)
                _set_cookie_on(ref, None)
            shaped.extend(_shaped_rules(rule, names, canary_weight, shape, expired))
        else:
            shaped.append(rule)
    if "rules" in spec:
        spec["rules"] = shaped
    return spec


def _set_cookie_on(ref, value):
    """The backendRef's response sets cookie ``value`` (a ResponseHeaderModifier filter of the ref); None: none."""
    kept = [item for item in ref.get("filters") or [] if not _is_cookie_filter(item)]
    if value is not None:
        kept.append({"type": "ResponseHeaderModifier", "responseHeaderModifier": {"add": [{"name": "Set-Cookie", "value": value}]}})
    if kept:
        ref["filters"] = kept
    else:
        ref.pop("filters", None)
    return ref


def _is_cookie_filter(item):
    adds = ((item.get("responseHeaderModifier") or {}).get("add") or [])
    return item.get("type") == "ResponseHeaderModifier" and any(add.get("name") == "Set-Cookie" for add in adds)


def _is_canary_mirror(item, names):
    return item.get("type") == "RequestMirror" and ((item.get("requestMirror") or {}).get("backendRef") or {}).get("name") == names.canary


def header_matches(headers):
    """Flagger's headers {name: {exact|regex: value}} as HTTPRoute header matches (check_shape refused prefix)."""
    return [{"name": name, "type": "Exact" if "exact" in rule else "RegularExpression", "value": list(rule.values())[0]}
            for name, rule in sorted(headers.items())]


def merged_matches(conditions, rule):
    """Each strategy condition's header matches with each of the rule's own matches (every path when it has none)."""
    merged = []
    for condition in conditions:
        for own in rule.get("matches") or [dict(path=dict(EVERY_PATH["path"]))]:
            both = copy.deepcopy(own)
            both.setdefault("path", dict(EVERY_PATH["path"]))
            both["headers"] = list(own.get("headers") or []) + header_matches(condition["headers"])
            merged.append(both)
    return merged


def _ref(rule, name):
    return next(ref for ref in rule["backendRefs"] if ref["name"] == name)


def _routed(rule, names, name, matches, primary_weight, canary_weight):
    routed = dict(copy.deepcopy(rule), name=name, matches=matches)
    for ref in routed["backendRefs"]:
        ref["weight"] = primary_weight if ref["name"] == names.primary else canary_weight
    routed["filters"] = [item for item in routed.get("filters") or [] if item.get("type") != "RequestMirror"]
    if not routed["filters"]:
        del routed["filters"]
    return routed


def _shaped_rules(rule, names, canary_weight, shape, expired):
    """The managed ``rule`` (weights set) with the rules ``shape`` puts before it (as the Istio router's routes)."""
    filters = [item for item in rule.get("filters") or [] if not _is_canary_mirror(item, names)]
    if shape.mirror_weight is not None:
        mirror = {"backendRef": {"group": "", "kind": "Service", "name": names.canary, "port": _ref(rule, names.canary).get("port")}}
        if shape.mirror_weight:
            mirror["percent"] = int(shape.mirror_weight)
        filters.append({"type": "RequestMirror", "requestMirror": mirror})
    if filters:
        rule["filters"] = filters
    else:
        rule.pop("filters", None)
    before = []
    if shape.match:
        before.append(_routed(rule, names, MATCH_ROUTE, merged_matches(shape.match, rule), 0, 100))
    session = session_route(shape, canary_weight, *expired)
    if session is not None:
        kind, cookie, set_cookie = session
        if kind == STICKY_ROUTE and shape.cookie:
            _set_cookie_on(_ref(rule, names.canary), set_cookie)
        routed = _routed(rule, names, kind, merged_matches([{"headers": {"cookie": {"regex": cookie_regex(cookie)}}}], rule),
                         *((0, 100) if kind == STICKY_ROUTE else (100, 0)))
        _set_cookie_on(_ref(routed, names.canary), set_cookie if kind == STICKY_ROUTE else None)
        _set_cookie_on(_ref(routed, names.primary), None if kind == STICKY_ROUTE else set_cookie)
        before.append(routed)
    return before + [rule]


def _expired_cookie(rules):
    """(cookie, rule name) of the spec's session affinity (its sticky rule, or the rule expiring it), else (None, None)."""
    for rule in rules:
        if rule.get("name") in (STICKY_ROUTE, EXPIRY_ROUTE):
            for ref in rule.get("backendRefs") or []:
                for item in ref.get("filters") or []:
                    if _is_cookie_filter(item):
                        return cookie_of(item["responseHeaderModifier"]["add"][0]["value"]), rule["name"]
    return None, None


def generated_http_route(names, options, weights=(100, 0)):
    """The HTTPRoute when the user had none: named like the apex (as Flagger names it)."""
    spec = {"parentRefs": parent_refs(names, options),
            "rules": [managed_rule(names, options, weights)]}
    if options.get("hostnames"):
        spec["hostnames"] = list(options["hostnames"])
    return build(HTTP_ROUTE[0], HTTP_ROUTE[1], names.namespace, names.apex, names.target, {"spec": spec})


def adopted_spec(user_spec, names, options, weights=(100, 0)):
    """A user's HTTPRoute spec with our rule managed: rules that sent everything to the apex now split between primary
    and canary, keeping their own matches, filters and timeouts except where service.match / headers / timeout are
    given (apply_route_options); without such a rule ours is appended. parentRefs, hostnames and every other rule stay
    as the user wrote them."""
    spec = copy.deepcopy(user_spec)
    rules = spec.setdefault("rules", [])
    taken_over = [rule for rule in rules if is_managed_rule(rule, names) or _sends_to_apex(rule, names)]
    if len(taken_over) > 1 and options.get("match") is not None:
        raise InputError("service.match would give the %d rules of the HTTPRoute that send to the Service %s the same "
                         "matches. Nothing was changed. Leave service.match out (each rule keeps its own) or keep one rule to %s"
                         % (len(taken_over), names.apex, names.apex))
    for rule in taken_over:
        rule["backendRefs"] = weighted_backend_refs(names, options["port"], *weights)
        apply_route_options(rule, options, generated=False)
    if not taken_over:
        rules.append(managed_rule(names, options, weights))
    return spec


class GatewayApiObserved(Observed):
    """What the router read: every HTTPRoute of the namespace (``routes``), and, with the service option, the user's
    routes init could adopt (``candidates``) and those it would stand beside (``neighbours``)."""

    def __init__(self, api, names, served=True):
        super(GatewayApiObserved, self).__init__(api, names, served)
        self.routes = []
        self.candidates = []
        self.neighbours = []

    def route(self, name):
        return next((route for route in self.routes if route["metadata"]["name"] == name), None)


class GatewayApiRouter(Router):
    """HTTPRoute (Flagger's GatewayAPIRouter)."""

    PROVIDER = factory.GATEWAY_API
    KINDS = (HTTP_ROUTE,)
    OPTIONS = ("gateway_refs", "hostnames", "match", "headers", "timeout")

    def check_service(self, service):
        check_route_options(service)

    # -- reads ----------------------------------------------------------------------------------------------
    def read(self, api, names, options=None, missing_ok=False):
        if not api.serves(*HTTP_ROUTE):
            if missing_ok:
                return GatewayApiObserved(api, names, served=False)
            raise Refusal(self._not_served())
        observed = self.read_routes(api, names)
        if options is not None:
            self._sort_neighbours(observed, options)
        return observed

    @staticmethod
    def _not_served():
        return ("the Gateway API CRDs are not installed: the API server does not serve %s at %s; install them first "
                "(a Gateway API implementation's release, or the gateway-api standard-install.yaml)" % (HTTP_ROUTE[1], HTTP_ROUTE[0]))

    def read_routes(self, api, names):
        if not api.serves(*HTTP_ROUTE):
            raise Refusal(self._not_served())
        observed = GatewayApiObserved(api, names)
        observed.routes = sorted(api.list(HTTP_ROUTE[0], HTTP_ROUTE[1], names.namespace), key=lambda route: route["metadata"]["name"])
        observed.live[(HTTP_ROUTE, names.apex)] = observed.route(names.apex)
        managed = self._managed_route(observed)
        if managed is not None:
            observed.live[(HTTP_ROUTE, managed["metadata"]["name"])] = managed
        return observed

    @staticmethod
    def _sort_neighbours(observed, options):
        names = observed.names
        parents, hostnames = parent_refs(names, options), options.get("hostnames") or []
        for route in observed.routes:
            if is_managed(route):
                continue
            if route["metadata"]["name"] == names.apex or has_managed_rule(route, names) or (
                    routes_apex(route, names) and shares_parent(route, parents, hostnames)):
                observed.candidates.append(route)
            elif shares_parent(route, parents, hostnames):
                observed.neighbours.append(route)

    @staticmethod
    def _managed_route(observed):
        """The route with the managed rule; else the one named like the apex."""
        names = observed.names
        with_rule = [route for route in observed.routes if has_managed_rule(route, names)]
        return with_rule[0] if with_rule else observed.route(names.apex)

    def original(self, observed):
        candidates = observed.candidates
        if len(candidates) != 1:
            return {"http_route": None}
        return {"http_route": {"name": candidates[0]["metadata"]["name"], "spec": copy.deepcopy(candidates[0]["spec"])}}

    # -- init -----------------------------------------------------------------------------------------------
    def reconcile(self, observed, options, weights, original):
        names = observed.names
        live = observed.route(names.apex)
        if live is not None and is_managed(live) and not is_managed(live, names.target):
            raise clash(names, live, HTTP_ROUTE)
        recorded = (original or {}).get("http_route")
        self._refuse_ambiguity(observed)
        self._refuse_a_late_route(observed, recorded)
        if recorded is None:
            self._refuse_neighbours(observed)
            return ensure(observed, HTTP_ROUTE, generated_http_route(names, options, weights))
        return self._adoption_steps(observed, options, weights, recorded)

    @staticmethod
    def _refs(observed, routes):
        return ", ".join(observed.names.ref(HTTP_ROUTE, route["metadata"]["name"]) for route in routes)

    def _refuse_ambiguity(self, observed):
        names = observed.names
        if len(observed.candidates) > 1:
            raise Refusal("%s all route the Service %s (or are named like it) through the canary's parent: canary_init adopts one "
                          "HTTPRoute only and cannot tell which. Nothing was changed. Keep one route to %s for that parent and "
                          "hostnames (or name the one to adopt %s and route the others elsewhere)"
                          % (self._refs(observed, observed.candidates), names.apex, names.apex, names.apex))

    def _refuse_neighbours(self, observed):
        names = observed.names
        if observed.neighbours:
            raise Refusal("%s already attaches to the parent and hostnames the canary's HTTPRoute %s would use: the Gateway API "
                          "merges both routes by match precedence, so the canary would not get the share it is given. Nothing "
                          "was changed. Either send its rule for this traffic to the Service %s (canary_init then adopts it: only "
                          "that rule is split between %s and %s, and canary_cleanup gives its spec back), or give the canary "
                          "other service.gateway_refs / service.hostnames"
                          % (self._refs(observed, observed.neighbours), names.apex, names.apex, names.primary, names.canary))

    def _refuse_a_late_route(self, observed, recorded):
        """A user's route to adopt that appeared after init recorded the originals: only what was recorded before any change
        is adopted (cleanup could not give it back otherwise)."""
        names = observed.names
        late = [route for route in observed.candidates if recorded is None or route["metadata"]["name"] != recorded["name"]]
        if late:
            raise Refusal("%s was created after canary_init recorded the originals (it was not there then): it is not taken over. "
                          "Nothing was changed. Remove it and run canary_init again, or run canary_cleanup first and then "
                          "canary_init, which adopts it (recorded, only its rule to %s managed)" % (self._refs(observed, late), names.apex))

    def _adoption_steps(self, observed, options, weights, recorded):
        names = observed.names
        name = recorded["name"]
        live = observed.route(name)
        desired_spec = adopted_spec(recorded["spec"], names, options, weights)
        ref = names.ref(HTTP_ROUTE, name)
        if live is None:
            body = {"apiVersion": HTTP_ROUTE[0], "kind": HTTP_ROUTE[1], "metadata": {"name": name, "namespace": names.namespace},
                    "spec": desired_spec}
            return [RouterStep("create " + ref + " from its recorded spec", lambda ctx: observed.api.create(body), ref=ref, after=body)]
        if live.get("spec") == desired_spec:
            return []
        patch = [unchanged_since_read(live), {"op": "replace", "path": "/spec", "value": desired_spec}]
        return [RouterStep("manage the canary rule of " + ref, json_patch(observed, HTTP_ROUTE, name, patch),
                           ref=ref, before=live, after=dict(copy.deepcopy(live), spec=desired_spec))]

    # -- weights --------------------------------------------------------------------------------------------
    def _route(self, observed):
        return self._managed_route(observed) if observed.served else None

    def get_routes(self, observed):
        return get_weights((self._route(observed) or {}).get("spec"), observed.names)

    def require_routes(self, observed):
        names = observed.names
        with_rule = [route for route in observed.routes if has_managed_rule(route, names)]
        if len(with_rule) > 1:
            raise Refusal("%s all have a rule splitting between %s and %s: only one HTTPRoute may carry the canary's split; "
                          "remove the rule from the others" % (self._refs(observed, with_rule), names.primary, names.canary))
        weights = self.get_routes(observed)
        if weights is None:
            raise Refusal("no HTTPRoute in namespace %s has a rule sending to %s and %s: run canary_init again"
                          % (names.namespace, names.primary, names.canary))
        return weights

    ROUTE_KIND = HTTP_ROUTE

    def route_object(self, observed):
        return self._route(observed)

    def weighted_spec(self, spec, names, primary, canary, shape=PLAIN):
        return set_weights(spec, names, primary, canary, shape)

    def same_shape(self, live_spec, desired_spec):
        return live_spec == desired_spec

    def check_shape(self, shape):
        """HTTPRoute header matches are Exact or RegularExpression: Flagger's prefix has none."""
        super(GatewayApiRouter, self).check_shape(shape)
        prefixed = sorted(set(name for condition in shape.match or [] for name, rule in condition["headers"].items() if "prefix" in rule))
        if prefixed:
            raise Refusal("provider gatewayapi cannot route match headers %s by prefix: an HTTPRoute header match is Exact or "
                          "RegularExpression; nothing was changed. Use exact, or regex (for example ^VALUE.*)" % ", ".join(prefixed))

    def settled(self, observed):
        """The route's ``status.parents[]``: for each of its parentRefs, ``Accepted`` and ``ResolvedRefs`` True at its
        current generation (Flagger reads Accepted). Accepted False at that generation is final: the implementation
        refused the route and waiting cannot help. No status at all (no controller writes it): None."""
        live = self.route_object(observed)
        reported = ((live or {}).get("status") or {}).get("parents") or []
        if live is None or not reported:
            return None
        generation = live["metadata"].get("generation")
        namespace = live["metadata"]["namespace"]
        for ref in (live.get("spec") or {}).get("parentRefs") or []:
            key = _parent_key(ref, namespace)
            entries = [entry for entry in reported if _parent_key(entry.get("parentRef") or {}, namespace) == key]
            if not entries:
                return False, "no status for parent %s yet" % ref.get("name"), False
            conditions = dict((c.get("type"), c) for entry in entries for c in entry.get("conditions") or [])
            for kind in ("Accepted", "ResolvedRefs"):
                condition = conditions.get(kind) or {}
                if condition.get("observedGeneration") != generation:
                    return False, "%s of parent %s is for generation %s, the route is at %s" % (
                        kind, ref.get("name"), condition.get("observedGeneration"), generation), False
                if condition.get("status") != "True":
                    reason = "%s of parent %s is %s: %s %s" % (kind, ref.get("name"), condition.get("status"), condition.get("reason"),
                                                               condition.get("message") or "")
                    return False, reason.strip(), kind == "Accepted"
        return True, "Accepted and ResolvedRefs at generation %s" % generation, False

    def route_objects(self, observed):
        return [self._route(observed)]

    # -- cleanup --------------------------------------------------------------------------------------------
    def finalize(self, observed, original):
        """The user's HTTPRoute back as recorded (re-created when it is gone), or ours deleted."""
        if not observed.served:
            return []
        names = observed.names
        recorded = (original or {}).get("http_route")
        if recorded is None:
            live = observed.route(names.apex)
            if live is not None and is_managed(live, names.target):
                return [delete(observed, HTTP_ROUTE, live)]
            return []
        name = recorded["name"]
        live = observed.route(name)
        ref = names.ref(HTTP_ROUTE, name)
        if live is None:
            body = {"apiVersion": HTTP_ROUTE[0], "kind": HTTP_ROUTE[1], "metadata": {"name": name, "namespace": names.namespace},
                    "spec": copy.deepcopy(recorded["spec"])}
            return [RouterStep("re-create " + ref + " as recorded", lambda ctx: observed.api.create(body), ref=ref, outcome=RESTORED,
                               after=body)]
        if live.get("spec") == recorded["spec"]:
            return []
        patch = [unchanged_since_read(live), {"op": "replace", "path": "/spec", "value": copy.deepcopy(recorded["spec"])}]
        return [RouterStep("restore " + ref + " as recorded", json_patch(observed, HTTP_ROUTE, name, patch),
                           ref=ref, outcome=RESTORED, before=live, after=dict(strip_server_fields(live), spec=recorded["spec"]))]

    def removals(self, observed):
        return []   # the HTTPRoute is the only object; finalize deletes it when it is ours

    def managed_names(self, names):
        return {"http_route": names.apex}
