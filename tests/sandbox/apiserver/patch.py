"""PATCH bodies by content type: merge (RFC 7386), JSON patch (RFC 6902) and strategic merge (schema helper)."""
import copy
import json

import jsonpatch

from . import errors

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
CUSTOM_RESOURCE_TYPES = [JSON_PATCH, MERGE, APPLY]
BUILTIN_TYPES = [JSON_PATCH, MERGE, STRATEGIC, APPLY]


def merge_patch(target, patch):
    """RFC 7386: objects merge recursively, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _decode(body):
    try:
        return json.loads(body or b"null")
    except ValueError as exc:
        raise errors.bad_request(f"error decoding patch: {exc}") from exc


def apply_patch(content_type, body, original, resource, strategic_merge):
    """The patched object. `strategic_merge(original, patch)` does strategic merge for built-in kinds."""
    media = (content_type or "").split(";")[0].strip()
    accepted = CUSTOM_RESOURCE_TYPES if resource.custom else BUILTIN_TYPES
    if media not in (MERGE, JSON_PATCH, STRATEGIC) or (media == STRATEGIC and resource.custom):
        raise errors.unsupported_media_type(media, accepted)
    patch = _decode(body)
    if media == MERGE:
        if not isinstance(patch, dict):
            raise errors.bad_request("error decoding patch: a merge patch must be a JSON object")
        return merge_patch(original, patch)
    if media == JSON_PATCH:
        return _json_patch(original, patch)
    if not isinstance(patch, dict):
        raise errors.bad_request("error decoding patch: a strategic merge patch must be a JSON object")
    return strategic_merge(original, patch)


def _json_patch(original, operations):
    if not isinstance(operations, list):
        raise errors.bad_request("error decoding patch: a JSON patch must be a list of operations")
    try:
        return jsonpatch.JsonPatch(operations).apply(copy.deepcopy(original))
    except jsonpatch.JsonPatchTestFailed as exc:
        raise errors.ApiError(422, "Invalid", f"the server rejected our request due to an error in our request: {exc}",
                              {"causes": [{"reason": "FieldValueInvalid", "message": str(exc)}]}) from exc
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, KeyError, IndexError, TypeError) as exc:
        raise errors.ApiError(422, "Invalid", f"the server rejected our request due to an error in our request: {exc}",
                              {"causes": [{"reason": "FieldValueInvalid", "message": str(exc)}]}) from exc
