"""Field validation, defaulting and immutability of written objects, delegated to the schema helper (`schema.py`).

`fieldValidation` decides what unknown fields do: Strict rejects them (400), Warn drops them with a
`Warning` header, Ignore drops them silently. Other schema errors answer 422 Invalid.
"""
import copy

from . import errors, istio_webhook

try:  # the schema helper's module; absent while it is being written, then validation is skipped
    from . import schema
except ImportError:  # pragma: no cover - only while schema.py is missing
    schema = None

FIELD_VALIDATION = ("Strict", "Warn", "Ignore")


def unknown_field_policy(query_value):
    value = query_value or "Warn"
    if value not in FIELD_VALIDATION:
        raise errors.bad_request(f"fieldValidation parameter unsupported: {value}")
    return value


def admit(resource, name, obj, field_validation, old=None):
    """Prune/reject unknown fields, default, validate and check immutability in place; returns warning texts."""
    if schema is None:
        return []
    api_version, kind = resource.api_version, resource.kind
    unknown = schema.drop_unknown_fields(api_version, kind, copy.deepcopy(obj))
    if unknown and field_validation == "Strict":
        listed = ", ".join(f'unknown field "{path}"' for path in unknown)
        raise errors.bad_request(f'{kind} in version "{resource.version}" cannot be handled as a {kind}: '
                                 f"strict decoding error: {listed}")
    schema.drop_unknown_fields(api_version, kind, obj)
    schema.apply_defaults(api_version, kind, obj, old)
    problems = [e for e in schema.validate(api_version, kind, obj) if e.reason != "FieldUnknown"]
    if old is not None:
        problems += schema.immutable_errors(api_version, kind, old, obj)
    if problems:
        raise errors.invalid(resource, name, [(e.path, e.reason, e.message) for e in problems])
    # Validating admission webhooks run after the API server's own validation, dry runs included.
    denied = istio_webhook.denial(resource.group, kind, obj)
    if denied:
        raise errors.webhook_denied(denied)
    if field_validation == "Warn":
        return [f'unknown field "{path}"' for path in unknown]
    return []


def strategic_merge(resource, original, patch):
    """Strategic merge patch of a built-in kind; 415 for custom resources like a real apiserver."""
    if resource.custom:
        raise errors.unsupported_media_type("application/strategic-merge-patch+json",
                                            ["application/json-patch+json", "application/merge-patch+json",
                                             "application/apply-patch+yaml"])
    if schema is None:  # pragma: no cover - only while schema.py is missing
        from .patch import merge_patch
        return merge_patch(original, patch)
    try:
        return schema.strategic_merge(resource.api_version, resource.kind, original, patch)
    except schema.UnsupportedMediaType as exc:
        raise errors.unsupported_media_type("application/strategic-merge-patch+json",
                                            ["application/json-patch+json", "application/merge-patch+json",
                                             "application/apply-patch+yaml"]) from exc
