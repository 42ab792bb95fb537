"""Label and field selectors, parsed like the apiserver parses `labelSelector` / `fieldSelector`."""
import re

from . import errors

_IN = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(\bnotin\b|\bin\b)\s*\(([^)]*)\)|(==|!=|=)\s*([A-Za-z0-9_.-]*))?\s*$")


def _split_terms(text):
    """Split on commas that are not inside `in (...)` value sets."""
    terms, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        terms.append(current)
    return terms


def parse_label_selector(text):
    """A list of predicates over a labels dict; raises 400 BadRequest on a malformed selector."""
    predicates = []
    for term in _split_terms(text or ""):
        match = _IN.match(term)
        if not match:
            raise errors.bad_request(f"unable to parse requirement: invalid label selector: {term.strip()!r}")
        negate, key, set_op, set_values, op, value = match.groups()
        if negate and (set_op or op):
            raise errors.bad_request(f"unable to parse requirement: invalid label selector: {term.strip()!r}")
        if negate:
            predicates.append(lambda labels, k=key: k not in labels)
        elif set_op:
            values = {v.strip() for v in set_values.split(",") if v.strip()}
            if set_op == "in":
                predicates.append(lambda labels, k=key, vs=values: labels.get(k) in vs)
            else:
                predicates.append(lambda labels, k=key, vs=values: labels.get(k) not in vs)
        elif op in ("=", "=="):
            predicates.append(lambda labels, k=key, v=value: labels.get(k) == v)
        elif op == "!=":
            predicates.append(lambda labels, k=key, v=value: labels.get(k) != v)
        else:
            predicates.append(lambda labels, k=key: k in labels)
    return predicates


def _field_value(obj, dotted):
    node = obj
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return None if node is None else str(node)


def parse_field_selector(text):
    """Predicates over a whole object for `a.b=v`, `a.b==v`, `a.b!=v` terms (metadata.name, metadata.namespace, ...)."""
    predicates = []
    for term in _split_terms(text or ""):
        match = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*?)\s*$", term)
        if not match:
            raise errors.bad_request(f"invalid selector: '{text}'; can't understand '{term.strip()}'")
        path, op, value = match.groups()
        if op == "!=":
            predicates.append(lambda obj, p=path, v=value: _field_value(obj, p) != v)
        else:
            predicates.append(lambda obj, p=path, v=value: (_field_value(obj, p) or "") == v)
    return predicates


def match_selector_dict(selector, labels):
    """Whether `labels` match a LabelSelector object (matchLabels + matchExpressions), as controllers use it."""
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def selector_string(selector):
    """`app=podinfo,tier in (a,b)`: the string form of a LabelSelector (Scale's status.selector)."""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        op = expression.get("operator")
        if op in ("In", "NotIn"):
            parts.append(f"{expression['key']} {op.lower()} ({','.join(expression.get('values') or [])})")
        elif op == "Exists":
            parts.append(expression["key"])
        elif op == "DoesNotExist":
            parts.append("!" + expression["key"])
    return ",".join(parts)


class Filter:
    """Namespace + label + field selection of stored objects."""

    def __init__(self, namespace=None, label_selector=None, field_selector=None):
        self.namespace = namespace
        self.labels = parse_label_selector(label_selector)
        self.fields = parse_field_selector(field_selector)

    def matches(self, obj):
        metadata = obj.get("metadata", {})
        if self.namespace is not None and metadata.get("namespace") != self.namespace:
            return False
        labels = metadata.get("labels") or {}
        return all(p(labels) for p in self.labels) and all(p(obj) for p in self.fields)
