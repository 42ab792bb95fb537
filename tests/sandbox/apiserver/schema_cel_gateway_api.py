"""The Gateway API HTTPRoute CRD's CEL rules (`x-kubernetes-validations` of ../shared/crds/gateway-api), as Python
predicates keyed by their exact rule text (schema_cel.RULES takes them in).

What a real API server refuses in an HTTPRoute rule: path matches that are not absolute, clean paths; a filter whose
body does not match its type, a filter type repeated, a redirect beside a rewrite or beside backendRefs; a
`backendRequest` timeout longer than the `request` one; a ReplacePrefixMatch redirect or rewrite without exactly one
PathPrefix match; more than 128 matches in a route; a CORS list holding `*` beside other entries. The values seen here are
already defaulted (a path match's type PathPrefix and value "/") and type-checked by the schema, as in the API server.
Not modelled: the parentRefs sectionName rules.
"""
import re

from tests.sandbox.apiserver.durations import GoDurationError, parse_go_duration

# -- rules[].matches[].path ------------------------------------------------------------------------------------------
_CLEAN_PATH = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$")
_PATH_TYPES = ("Exact", "PathPrefix")
_PATH_CONDITION = "(self.type in ['Exact','PathPrefix']) ? "


def _when_exact_or_prefix(check):
    """A path rule that applies to Exact and PathPrefix matches only (RegularExpression values are the
    implementation's)."""
    return lambda path: path.get("type", "PathPrefix") not in _PATH_TYPES or check(path.get("value", "/"))


PATH_RULES = {
    _PATH_CONDITION + "self.value.startsWith('/') : true": _when_exact_or_prefix(lambda value: value.startswith("/")),
    _PATH_CONDITION + "!self.value.endsWith('/..') : true": _when_exact_or_prefix(lambda value: not value.endswith("/..")),
    _PATH_CONDITION + "!self.value.endsWith('/.') : true": _when_exact_or_prefix(lambda value: not value.endswith("/.")),
    _PATH_CONDITION + 'self.value.matches(r"""^(?:[-A-Za-z0-9/._~!$&\'()*+,;=:@]|[%][0-9a-fA-F]{2})+$""") : true':
        _when_exact_or_prefix(lambda value: _CLEAN_PATH.match(value) is not None),
    "self.type in ['Exact','PathPrefix'] || self.type == 'RegularExpression'":
        lambda path: path.get("type", "PathPrefix") in _PATH_TYPES + ("RegularExpression",),
}
for _part in ("//", "/./", "/../", "%2f", "%2F", "#"):
    PATH_RULES[_PATH_CONDITION + "!self.value.contains('%s') : true" % _part] = _when_exact_or_prefix(
        lambda value, part=_part: part not in value)

# -- rules[].filters (and backendRefs[].filters) -----------------------------------------------------------------------
# filter type -> the field that carries its configuration
FILTER_FIELDS = {
    "CORS": "cors", "ExtensionRef": "extensionRef", "RequestHeaderModifier": "requestHeaderModifier",
    "RequestMirror": "requestMirror", "RequestRedirect": "requestRedirect",
    "ResponseHeaderModifier": "responseHeaderModifier", "URLRewrite": "urlRewrite",
}
FILTER_RULES = {}
for _type, _field in FILTER_FIELDS.items():
    FILTER_RULES["!(has(self.%s) && self.type != '%s')" % (_field, _type)] = (
        lambda item, field=_field, kind=_type: not (field in item and item.get("type") != kind))
    FILTER_RULES["!(!has(self.%s) && self.type == '%s')" % (_field, _type)] = (
        lambda item, field=_field, kind=_type: not (field not in item and item.get("type") == kind))
for _type in ("CORS", "RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite"):
    FILTER_RULES["self.filter(f, f.type == '%s').size() <= 1" % _type] = (
        lambda filters, kind=_type: sum(1 for item in filters if item.get("type") == kind) <= 1)
FILTER_RULES["!(self.exists(f, f.type == 'RequestRedirect') && self.exists(f, f.type == 'URLRewrite'))"] = (
    lambda filters: not (any(item.get("type") == "RequestRedirect" for item in filters)
                         and any(item.get("type") == "URLRewrite" for item in filters)))
FILTER_RULES["!(has(self.percent) && has(self.fraction))"] = lambda mirror: not ("percent" in mirror and "fraction" in mirror)
FILTER_RULES["self.numerator <= self.denominator"] = lambda fraction: fraction.get("numerator", 0) <= fraction.get("denominator", 100)
for _modifier in ("ReplaceFullPath", "ReplacePrefixMatch"):
    _field = _modifier[0].lower() + _modifier[1:]
    FILTER_RULES["self.type == '%s' ? has(self.%s) : true" % (_modifier, _field)] = (
        lambda path, kind=_modifier, field=_field: path.get("type") != kind or field in path)
    FILTER_RULES["has(self.%s) ? self.type == '%s' : true" % (_field, _modifier)] = (
        lambda path, kind=_modifier, field=_field: field not in path or path.get("type") == kind)
FILTER_RULES["!('*' in self && self.size() > 1)"] = lambda values: not ("*" in values and len(values) > 1)


# -- rules[] and rules --------------------------------------------------------------------------------------------
def _seconds(duration):
    if duration is None:
        return None
    try:
        return parse_go_duration(duration)
    except GoDurationError:
        return None  # the field's pattern refuses it already


def _backend_request_within_request(timeouts):
    request, backend_request = _seconds(timeouts.get("request")), _seconds(timeouts.get("backendRequest"))
    return request is None or backend_request is None or request == 0 or backend_request <= request


def _replaces_prefix(item, field):
    path = (item.get(field) or {}).get("path") or {}
    return path.get("type") == "ReplacePrefixMatch" and "replacePrefixMatch" in path


def _one_prefix_match(rule):
    matches = rule.get("matches") or []
    return len(matches) == 1 and (matches[0].get("path") or {}).get("type") == "PathPrefix"


def _prefix_replacement_rules(field):
    """The two rules (the rule's filters, its backendRefs' filters) asking a ReplacePrefixMatch ``field`` filter for
    exactly one PathPrefix match."""
    condition = ("has(f.{0}) && has(f.{0}.path) && f.{0}.path.type == 'ReplacePrefixMatch' && "
                 "has(f.{0}.path.replacePrefixMatch)").format(field)
    then = " ? ((size(self.matches) != 1 || !has(self.matches[0].path) || self.matches[0].path.type != 'PathPrefix') ? false : true) : true"

    def exactly_one(items, test):
        return sum(1 for item in items if test(item)) == 1

    def in_rule(rule):
        return not exactly_one(rule.get("filters") or [], lambda item: _replaces_prefix(item, field)) or _one_prefix_match(rule)

    def in_backends(rule):
        return not exactly_one(rule.get("backendRefs") or [], lambda ref: exactly_one(
            ref.get("filters") or [], lambda item: _replaces_prefix(item, field))) or _one_prefix_match(rule)

    return {
        "(has(self.filters) && self.filters.exists_one(f, %s))%s" % (condition, then): in_rule,
        "(has(self.backendRefs) && self.backendRefs.exists_one(b, (has(b.filters) && b.filters.exists_one(f, %s)) ))%s"
        % (condition, then): in_backends,
    }


MAX_MATCHES = 128
RULE_RULES = {
    "!(has(self.request) && has(self.backendRequest) && duration(self.request) != duration('0s') && "
    "duration(self.backendRequest) > duration(self.request))": _backend_request_within_request,
    "(has(self.backendRefs) && size(self.backendRefs) > 0) ? (!has(self.filters) || "
    "self.filters.all(f, !has(f.requestRedirect))): true":
        lambda rule: not rule.get("backendRefs") or not any("requestRedirect" in item for item in rule.get("filters") or []),
    # the CRD spells the sum out rule by rule over the first 16 rules (the most a route may have)
    " + ".join("(self.size() > %d ? self[%d].matches.size() : 0)" % (index, index) for index in range(16)) + " <= 128":
        lambda rules: sum(len(rule.get("matches") or []) for rule in rules[:16]) <= MAX_MATCHES,
}

RULE_RULES.update(_prefix_replacement_rules("requestRedirect"))
RULE_RULES.update(_prefix_replacement_rules("urlRewrite"))

RULES = {}
for _table in (PATH_RULES, FILTER_RULES, RULE_RULES):
    RULES.update(_table)
