"""Fields an update may not change (the apiserver's ValidateUpdate checks for the kinds we use)."""
from tests.sandbox.apiserver import schema_errors as errors

IMMUTABLE_WHEN_SET = "field is immutable when `immutable` is set"


def _spec(obj: dict) -> dict:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def selector_errors(old: dict, new: dict) -> list:
    """apps/v1 workloads: `spec.selector` never changes after create."""
    before, after = _spec(old).get("selector"), _spec(new).get("selector")
    if before != after:
        return [errors.invalid("spec.selector", after, "field is immutable")]
    return []


def cluster_ip_errors(old: dict, new: dict) -> list:
    """Services keep their allocated clusterIP(s); empty on update means "keep" (filled by apply_defaults)."""
    before, after = _spec(old), _spec(new)
    found = []
    if before.get("clusterIP") and after.get("clusterIP") and before["clusterIP"] != after["clusterIP"]:
        found.append(errors.invalid("spec.clusterIPs[0]", after.get("clusterIPs") or [after["clusterIP"]], "may not change once set"))
        found.append(errors.invalid("spec.clusterIP", after["clusterIP"], "field is immutable"))
    elif before.get("clusterIPs") and after.get("clusterIPs") and before["clusterIPs"][:1] != after["clusterIPs"][:1]:
        found.append(errors.invalid("spec.clusterIPs[0]", after["clusterIPs"], "may not change once set"))
    return found


def immutable_data_errors(old: dict, new: dict) -> list:
    """ConfigMaps and Secrets marked `immutable: true` keep their data and the flag."""
    if not old.get("immutable"):
        return []
    found = []
    if not new.get("immutable"):
        found.append(errors.forbidden("immutable", IMMUTABLE_WHEN_SET))
    for field in ("data", "binaryData"):
        if (old.get(field) or {}) != (new.get(field) or {}):
            found.append(errors.forbidden(field, IMMUTABLE_WHEN_SET))
    return found


# (group, kind) -> update checks
IMMUTABLE_CHECKS = {
    ("apps", "Deployment"): (selector_errors,),
    ("apps", "ReplicaSet"): (selector_errors,),
    ("apps", "StatefulSet"): (selector_errors,),
    ("apps", "DaemonSet"): (selector_errors,),
    ("", "Service"): (cluster_ip_errors,),
    ("", "ConfigMap"): (immutable_data_errors,),
    ("", "Secret"): (immutable_data_errors,),
}
