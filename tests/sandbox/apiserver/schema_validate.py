"""OpenAPI value validation of one object against its schema, with the CRD validator's paths and messages.

Messages follow k8s.io/kube-openapi's validator as the apiserver prints it for custom resources, e.g.
`Invalid value: "string": spec.http[0].route[0].weight in body must be of type integer: "string"`.
"""
import re

from tests.sandbox.apiserver import schema_cel
from tests.sandbox.apiserver import schema_errors as errors
from tests.sandbox.apiserver.schema_nodes import (accepts_unknown, allowed_types, child_path, items_schema, json_type,
                                                  property_schema, type_matches, value_subschemas)
from tests.sandbox.apiserver.schema_source import resolve


def validate_value(node: dict, value, path: str, builtin: bool, report_unknown: bool = True) -> list:
    """Every violation of `node` by `value` at `path`; unknown object keys reported when `report_unknown`."""
    node = resolve(node)
    if value is None:
        # a null is an absent field for built-in decoding and is pruned from custom resources
        return []
    types = allowed_types(node)
    if not type_matches(value, types):
        actual = json_type(value)
        expected = ",".join(sorted(types))
        return [errors.invalid(path, actual, f"{path} in body must be of type {expected}: {errors.quote(actual)}")]
    found = _scalar_errors(node, value, path)
    if not builtin:
        found += schema_cel.rule_errors(node, value, path)
    if isinstance(value, dict):
        found += _object_errors(node, value, path, builtin, report_unknown)
    elif isinstance(value, list):
        found += _array_errors(node, value, path, builtin, report_unknown)
    found += _subschema_errors(node, value, path, builtin)
    return found


def _scalar_errors(node: dict, value, path: str) -> list:
    found = []
    if "enum" in node and value not in node["enum"]:
        found.append(errors.not_supported(path, value, node["enum"]))
    if isinstance(value, str):
        if "minLength" in node and len(value) < node["minLength"]:
            found.append(errors.invalid(path, value, f"{path} in body should be at least {node['minLength']} chars long"))
        if "maxLength" in node and len(value) > node["maxLength"]:
            found.append(errors.too_long(path, node["maxLength"]))
        if "pattern" in node and not _matches(node["pattern"], value):
            found.append(errors.invalid(path, value, f"{path} in body should match '{node['pattern']}'"))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in node and (value < node["minimum"] or (node.get("exclusiveMinimum") and value == node["minimum"])):
            found.append(errors.invalid(path, value, f"{path} in body should be greater than or equal to {node['minimum']}"))
        if "maximum" in node and (value > node["maximum"] or (node.get("exclusiveMaximum") and value == node["maximum"])):
            found.append(errors.invalid(path, value, f"{path} in body should be less than or equal to {node['maximum']}"))
    return found


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:  # an RE2 construct Python lacks: not ours to reject
        return True


def _object_errors(node: dict, value: dict, path: str, builtin: bool, report_unknown: bool) -> list:
    found = [errors.required(child_path(path, key)) for key in node.get("required", ()) if value.get(key) is None]
    if "maxProperties" in node and len(value) > node["maxProperties"]:
        found.append(errors.too_many(path, len(value), node["maxProperties"]))
    if "minProperties" in node and len(value) < node["minProperties"]:
        found.append(errors.invalid(path, len(value), f"{path} in body should have at least {node['minProperties']} properties"))
    keeps_unknown = accepts_unknown(node, builtin)
    for key, child in value.items():
        child_node = property_schema(node, key)
        if child_node is not None:
            found += validate_value(child_node, child, child_path(path, key), builtin, report_unknown)
        elif report_unknown and not keeps_unknown:
            found.append(errors.unknown(child_path(path, key)))
    return found


def _array_errors(node: dict, value: list, path: str, builtin: bool, report_unknown: bool) -> list:
    found = []
    if "maxItems" in node and len(value) > node["maxItems"]:
        found.append(errors.too_many(path, len(value), node["maxItems"]))
    if "minItems" in node and len(value) < node["minItems"]:
        found.append(errors.invalid(path, len(value), f"{path} in body should have at least {node['minItems']} items"))
    item_node = items_schema(node)
    if item_node is not None:
        for index, item in enumerate(value):
            found += validate_value(item_node, item, child_path(path, index), builtin, report_unknown)
    return found + _list_uniqueness_errors(node, value, path)


def _list_uniqueness_errors(node: dict, value: list, path: str) -> list:
    """`x-kubernetes-list-type: map|set`: list-map keys / set members must be unique."""
    list_type = node.get("x-kubernetes-list-type")
    keys = node.get("x-kubernetes-list-map-keys")
    found, seen = [], set()
    for index, item in enumerate(value):
        if list_type == "map" and keys and isinstance(item, dict):
            identity = tuple((k, repr(item.get(k))) for k in keys)
            shown = {k: item.get(k) for k in keys if k in item}
        elif list_type == "set":
            identity, shown = repr(item), item
        else:
            continue
        if identity in seen:
            found.append(errors.duplicate(child_path(path, index), shown))
        seen.add(identity)
    return found


def _subschema_errors(node: dict, value, path: str, builtin: bool) -> list:
    """oneOf/anyOf/allOf/not: value validations only; their members never declare fields of their own."""
    subschemas = value_subschemas(node)

    def passes(member):
        return not validate_value(member, value, path, builtin, report_unknown=False)

    found = []
    if "allOf" in subschemas:
        for member in subschemas["allOf"]:
            found += validate_value(member, value, path, builtin, report_unknown=False)
    if "anyOf" in subschemas and not any(passes(m) for m in subschemas["anyOf"]):
        found.append(errors.invalid(path, "", f'"{path}" must validate at least one schema (anyOf)'))
    if "oneOf" in subschemas:
        valid = sum(1 for m in subschemas["oneOf"] if passes(m))
        if valid != 1:
            detail = "Found none valid" if valid == 0 else f"Found {valid} valid alternatives"
            found.append(errors.invalid(path, "", f'"{path}" must validate one and only one schema (oneOf). {detail}'))
    if "not" in subschemas and passes(subschemas["not"]):
        found.append(errors.invalid(path, "", f'"{path}" must not validate the schema (not)'))
    return found
