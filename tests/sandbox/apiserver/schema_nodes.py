"""Reading one schema node the same way whichever dialect wrote it.

Built-in definitions say `type: ["integer", "null"]` and spell int-or-string as a `oneOf` of bare types;
CRD schemas say `type: integer`, `nullable: true` and `x-kubernetes-int-or-string: true`.
"""
from tests.sandbox.apiserver.schema_source import resolve

JSON_TYPES = ("object", "array", "string", "integer", "number", "boolean")


def json_type(value) -> str:
    """The JSON type name of a decoded value, as the apiserver prints it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_list(node: dict) -> list:
    declared = node.get("type")
    if declared is None:
        return []
    return [declared] if isinstance(declared, str) else list(declared)


def _is_type_union(node: dict) -> bool:
    """A oneOf/anyOf whose members only name types: the built-in int-or-string and Quantity."""
    members = node.get("oneOf") or node.get("anyOf") or []
    return bool(members) and all(set(m) <= {"type"} for m in members)


def allowed_types(node: dict) -> frozenset:
    """The JSON types a node accepts (empty: any type), never including null."""
    node = resolve(node)
    if node.get("x-kubernetes-int-or-string"):
        return frozenset(("integer", "string"))
    types = [t for t in _type_list(node) if t != "null"]
    if not types and _is_type_union(node):
        for member in node.get("oneOf") or node.get("anyOf"):
            types.extend(t for t in _type_list(member) if t != "null")
    return frozenset(types)


def type_matches(value, types: frozenset) -> bool:
    actual = json_type(value)
    return not types or actual in types or (actual == "integer" and "number" in types)


def value_subschemas(node: dict) -> dict:
    """The oneOf/anyOf/allOf/not value validations of a node, without the type unions read by allowed_types."""
    node = resolve(node)
    if _is_type_union(node):
        return {k: node[k] for k in ("allOf", "not") if k in node}
    return {k: node[k] for k in ("oneOf", "anyOf", "allOf", "not") if k in node}


def property_schema(node: dict, key: str):
    """The schema of `key` in an object node: a declared property, the additionalProperties schema, or None."""
    node = resolve(node)
    properties = node.get("properties") or {}
    if key in properties:
        return properties[key]
    extra = node.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def items_schema(node: dict):
    items = resolve(node).get("items")
    return items if isinstance(items, dict) else None


def accepts_unknown(node: dict, builtin: bool) -> bool:
    """Whether an object node keeps keys it does not declare.

    Built-in (strict) definitions refuse them exactly where they say `additionalProperties: false`; a
    structural CRD schema keeps them only under `x-kubernetes-preserve-unknown-fields` or an
    `additionalProperties` schema, everything else is pruned.
    """
    node = resolve(node)
    if node.get("x-kubernetes-preserve-unknown-fields"):
        return True
    extra = node.get("additionalProperties")
    if builtin:
        return extra is not False
    return isinstance(extra, dict) or extra is True


def child_path(path: str, key) -> str:
    """apiserver field paths: `spec.ports[0].port`; map keys like fields, as the CRD validator prints them."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key
