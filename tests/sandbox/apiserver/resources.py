"""The API resources the emulator serves (built-in kinds and CRD-backed kinds) and their discovery documents."""
import hashlib
import re
from dataclasses import dataclass

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
SUBRESOURCE_VERBS = ["get", "patch", "update"]


@dataclass(frozen=True)
class Resource:
    """One resource of one group/version. Objects are stored per (group, plural), whatever the version."""
    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool = True
    short_names: tuple = ()
    categories: tuple = ()
    subresources: tuple = ()        # "status", "scale"
    verbs: tuple = tuple(ALL_VERBS)
    custom: bool = False            # served from a CRD
    printer_columns: tuple = ()     # CRD additionalPrinterColumns
    storage: bool = True            # the version objects are kept in
    stored_in: str = None           # the group whose objects these are, when another group serves them (events.k8s.io)

    @property
    def api_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self):
        return self.api_version

    @property
    def store_key(self):
        return (self.group if self.stored_in is None else self.stored_in, self.plural)

    def api_resources(self):
        """The APIResource entries of this resource and its subresources, as in `/apis/<g>/<v>`."""
        entry = {"name": self.plural, "singularName": self.singular, "namespaced": self.namespaced,
                 "kind": self.kind, "verbs": list(self.verbs),
                 "storageVersionHash": hashlib.sha256(f"{self.group}/{self.plural}".encode()).hexdigest()[:11]}
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        if self.categories:
            entry["categories"] = list(self.categories)
        entries = [entry]
        for sub in self.subresources:
            sub_entry = {"name": f"{self.plural}/{sub}", "singularName": "", "namespaced": self.namespaced,
                         "kind": self.kind, "verbs": list(SUBRESOURCE_VERBS)}
            if sub == "scale":
                sub_entry.update(group="autoscaling", version="v1", kind="Scale")
            entries.append(sub_entry)
        return entries


def _builtin(group, version, plural, kind, namespaced=True, short=(), categories=(), subresources=(), verbs=tuple(ALL_VERBS)):
    return Resource(group=group, version=version, plural=plural, singular=kind.lower(), kind=kind, namespaced=namespaced,
                    short_names=tuple(short), categories=tuple(categories), subresources=tuple(subresources),
                    verbs=tuple(verbs))


def builtin_resources():
    """The built-in kinds: what the project and its clients touch on a real cluster."""
    return [
        _builtin("", "v1", "namespaces", "Namespace", namespaced=False, short=["ns"], subresources=["status"],
                 verbs=["create", "delete", "get", "list", "patch", "update", "watch"]),
        _builtin("", "v1", "configmaps", "ConfigMap", short=["cm"]),
        _builtin("", "v1", "secrets", "Secret"),
        _builtin("", "v1", "services", "Service", short=["svc"], categories=["all"], subresources=["status"]),
        _builtin("", "v1", "endpoints", "Endpoints", short=["ep"]),
        _builtin("", "v1", "pods", "Pod", short=["po"], categories=["all"], subresources=["status"]),
        _builtin("", "v1", "events", "Event", short=["ev"]),
        # The same objects as core/v1 events, in the newer shape (regarding, note, deprecated* fields): convert.py.
        Resource(group="events.k8s.io", version="v1", plural="events", singular="event", kind="Event", short_names=("ev",),
                 storage=False, stored_in=""),
        _builtin("", "v1", "serviceaccounts", "ServiceAccount", short=["sa"]),
        _builtin("apps", "v1", "deployments", "Deployment", short=["deploy"], categories=["all"],
                 subresources=["scale", "status"]),
        _builtin("apps", "v1", "replicasets", "ReplicaSet", short=["rs"], categories=["all"],
                 subresources=["scale", "status"]),
        _builtin("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", short=["hpa"],
                 categories=["all"], subresources=["status"]),
        Resource(group="autoscaling", version="v1", plural="horizontalpodautoscalers",
                 singular="horizontalpodautoscaler", kind="HorizontalPodAutoscaler", short_names=("hpa",),
                 categories=("all",), subresources=("status",), storage=False),
        _builtin("networking.k8s.io", "v1", "ingresses", "Ingress", short=["ing"], subresources=["status"]),
        _builtin("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", short=["netpol"]),
        _builtin("coordination.k8s.io", "v1", "leases", "Lease"),
        # docs/rbac/ applies here as on a cluster (stored and schema-checked; the emulator authorizes every request).
        _builtin("rbac.authorization.k8s.io", "v1", "roles", "Role"),
        _builtin("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
        _builtin("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition",
                 namespaced=False, short=["crd", "crds"], categories=["api-extensions"], subresources=["status"],
                 verbs=["get", "list", "watch"]),
    ]


def crd_resources(crd):
    """The resources one CRD manifest defines: one per served version."""
    spec = crd["spec"]
    names = spec["names"]
    out = []
    for version in spec["versions"]:
        if not version.get("served", True):
            continue
        subresources = tuple(sorted(version.get("subresources", {}) or {}))
        out.append(Resource(group=spec["group"], version=version["name"], plural=names["plural"],
                            singular=names.get("singular", names["kind"].lower()), kind=names["kind"],
                            namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                            short_names=tuple(names.get("shortNames", ())), categories=tuple(names.get("categories", ())),
                            subresources=subresources, custom=True,
                            printer_columns=tuple(_freeze(c) for c in version.get("additionalPrinterColumns", ())),
                            storage=bool(version.get("storage"))))
    return out


def _freeze(column):
    return tuple(sorted((k, v) for k, v in column.items() if isinstance(v, (str, int))))


def version_priority(version):
    """Sort key of Kubernetes version priority: GA before beta before alpha, higher numbers first (v2, v1, v1beta1)."""
    match = re.match(r"^v(\d+)(?:(alpha|beta)(\d+))?$", version)
    if not match:
        return (3, 0, 0, version)
    major, stage, minor = match.groups()
    return ({None: 0, "beta": 1, "alpha": 2}[stage], -int(major), -int(minor or 0), version)


class Registry:
    """Lookup of served resources by group/version/plural, by kind, and the discovery documents."""

    def __init__(self, crds):
        self.resources = builtin_resources()
        for crd in crds:
            self.resources.extend(crd_resources(crd))
        self._by_path = {(r.group, r.version, r.plural): r for r in self.resources}
        self.crds = list(crds)

    def lookup(self, group, version, plural):
        return self._by_path.get((group, version, plural))

    def by_kind(self, api_version, kind):
        group, _slash, version = api_version.rpartition("/")
        for resource in self.resources:
            if resource.group == group and resource.version == version and resource.kind == kind:
                return resource
        return None

    def storage_version(self, resource):
        """The version objects of `resource` are stored in (the CRD's storage version, v2 for HPAs)."""
        for candidate in self.resources:
            if candidate.store_key == resource.store_key and candidate.storage:
                return candidate
        return resource

    def group_versions(self, group):
        return sorted({r.version for r in self.resources if r.group == group}, key=version_priority)

    def groups(self):
        seen = []
        for resource in self.resources:
            if resource.group and resource.group not in seen:
                seen.append(resource.group)
        return seen

    def api_versions_doc(self, server_address):
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}

    def api_group(self, group):
        versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in self.group_versions(group)]
        return {"name": group, "versions": versions, "preferredVersion": dict(versions[0])}

    def api_group_list_doc(self):
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [self.api_group(g) for g in self.groups()]}

    def api_resource_list_doc(self, group, version):
        """`/api/v1` or `/apis/<g>/<v>`; None when that group/version is not served."""
        entries = [e for r in self.resources if r.group == group and r.version == version for e in r.api_resources()]
        if not entries:
            return None
        group_version = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": entries}
