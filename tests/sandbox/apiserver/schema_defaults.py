"""The defaults a real apiserver fills in, for the built-in kinds our tests meet, and CRD schema `default`s.

Built-in defaults are a table: kind -> functions over the object (pkg/apis/*/v1/defaults.go, reduced to
what clients of this project read back). Pod templates share one set of functions wherever they appear.
"""
import copy
import ipaddress
import itertools
import threading

from tests.sandbox.apiserver.schema_nodes import items_schema, property_schema
from tests.sandbox.apiserver.schema_source import resolve

# 10.96.0.0/12 as kubeadm's default service CIDR; .1 belongs to the `kubernetes` Service.
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
NODE_PORT_RANGE = range(30000, 32768)
_allocation_lock = threading.Lock()
_next_cluster_ip = itertools.count(10)
_next_node_port = itertools.count(NODE_PORT_RANGE.start)


def allocate_cluster_ip() -> str:
    """A cluster IP never handed out before in this process."""
    with _allocation_lock:
        return str(SERVICE_CIDR.network_address + next(_next_cluster_ip))


def _allocate_node_port() -> int:
    with _allocation_lock:
        return NODE_PORT_RANGE.start + (next(_next_node_port) - NODE_PORT_RANGE.start) % len(NODE_PORT_RANGE)


def _set(obj: dict, key: str, value) -> None:
    if obj.get(key) is None:
        obj[key] = value


def image_pull_policy(image: str) -> str:
    """`Always` for `:latest` or an untagged image (no digest), else `IfNotPresent`."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _probe_defaults(probe: dict) -> None:
    for key, value in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1), ("failureThreshold", 3)):
        _set(probe, key, value)
    for handler in ("httpGet",):
        if isinstance(probe.get(handler), dict):
            _set(probe[handler], "scheme", "HTTP")
            _set(probe[handler], "path", "/")


def _container_defaults(container: dict) -> None:
    _set(container, "terminationMessagePath", "/dev/termination-log")
    _set(container, "terminationMessagePolicy", "File")
    if isinstance(container.get("image"), str):
        _set(container, "imagePullPolicy", image_pull_policy(container["image"]))
    _set(container, "resources", {})
    for port in container.get("ports") or ():
        _set(port, "protocol", "TCP")
    for env in container.get("env") or ():
        field_ref = (env.get("valueFrom") or {}).get("fieldRef")
        if isinstance(field_ref, dict):
            _set(field_ref, "apiVersion", "v1")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        if isinstance(container.get(probe), dict):
            _probe_defaults(container[probe])


def pod_spec_defaults(spec: dict) -> None:
    _set(spec, "restartPolicy", "Always")
    _set(spec, "dnsPolicy", "ClusterFirst")
    _set(spec, "terminationGracePeriodSeconds", 30)
    _set(spec, "schedulerName", "default-scheduler")
    _set(spec, "securityContext", {})
    for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        if isinstance(container, dict):
            _container_defaults(container)


def _template_defaults(obj: dict) -> None:
    template_spec = ((obj.get("spec") or {}).get("template") or {}).get("spec")
    if isinstance(template_spec, dict):
        pod_spec_defaults(template_spec)


def _deployment_defaults(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    _set(spec, "replicas", 1)
    _set(spec, "revisionHistoryLimit", 10)
    _set(spec, "progressDeadlineSeconds", 600)
    strategy = spec.setdefault("strategy", {})
    _set(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        _set(rolling, "maxUnavailable", "25%")
        _set(rolling, "maxSurge", "25%")


def _replicated_defaults(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    _set(spec, "replicas", 1)


def _service_defaults(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    _set(spec, "type", "ClusterIP")
    _set(spec, "sessionAffinity", "None")
    for port in spec.get("ports") or ():
        _set(port, "protocol", "TCP")
        if port.get("targetPort") is None and port.get("port") is not None:
            port["targetPort"] = port["port"]
        if spec["type"] in ("NodePort", "LoadBalancer"):
            _set(port, "nodePort", _allocate_node_port())
    if spec["type"] == "ExternalName":
        return
    if not spec.get("clusterIP"):
        spec["clusterIP"] = (spec.get("clusterIPs") or [None])[0] or allocate_cluster_ip()
    _set(spec, "clusterIPs", [spec["clusterIP"]])
    if spec["clusterIP"] != "None":
        _set(spec, "ipFamilies", ["IPv4"])
        _set(spec, "ipFamilyPolicy", "SingleStack")
    _set(spec, "internalTrafficPolicy", "Cluster")
    if spec["type"] in ("NodePort", "LoadBalancer"):
        _set(spec, "externalTrafficPolicy", "Cluster")


def _hpa_v2_defaults(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    _set(spec, "minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]


def _secret_defaults(obj: dict) -> None:
    # stringData is folded into data by the API layer (meta.fold_string_data) before defaults run
    _set(obj, "type", "Opaque")


def _hpa_v1_defaults(obj: dict) -> None:
    _set(obj.setdefault("spec", {}), "minReplicas", 1)


# (apiVersion, kind) -> defaulting functions, applied in order
BUILTIN_DEFAULTS = {
    ("apps/v1", "Deployment"): (_deployment_defaults, _template_defaults),
    ("apps/v1", "ReplicaSet"): (_replicated_defaults, _template_defaults),
    ("apps/v1", "StatefulSet"): (_replicated_defaults, _template_defaults),
    ("apps/v1", "DaemonSet"): (_template_defaults,),
    ("batch/v1", "Job"): (_template_defaults,),
    ("v1", "ReplicationController"): (_replicated_defaults, _template_defaults),
    ("v1", "Pod"): (lambda obj: pod_spec_defaults(obj.setdefault("spec", {})),),
    ("v1", "Service"): (_service_defaults,),
    ("v1", "Secret"): (_secret_defaults,),
    ("autoscaling/v2", "HorizontalPodAutoscaler"): (_hpa_v2_defaults,),
    ("autoscaling/v1", "HorizontalPodAutoscaler"): (_hpa_v1_defaults,),
}


def carry_over_allocations(obj: dict, old: dict) -> None:
    """An update that leaves a Service's allocated clusterIP/nodePorts empty keeps the old ones (as the apiserver does)."""
    spec, old_spec = obj.get("spec"), old.get("spec") or {}
    if not isinstance(spec, dict) or spec.get("type", "ClusterIP") == "ExternalName":
        return
    if not spec.get("clusterIP") and old_spec.get("clusterIP"):
        spec["clusterIP"] = old_spec["clusterIP"]
        spec["clusterIPs"] = spec.get("clusterIPs") or old_spec.get("clusterIPs") or [old_spec["clusterIP"]]
    old_node_ports = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort") for p in old_spec.get("ports") or ()}
    for port in spec.get("ports") or ():
        node_port = old_node_ports.get((port.get("port"), port.get("protocol", "TCP")))
        if node_port and not port.get("nodePort"):
            port["nodePort"] = node_port


def schema_defaults(node: dict, value) -> None:
    """Apply the `default`s a structural (CRD) schema declares, below `value`, in place."""
    node = resolve(node)
    if isinstance(value, dict):
        for key, child_node in (node.get("properties") or {}).items():
            if value.get(key) is None and "default" in child_node:
                value[key] = copy.deepcopy(child_node["default"])
        for key, child in value.items():
            child_node = property_schema(node, key)
            if child_node is not None:
                schema_defaults(child_node, child)
    elif isinstance(value, list):
        item_node = items_schema(node)
        if item_node is not None:
            for item in value:
                schema_defaults(item_node, item)
