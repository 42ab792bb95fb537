"""The CustomResourceDefinitions the emulator serves, read from the shared CRD files.

`/work/shared` is read-only data next to the repository (`SHARED_DIR` overrides it); callers that need
the CRDs must skip cleanly when `crd_files()` is empty.
"""
import functools
import os
from pathlib import Path

import yaml

_REPO_ROOT = Path(__file__).resolve().parents[3]


def shared_dir() -> Path:
    """The shared data directory: `$SHARED_DIR`, else `<repo>/../shared`."""
    return Path(os.environ.get("SHARED_DIR") or _REPO_ROOT.parent / "shared")


def crd_files() -> list:
    """Every CRD manifest file under `<shared>/crds`, sorted; empty when the directory is absent."""
    root = shared_dir() / "crds"
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


@functools.lru_cache(maxsize=8)
def _load(files: tuple) -> tuple:
    manifests = []
    for path in files:
        with open(path, encoding="utf-8") as handle:
            for doc in yaml.safe_load_all(handle):
                if doc and doc.get("kind") == "CustomResourceDefinition":
                    manifests.append(_without_null_fields(doc))
    return tuple(manifests)


def _without_null_fields(node):
    """The manifest as the API server decodes it: a field written as `null` (the OpenShift Route CRD has
    `anyOf: null`) is an absent field, except `default`/`example`, whose null is a value."""
    if isinstance(node, dict):
        return {key: _without_null_fields(value) for key, value in node.items()
                if value is not None or key in ("default", "example")}
    if isinstance(node, list):
        return [_without_null_fields(value) for value in node]
    return node


def load_crds() -> list:
    """The raw CRD manifests (dicts) of `crd_files()`; parsed once per file set, callers must not mutate them."""
    return list(_load(tuple(str(p) for p in crd_files())))


def crd_by_kind(crds, group: str, kind: str):
    """The CRD among `crds` serving `kind` in `group`, or None."""
    for crd in crds:
        if crd["spec"]["group"] == group and crd["spec"]["names"]["kind"] == kind:
            return crd
    return None


def with_served_versions(crds, served_versions):
    """Copies of `crds` serving, for each group named in `served_versions` ({group: [version, ...]}), only the
    versions listed (a cluster with an older Istio: {"networking.istio.io": ["v1beta1", "v1alpha3"]}). The
    storage version moves to the first listed one the CRD has when its own is no longer served; a CRD of such a
    group with none of the versions is left out."""
    result = []
    for crd in crds:
        wanted = (served_versions or {}).get(crd["spec"]["group"])
        if wanted is None:
            result.append(crd)
            continue
        versions = [dict(version, served=version["name"] in wanted) for version in crd["spec"]["versions"]]
        served = [version["name"] for version in versions if version["served"]]
        if not served:
            continue
        if not any(version["served"] and version.get("storage") for version in versions):
            storage = next(name for name in wanted if name in served)
            versions = [dict(version, storage=version["name"] == storage) for version in versions]
        result.append(dict(crd, spec=dict(crd["spec"], versions=versions)))
    return result
