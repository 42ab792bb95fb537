"""Where the emulator's schemas come from.

Built-in kinds: the Kubernetes 1.32 definitions shipped by `kubernetes-validate` ("strict" variant, where
`additionalProperties: false` marks every object that accepts no unknown field). Custom kinds: each served
version's `openAPIV3Schema` of the shared CRDs, with `metadata` pointing at the built-in ObjectMeta as the
apiserver does implicitly. Every schema node may hold a `$ref` into the built-in definitions.
"""
import copy
import functools
import json
from pathlib import Path
from typing import NamedTuple, Optional

import kubernetes_validate

from tests.sandbox.apiserver import crds

KUBERNETES_SCHEMA_VERSION = "1.32.0"
DEFS_REF_PREFIX = "#/$defs/"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

_SCHEMA_DIR = (Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
               / f"v{KUBERNETES_SCHEMA_VERSION}-local-strict")


class KindSchema(NamedTuple):
    """The root schema of one kind in one API version."""
    api_version: str
    kind: str
    root: dict
    builtin: bool
    definition: Optional[str] = None   # built-in definition name, e.g. io.k8s.api.apps.v1.Deployment
    crd: Optional[dict] = None         # the CRD manifest serving a custom kind


def api_version_of(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def split_api_version(api_version: str) -> tuple:
    """`apps/v1` -> ("apps", "v1"); `v1` -> ("", "v1")."""
    group, _sep, version = api_version.rpartition("/")
    return group, version


@functools.lru_cache(maxsize=1)
def builtin_definitions() -> dict:
    with open(_SCHEMA_DIR / "_definitions.json", encoding="utf-8") as handle:
        return json.load(handle)["$defs"]


@functools.lru_cache(maxsize=1)
def _builtin_index() -> dict:
    index = {}
    for name, definition in builtin_definitions().items():
        for gvk in definition.get("x-kubernetes-group-version-kind", ()):
            key = (api_version_of(gvk["group"], gvk["version"]), gvk["kind"])
            # meta types (DeleteOptions, WatchEvent) are listed under every group; the first wins
            index.setdefault(key, name)
    return index


def resolve(node: dict) -> dict:
    """The schema a node stands for, following `$ref`s into the built-in definitions."""
    while isinstance(node, dict) and "$ref" in node:
        node = builtin_definitions()[node["$ref"][len(DEFS_REF_PREFIX):]]
    return node


def _crd_root(version: dict) -> dict:
    root = copy.deepcopy(version.get("schema", {}).get("openAPIV3Schema") or {"type": "object"})
    properties = root.setdefault("properties", {})
    properties["apiVersion"] = {"type": "string"}
    properties["kind"] = {"type": "string"}
    properties["metadata"] = {"$ref": DEFS_REF_PREFIX + OBJECT_META}
    return root


@functools.lru_cache(maxsize=8)
def _crd_index(_files_key: tuple) -> dict:
    index = {}
    for crd in crds.load_crds():
        spec = crd["spec"]
        for version in spec.get("versions", ()):
            if version.get("served", True):
                api_version = api_version_of(spec["group"], version["name"])
                index[(api_version, spec["names"]["kind"])] = KindSchema(
                    api_version, spec["names"]["kind"], _crd_root(version), False, crd=crd)
    return index


def custom_kinds() -> dict:
    """(api_version, kind) -> KindSchema for every served version of the shared CRDs (empty without them)."""
    return _crd_index(tuple(str(p) for p in crds.crd_files()))


def builtin_kinds() -> dict:
    """(api_version, kind) -> built-in definition name, for every kind with a GVK in the definitions."""
    return _builtin_index()


def kind_schema(api_version: str, kind: str) -> Optional[KindSchema]:
    """The schema of a kind, built-in first; None for a kind the emulator knows nothing about."""
    name = _builtin_index().get((api_version, kind))
    if name is not None:
        return KindSchema(api_version, kind, builtin_definitions()[name], True, definition=name)
    return custom_kinds().get((api_version, kind))
