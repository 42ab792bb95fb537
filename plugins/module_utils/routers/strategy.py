# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flagger's deployment strategies (docs/gitbook/usage/deployment-strategies.md) as the routers and the scheduler see
them: which strategy the options name, the checks refused before anything is read, and ``RouteShape``, what a router
puts around the managed route besides the weights:

- A/B testing (``match`` + ``iterations``): a route before the managed one sending the matching requests to the canary
  only; everyone else stays on the managed route at 100/0.
- Blue/Green (``iterations`` without ``match``): no shape; the canary is tested with no user traffic at weight 0.
- Mirroring (``mirror``): the managed route mirrors its requests (``mirror_weight`` percent of them, all without it) to
  the canary; the mirror's responses are dropped by the proxy.
- Session affinity (``session_affinity``): while the canary has a weight, its responses set a cookie and a route before
  the managed one sends the cookie's holders to the canary; once the weight is 0 again (promotion, rollback) a route
  answers the holders with the same cookie at ``Max-Age=-1``, which drops it.

A plain shape (``RouteShape()``) is the managed route alone: what promotion, rollback and a weighted canary write."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import InputError

CANARY = "canary"
AB_TESTING = "ab-testing"
BLUE_GREEN = "blue-green"
STRATEGY_TEXT = {CANARY: "progressive traffic shifting", AB_TESTING: "A/B testing", BLUE_GREEN: "Blue/Green"}

# The names of the routes (Istio http routes, Gateway API rules) a strategy adds beside the managed route: a route of
# one of these names is the strategy's, never the user's, and a plain shape removes it (the expiry route aside).
MATCH_ROUTE = "progressive-canary-match"
STICKY_ROUTE = "progressive-canary-sticky"
EXPIRY_ROUTE = "progressive-canary-cookie-expiry"
STRATEGY_ROUTES = (MATCH_ROUTE, STICKY_ROUTE, EXPIRY_ROUTE)

MATCH_KINDS = ("exact", "prefix", "regex")
DEFAULT_MAX_AGE = 86400     # Flagger's default for session_affinity.max_age: one day
COOKIE_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$")     # an RFC 6265 cookie name (a token)


class RouteShape(object):
    """What surrounds the managed route: ``match`` (A/B testing, Flagger's header matches), ``mirror_weight`` (None: no
    mirror; 0: every request; else that percentage), ``cookie`` (session affinity: ``name=value``) and ``max_age``."""

    def __init__(self, match=None, mirror_weight=None, cookie=None, max_age=DEFAULT_MAX_AGE):
        self.match = match or None
        self.mirror_weight = mirror_weight
        self.cookie = cookie
        self.max_age = max_age

    @property
    def plain(self):
        return not self.match and self.mirror_weight is None and not self.cookie

    def unsupported(self):
        """The names of what this shape uses, as the role's variables say them."""
        used = []
        if self.match:
            used.append("match (A/B testing)")
        if self.mirror_weight is not None:
            used.append("mirror")
        if self.cookie:
            used.append("session_affinity")
        return used

    def set_cookie(self):
        """The Set-Cookie value the canary's responses carry."""
        return "%s; Max-Age=%d" % (self.cookie, self.max_age)

    def __eq__(self, other):
        return isinstance(other, RouteShape) and self.__dict__ == other.__dict__

    def __ne__(self, other):
        return not self == other


PLAIN = RouteShape()


def session_route(shape, canary_weight, live_cookie, live_kind):
    """Which session-affinity route goes before the managed route: (STICKY_ROUTE, cookie, Set-Cookie value) while the
    canary has a weight and the shape (or, for a plain shape, the live sticky route: a promotion moving all traffic to
    the canary keeps its holders there) names a cookie; (EXPIRY_ROUTE, cookie, Set-Cookie value dropping it) once a
    known cookie's canary has no weight; None without a cookie. ``live_cookie``/``live_kind``: the cookie of the live
    spec's sticky or expiry route and which route holds it."""
    if canary_weight > 0 and shape.cookie:
        return STICKY_ROUTE, shape.cookie, shape.set_cookie()
    if canary_weight > 0 and live_kind == STICKY_ROUTE:
        return STICKY_ROUTE, live_cookie, "%s; Max-Age=%d" % (live_cookie, shape.max_age)
    if live_cookie:
        return EXPIRY_ROUTE, live_cookie, expiring_cookie(live_cookie)
    return None


def expiring_cookie(cookie):
    """The Set-Cookie value that makes a browser drop ``cookie`` (``name=value``)."""
    return "%s; Max-Age=-1" % cookie


def cookie_regex(cookie):
    """The regex on the Cookie request header that the holders of ``cookie`` (``name=value``) match."""
    name, value = cookie.split("=", 1)
    return "^(.*; ?)?%s=%s(;.*)?$" % (re.escape(name), re.escape(value))


def cookie_of(set_cookie):
    """``name=value`` of a Set-Cookie header value."""
    return (set_cookie or "").split(";", 1)[0].strip() or None


def session_cookie(session_affinity, revision):
    """The cookie of a release: its name from the options, its value from the revision (the same for every step and
    every re-run of the release, different for the next one)."""
    value = re.sub("[^A-Za-z0-9]", "", str(revision or ""))[:16] or "canary"
    return "%s=%s" % (session_affinity["cookie_name"], value)


def strategy_of(params):
    """The strategy the options name: A/B testing with ``match``, Blue/Green with ``iterations`` alone, else a canary."""
    if params.get("iterations"):
        return AB_TESTING if params.get("match") else BLUE_GREEN
    return CANARY


def strategy_text(params):
    """The strategy as the plan line and the summary name it, with mirroring and session affinity."""
    text = STRATEGY_TEXT[strategy_of(params)]
    extras = []
    if params.get("mirror"):
        extras.append("traffic mirroring%s" % (" of %s%% of requests" % params["mirror_weight"] if params.get("mirror_weight") else ""))
    if params.get("session_affinity"):
        extras.append("session affinity (cookie %s)" % params["session_affinity"]["cookie_name"])
    return text + ("" if not extras else " with " + " and ".join(extras))


def route_shape(params, revision, weight):
    """The shape a step at canary ``weight`` routes with: the match while an A/B test runs, the mirror while a
    Blue/Green test runs or at a canary's mirror step (``params['mirrored']``), the cookie while the canary has a
    weight."""
    strategy = strategy_of(params)
    match = params.get("match") if strategy == AB_TESTING else None
    mirror = None
    if params.get("mirror") and (strategy == BLUE_GREEN or params.get("mirrored")):
        mirror = int(params.get("mirror_weight") or 0)
    cookie, max_age = None, DEFAULT_MAX_AGE
    affinity = params.get("session_affinity")
    if affinity:
        max_age = int(affinity.get("max_age") or DEFAULT_MAX_AGE)
        if weight > 0:
            cookie = session_cookie(affinity, revision)
    return RouteShape(match=match, mirror_weight=mirror, cookie=cookie, max_age=max_age)


def any_shape(params):
    """Every part of the shape some step of the strategy routes with (what the provider must be able to route)."""
    affinity = params.get("session_affinity")
    return RouteShape(match=params.get("match") if params.get("iterations") else None,
                      mirror_weight=(params.get("mirror_weight") or 0) if params.get("mirror") else None,
                      cookie="%s=x" % affinity["cookie_name"] if affinity else None)


def check_strategy(params):
    """Refuse (InputError), before anything is read, options no strategy runs with."""
    iterations = params.get("iterations") or 0
    if iterations < 0:
        raise InputError("iterations must be 0 (a canary with step weights) or more, got %s" % iterations)
    if params.get("match") and not iterations:
        raise InputError("match (A/B testing) needs iterations: the number of passing checks before the promotion; "
                         "nothing was changed. Set iterations, or remove match for a canary with step weights")
    if params.get("match") and params.get("session_affinity"):
        raise InputError("session_affinity applies to a canary with step weights, not to A/B testing (match): the match "
                         "already keeps each user on one version; nothing was changed. Remove one of them")
    if iterations and params.get("session_affinity"):
        raise InputError("session_affinity applies to a canary with step weights, not to Blue/Green (iterations): no user "
                         "reaches the canary before the switch; nothing was changed. Remove one of them")
    weight = params.get("mirror_weight")
    if weight is not None and not params.get("mirror"):
        raise InputError("mirror_weight is set without mirror: true; nothing was changed")
    if weight is not None and not 0 <= weight <= 100:
        raise InputError("mirror_weight must be between 0 and 100 (percent of the requests mirrored), got %s" % weight)
    if params.get("mirror") and params.get("match"):
        raise InputError("mirror applies to Blue/Green and to a canary with step weights, not to A/B testing (match), as "
                         "Flagger; nothing was changed. Remove one of them")
    check_match(params.get("match") or [])
    affinity = params.get("session_affinity")
    if affinity:
        if not COOKIE_NAME.match(affinity.get("cookie_name") or ""):
            raise InputError("session_affinity.cookie_name must be a cookie name (letters, digits and !#$%%&'*+-.^_`|~), got %r"
                             % affinity.get("cookie_name"))
        if affinity.get("max_age") is not None and affinity["max_age"] < 1:
            raise InputError("session_affinity.max_age must be 1 or more seconds, got %s" % affinity["max_age"])


def check_match(match):
    """Each condition is {headers: {name: {exact|prefix|regex: value}}} (Flagger's analysis.match); a regex compiles."""
    if not isinstance(match, list):
        raise InputError("match must be a list of conditions such as {headers: {x-canary: {exact: insider}}}, got %r" % (match,))
    for index, condition in enumerate(match):
        where = "match[%d]" % index
        if not isinstance(condition, dict) or set(condition) != set(["headers"]) or not isinstance(condition["headers"], dict) \
                or not condition["headers"]:
            raise InputError("%s must be {headers: {NAME: {exact|prefix|regex: VALUE}}} (header matches; a cookie is the "
                             "header cookie), got %r" % (where, condition))
        for name, rule in condition["headers"].items():
            if not COOKIE_NAME.match(str(name)):
                raise InputError("%s.headers: %r is not a header name" % (where, name))
            if not isinstance(rule, dict) or len(rule) != 1 or list(rule)[0] not in MATCH_KINDS \
                    or not isinstance(list(rule.values())[0], str) or not list(rule.values())[0]:
                raise InputError("%s.headers.%s must be one of {exact: VALUE}, {prefix: VALUE}, {regex: VALUE} with a "
                                 "non-empty text, got %r" % (where, name, rule))
            if "regex" in rule:
                try:
                    re.compile(rule["regex"])
                except re.error as exc:
                    raise InputError("%s.headers.%s.regex %r does not compile: %s" % (where, name, rule["regex"], exc))
