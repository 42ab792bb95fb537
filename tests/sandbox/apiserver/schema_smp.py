"""Strategic merge patch, applied the way the apiserver applies it (k8s.io/apimachinery/pkg/util/strategicpatch).

Merge keys and strategies come from the schema's `x-kubernetes-patch-merge-key` / `x-kubernetes-patch-strategy`,
never from a hand-kept table. Directives: `$patch: replace|delete|merge`, `$retainKeys`,
`$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`; a null value deletes its key.
"""
import copy

from tests.sandbox.apiserver.schema_nodes import items_schema, property_schema

PATCH_DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ELEMENT_ORDER = "$setElementOrder/"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/"


def _strategies(node) -> list:
    return (node or {}).get("x-kubernetes-patch-strategy", "").split(",")


def _is_directive_key(key: str) -> bool:
    return key in (PATCH_DIRECTIVE, RETAIN_KEYS) or key.startswith((SET_ELEMENT_ORDER, DELETE_FROM_PRIMITIVE_LIST))


def merge_map(original: dict, patch: dict, node) -> dict:
    """`original` (not modified) with `patch` merged in, under the object schema `node` (None: no schema)."""
    directive = patch.get(PATCH_DIRECTIVE)
    if directive == "replace":
        return merge_map({}, {k: v for k, v in patch.items() if k != PATCH_DIRECTIVE}, node)
    if directive == "delete":
        return {}
    merged = copy.deepcopy(original)
    if RETAIN_KEYS in patch:
        merged = {k: v for k, v in merged.items() if k in patch[RETAIN_KEYS]}
    for key, value in patch.items():
        if key.startswith(DELETE_FROM_PRIMITIVE_LIST):
            field = key[len(DELETE_FROM_PRIMITIVE_LIST):]
            if isinstance(merged.get(field), list):
                merged[field] = [item for item in merged[field] if item not in value]
        elif not _is_directive_key(key):
            _merge_field(merged, key, value, node)
    for key, order in patch.items():
        field = key[len(SET_ELEMENT_ORDER):]
        if key.startswith(SET_ELEMENT_ORDER) and isinstance(merged.get(field), list):
            merge_key = ((property_schema(node, field) if node else None) or {}).get("x-kubernetes-patch-merge-key")
            merged[field] = apply_element_order(merged[field], original.get(field) or [], order, merge_key)
    return merged


def _merge_field(merged: dict, key: str, value, node) -> None:
    if value is None or (isinstance(value, dict) and value.get(PATCH_DIRECTIVE) == "delete"):
        merged.pop(key, None)
        return
    field_node = property_schema(node, key) if node else None
    current = merged.get(key)
    if "replace" in _strategies(field_node):
        merged[key] = merge_value(None, value, field_node)
    else:
        merged[key] = merge_value(current, value, field_node)


def merge_value(current, value, field_node):
    """Merge one field's patch value into its current value (None when absent)."""
    if isinstance(value, dict):
        return merge_map(current if isinstance(current, dict) else {}, value, field_node)
    if isinstance(value, list):
        return merge_list(current if isinstance(current, list) else [], value, field_node)
    return value


def merge_list(original: list, patch: list, list_node) -> list:
    """A list field: merged by its merge key under strategy `merge`, else replaced by the patch."""
    item_node = items_schema(list_node) if list_node else None
    if any(isinstance(item, dict) and item.get(PATCH_DIRECTIVE) == "replace" for item in patch):
        return [merge_value(None, item, item_node) for item in patch
                if not (isinstance(item, dict) and item.get(PATCH_DIRECTIVE) == "replace")]
    if "merge" not in _strategies(list_node):
        return [merge_value(None, item, item_node) for item in patch]
    merge_key = list_node.get("x-kubernetes-patch-merge-key")
    if not merge_key:
        return list(original) + [item for item in patch if item not in original]
    merged = copy.deepcopy(original)
    for item in patch:
        _merge_list_item(merged, item, merge_key, item_node)
    return merged


def _merge_list_item(merged: list, item, merge_key: str, item_node) -> None:
    if not isinstance(item, dict) or merge_key not in item:
        merged.append(merge_value(None, item, item_node))
        return
    position = next((i for i, existing in enumerate(merged)
                     if isinstance(existing, dict) and existing.get(merge_key) == item[merge_key]), None)
    if item.get(PATCH_DIRECTIVE) == "delete":
        merged[:] = [e for e in merged if not (isinstance(e, dict) and e.get(merge_key) == item[merge_key])]
    elif position is None:
        merged.append(merge_value(None, item, item_node))
    else:
        merged[position] = merge_map(merged[position], item, item_node)


def _identity(item, merge_key):
    return item.get(merge_key) if merge_key and isinstance(item, dict) else item


def apply_element_order(merged: list, server_order: list, order: list, merge_key) -> list:
    """`$setElementOrder`: the listed elements in the listed order, server-only elements where the server had them."""
    wanted = [_identity(entry, merge_key) for entry in order]
    listed = sorted((item for item in merged if _identity(item, merge_key) in wanted),
                    key=lambda item: wanted.index(_identity(item, merge_key)))
    server_only = [item for item in merged if _identity(item, merge_key) not in wanted]
    server_index = {repr(_identity(item, merge_key)): i for i, item in enumerate(server_order)}
    result = []
    while listed and server_only:
        left = server_index.get(repr(_identity(listed[0], merge_key)))
        right = server_index.get(repr(_identity(server_only[0], merge_key)))
        if left is not None and right is not None and left > right:
            result.append(server_only.pop(0))
        else:
            result.append(listed.pop(0))
    return result + listed + server_only
