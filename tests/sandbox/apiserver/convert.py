"""Conversion between the served versions of one resource and the version it is stored in.

Istio and Gateway API versions share one schema, so only `apiVersion` changes. HorizontalPodAutoscaler
autoscaling/v1 carries just the CPU target; it is converted to and from the v2 (storage) shape. events.k8s.io/v1
Events are core/v1 Events under other names (the apiserver's conversion: regarding, note, deprecated* fields).
"""
import copy


# events.k8s.io/v1 field -> core/v1 field (k8s.io/kubernetes pkg/apis/events/v1 conversion)
_EVENT_FIELDS = {"regarding": "involvedObject", "note": "message", "reportingController": "reportingComponent",
                 "deprecatedSource": "source", "deprecatedFirstTimestamp": "firstTimestamp",
                 "deprecatedLastTimestamp": "lastTimestamp", "deprecatedCount": "count"}


def _renamed(obj, names):
    return dict((names.get(key, key), value) for key, value in obj.items())


def _other_group(resource, storage):
    return resource.group != storage.group and resource.kind == "Event"


def to_storage(resource, storage, obj):
    obj = copy.deepcopy(obj)
    if _other_group(resource, storage):
        obj = _renamed(obj, _EVENT_FIELDS)
    if resource.version != storage.version and resource.kind == "HorizontalPodAutoscaler" and resource.version == "v1":
        obj["spec"] = _hpa_v1_to_v2(obj.get("spec") or {})
    obj["apiVersion"] = storage.api_version
    return obj


def from_storage(resource, storage, obj):
    obj = copy.deepcopy(obj)
    if _other_group(resource, storage):
        obj = _renamed(obj, dict((core, newer) for newer, core in _EVENT_FIELDS.items()))
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
