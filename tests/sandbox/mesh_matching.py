"""Requests and route matches as Envoy evaluates them, for the mesh simulator (mesh.py, mesh_gateway_api.py).

A synthetic request (``Request``) has a method, a path, an authority (the host the client asked for) and headers
(lower-case names, as Envoy sees them: HTTP header names are case-insensitive, so a VirtualService may match on
``Cookie`` or ``cookie``). A route's ``match`` list is turned into conditions once, when the mesh reads the routing
objects, so a stale proxy (mesh_propagation) applies the old matches to a new request:

- ``istio_matches(route)``: a VirtualService http route's ``match[]`` (a list of alternatives: OR; within one
  alternative every field must hold: AND) on ``headers`` / ``withoutHeaders`` (exact, prefix, regex; ``{}``: the
  header is present; withoutHeaders also holds when the header is absent, as Envoy's inverted matcher does), ``uri``
  (exact, prefix, regex, ``ignoreUriCase``), ``method``, ``authority``, ``scheme`` (``http``), ``queryParams``,
  ``sourceLabels`` and ``sourceNamespace`` (the synthetic client's), ``gateways`` (mesh traffic: only when ``mesh`` is
  listed). ``port`` is not modelled (it holds);
- ``gateway_api_matches(rule)``: an HTTPRoute rule's ``matches[]`` on ``path`` (Exact, PathPrefix on whole segments,
  RegularExpression), ``headers`` (Exact, RegularExpression), ``queryParams`` and ``method``.

``regex`` is RE2 with full-match semantics in Envoy (``safe_regex``): the simulator uses Python's ``re.fullmatch``,
which agrees for the patterns Flagger writes (``^(.*?;)?(canary=always)(;.*)?$``, ``.*insider.*``). RE2 syntax
Python lacks (``\\pN``, ``[[:alpha:]]``, a ``(?i)`` flag after the start) never matches here; the API emulator refuses
what RE2 refuses (apiserver/re2.py) as istiod does.
"""

import functools
import re
from collections import namedtuple
from urllib.parse import parse_qsl

# headers: {lower-case name: value}; source: (labels dict, namespace) of the client workload.
Request = namedtuple("Request", "method path authority headers source_labels source_namespace")


def plain_request(authority, path="/", method="GET", headers=None, source_labels=None, source_namespace="default"):
    return Request(method, path, authority, dict((k.lower(), v) for k, v in (headers or {}).items()),
                   dict(source_labels or {}), source_namespace)


@functools.lru_cache(maxsize=512)
def _compiled(pattern):
    try:
        return re.compile(pattern)
    except re.error:
        return None     # RE2 syntax Python lacks: never matches (see the module docstring)


def string_matches(matcher, value):
    """Whether ``value`` (None: absent) satisfies ``(kind, expected)``: exact, prefix, regex (full match), present."""
    kind, expected = matcher
    if value is None:
        return False
    if kind == "present":
        return True
    if kind == "exact":
        return value == expected
    if kind == "prefix":
        return value.startswith(expected)
    compiled = _compiled(expected)
    return compiled is not None and compiled.fullmatch(value) is not None


def _path_and_query(path):
    bare, _mark, query = path.partition("?")
    return bare, dict(parse_qsl(query, keep_blank_values=True))


def condition_holds(condition, request):
    """One condition of a match (see ``istio_matches`` / ``gateway_api_matches`` for the shapes)."""
    kind = condition[0]
    if kind == "header":
        return string_matches(condition[2], request.headers.get(condition[1]))
    if kind == "no_header":
        return not string_matches(condition[2], request.headers.get(condition[1]))
    if kind == "path":
        path = _path_and_query(request.path)[0]
        matcher, ignore_case = condition[1], condition[2]
        if ignore_case and matcher[0] != "regex":
            return string_matches((matcher[0], matcher[1].lower()), path.lower())
        return string_matches(matcher, path)
    if kind == "path_segments":    # Gateway API PathPrefix: whole segments, a trailing slash ignored
        prefix = condition[1].rstrip("/")
        path = _path_and_query(request.path)[0]
        return not prefix or path == prefix or path.startswith(prefix + "/")
    if kind == "query":
        return string_matches(condition[2], _path_and_query(request.path)[1].get(condition[1]))
    if kind == "method":
        return string_matches(condition[1], request.method)
    if kind == "authority":
        return string_matches(condition[1], request.authority)
    if kind == "scheme":
        return string_matches(condition[1], "http")
    if kind == "source_labels":
        return all(request.source_labels.get(k) == v for k, v in condition[1])
    if kind == "source_namespace":
        return request.source_namespace == condition[1]
    return False    # "never": e.g. a match bound to gateways other than the mesh


def matches(alternatives, request):
    """``alternatives``: a tuple of matches (OR), each a tuple of conditions (AND); empty: every request."""
    if not alternatives:
        return True
    return any(all(condition_holds(c, request) for c in match) for match in alternatives)


# -- Istio ---------------------------------------------------------------------------------------

def istio_string_match(value):
    """An Istio StringMatch as ``(kind, expected)``; ``{}`` (no kind) checks presence, as Istio documents, and so does
    the regex ``*`` (istiod translates it to Envoy's present_match; validation allows it in ``withoutHeaders``)."""
    value = value if isinstance(value, dict) else {}
    if value.get("regex") == "*":
        return ("present", None)
    for kind in ("exact", "prefix", "regex"):
        if isinstance(value.get(kind), str):
            return (kind, value[kind])
    return ("present", None)


def _istio_match(match):
    match = match if isinstance(match, dict) else {}
    conditions = []
    gateways = match.get("gateways")
    if gateways and "mesh" not in gateways:
        conditions.append(("never",))
    for name, value in sorted((match.get("headers") or {}).items()):
        conditions.append(("header", name.lower(), istio_string_match(value)))
    for name, value in sorted((match.get("withoutHeaders") or {}).items()):
        conditions.append(("no_header", name.lower(), istio_string_match(value)))
    if match.get("uri"):
        conditions.append(("path", istio_string_match(match["uri"]), bool(match.get("ignoreUriCase"))))
    for field in ("method", "authority", "scheme"):
        if match.get(field):
            conditions.append((field, istio_string_match(match[field])))
    for name, value in sorted((match.get("queryParams") or {}).items()):
        conditions.append(("query", name, istio_string_match(value)))
    if match.get("sourceLabels"):
        conditions.append(("source_labels", tuple(sorted(match["sourceLabels"].items()))))
    if match.get("sourceNamespace"):
        conditions.append(("source_namespace", match["sourceNamespace"]))
    return tuple(conditions)


def istio_matches(route):
    """A VirtualService http route's ``match`` list as alternatives of conditions."""
    return tuple(_istio_match(m) for m in route.get("match") or [])


# -- Gateway API ---------------------------------------------------------------------------------

def _gateway_string_match(kind, value):
    return ("regex", value) if kind == "RegularExpression" else ("exact", value)


def gateway_api_match(match):
    """One HTTPRouteMatch as conditions (path defaults to PathPrefix ``/``; header names are case-insensitive)."""
    conditions = []
    path = match.get("path") or {"type": "PathPrefix", "value": "/"}
    path_type, path_value = path.get("type", "PathPrefix"), path.get("value", "/")
    if path_type == "PathPrefix":
        conditions.append(("path_segments", path_value))
    else:
        conditions.append(("path", _gateway_string_match(path_type, path_value), False))
    for header in match.get("headers") or []:
        conditions.append(("header", header["name"].lower(), _gateway_string_match(header.get("type", "Exact"), header["value"])))
    for param in match.get("queryParams") or []:
        conditions.append(("query", param["name"], _gateway_string_match(param.get("type", "Exact"), param["value"])))
    if match.get("method"):
        conditions.append(("method", ("exact", match["method"])))
    return tuple(conditions)


def gateway_api_precedence(match):
    """The spec's order among matching rules (most specific first): an Exact path, then the longest PathPrefix, then a
    method match, then the most header matches, then the most query param matches (a RegularExpression path last)."""
    path = match.get("path") or {"type": "PathPrefix", "value": "/"}
    path_type = path.get("type", "PathPrefix")
    path_rank = {"Exact": 0, "PathPrefix": 1}.get(path_type, 2)
    return (path_rank, -len(path.get("value", "/")) if path_type == "PathPrefix" else 0, 0 if match.get("method") else 1,
            -len(match.get("headers") or []), -len(match.get("queryParams") or []))
