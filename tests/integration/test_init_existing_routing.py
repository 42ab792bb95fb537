"""Init and cleanup when the apex Service is absent (created, then deleted) and when a VirtualService
already exists (only the canary route managed, its spec given back exactly)."""
import pytest
import yaml

from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, load_podinfo
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.sandbox.fixtures_mesh import wait_ready

pytestmark = pytest.mark.needs_crds
VS = ("networking.istio.io/v1", "VirtualService")
USER_VS = {
    "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
    "metadata": {"name": "podinfo", "namespace": NAMESPACE, "labels": {"team": "web"}},
    "spec": {"hosts": ["podinfo", "app.example.com"], "gateways": ["mesh"], "http": [
        {"name": "admin", "match": [{"uri": {"prefix": "/admin"}}], "route": [{"destination": {"host": "admin"}}]},
        {"name": "main", "route": [{"destination": {"host": "podinfo", "port": {"number": 9898}}}]}]},
}


def _init(api):
    return run_init(api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, ready_timeout=60))


def _cleanup(api):
    return run_cleanup(api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))


def test_absent_apex_service_is_created_as_ours_and_deleted_by_cleanup(emulator, kube_api):  # noqa: F811
    load_podinfo(emulator, with_service=False, with_hpa=False)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    _init(kube_api)
    apex = kube_api.get("v1", "Service", NAMESPACE, "podinfo")
    assert apex["spec"]["selector"] == {"app": "podinfo-primary"}
    assert apex["metadata"]["annotations"]["progressive.canary/created"] == "true"
    result = _cleanup(kube_api)
    assert "Service test/podinfo" in result["removed"]
    assert kube_api.get("v1", "Service", NAMESPACE, "podinfo") is None


def test_existing_virtual_service_keeps_user_routes_and_is_restored(emulator, kube_api, mesh):  # noqa: F811
    load_podinfo(emulator, with_hpa=False)
    emulator.load_manifests(yaml.safe_dump(USER_VS), namespace=NAMESPACE)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    mesh.add_target("podinfo.test")
    _init(kube_api)
    spec = kube_api.get(*VS, NAMESPACE, "podinfo")["spec"]
    assert spec["hosts"] == USER_VS["spec"]["hosts"] and spec["http"][0] == USER_VS["spec"]["http"][0], "user route untouched"
    assert spec["http"][1]["name"] == "main"
    assert spec["http"][1]["route"] == [{"destination": {"host": "podinfo-primary"}, "weight": 100},
                                        {"destination": {"host": "podinfo-canary"}, "weight": 0}]
    assert _init(kube_api)["changed"] is False

    result = _cleanup(kube_api)
    assert "VirtualService test/podinfo" in result["restored"]
    restored = kube_api.get(*VS, NAMESPACE, "podinfo")
    assert restored["spec"] == USER_VS["spec"] and restored["metadata"]["labels"] == {"team": "web"}
    counts = mesh.counts("podinfo.test")
    assert counts["total"] > 0 and counts["failed"] == 0, counts
