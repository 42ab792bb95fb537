"""The error values of the schema layer, shaped like the apiserver's field errors (k8s.io/apimachinery field.Error)."""
import json
from typing import NamedTuple

FIELD_VALUE_INVALID = "FieldValueInvalid"
FIELD_VALUE_REQUIRED = "FieldValueRequired"
FIELD_VALUE_NOT_SUPPORTED = "FieldValueNotSupported"
FIELD_VALUE_FORBIDDEN = "FieldValueForbidden"
FIELD_VALUE_DUPLICATE = "FieldValueDuplicate"
FIELD_VALUE_TOO_LONG = "FieldValueTooLong"
FIELD_VALUE_TOO_MANY = "FieldValueTooMany"
FIELD_UNKNOWN = "FieldUnknown"


class UnsupportedMediaType(Exception):
    """A patch type the resource does not support (strategic merge on a custom resource): HTTP 415."""


class FieldError(NamedTuple):
    """One invalid field: `path` like `spec.template.spec.containers[0].image`, `message` without the path.

    The apiserver's Status cause is {reason, message: "<path>: <message>"-style text, field: path}.
    """
    path: str
    reason: str
    message: str


def quote(value) -> str:
    """A value as field.Error prints it: strings quoted, numbers bare, structures as compact JSON."""
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def invalid(path: str, value, detail: str) -> FieldError:
    return FieldError(path, FIELD_VALUE_INVALID, f"Invalid value: {quote(value)}: {detail}")


def required(path: str, detail: str = "") -> FieldError:
    return FieldError(path, FIELD_VALUE_REQUIRED, "Required value" + (f": {detail}" if detail else ""))


def not_supported(path: str, value, supported) -> FieldError:
    values = ", ".join(quote(v) for v in supported)
    return FieldError(path, FIELD_VALUE_NOT_SUPPORTED, f"Unsupported value: {quote(value)}: supported values: {values}")


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError(path, FIELD_VALUE_FORBIDDEN, f"Forbidden: {detail}")


def duplicate(path: str, value) -> FieldError:
    return FieldError(path, FIELD_VALUE_DUPLICATE, f"Duplicate value: {quote(value)}")


def too_long(path: str, limit: int) -> FieldError:
    return FieldError(path, FIELD_VALUE_TOO_LONG, f"Too long: may not be more than {limit} bytes")


def too_many(path: str, count: int, limit: int) -> FieldError:
    return FieldError(path, FIELD_VALUE_TOO_MANY, f"Too many: {count}: must have at most {limit} items")


def unknown(path: str) -> FieldError:
    """The strict-decoding text the apiserver answers for `fieldValidation=Strict`."""
    return FieldError(path, FIELD_UNKNOWN, f'unknown field "{path}"')
