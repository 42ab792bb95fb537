"""The reference scenario's release (../shared/fixtures/podinfo, seed step 2): after init, `kubectl set image`
podinfo:3.1.1, then detect, scale up, shift 20/40/60 and promote. The objects match what the seed shows at each
step, no request to the apex host fails while the mesh sends traffic throughout, and the per-workload counts
follow the weights."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.phases.info import canary_info
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from tests.integration.canary_scenario import NAMESPACE, kube_api  # noqa: F401  pylint: disable=unused-import
from tests.integration.release_scenario import DEPLOYMENT, NEW_IMAGE, Traffic, get as _get, init_podinfo, promote, route as _route, shift
from tests.sandbox.fixtures_api import wait_for

pytestmark = pytest.mark.needs_crds
APEX_HOST = "podinfo.test"
NAMES = CanaryNames("podinfo", NAMESPACE)
SAMPLE = 100


def _image(deployment):
    return deployment["spec"]["template"]["spec"]["containers"][0]["image"]


def _assert_split(by_workload, canary_weight):
    canary = by_workload.get("podinfo", 0)
    assert abs(canary - SAMPLE * canary_weight / 100) <= 2, by_workload
    assert canary + by_workload.get("podinfo-primary", 0) == SAMPLE, by_workload


def test_reference_release_matches_the_seed_and_no_request_fails(emulator, kube_api, kubectl, mesh):  # noqa: F811
    init_podinfo(emulator, kube_api)
    traffic = Traffic(mesh, APEX_HOST, sample_size=SAMPLE)
    before = canary_info(kube_api, NAMES)
    assert before["initialized"] and not before["pending"] and before["weight"] == 0

    kubectl("-n", NAMESPACE, "set", "image", "deployment/podinfo", "podinfod=" + NEW_IMAGE)
    detected = canary_info(kube_api, NAMES)
    assert detected["pending"] and detected["revision"] != detected["last_promoted_revision"]
    assert detected["target"]["replicas"] == 0, "set image alone does not scale the target"

    seed_routes = {20: [("podinfo-primary", 80), ("podinfo-canary", 20)], 60: [("podinfo-primary", 40), ("podinfo-canary", 60)]}
    for number, weight in enumerate((20, 40, 60), start=1):
        result = shift(kube_api, weight)
        assert result["changed"] and result["weight"] == weight and result["phase"] == "Progressing" and result["step"] == number
        assert _route(kube_api) == seed_routes.get(weight, [("podinfo-primary", 100 - weight), ("podinfo-canary", weight)])
        target = _get(kube_api, DEPLOYMENT, "podinfo")
        assert target["spec"]["replicas"] == 2 and target["status"]["readyReplicas"] == 2 and _image(target) == NEW_IMAGE
        assert _image(_get(kube_api, DEPLOYMENT, "podinfo-primary")) != NEW_IMAGE
        _assert_split(traffic.sample(), weight)

    result = promote(kube_api)
    assert result["changed"] and result["phase"] == "Succeeded" and result["primary_updated"] and not result["pending"]
    primary = _get(kube_api, DEPLOYMENT, "podinfo-primary")
    target = _get(kube_api, DEPLOYMENT, "podinfo")
    assert _image(primary) == NEW_IMAGE and primary["spec"]["template"]["metadata"]["labels"]["app"] == "podinfo-primary"
    assert primary["status"]["readyReplicas"] == 2
    assert target["spec"]["replicas"] == 0
    # The scale-down itself is the controller's, after promote returns (as with a real cluster): podinfo 0/0 then.
    wait_for(lambda: not (_get(kube_api, DEPLOYMENT, "podinfo").get("status") or {}).get("readyReplicas"), what="podinfo at 0/0")
    assert _route(kube_api) == [("podinfo-primary", 100), ("podinfo-canary", 0)]
    _assert_split(traffic.sample(), 0)
    after = canary_info(kube_api, NAMES)
    assert after["phase"] == "Succeeded" and after["last_promoted_revision"] == detected["revision"] and not after["pending"]
    assert traffic.total_failed() == 0
