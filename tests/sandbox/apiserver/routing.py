"""Parsing of Kubernetes API paths into what they address."""
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from . import errors


@dataclass
class Target:
    """A resource request: `name` None for a collection; `namespace` None for cluster-wide or all namespaces."""
    resource: object
    namespace: str = None
    name: str = None
    subresource: str = None
    watch_path: bool = False     # legacy /watch/ path prefix


def split_url(raw_path):
    parts = urlsplit(raw_path)
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    return parts.path, parts.query, query


def group_version(path):
    """(group, version, rest segments) for /api/v1/... and /apis/<g>/<v>/...; None for other paths."""
    segments = [unquote(s) for s in path.strip("/").split("/") if s]
    if len(segments) >= 2 and segments[0] == "api":
        return "", segments[1], segments[2:]
    if len(segments) >= 3 and segments[0] == "apis":
        return segments[1], segments[2], segments[3:]
    return None


def resolve(registry, group, version, rest):
    """The Target of resource path segments after the group/version prefix; 404 Status when nothing matches."""
    watch_path = bool(rest) and rest[0] == "watch"
    if watch_path:
        rest = rest[1:]
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        nested = registry.lookup(group, version, rest[2])
        if nested is not None and nested.namespaced:
            namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise errors.path_not_found()
    resource = registry.lookup(group, version, rest[0])
    if resource is None:
        raise errors.path_not_found()
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else None
    if subresource is not None and subresource not in resource.subresources:
        raise errors.path_not_found()
    if resource.namespaced and namespace is None and name is not None:
        raise errors.path_not_found()
    return Target(resource, namespace, name, subresource, watch_path)
