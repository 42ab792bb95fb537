"""The reference scenario (../shared/fixtures/podinfo): init gives what the seed shows after init (apex ports
kept), cleanup gives back the pre-init Deployment, Service and HPA, and no request to the apex host fails."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, load_podinfo, user_view
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.sandbox.fixtures_mesh import wait_ready

pytestmark = pytest.mark.needs_crds
APEX_HOST = "podinfo.test"


def _get(api, kind_pair, name):
    return api.get(kind_pair[0], kind_pair[1], NAMESPACE, name)


DEPLOYMENT = ("apps/v1", "Deployment")
SERVICE = ("v1", "Service")
HPA = ("autoscaling/v2", "HorizontalPodAutoscaler")
DR = ("networking.istio.io/v1", "DestinationRule")
VS = ("networking.istio.io/v1", "VirtualService")


def assert_seed_after_init(api):
    """What `kubectl get` showed in the seed once Flagger had initialised podinfo, apex ports excepted."""
    target = _get(api, DEPLOYMENT, "podinfo")
    primary = _get(api, DEPLOYMENT, "podinfo-primary")
    assert target["spec"]["replicas"] == 0 and target["spec"]["selector"]["matchLabels"] == {"app": "podinfo"}
    assert primary["spec"]["selector"]["matchLabels"] == {"app": "podinfo-primary"}
    assert primary["spec"]["template"]["metadata"]["labels"]["app"] == "podinfo-primary"
    assert primary["spec"]["template"]["spec"]["containers"][0]["image"] == target["spec"]["template"]["spec"]["containers"][0]["image"]
    assert primary["status"]["readyReplicas"] == 2
    for name, selector in (("podinfo-primary", {"app": "podinfo-primary"}), ("podinfo-canary", {"app": "podinfo"})):
        service = _get(api, SERVICE, name)
        assert service["spec"]["selector"] == selector
        assert [(p["port"], p["protocol"]) for p in service["spec"]["ports"]] == [(9898, "TCP")]
    apex = _get(api, SERVICE, "podinfo")
    assert apex["spec"]["selector"] == {"app": "podinfo-primary"}
    assert [p["port"] for p in apex["spec"]["ports"]] == [9898, 9797, 9999], "the apex keeps its three ports (flagger#1345)"
    for name in ("podinfo-primary", "podinfo-canary"):
        assert _get(api, DR, name)["spec"]["host"] == name
    assert _get(api, VS, "podinfo")["spec"] == {
        "gateways": ["mesh"],
        "hosts": ["app.example.com", "podinfo"],
        "http": [{"retries": {"attempts": 3, "perTryTimeout": "1s", "retryOn": "gateway-error,connect-failure,refused-stream"},
                  "route": [{"destination": {"host": "podinfo-primary"}, "weight": 100},
                            {"destination": {"host": "podinfo-canary"}, "weight": 0}]}]}
    hpa = _get(api, HPA, "podinfo-primary")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "podinfo-primary" and hpa["spec"]["minReplicas"] == 2


def test_reference_scenario_init_then_cleanup_without_a_failed_request(emulator, kube_api, mesh):  # noqa: F811
    load_podinfo(emulator)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    before = {kind: user_view(_get(kube_api, pair, "podinfo")) for kind, pair in (("deployment", DEPLOYMENT), ("service", SERVICE), ("hpa", HPA))}
    mesh.add_target(APEX_HOST)

    result = run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo", ready_timeout=60))
    assert result["changed"] and result["phase"] == "Initialized"
    assert result["managed"]["primary"] == "podinfo-primary" and result["managed"]["hpa"] == "podinfo-primary"
    assert_seed_after_init(kube_api)
    mesh.send(APEX_HOST, 20)
    assert mesh.counts(APEX_HOST)["by_workload"].get("podinfo-primary"), "traffic reached the primary through the VirtualService"

    result = run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))
    assert result["changed"]
    assert result["restored"] == ["Deployment test/podinfo", "Service test/podinfo"]
    assert "ConfigMap test/podinfo-canary-state" == result["removed"][-1]
    after = {kind: user_view(_get(kube_api, pair, "podinfo")) for kind, pair in (("deployment", DEPLOYMENT), ("service", SERVICE), ("hpa", HPA))}
    assert after == before
    for pair, name in ((DEPLOYMENT, "podinfo-primary"), (SERVICE, "podinfo-primary"), (SERVICE, "podinfo-canary"), (DR, "podinfo-primary"),
                       (DR, "podinfo-canary"), (VS, "podinfo"), (HPA, "podinfo-primary"), (("v1", "ConfigMap"), "podinfo-canary-state")):
        assert _get(kube_api, pair, name) is None, name
    mesh.send(APEX_HOST, 20)
    counts = mesh.counts(APEX_HOST)
    assert counts["failed"] == 0, counts
    assert counts["by_workload"].get("podinfo"), "after cleanup the target serves the apex host again"
