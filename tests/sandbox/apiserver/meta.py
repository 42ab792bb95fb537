"""Object metadata the apiserver owns: uid, timestamps, generation, names; and version-independent comparisons."""
import base64
import copy
import datetime
import random
import re
import string
import uuid

from . import errors

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
SYSTEM_FIELDS = ("uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds")


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_uid():
    return str(uuid.uuid4())


def generated_name(prefix):
    return prefix + "".join(random.choice(string.ascii_lowercase + string.digits) for _index in range(5))


def name_errors(name):
    """Causes for an invalid metadata.name (required, RFC 1123 subdomain)."""
    if not name:
        return [("metadata.name", "FieldValueRequired", "Required value: name or generateName is required")]
    if len(name) > 253:
        return [("metadata.name", "FieldValueInvalid", f'Invalid value: "{name}": must be no more than 253 characters')]
    if not _DNS_SUBDOMAIN.match(name):
        return [("metadata.name", "FieldValueInvalid",
                 f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
                 "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
                 "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")]
    return []


def spec_part(obj):
    """Everything but metadata and status: what `generation` tracks."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def without_rv(obj):
    obj = copy.deepcopy(obj)
    obj.get("metadata", {}).pop("resourceVersion", None)
    obj.get("metadata", {}).pop("managedFields", None)
    return obj


# Built-in kinds of the core group whose registry strategy never sets metadata.generation (a real Service, for one,
# has none: a guard on it must use its resourceVersion).
CORE_KINDS_WITHOUT_GENERATION = {"services", "configmaps", "secrets", "endpoints", "namespaces", "serviceaccounts", "events"}


def tracks_generation(resource, obj):
    if resource.custom:
        return True
    if not resource.group and resource.plural in CORE_KINDS_WITHOUT_GENERATION:
        return False
    return "spec" in obj


def fold_string_data(obj):
    """Secrets: `stringData` is write-only and merged into base64 `data`, as the apiserver does."""
    string_data = obj.pop("stringData", None)
    if string_data:
        data = obj.setdefault("data", {}) or {}
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data


def check_identity(resource, obj, name, namespace):
    """400 when the body's kind, name or namespace disagree with the request, like the apiserver."""
    kind = obj.get("kind")
    api_version = obj.get("apiVersion")
    # The apiserver's create and update handlers refuse a body of another group/version than the URL's, even of
    # the same kind (a networking.istio.io/v1 body sent to the v1beta1 endpoint of an Istio that serves no v1).
    if (api_version and api_version != resource.api_version) or (kind and kind != resource.kind):
        raise errors.bad_request(f"the API version in the data ({api_version}) does not match the expected "
                                 f"API version ({resource.api_version})" if api_version and api_version != resource.api_version
                                 else f"kind {kind} does not match expected kind {resource.kind}")
    metadata = obj.setdefault("metadata", {})
    if name is not None and metadata.get("name") not in (None, name):
        raise errors.bad_request(f"the name of the object ({metadata.get('name')}) does not match the name on the URL ({name})")
    if resource.namespaced:
        if metadata.get("namespace") not in (None, "", namespace):
            raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the request")
        metadata["namespace"] = namespace
    else:
        metadata.pop("namespace", None)
