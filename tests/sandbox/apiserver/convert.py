"""Conversion between the served versions of one resource and the version it is stored in.

Istio and Gateway API versions share one schema, so only `apiVersion` changes. HorizontalPodAutoscaler
autoscaling/v1 carries just the CPU target; it is converted to and from the v2 (storage) shape.
"""
import copy


def to_storage(resource, storage, obj):
    obj = copy.deepcopy(obj)
    if resource.version != storage.version and resource.kind == "HorizontalPodAutoscaler" and resource.version == "v1":
        obj["spec"] = _hpa_v1_to_v2(obj.get("spec") or {})
    obj["apiVersion"] = storage.api_version
    return obj


def from_storage(resource, storage, obj):
    obj = copy.deepcopy(obj)
    if resource.version != storage.version and resource.kind == "HorizontalPodAutoscaler" and resource.version == "v1":
        obj["spec"] = _hpa_v2_to_v1(obj.get("spec") or {})
        obj["status"] = _hpa_status_v2_to_v1(obj.get("status") or {})
    obj["apiVersion"] = resource.api_version
    obj["kind"] = resource.kind
    return obj


def _hpa_v1_to_v2(spec):
    spec = dict(spec)
    target = spec.pop("targetCPUUtilizationPercentage", None)
    if target is not None:
        spec["metrics"] = [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}}}]
    return spec


def _hpa_v2_to_v1(spec):
    spec = dict(spec)
    metrics = spec.pop("metrics", None) or []
    spec.pop("behavior", None)
    for metric in metrics:
        resource = metric.get("resource") or {}
        if metric.get("type") == "Resource" and resource.get("name") == "cpu":
            utilization = (resource.get("target") or {}).get("averageUtilization")
            if utilization is not None:
                spec["targetCPUUtilizationPercentage"] = utilization
    return spec


def _hpa_status_v2_to_v1(status):
    keep = ("observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas")
    return {k: v for k, v in status.items() if k in keep}
