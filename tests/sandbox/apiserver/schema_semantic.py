"""The apiserver's validation that JSON schema cannot express (pkg/apis/*/validation), for the kinds we use.

Only checks that our tests and clients can run into: object names, labels, Deployment selector vs template,
pod containers, Service ports and enums, HPA replica bounds.
"""
import re

from tests.sandbox.apiserver import schema_errors as errors

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
PORT_NAME_CHARSET = re.compile(r"^[-a-z0-9]+$")
LABEL_VALUE_MESSAGE = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
                       "must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
                       "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")

DNS1123_LABEL_MESSAGE = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
                         "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                         "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
DNS1123_SUBDOMAIN_MESSAGE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                             "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                             "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
DNS1035_LABEL_MESSAGE = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                         "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
                         "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")

# kinds whose names are DNS-1035 (Service) or DNS-1123 labels (Namespace); all others are subdomains
NAME_RULES = {
    "Service": (DNS1035_LABEL, 63, DNS1035_LABEL_MESSAGE),
    "Namespace": (DNS1123_LABEL, 63, DNS1123_LABEL_MESSAGE),
}
SUBDOMAIN_RULE = (DNS1123_SUBDOMAIN, 253, DNS1123_SUBDOMAIN_MESSAGE)

SERVICE_ENUMS = {
    "type": ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort"),
    "sessionAffinity": ("ClientIP", "None"),
}
PROTOCOLS = ("SCTP", "TCP", "UDP")


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def metadata_errors(kind: str, obj: dict) -> list:
    meta = _dict(obj.get("metadata"))
    found = []
    name = meta.get("name")
    if not name and not meta.get("generateName"):
        found.append(errors.required("metadata.name", "name or generateName is required"))
    elif isinstance(name, str) and name:
        pattern, limit, message = NAME_RULES.get(kind, SUBDOMAIN_RULE)
        if len(name) > limit:
            found.append(errors.invalid("metadata.name", name, f"must be no more than {limit} characters"))
        elif not pattern.match(name):
            found.append(errors.invalid("metadata.name", name, message))
    return found + label_errors("metadata.labels", meta.get("labels"))


def label_errors(path: str, labels) -> list:
    """ValidateLabels: qualified-name keys, values of at most 63 characters matching LABEL_VALUE."""
    found = []
    for key, value in _dict(labels).items():
        prefix, _sep, local = key.rpartition("/")
        if (prefix and not DNS1123_SUBDOMAIN.match(prefix)) or len(local) > 63 or not QUALIFIED_NAME.match(local):
            found.append(errors.invalid(path, key, "name part must consist of alphanumeric characters, '-', '_' or '.', "
                                        "and must start and end with an alphanumeric character"))
        if isinstance(value, str) and len(value) > 63:
            found.append(errors.invalid(path, value, "must be no more than 63 characters"))
        if isinstance(value, str) and not LABEL_VALUE.match(value):
            found.append(errors.invalid(path, value, LABEL_VALUE_MESSAGE))
    return found


def selector_expression_errors(path: str, expressions) -> list:
    """ValidateLabelSelectorRequirement: a known operator, values exactly when In/NotIn, a label key, label values."""
    found = []
    for index, expression in enumerate(_list(expressions)):
        expression = _dict(expression)
        item = f"{path}[{index}]"
        operator, values = expression.get("operator"), _list(expression.get("values"))
        if operator in ("In", "NotIn") and not values:
            found.append(errors.required(f"{item}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
        elif operator in ("Exists", "DoesNotExist") and values:
            found.append(errors.forbidden(f"{item}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        elif operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            found.append(errors.invalid(f"{item}.operator", operator, "not a valid selector operator"))
        found += label_errors(f"{item}.key", {expression.get("key") or "": ""})
        for value_index, value in enumerate(values):
            found += label_errors(f"{item}.values[{value_index}]", {"key": value})
    return found


def port_name_messages(name: str) -> list:
    """IsValidPortName (an IANA_SVC_NAME): container port names and a Service's named targetPort."""
    found = []
    if len(name) > 15:
        found.append("must be no more than 15 characters")
    if not PORT_NAME_CHARSET.match(name):
        found.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", name):
        found.append("must contain at least one letter (a-z)")
    if "--" in name:
        found.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        found.append("must not begin or end with a hyphen")
    return found


def dns1123_label_errors(path: str, value: str) -> list:
    """ValidateDNS1123Label: length and pattern are two separate errors, as the API server reports them."""
    found = []
    if len(value) > 63:
        found.append(errors.invalid(path, value, "must be no more than 63 characters"))
    if not DNS1123_LABEL.match(value):
        found.append(errors.invalid(path, value, DNS1123_LABEL_MESSAGE))
    return found


def selector_matches(selector: dict, labels: dict) -> bool:
    """Whether a LabelSelector (matchLabels + matchExpressions) selects `labels`."""
    for key, value in _dict(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            return False
    for expression in _list(selector.get("matchExpressions")):
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        present = key in labels
        if ((operator == "In" and labels.get(key) not in values) or (operator == "NotIn" and present and labels[key] in values)
                or (operator == "Exists" and not present) or (operator == "DoesNotExist" and present)):
            return False
    return True


def container_errors(path: str, containers) -> list:
    found, names = [], set()
    for index, container in enumerate(_list(containers)):
        container = _dict(container)
        item = f"{path}[{index}]"
        name = container.get("name")
        if not name:
            found.append(errors.required(f"{item}.name"))
        elif not DNS1123_LABEL.match(name) or len(name) > 63:
            found.append(errors.invalid(f"{item}.name", name, DNS1123_LABEL_MESSAGE))
        elif name in names:
            found.append(errors.duplicate(f"{item}.name", name))
        names.add(name)
        if not container.get("image"):
            found.append(errors.required(f"{item}.image"))
        for port_index, port in enumerate(_list(container.get("ports"))):
            found += _port_number_errors(f"{item}.ports[{port_index}].containerPort", _dict(port).get("containerPort"))
            port_name = _dict(port).get("name")
            if isinstance(port_name, str) and port_name:
                found += [errors.invalid(f"{item}.ports[{port_index}].name", port_name, message)
                          for message in port_name_messages(port_name)]
    return found


def pod_spec_errors(path: str, spec) -> list:
    spec = _dict(spec)
    if not _list(spec.get("containers")):
        return [errors.required(f"{path}.containers")]
    return (container_errors(f"{path}.containers", spec["containers"])
            + container_errors(f"{path}.initContainers", spec.get("initContainers")))


def _port_number_errors(path: str, port) -> list:
    if isinstance(port, int) and not 1 <= port <= 65535:
        return [errors.invalid(path, port, "must be between 1 and 65535, inclusive")]
    return []


def _replicas_errors(spec: dict) -> list:
    replicas = spec.get("replicas")
    if isinstance(replicas, int) and replicas < 0:
        return [errors.invalid("spec.replicas", replicas, "must be greater than or equal to 0")]
    return []


def workload_errors(obj: dict) -> list:
    """Deployment/ReplicaSet/StatefulSet/DaemonSet: a non-empty selector that selects its own template."""
    spec = _dict(obj.get("spec"))
    selector = _dict(spec.get("selector"))
    template_labels = _dict(_dict(_dict(spec.get("template")).get("metadata")).get("labels"))
    found = _replicas_errors(spec)
    if "selector" not in spec:
        pass  # the schema's `required` reports it
    elif not selector.get("matchLabels") and not selector.get("matchExpressions"):
        found.append(errors.invalid("spec.selector", selector, "empty selector is invalid for deployment"))
    elif not selector_matches(selector, template_labels):
        found.append(errors.invalid("spec.template.metadata.labels", template_labels,
                                    "`selector` does not match template `labels`"))
    found += label_errors("spec.selector.matchLabels", selector.get("matchLabels"))
    found += selector_expression_errors("spec.selector.matchExpressions", selector.get("matchExpressions"))
    found += label_errors("spec.template.metadata.labels", template_labels)
    restart = _dict(_dict(spec.get("template")).get("spec")).get("restartPolicy")
    if restart not in (None, "Always"):
        found.append(errors.not_supported("spec.template.spec.restartPolicy", restart, ["Always"]))
    return found + pod_spec_errors("spec.template.spec", _dict(spec.get("template")).get("spec"))


def deployment_errors(obj: dict) -> list:
    strategy = _dict(_dict(obj.get("spec")).get("strategy"))
    found = workload_errors(obj)
    if strategy.get("type") not in (None, "Recreate", "RollingUpdate"):
        found.append(errors.not_supported("spec.strategy.type", strategy["type"], ["Recreate", "RollingUpdate"]))
    elif strategy.get("type") == "Recreate" and strategy.get("rollingUpdate"):
        found.append(errors.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"))
    return found


def _enum_errors(path: str, spec: dict, enums: dict) -> list:
    return [errors.not_supported(f"{path}.{key}", spec[key], allowed)
            for key, allowed in enums.items() if spec.get(key) is not None and spec[key] not in allowed]


def service_errors(obj: dict) -> list:
    spec = _dict(obj.get("spec"))
    found = _enum_errors("spec", spec, SERVICE_ENUMS)
    ports = _list(spec.get("ports"))
    if not ports and spec.get("type") != "ExternalName" and spec.get("clusterIP") != "None":
        found.append(errors.required("spec.ports"))
    names = set()
    for index, port in enumerate(ports):
        found += _service_port_errors(f"spec.ports[{index}]", _dict(port), len(ports) > 1, names)
    return found + label_errors("spec.selector", spec.get("selector"))


def _service_port_errors(path: str, port: dict, named: bool, names: set) -> list:
    found = _port_number_errors(f"{path}.port", port.get("port"))
    name = port.get("name")
    if named and not name:
        found.append(errors.required(f"{path}.name"))
    elif isinstance(name, str) and name:
        # A Service port name is a DNS-1123 label (up to 63 characters); only the container port names a named
        # targetPort refers to are IANA service names.
        found += dns1123_label_errors(f"{path}.name", name)
        if name in names:
            found.append(errors.duplicate(f"{path}.name", name))
    names.add(name)
    if port.get("protocol") is not None and port["protocol"] not in PROTOCOLS:
        found.append(errors.not_supported(f"{path}.protocol", port["protocol"], PROTOCOLS))
    target = port.get("targetPort")
    if isinstance(target, int):
        found += _port_number_errors(f"{path}.targetPort", target)
    elif isinstance(target, str):
        found += [errors.invalid(f"{path}.targetPort", target, message) for message in port_name_messages(target)]
    node_port = port.get("nodePort")
    if isinstance(node_port, int) and node_port != 0 and not 1 <= node_port <= 65535:
        found.append(errors.invalid(f"{path}.nodePort", node_port, "must be between 1 and 65535, inclusive"))
    return found


def hpa_errors(obj: dict) -> list:
    spec = _dict(obj.get("spec"))
    minimum, maximum = spec.get("minReplicas"), spec.get("maxReplicas")
    found = []
    if isinstance(minimum, int) and minimum < 1:
        found.append(errors.invalid("spec.minReplicas", minimum, "must be greater than or equal to 1"))
    if isinstance(maximum, int) and maximum < 1:
        found.append(errors.invalid("spec.maxReplicas", maximum, "must be greater than 0"))
    elif isinstance(minimum, int) and isinstance(maximum, int) and maximum < minimum:
        found.append(errors.invalid("spec.maxReplicas", maximum, "must be greater than or equal to `minReplicas`"))
    return found


def event_errors(obj: dict) -> list:
    """core/v1 Event (legacyValidateEvent): the event lives in its object's namespace (an object without one: the
    event in no namespace or "default")."""
    involved = _dict(obj.get("involvedObject")).get("namespace") or ""
    namespace = _dict(obj.get("metadata")).get("namespace") or ""
    if (involved and namespace != involved) or (not involved and namespace not in ("", "default")):
        return [errors.invalid("involvedObject.namespace", involved, "does not match event.namespace")]
    return []


def events_v1_errors(obj: dict) -> list:
    """events.k8s.io/v1 Event created (ValidateEventCreate, strict for this API): the reporter, the action and the reason
    are required, the deprecated fields of core/v1 must stay unset, the type is Normal or Warning."""
    found = [errors.required(path, "") for path in ("reportingController", "reportingInstance", "action", "reason") if not obj.get(path)]
    if obj.get("type") not in ("Normal", "Warning"):
        found.append(errors.invalid("type", obj.get("type") or "", f"has invalid value: {obj.get('type') or ''}"))
    for path in ("deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount", "deprecatedSource"):
        if obj.get(path):
            found.append(errors.invalid(path, "", "needs to be unset"))
    regarding = _dict(obj.get("regarding")).get("namespace") or ""
    namespace = _dict(obj.get("metadata")).get("namespace") or ""
    if regarding and namespace != regarding:
        found.append(errors.invalid("regarding.namespace", regarding, "does not match event.namespace"))
    return found


# (group, kind) -> semantic check over the whole object
SEMANTIC_CHECKS = {
    ("apps", "Deployment"): deployment_errors,
    ("apps", "ReplicaSet"): workload_errors,
    ("apps", "StatefulSet"): workload_errors,
    ("apps", "DaemonSet"): workload_errors,
    ("", "Pod"): lambda obj: pod_spec_errors("spec", obj.get("spec")),
    ("", "Service"): service_errors,
    ("", "Event"): event_errors,
    ("events.k8s.io", "Event"): events_v1_errors,
    ("autoscaling", "HorizontalPodAutoscaler"): hpa_errors,
}


def semantic_errors(group: str, kind: str, obj: dict) -> list:
    check = SEMANTIC_CHECKS.get((group, kind))
    return metadata_errors(kind, obj) + (check(obj) if check else [])
