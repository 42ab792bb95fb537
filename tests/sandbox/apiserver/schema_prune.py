"""Dropping what the schema does not declare, as the apiserver's decoding and structural pruning do."""
from tests.sandbox.apiserver.schema_nodes import accepts_unknown, child_path, items_schema, property_schema
from tests.sandbox.apiserver.schema_source import resolve


def prune(node: dict, value, path: str, builtin: bool) -> list:
    """Remove unknown keys (and nulls of non-nullable fields) below `value` in place; the unknown keys' paths."""
    node = resolve(node)
    if isinstance(value, dict):
        return _prune_object(node, value, path, builtin)
    if isinstance(value, list):
        item_node = items_schema(node)
        if item_node is None:
            return []
        dropped = []
        for index, item in enumerate(value):
            dropped += prune(item_node, item, child_path(path, index), builtin)
        return dropped
    return []


def _prune_object(node: dict, value: dict, path: str, builtin: bool) -> list:
    if resolve(node).get("x-kubernetes-preserve-unknown-fields") and not node.get("properties"):
        return []
    keeps_unknown = accepts_unknown(node, builtin)
    dropped = []
    for key in list(value):
        child_node = property_schema(node, key)
        if child_node is None:
            if not keeps_unknown:
                del value[key]
                dropped.append(child_path(path, key))
            continue
        if value[key] is None and not resolve(child_node).get("nullable"):
            del value[key]
            continue
        dropped += prune(child_node, value[key], child_path(path, key), builtin)
    return dropped
