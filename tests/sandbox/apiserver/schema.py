"""The emulator's schema layer: validation, unknown fields, defaults, immutability and strategic merge patch.

Built-in kinds use the Kubernetes 1.32 definitions of kubernetes-validate (strict); Istio and Gateway API
kinds use their CRDs' `openAPIV3Schema` (none when the shared CRDs are absent). A kind known to neither
validates as nothing to check and cannot be strategic-merge patched.
"""
import copy
from typing import Optional

from tests.sandbox.apiserver import schema_defaults, schema_immutable, schema_semantic
from tests.sandbox.apiserver.schema_errors import (FIELD_UNKNOWN, FIELD_VALUE_DUPLICATE, FIELD_VALUE_FORBIDDEN,
                                                   FIELD_VALUE_INVALID, FIELD_VALUE_NOT_SUPPORTED, FIELD_VALUE_REQUIRED,
                                                   FieldError, UnsupportedMediaType)
from tests.sandbox.apiserver.schema_prune import prune
from tests.sandbox.apiserver.schema_smp import merge_map
from tests.sandbox.apiserver.schema_source import kind_schema, split_api_version
from tests.sandbox.apiserver.schema_validate import validate_value

__all__ = ["FieldError", "UnsupportedMediaType", "validate", "drop_unknown_fields", "apply_defaults",
           "immutable_errors", "strategic_merge", "is_builtin", "is_known",
           "FIELD_UNKNOWN", "FIELD_VALUE_DUPLICATE", "FIELD_VALUE_FORBIDDEN", "FIELD_VALUE_INVALID",
           "FIELD_VALUE_NOT_SUPPORTED", "FIELD_VALUE_REQUIRED"]


def is_builtin(api_version: str, kind: str) -> bool:
    """A kind of Kubernetes itself (strategic merge patch supported), as opposed to a custom resource."""
    found = kind_schema(api_version, kind)
    return found is not None and found.builtin


def is_known(api_version: str, kind: str) -> bool:
    """A kind with a schema: built-in, or served by one of the shared CRDs."""
    return kind_schema(api_version, kind) is not None


def validate(api_version: str, kind: str, obj: dict) -> list:
    """Every FieldError of `obj`: schema violations, unknown fields (FieldUnknown) and the apiserver's semantic checks."""
    found = kind_schema(api_version, kind)
    if found is None:
        return []
    schema_errors = validate_value(found.root, obj, "", found.builtin)
    group = split_api_version(api_version)[0]
    return schema_errors + schema_semantic.semantic_errors(group, kind, obj)


def drop_unknown_fields(api_version: str, kind: str, obj: dict) -> list:
    """Remove the fields the schema does not declare, in place; their paths (what `fieldValidation=Warn` reports)."""
    found = kind_schema(api_version, kind)
    if found is None:
        return []
    return prune(found.root, obj, "", found.builtin)


def apply_defaults(api_version: str, kind: str, obj: dict, old: Optional[dict] = None) -> None:
    """Fill in the apiserver's defaults in place. On update pass `old`: a Service keeps its allocated clusterIP."""
    found = kind_schema(api_version, kind)
    if found is None:
        return
    if old is not None and kind == "Service" and api_version == "v1":
        schema_defaults.carry_over_allocations(obj, old)
    if found.builtin:
        for default in schema_defaults.BUILTIN_DEFAULTS.get((api_version, kind), ()):
            default(obj)
    else:
        schema_defaults.schema_defaults(found.root, obj)


def immutable_errors(api_version: str, kind: str, old: dict, new: dict) -> list:
    """The FieldErrors of an update that changes what may not change."""
    group = split_api_version(api_version)[0]
    found = []
    for check in schema_immutable.IMMUTABLE_CHECKS.get((group, kind), ()):
        found += check(old, new)
    return found


def strategic_merge(api_version: str, kind: str, original: dict, patch: dict) -> dict:
    """`original` with a strategic merge `patch` applied (original untouched); custom resources: UnsupportedMediaType."""
    found = kind_schema(api_version, kind)
    if found is None or not found.builtin:
        raise UnsupportedMediaType("the body of the request was in an unknown format - accepted media types include: "
                                   "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
    if not isinstance(patch, dict):
        raise ValueError("a strategic merge patch must be a JSON object")
    return merge_map(copy.deepcopy(original), patch, found.root)
