"""The few CEL rules (`x-kubernetes-validations`) of the shared Istio and Gateway API CRDs, evaluated as the API server does.

There is no CEL interpreter here: each rule text the emulator understands maps to a Python predicate. A rule not in
`RULES` is skipped (docs/sandbox.md lists that), so a new CRD rule is never refused by accident. Messages follow
apiextensions-apiserver: a rule that evaluates to false gives `Invalid value: "<schema type>": <message>`; one whose
evaluation fails (a string that is not a duration) gives `... : <cause> evaluating rule: <message>`.
"""
from tests.sandbox.apiserver import schema_cel_gateway_api
from tests.sandbox.apiserver import schema_errors as errors
from tests.sandbox.apiserver.durations import GoDurationError, parse_go_duration


class RuleEvaluationError(Exception):
    """The rule could not be evaluated on this value (CEL's runtime error)."""


def _at_least_1ms(value):
    try:
        return parse_go_duration(value) >= 0.001
    except GoDurationError as exc:
        raise RuleEvaluationError(f"type conversion error from 'string' to 'google.protobuf.Duration': {exc}") from exc


RULES = {
    "duration(self) >= duration('1ms')": _at_least_1ms,
    '!self.contains("*")': lambda value: "*" not in value,
    'self.all(key, !key.contains("*"))': lambda value: all("*" not in key for key in value),
    "self.all(key, key.size() != 0)": lambda value: all(len(key) != 0 for key in value),
    # Gateway API: a backendRef (or mirror target) that is a core Service must name its port
    "(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true":
        lambda value: not (value.get("group", "") == "" and value.get("kind", "Service") == "Service") or "port" in value,
}
RULES.update(schema_cel_gateway_api.RULES)  # the HTTPRoute's path, filter and timeout rules


def rule_errors(node: dict, value, path: str) -> list:
    """FieldErrors of the node's known CEL rules on `value` (already type-checked by the schema)."""
    found = []
    shown_type = node.get("type") or "object"
    for rule in node.get("x-kubernetes-validations") or ():
        predicate = RULES.get(rule.get("rule"))
        if predicate is None:
            continue
        message = (rule.get("message") or "").strip() or f"failed rule: {rule.get('rule')}"
        try:
            passed = predicate(value)
        except RuleEvaluationError as exc:
            found.append(errors.invalid(path, shown_type, f"{exc} evaluating rule: {message}"))
            continue
        if not passed:
            found.append(errors.invalid(path, shown_type, message))
    return found
