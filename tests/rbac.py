"""docs/rbac/role.yml, the namespaced Role a canary's runs need, against the Kubernetes permissions a run used, read from
the sandbox's request log: each request as the (verb, API group, resource) a real API server's RBAC authorizes."""
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "docs" / "rbac" / "role.yml"
# The User-Agents of the code under test: the kubernetes Python client (kubernetes.core's modules, ours on the full
# client) and our light client (plugins/module_utils/kube/light_client.py); tests set up through plain HTTP, the mesh
# says sandbox-mesh/1, kubectl says kubectl/...
CLIENT_AGENT = re.compile(r"^(OpenAPI-Generator/|progressive-canary/light-client)")
# /api/v1/..., /apis/<group>/<version>/...: group "" is the core group.
_RESOURCE_PATH = re.compile(r"^/(?:api/(?P<core>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))(?P<rest>/.*)?$")
_WRITE_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}


def granted(manifest=MANIFEST):
    """{(verb, group, resource)} the manifest's Role grants."""
    role = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    assert role["kind"] == "Role", manifest
    return {(verb, group, resource) for rule in role["rules"] for group in rule["apiGroups"]
            for resource in rule["resources"] for verb in rule["verbs"]}


def permission(record):
    """(verb, group, resource, namespaced) a request needs; None for discovery and other non-resource URLs, which every
    authenticated user may read (system:discovery)."""
    match = _RESOURCE_PATH.match(record.path)
    if not match or not match.group("rest") or match.group("rest") == "/":
        return None
    parts = match.group("rest").strip("/").split("/")
    namespaced = len(parts) >= 3 and parts[0] == "namespaces"
    if namespaced:
        parts = parts[2:]
    resource, name, subresource = parts[0], parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None
    if subresource:
        resource = resource + "/" + subresource
    if record.method == "GET":
        verb = "watch" if record.is_watch else "get" if name else "list"
    elif record.method == "DELETE":
        verb = "delete" if name else "deletecollection"
    else:
        verb = _WRITE_VERBS[record.method]
    return verb, match.group("group") or "", resource, namespaced


def used(records):
    """{(verb, group, resource): "METHOD path" of a first request needing it} of the kubernetes client's requests,
    and the requests a namespaced Role cannot grant (cluster-scoped ones)."""
    needed, cluster_scoped = {}, []
    for record in records:
        if not CLIENT_AGENT.match(record.user_agent):
            continue
        found = permission(record)
        if found is None:
            continue
        verb, group, resource, namespaced = found
        if not namespaced:
            cluster_scoped.append("%s %s" % (record.method, record.path))
        needed.setdefault((verb, group, resource), "%s %s" % (record.method, record.path))
    return needed, cluster_scoped


def missing_from_manifest(records, manifest=MANIFEST):
    """Human-readable lines for every permission the requests needed that the manifest does not grant."""
    needed, cluster_scoped = used(records)
    allowed = granted(manifest)
    lines = ["%s %s/%s (e.g. %s)" % (verb, group or "core", resource, example)
             for (verb, group, resource), example in sorted(needed.items()) if (verb, group, resource) not in allowed]
    lines.extend("cluster-scoped, which a namespaced Role cannot grant: %s" % example for example in cluster_scoped)
    return lines


def unused_in_groups(needed, groups, manifest=MANIFEST):
    """What the manifest grants in ``groups`` that no request needed: the Role is derived from
    the runs, not guessed."""
    return sorted(permission for permission in granted(manifest) - set(needed) if permission[1] in groups)
