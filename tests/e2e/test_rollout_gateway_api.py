"""playbooks/rollout.yml and cleanup.yml end to end with ``rollout_provider: gatewayapi`` (real ansible-playbook, sandbox,
live Prometheus): the seed's healthy release promoted through the HTTPRoute's weights with traffic running and no failed
request, then cleanup leaves no HTTPRoute (nor any Istio object) and the originals as they were."""
from tests.e2e.rollout_scenario import NEW_IMAGE, needs_crds

pytestmark = needs_crds
HTTP_ROUTES = "/apis/gateway.networking.k8s.io/v1/namespaces/%s/httproutes"


def _http_routes(podinfo):
    status, body = podinfo.emulator.request("GET", HTTP_ROUTES % podinfo.namespace)
    assert status == 200, body
    return dict((route["metadata"]["name"], route) for route in body["items"])


def _weights(route):
    return dict((ref["name"], ref["weight"]) for ref in route["spec"]["rules"][0]["backendRefs"])


def test_healthy_release_on_gateway_api_is_promoted_with_no_failed_request_then_cleanup_restores(podinfo):
    podinfo.load()
    service_before = podinfo.user_view("Service", "podinfo")
    overrides = {"rollout_provider": "gatewayapi", "rollout_service": {"port": 9898}}

    returncode, result, _plays, output = podinfo.run(rollout_image=NEW_IMAGE, **overrides)

    assert returncode == 0, output
    assert result["outcome"] == "promoted" and [step["weight"] for step in result["steps"]] == [30, 60], result["summary"]
    assert all(step["passed"] for step in result["steps"]), result["summary"]
    assert podinfo.state()["provider"] == "gatewayapi"
    route = _http_routes(podinfo)["podinfo"]
    assert route["spec"]["parentRefs"] == [{"group": "", "kind": "Service", "name": "podinfo", "port": 9898}]
    assert _weights(route) == {"podinfo-primary": 100, "podinfo-canary": 0}
    assert podinfo.inventory()["VirtualService"] == [] and podinfo.inventory()["DestinationRule"] == []
    counts = podinfo.mesh.counts(podinfo.apex_host)
    assert counts["failed"] == 0 and counts["by_workload"].get("podinfo", 0) > 0, counts

    returncode, _result, _plays, output = podinfo.run("cleanup", **overrides)
    assert returncode == 0, output
    assert _http_routes(podinfo) == {}
    assert podinfo.user_view("Service", "podinfo") == service_before
    assert podinfo.mesh.counts(podinfo.apex_host)["failed"] == 0
