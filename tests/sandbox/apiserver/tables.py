"""`Accept: ...;as=Table` answers (what `kubectl get` asks for), with the columns a real apiserver prints."""
import datetime
import json

from . import selectors


def wants_table(accept):
    return bool(accept) and "as=Table" in accept and "g=meta.k8s.io" in accept


def _age(timestamp):
    if not timestamp:
        return "<unknown>"
    created = datetime.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    seconds = int((datetime.datetime.now(datetime.timezone.utc) - created).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * 2 or (unit == "m" and seconds >= 120):
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def _column(name, kind="string", priority=0, description=""):
    return {"name": name, "type": kind, "format": "name" if name == "Name" else "", "description": description,
            "priority": priority}


def _deployment(obj):
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return [f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}", status.get("updatedReplicas", 0),
            status.get("availableReplicas", 0), _age(obj["metadata"].get("creationTimestamp")),
            ",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers),
            selectors.selector_string(spec.get("selector") or {})]


def _service(obj):
    spec = obj.get("spec") or {}
    ports = ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in spec.get("ports") or []) or "<none>"
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items())) or "<none>"
    return [spec.get("type", "ClusterIP"), spec.get("clusterIP", "<none>"), "<none>", ports,
            _age(obj["metadata"].get("creationTimestamp")), selector]


def _hpa(obj):
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    target = spec.get("scaleTargetRef") or {}
    targets = []
    for metric in spec.get("metrics") or []:
        resource = metric.get("resource") or {}
        utilization = (resource.get("target") or {}).get("averageUtilization")
        if utilization is not None:
            targets.append(f"{resource.get('name')}: <unknown>/{utilization}%")
    return [f"{target.get('kind')}/{target.get('name')}", ", ".join(targets) or "<none>", spec.get("minReplicas", 1),
            spec.get("maxReplicas"), status.get("currentReplicas", 0), _age(obj["metadata"].get("creationTimestamp"))]


def _pod(obj):
    status = obj.get("status") or {}
    containers = status.get("containerStatuses") or []
    waiting = [c["state"]["waiting"].get("reason") for c in containers if "waiting" in (c.get("state") or {})]
    return [f"{sum(1 for c in containers if c.get('ready'))}/{len(containers)}", waiting[0] if waiting else status.get("phase"),
            sum(c.get("restartCount", 0) for c in containers), _age(obj["metadata"].get("creationTimestamp")),
            status.get("podIP", "<none>"), (obj.get("spec") or {}).get("nodeName", "<none>"), "<none>", "<none>"]


def _replica_set(obj):
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return [spec.get("replicas", 1), status.get("replicas", 0), status.get("readyReplicas", 0),
            _age(obj["metadata"].get("creationTimestamp")), ",".join(c.get("name", "") for c in containers),
            ",".join(c.get("image", "") for c in containers), selectors.selector_string(spec.get("selector") or {})]


def _whole_seconds(micro_time):
    """A MicroTime (2026-01-01T00:00:00.123456Z) as a Time, or None."""
    return micro_time[:19] + "Z" if micro_time else None


def _event(obj):
    """pkg/printers/internalversion printEvent: last seen (with the repeats), type, reason, object, ..., name."""
    if "regarding" in obj or "note" in obj:  # the events.k8s.io/v1 view of the same object
        obj = {"firstTimestamp": obj.get("deprecatedFirstTimestamp") or _whole_seconds(obj.get("eventTime")),
               "lastTimestamp": obj.get("deprecatedLastTimestamp"), "count": obj.get("deprecatedCount"), "type": obj.get("type"),
               "reason": obj.get("reason"), "involvedObject": obj.get("regarding"), "source": obj.get("deprecatedSource"),
               "reportingComponent": obj.get("reportingController"), "reportingInstance": obj.get("reportingInstance"),
               "message": obj.get("note"), "metadata": obj["metadata"]}
    first = _age(obj.get("firstTimestamp"))
    last = _age(obj.get("lastTimestamp")) if obj.get("lastTimestamp") else first
    count = obj.get("count") or 0
    if count > 1:
        last = f"{last} (x{count} over {first})"
    involved, source = obj.get("involvedObject") or {}, obj.get("source") or {}
    component = source.get("component") or obj.get("reportingComponent") or ""
    instance = source.get("host") or obj.get("reportingInstance") or ""
    return [last, obj.get("type", ""), obj.get("reason", ""), f"{(involved.get('kind') or '').lower()}/{involved.get('name', '')}",
            involved.get("fieldPath", ""), f"{component}, {instance}" if instance else component,
            (obj.get("message") or "").strip(), first, count, obj["metadata"]["name"]]


# Kinds whose table does not start with the name (the apiserver prints an Event's name last, as a wide column).
_WHOLE_ROWS = {
    "Event": ([_column("Last Seen"), _column("Type"), _column("Reason"), _column("Object"), _column("Subobject", priority=1),
               _column("Source", priority=1), _column("Message"), _column("First Seen", priority=1),
               _column("Count", "integer", priority=1), dict(_column("Name", priority=1), format="name")], _event),
}

_BUILTIN_COLUMNS = {
    "Pod": ([_column("Ready"), _column("Status"), _column("Restarts", "integer"), _column("Age"), _column("IP", priority=1),
             _column("Node", priority=1), _column("Nominated Node", priority=1), _column("Readiness Gates", priority=1)], _pod),
    "ReplicaSet": ([_column("Desired", "integer"), _column("Current", "integer"), _column("Ready", "integer"), _column("Age"),
                    _column("Containers", priority=1), _column("Images", priority=1), _column("Selector", priority=1)],
                   _replica_set),
    "Namespace": ([_column("Status"), _column("Age")],
                  lambda o: [(o.get("status") or {}).get("phase", ""), _age(o["metadata"].get("creationTimestamp"))]),
    "HorizontalPodAutoscaler": ([_column("Reference"), _column("Targets"), _column("MinPods", "integer"),
                                 _column("MaxPods", "integer"), _column("Replicas", "integer"), _column("Age")], _hpa),
    "Deployment": ([_column("Ready"), _column("Up-to-date", "integer"), _column("Available", "integer"), _column("Age"),
                    _column("Containers", priority=1), _column("Images", priority=1), _column("Selector", priority=1)],
                   _deployment),
    "Service": ([_column("Type"), _column("Cluster-IP"), _column("External-IP"), _column("Port(s)"), _column("Age"),
                 _column("Selector", priority=1)], _service),
}


def _json_path(obj, path):
    node = obj
    for part in path.strip(".").split("."):
        if isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def _custom_columns(resource):
    columns, extractors = [], []
    for column in (dict(c) for c in resource.printer_columns):
        if column.get("jsonPath") == ".metadata.creationTimestamp":
            columns.append(_column(column["name"], "string", column.get("priority", 0)))
            extractors.append(lambda o: _age(o["metadata"].get("creationTimestamp")))
            continue
        columns.append(_column(column["name"], column.get("type", "string"), column.get("priority", 0)))
        extractors.append(lambda o, p=column["jsonPath"]: _cell(_json_path(o, p)))
    return columns, lambda o: [f(o) for f in extractors]


def _cell(value):
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return value


def _columns(resource):
    if resource.kind in _BUILTIN_COLUMNS:
        return _BUILTIN_COLUMNS[resource.kind]
    if resource.printer_columns:
        return _custom_columns(resource)
    return [_column("Age")], lambda o: [_age(o["metadata"].get("creationTimestamp"))]


def _partial(obj, include_object, resource):
    if include_object == "Object":
        return dict(obj, apiVersion=resource.api_version, kind=resource.kind)
    if include_object == "None":
        return None
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def to_table(resource, payload, query):
    """The meta.k8s.io/v1 Table of an object or a list (Status errors pass through)."""
    if not isinstance(payload, dict) or payload.get("kind") == "Status" or resource.kind == "Scale":
        return payload
    items = payload["items"] if "items" in payload else [payload]
    include_object = query.get("includeObject", "Metadata")
    if resource.kind in _WHOLE_ROWS:
        columns, cells = _WHOLE_ROWS[resource.kind]
        rows = [{"cells": cells(o), "object": _partial(o, include_object, resource)} for o in items]
    else:
        named_columns, named_cells = _columns(resource)
        columns = [_column("Name")] + named_columns
        rows = [{"cells": [o["metadata"]["name"]] + named_cells(o), "object": _partial(o, include_object, resource)} for o in items]
    metadata = {"resourceVersion": payload["metadata"].get("resourceVersion", "")} if "items" in payload else {}
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata,
            "columnDefinitions": columns, "rows": rows}


def table_transform(resource, query):
    """For watches asked as Tables (`kubectl get -w`): each event's object as a one-row Table."""
    def transform(obj):
        return to_table(resource, obj, query)
    return transform
