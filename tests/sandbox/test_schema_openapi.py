"""`/openapi/v3` documents: well-formed, self-contained, with what kubectl looks for."""
import json

import pytest

from tests.sandbox.apiserver import crds, openapi

needs_crds = pytest.mark.skipif(not crds.crd_files(), reason="../shared/crds is absent (set SHARED_DIR)")
REF_PREFIX = "#/components/schemas/"


def references(node):
    if isinstance(node, dict):
        return ([node["$ref"]] if "$ref" in node else []) + [r for v in node.values() for r in references(v)]
    if isinstance(node, list):
        return [r for v in node for r in references(v)]
    return []


def patch_operation(document, kind):
    for item in document["paths"].values():
        operation = item.get("patch")
        if operation and operation["x-kubernetes-group-version-kind"]["kind"] == kind:
            return operation
    raise AssertionError(f"no PATCH operation for {kind}")


def test_index_lists_served_group_versions_with_hashed_urls():
    index = openapi.openapi_v3_index("http://127.0.0.1:1")
    assert {"api/v1", "apis/apps/v1", "apis/autoscaling/v2"} <= set(index["paths"])
    for path, entry in index["paths"].items():
        url = entry["serverRelativeURL"]
        assert url.startswith(f"/openapi/v3/{path}?hash=")
        assert url.split("hash=")[1] == openapi.document_hash(openapi.openapi_v3_document(path))


def test_unknown_path_has_no_document():
    assert openapi.openapi_v3_document("apis/nothing.example.com/v1") is None


@pytest.mark.parametrize("path", ["api/v1", "apis/apps/v1", "apis/autoscaling/v2"])
def test_builtin_documents_are_self_contained_json(path):
    document = json.loads(json.dumps(openapi.openapi_v3_document(path)))
    assert document["openapi"].startswith("3.0")
    schemas = document["components"]["schemas"]
    dangling = {r for r in references(document) if r[len(REF_PREFIX):] not in schemas}
    assert not dangling
    assert not any("$defs" in r for r in references(document))


def test_deployment_schema_carries_gvk_and_patch_merge_keys():
    document = openapi.openapi_v3_document("apis/apps/v1")
    schemas = document["components"]["schemas"]
    assert schemas["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}]
    containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert (containers["x-kubernetes-patch-merge-key"], containers["x-kubernetes-patch-strategy"]) == ("name", "merge")
    strategy = schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["strategy"]
    assert strategy["allOf"] == [{"$ref": REF_PREFIX + "io.k8s.api.apps.v1.DeploymentStrategy"}]
    assert strategy["x-kubernetes-patch-strategy"] == "retainKeys"
    assert schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["replicas"]["type"] == "integer"


def test_builtin_patch_accepts_strategic_merge_and_field_validation():
    operation = patch_operation(openapi.openapi_v3_document("apis/apps/v1"), "Deployment")
    assert "application/strategic-merge-patch+json" in operation["requestBody"]["content"]
    assert {"name": "fieldValidation", "in": "query"}.items() <= next(
        p for p in operation["parameters"] if p["name"] == "fieldValidation").items()


@needs_crds
def test_custom_kind_document_has_crd_schema_and_no_strategic_merge():
    document = openapi.openapi_v3_document("apis/networking.istio.io/v1")
    schemas = document["components"]["schemas"]
    virtual_service = schemas["io.istio.networking.v1.VirtualService"]
    assert virtual_service["x-kubernetes-group-version-kind"] == [
        {"group": "networking.istio.io", "kind": "VirtualService", "version": "v1"}]
    assert virtual_service["properties"]["metadata"] == {"$ref": REF_PREFIX + "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in schemas
    operation = patch_operation(document, "VirtualService")
    assert "application/strategic-merge-patch+json" not in operation["requestBody"]["content"]
    assert "application/merge-patch+json" in operation["requestBody"]["content"]
