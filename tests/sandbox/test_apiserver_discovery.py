"""Discovery as the kubernetes client and kubectl read it, with and without the shared CRDs."""
import json
import urllib.error
import urllib.request

import pytest

from tests.sandbox.apiserver import Emulator
from tests.sandbox.apiserver.crds import crd_files


def _get(emulator, path):
    with urllib.request.urlopen(emulator.url + path, timeout=10) as response:
        return json.loads(response.read())


def test_version_is_a_132_server(emulator):
    version = _get(emulator, "/version")
    assert (version["major"], version["minor"]) == ("1", "32")
    assert version["gitVersion"].startswith("v1.32.")


def test_every_listed_group_version_is_served_and_preferred_is_listed(emulator):
    assert _get(emulator, "/api")["versions"] == ["v1"]
    groups = _get(emulator, "/apis")["groups"]
    names = {g["name"] for g in groups}
    assert {"apps", "autoscaling", "networking.k8s.io", "coordination.k8s.io"} <= names
    for group in groups:
        assert group["preferredVersion"] in group["versions"]
        for version in group["versions"]:
            doc = _get(emulator, f"/apis/{version['groupVersion']}")
            assert doc["kind"] == "APIResourceList" and doc["groupVersion"] == version["groupVersion"]
            assert doc["resources"]
    autoscaling = next(g for g in groups if g["name"] == "autoscaling")
    assert [v["version"] for v in autoscaling["versions"]] == ["v2", "v1"]


def test_deployment_subresources_are_discoverable(emulator):
    resources = {r["name"]: r for r in _get(emulator, "/apis/apps/v1")["resources"]}
    assert resources["deployments"]["shortNames"] == ["deploy"]
    assert resources["deployments/scale"]["kind"] == "Scale" and resources["deployments/scale"]["group"] == "autoscaling"
    assert "update" in resources["deployments/status"]["verbs"]


def test_dynamic_client_finds_builtin_and_istio_kinds(k8s_client):
    assert k8s_client.resources.get(api_version="v1", kind="ConfigMap").namespaced
    assert k8s_client.resources.get(api_version="apps/v1", kind="Deployment").subresources["scale"]
    if not crd_files():
        pytest.skip("shared CRDs absent: no Istio API to discover")
    for version in ("v1", "v1beta1", "v1alpha3"):
        assert k8s_client.resources.get(api_version=f"networking.istio.io/{version}", kind="VirtualService")
    assert k8s_client.resources.get(api_version="gateway.networking.k8s.io/v1", kind="HTTPRoute")


def test_istio_groups_come_from_the_crd_files(emulator):
    if not crd_files():
        pytest.skip("shared CRDs absent (set SHARED_DIR)")
    istio = next(g for g in _get(emulator, "/apis")["groups"] if g["name"] == "networking.istio.io")
    assert istio["preferredVersion"]["version"] == "v1"
    resources = {r["name"]: r for r in _get(emulator, "/apis/networking.istio.io/v1beta1")["resources"]}
    assert resources["virtualservices"]["shortNames"] == ["vs"] and resources["virtualservices"]["namespaced"]
    crds = _get(emulator, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions")["items"]
    assert "virtualservices.networking.istio.io" in {c["metadata"]["name"] for c in crds}


def test_a_cluster_without_crds_has_no_istio_api(sandbox_home):  # pylint: disable=unused-argument
    with Emulator(crds=[]) as bare:
        groups = {g["name"] for g in _get(bare, "/apis")["groups"]}
        assert "networking.istio.io" not in groups and "apps" in groups
        with pytest.raises(urllib.error.HTTPError) as raised:
            _get(bare, "/apis/networking.istio.io/v1/namespaces/default/virtualservices")
        assert raised.value.code == 404
        assert json.loads(raised.value.read())["kind"] == "Status"


def test_openapi_v3_index_lists_served_group_versions(emulator):
    index = _get(emulator, "/openapi/v3")
    assert "apis/apps/v1" in index["paths"]
    document = _get(emulator, index["paths"]["apis/apps/v1"]["serverRelativeURL"])
    assert "paths" in document
