# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``service`` options Flagger's GatewayAPIRouter reads besides gatewayRefs and hosts, as HTTPRoute rule fields:
``match`` (Istio HTTPMatchRequests, Flagger's ``service.match``) as the rule's ``matches``, ``headers`` (Istio Headers)
as its RequestHeaderModifier / ResponseHeaderModifier ``filters``, ``timeout`` as its ``timeouts.request``.

Each is checked here, before anything is read, against what the HTTPRoute CRD accepts (its schema and CEL rules,
gateway.networking.k8s.io/v1): a value the API server would refuse, or an Istio selector the Gateway API has no
equivalent for (which Flagger drops silently), is refused naming the option. Header values are never shown: they can be
credentials. What is built is spelled out as the API server defaults it (match types), so that a rule compared with
the live one is equal when it is up to date."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import InputError

# HTTPRoute limits (gateway.networking.k8s.io/v1 HTTPRouteRule): matches per rule, headers / query params per match,
# headers per modifier.
MAX_MATCHES = 64
MAX_ENTRIES = 16
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$")
MAX_HEADER_NAME = 256
MAX_HEADER_VALUE = 4096
MAX_QUERY_VALUE = 1024
MAX_PATH = 1024
CLEAN_PATH = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$")
UNCLEAN_PARTS = ("//", "/./", "/../", "%2f", "%2F", "#")
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
# A Gateway API Duration (GEP-2257): up to four <number><unit> parts, units h, m, s, ms.
DURATION = re.compile(r"^([0-9]{1,5}(h|m|s|ms)){1,4}$")
# Istio string match -> Gateway API match type, for the URI, the headers and the query parameters.
PATH_TYPES = {"exact": "Exact", "prefix": "PathPrefix", "regex": "RegularExpression"}
VALUE_TYPES = {"exact": "Exact", "regex": "RegularExpression"}
MATCH_FIELDS = ("uri", "method", "headers", "queryParams")
EVERY_PATH = {"path": {"type": "PathPrefix", "value": "/"}}
# Istio Headers direction -> (filter type, its field).
HEADER_FILTERS = (("request", "RequestHeaderModifier", "requestHeaderModifier"),
                  ("response", "ResponseHeaderModifier", "responseHeaderModifier"))
HEADER_OPERATIONS = ("set", "add", "remove")


# -- service.match -------------------------------------------------------------------------------------------------
def _either(words):
    words = sorted(words)
    return words[0] if len(words) == 1 else "%s or %s" % (", ".join(words[:-1]), words[-1])


def _one_string_match(option, value, types):
    """(Gateway API type, value) of an Istio StringMatch ``{exact|prefix|regex: value}`` limited to ``types``."""
    if not isinstance(value, dict) or len(value) != 1:
        raise InputError("%s must be one of %s with a value, for example {exact: ...}" % (option, _either(types)))
    kind, text = next(iter(value.items()))
    if kind not in types:
        hint = "; for a prefix use regex: '^<prefix>'" if kind == "prefix" else ""
        raise InputError("%s.%s has no Gateway API equivalent: an HTTPRoute matches it by %s%s" % (option, kind, _either(types), hint))
    if not isinstance(text, str) or not text:
        raise InputError("%s.%s must be a non-empty string" % (option, kind))
    return types[kind], text


def path_problem(path_type, value):
    """Why the HTTPRoute CRD refuses a path match (None when it accepts it)."""
    if len(value) > MAX_PATH:
        return "is longer than %d characters" % MAX_PATH
    if path_type == "RegularExpression":
        return None     # its syntax is the implementation's
    if not value.startswith("/"):
        return "must be an absolute path starting with '/'"
    unclean = [part for part in UNCLEAN_PARTS if part in value] + [end for end in ("/..", "/.") if value.endswith(end)]
    if unclean:
        return "must not contain %r" % unclean[0]
    if not CLEAN_PATH.match(value):
        return "may only hold URL path characters (letters, digits, -._~!$&'()*+,;=:@/ and %XX escapes)"
    return None


def _path(option, uri):
    path_type, value = _one_string_match(option, uri, PATH_TYPES)
    problem = path_problem(path_type, value)
    if problem:
        raise InputError("%s: the path %r %s (the HTTPRoute CRD refuses it)" % (option, value, problem))
    return {"type": path_type, "value": value}


def _method(option, method):
    _exact, value = _one_string_match(option, method, {"exact": "Exact"})
    if value not in METHODS:
        raise InputError("%s.exact %r is not an HTTP method the HTTPRoute accepts (%s)" % (option, value, ", ".join(METHODS)))
    return value


def header_name_problem(name):
    if not isinstance(name, str) or not name:
        return "is not a non-empty string"
    if len(name) > MAX_HEADER_NAME:
        return "is longer than %d characters" % MAX_HEADER_NAME
    if not HEADER_NAME.match(name):
        return "is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)"
    return None


def _check_name(option, name):
    problem = header_name_problem(name)
    if problem:
        raise InputError("%s: the name %r %s" % (option, name, problem))


def _named_entries(option, entries, what):
    """The names of the dict ``entries`` (at most 16, each a valid header name), sorted."""
    if len(entries) > MAX_ENTRIES:
        raise InputError("%s has %d entries; %s takes at most %d" % (option, len(entries), what, MAX_ENTRIES))
    for name in entries:
        _check_name(option, name)
    return sorted(entries)


def _value_matches(option, selectors, max_value):
    """Istio ``{name: {exact|regex: value}}`` as Gateway API header / query param matches, sorted by name."""
    if not isinstance(selectors, dict) or not selectors:
        raise InputError("%s must be a non-empty dict of name: {exact|regex: value}" % option)
    matches = []
    for name in _named_entries(option, selectors, "an HTTPRoute match"):
        match_type, value = _one_string_match("%s.%s" % (option, name), selectors[name], VALUE_TYPES)
        if len(value) > max_value:
            raise InputError("%s.%s: the value is longer than %d characters" % (option, name, max_value))
        matches.append({"type": match_type, "name": name, "value": value})
    return matches


def _route_match(option, request_match):
    if not isinstance(request_match, dict):
        raise InputError("%s must be a dict (an Istio HTTPMatchRequest: uri, method, headers, queryParams)" % option)
    unknown = sorted(set(request_match) - set(MATCH_FIELDS))
    if unknown:
        raise InputError("%s.%s has no Gateway API equivalent: an HTTPRoute match has only a path (uri), a method, "
                         "headers and queryParams" % (option, unknown[0]))
    match = {}
    if request_match.get("uri") is not None:
        match["path"] = _path(option + ".uri", request_match["uri"])
    if request_match.get("method") is not None:
        match["method"] = _method(option + ".method", request_match["method"])
    if request_match.get("headers") is not None:
        match["headers"] = _value_matches(option + ".headers", request_match["headers"], MAX_HEADER_VALUE)
    if request_match.get("queryParams") is not None:
        match["queryParams"] = _value_matches(option + ".queryParams", request_match["queryParams"], MAX_QUERY_VALUE)
    if "path" not in match:
        match["path"] = dict(EVERY_PATH["path"])    # the API server's default: an empty match takes every request
    return match


def route_matches(match):
    """``service.match`` as HTTPRouteMatches; None when it is not given (the rule keeps or gets its own)."""
    if match is None:
        return None
    if not isinstance(match, list) or not match:
        raise InputError("service.match must be a non-empty list of Istio HTTPMatchRequests (uri, method, headers, queryParams)")
    if len(match) > MAX_MATCHES:
        raise InputError("service.match has %d entries; an HTTPRoute rule takes at most %d matches" % (len(match), MAX_MATCHES))
    return [_route_match("service.match[%d]" % index, request_match) for index, request_match in enumerate(match)]


# -- service.headers -------------------------------------------------------------------------------------------------
def _header_list(option, values):
    if not isinstance(values, dict):
        raise InputError("%s must be a dict of header name: value" % option)
    headers = []
    for name in _named_entries(option, values, "a header modifier"):
        value = values[name]
        # the value is never shown: it can be a credential
        if not isinstance(value, str) or not value or len(value) > MAX_HEADER_VALUE:
            raise InputError("%s.%s: the value must be a string of 1 to %d characters (an HTTPRoute header value)"
                             % (option, name, MAX_HEADER_VALUE))
        headers.append({"name": name, "value": value})
    return headers


def _removed(option, names):
    if not isinstance(names, list) or len(names) > MAX_ENTRIES:
        raise InputError("%s must be a list of at most %d header names" % (option, MAX_ENTRIES))
    for name in names:
        _check_name(option, name)
    if len(set(names)) != len(names):
        raise InputError("%s names a header twice" % option)
    return list(names)


def _modifier(option, operations):
    if not isinstance(operations, dict):
        raise InputError("%s must be a dict with set, add and remove" % option)
    unknown = sorted(set(operations) - set(HEADER_OPERATIONS))
    if unknown:
        raise InputError("%s.%s is not a header operation (an HTTPRoute header modifier has set, add and remove)" % (option, unknown[0]))
    modifier = {}
    for operation in ("set", "add"):
        if operations.get(operation):
            modifier[operation] = _header_list("%s.%s" % (option, operation), operations[operation])
    if operations.get("remove"):
        modifier["remove"] = _removed(option + ".remove", operations["remove"])
    return modifier


def route_header_filters(headers):
    """``service.headers`` as {filter type: the HTTPRoute filter, or None when that direction is given empty}, one entry
    per direction given (request, response); None when the option is not given."""
    if headers is None:
        return None
    if not isinstance(headers, dict):
        raise InputError("service.headers must be a dict (Istio Headers: request and response, each set, add, remove)")
    unknown = sorted(set(headers) - set(direction for direction, _type, _field in HEADER_FILTERS))
    if unknown:
        raise InputError("service.headers.%s is not a direction: Istio Headers have request and response" % unknown[0])
    filters = {}
    for direction, filter_type, field in HEADER_FILTERS:
        if direction in headers:
            modifier = _modifier("service.headers." + direction, headers[direction] or {})
            filters[filter_type] = {"type": filter_type, field: modifier} if modifier else None
    return filters


# -- service.timeout ---------------------------------------------------------------------------------------------------
def route_timeout(timeout):
    """``service.timeout`` as the rule's ``timeouts.request``; None when not given (an empty timeout sets none)."""
    if not timeout:
        return None
    if not isinstance(timeout, str) or not DURATION.match(timeout):
        raise InputError("service.timeout %r is not a Gateway API duration (up to four parts of 1 to 5 digits and a unit "
                         "h, m, s or ms, for example 10s, 1m30s or 1500ms; 0s disables the timeout)" % (timeout,))
    return timeout


def check_route_options(service):
    """Refuse, before anything is read, a match, headers or timeout the HTTPRoute would not take."""
    route_matches(service.get("match"))
    route_header_filters(service.get("headers"))
    route_timeout(service.get("timeout"))


# -- a rule with the options -------------------------------------------------------------------------------------------
def _with_filters(filters, replacements):
    """``filters`` with each filter type of ``replacements`` replaced (in its place, else appended; None: removed)."""
    result = list(filters or [])
    for filter_type in sorted(replacements):
        replacement = replacements[filter_type]
        index = next((i for i, item in enumerate(result) if item.get("type") == filter_type), None)
        if index is None:
            if replacement is not None:
                result.append(replacement)
        elif replacement is None:
            del result[index]
        else:
            result[index] = replacement
    return result


def apply_route_options(rule, service, generated):
    """Put the options given into ``rule`` (in place): matches replaced, the header modifiers of the directions given
    replaced (the rule's other filters kept), ``timeouts.request`` set (its ``backendRequest`` kept). A ``generated``
    rule without the match option matches every path; an adopted one keeps what it has for the options not given."""
    matches = route_matches(service.get("match"))
    if matches is not None:
        rule["matches"] = matches
    elif generated:
        rule["matches"] = [dict(path=dict(EVERY_PATH["path"]))]
    filters = route_header_filters(service.get("headers"))
    if filters:
        rule["filters"] = _with_filters(rule.get("filters"), filters)
        if not rule["filters"]:
            del rule["filters"]
    timeout = route_timeout(service.get("timeout"))
    if timeout is not None:
        rule["timeouts"] = dict(rule.get("timeouts") or {}, request=timeout)
    return rule
