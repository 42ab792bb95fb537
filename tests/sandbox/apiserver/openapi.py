"""`/openapi/v3`: the index and one OpenAPI 3.0 document per served group/version.

kubectl reads these to decide between server-side field validation (a PATCH operation of the kind that
takes the `fieldValidation` query parameter) and its own, to compute `apply`'s strategic merge patch (the
component schema carrying the kind's `x-kubernetes-group-version-kind`, its patch merge keys, and a PATCH
operation accepting `application/strategic-merge-patch+json`), and for `kubectl explain`.
Built-in schemas come from kubernetes-validate's definitions, custom kinds from the shared CRDs; paths and
scopes from the emulator's resource registry, so the index lists exactly the served group/versions.
"""
import functools
import hashlib
import json
from typing import Optional

from tests.sandbox.apiserver import crds
from tests.sandbox.apiserver.resources import Registry
from tests.sandbox.apiserver.schema_source import DEFS_REF_PREFIX, OBJECT_META, builtin_definitions, kind_schema

COMPONENTS_REF_PREFIX = "#/components/schemas/"
LIST_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
PATCH_TYPES_BUILTIN = ("application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
                       "application/strategic-merge-patch+json")
PATCH_TYPES_CUSTOM = ("application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json")
_QUERY_PARAMETERS = {
    "dryRun": "When present, indicates that modifications should not be persisted.",
    "fieldManager": "fieldManager is a name associated with the actor or entity that is making these changes.",
    "fieldValidation": "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) "
                       "containing unknown or duplicate fields. Valid values are: Ignore, Warn (default), Strict.",
}


def openapi_v3_index(base_url: str = "", registry: Optional[Registry] = None) -> dict:
    """GET /openapi/v3. `serverRelativeURL`s are relative like a real apiserver's; `base_url` is not needed for them.

    `registry`: the emulator's resource registry (default: built-ins plus every shared CRD).
    """
    del base_url  # kept for the interface: clients resolve serverRelativeURL against the URL they fetched
    registry = registry or _default_registry()
    paths = {}
    for path in _document_paths(registry):
        document = _document(path, registry)
        paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={document_hash(document)}"}
    return {"paths": paths}


def openapi_v3_document(path: str, registry: Optional[Registry] = None) -> Optional[dict]:
    """GET /openapi/v3/<path> (e.g. `apis/apps/v1`, `api/v1`); None for a path that is not a served group/version.

    The document is cached and shared: serialize it, never modify it.
    """
    return _document(path.strip("/").split("?")[0], registry or _default_registry())


def document_hash(document: dict) -> str:
    """Content hash for the `?hash=` cache key, like the apiserver's (SHA-512, upper-case hex)."""
    return hashlib.sha512(json.dumps(document, sort_keys=True).encode()).hexdigest().upper()


def _default_registry() -> Registry:
    return _registry_for_files(tuple(str(p) for p in crds.crd_files()))


@functools.lru_cache(maxsize=8)
def _registry_for_files(_files_key: tuple) -> Registry:
    return Registry(crds.load_crds())


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _document_paths(registry: Registry) -> tuple:
    return tuple(dict.fromkeys(_gv_path(r.group, r.version) for r in registry.resources))


@functools.lru_cache(maxsize=64)
def _document(path: str, registry: Registry) -> Optional[dict]:
    resources = [r for r in registry.resources if _gv_path(r.group, r.version) == path]
    if not resources:
        return None
    schemas = {}
    paths = {}
    for resource in resources:
        found = kind_schema(resource.api_version, resource.kind)
        if found is None:
            continue
        name = _add_kind_schemas(schemas, resource, found)
        paths.update(_resource_paths(resource, name))
    _add_referenced_definitions(schemas)
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"},
            "paths": paths, "components": {"schemas": dict(sorted(schemas.items()))}}


def _add_kind_schemas(schemas: dict, resource, found) -> str:
    """The component schemas of a kind and its list; returns the kind's schema name."""
    if found.builtin:
        name = found.definition
        schemas[name] = convert(builtin_definitions()[name])
        list_name = name + "List"
        if list_name in builtin_definitions():
            schemas[list_name] = convert(builtin_definitions()[list_name])
        return name
    group_prefix = ".".join(reversed(resource.group.split(".")))
    name = f"{group_prefix}.{resource.version}.{resource.kind}"
    gvk = {"group": resource.group, "version": resource.version, "kind": resource.kind}
    schemas[name] = dict(convert(found.root), **{"x-kubernetes-group-version-kind": [gvk]})
    schemas[name + "List"] = {
        "description": f"{resource.kind}List is a list of {resource.kind}",
        "type": "object", "required": ["items"],
        "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                       "items": {"type": "array", "items": {"$ref": COMPONENTS_REF_PREFIX + name}},
                       "metadata": {"allOf": [{"$ref": COMPONENTS_REF_PREFIX + LIST_META}]}},
        "x-kubernetes-group-version-kind": [dict(gvk, kind=resource.kind + "List")]}
    return name


def _add_referenced_definitions(schemas: dict) -> None:
    """Close `schemas` over the built-in definitions they reference."""
    pending = [OBJECT_META, LIST_META] + [ref for s in list(schemas.values()) for ref in _references(s)]
    while pending:
        name = pending.pop()
        if name not in schemas and name in builtin_definitions():
            schemas[name] = convert(builtin_definitions()[name])
            pending.extend(_references(schemas[name]))


def _references(node) -> list:
    if isinstance(node, dict):
        found = [node["$ref"][len(COMPONENTS_REF_PREFIX):]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _references(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _references(value)]
    return []


def convert(node):
    """A kubernetes-validate/CRD schema node as OpenAPI 3.0: refs to components (wrapped in allOf when the node
    says more, as the apiserver publishes them), single types, no `additionalProperties: false`."""
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref":
            continue
        if key == "type" and isinstance(value, list):
            types = [t for t in value if t != "null"]
            out["type"] = types[0] if len(types) == 1 else types
        elif key == "additionalProperties":
            if value is not False:
                out[key] = convert(value)
        elif key == "properties":
            out[key] = {name: convert(child) for name, child in value.items()}
        elif key in ("items", "not"):
            out[key] = convert(value)
        elif key in ("oneOf", "anyOf", "allOf"):
            if value is not None:  # the OpenShift Route CRD has `anyOf: null`; the API server drops it
                out[key] = [convert(member) for member in value]
        else:
            out[key] = value
    if "$ref" in node:
        reference = {"$ref": COMPONENTS_REF_PREFIX + node["$ref"][len(DEFS_REF_PREFIX):]}
        if not out:
            return reference
        out["allOf"] = [reference]
    return out


def _parameter(name: str, where: str = "query") -> dict:
    parameter = {"name": name, "in": where, "schema": {"type": "string", "uniqueItems": True}}
    if where == "path":
        parameter["required"] = True
    if name in _QUERY_PARAMETERS:
        parameter["description"] = _QUERY_PARAMETERS[name]
    return parameter


def _json_response(schema_name: str) -> dict:
    content = {"schema": {"$ref": COMPONENTS_REF_PREFIX + schema_name}}
    return {"description": "OK", "content": {t: content for t in ("application/json", "application/yaml")}}


def _operation(resource, action: str, schema_name: str, verb_name: str) -> dict:
    operation = {
        "description": f"{verb_name} {resource.kind}",
        "operationId": f"{action}{resource.group.replace('.', '_')}{resource.version}{resource.kind}",
        "responses": {"200": _json_response(schema_name), "401": {"description": "Unauthorized"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": resource.group, "version": resource.version, "kind": resource.kind},
    }
    if action in ("post", "put", "patch"):
        operation["parameters"] = [_parameter(p) for p in ("dryRun", "fieldManager", "fieldValidation")]
    if action == "patch":
        types = PATCH_TYPES_CUSTOM if resource.custom else PATCH_TYPES_BUILTIN
        operation["parameters"].append({"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": True}})
        operation["requestBody"] = {"content": {t: {"schema": {"type": "object"}} for t in types}, "required": True}
    elif action in ("post", "put"):
        operation["requestBody"] = {"content": {"*/*": {"schema": {"$ref": COMPONENTS_REF_PREFIX + schema_name}}},
                                    "required": True}
    return operation


def _resource_paths(resource, schema_name: str) -> dict:
    prefix = "/" + _gv_path(resource.group, resource.version)
    scope = f"{prefix}/namespaces/{{namespace}}" if resource.namespaced else prefix
    scope_parameters = [_parameter("namespace", "path")] if resource.namespaced else []
    collection = f"{scope}/{resource.plural}"
    verbs = set(resource.verbs)
    collection_item = {"parameters": scope_parameters + [_parameter("pretty")]}
    if "list" in verbs:
        collection_item["get"] = _operation(resource, "list", schema_name + "List", "list or watch objects of kind")
    if "create" in verbs:
        collection_item["post"] = _operation(resource, "post", schema_name, "create a")
    item = {"parameters": [_parameter("name", "path")] + scope_parameters + [_parameter("pretty")]}
    for verb, method, action, text in (("get", "get", "get", "read the specified"),
                                       ("update", "put", "put", "replace the specified"),
                                       ("patch", "patch", "patch", "partially update the specified"),
                                       ("delete", "delete", "delete", "delete a")):
        if verb in verbs:
            item[method] = _operation(resource, action, schema_name, text)
    return {collection: collection_item, f"{collection}/{{name}}": item}
