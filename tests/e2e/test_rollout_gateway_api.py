"""playbooks/rollout.yml and cleanup.yml end to end with provider gatewayapi (a Gateway API HTTPRoute): the user's
HTTPRoute to the apex Service (mesh / GAMMA) adopted by init, podinfo 3.1.1 promoted, a release answering 10 % errors
rolled back, cleanup; the user's Deployment, Service and HTTPRoute equal to what they were, no request failed on the
apex host but the erroring canary's own (tests/e2e/provider_scenario.py)."""
from tests.e2e.provider_scenario import promoted_template, run_seed_scenario
from tests.e2e.rollout_scenario import needs_crds

pytestmark = needs_crds


def user_http_route(podinfo):
    """The user's HTTPRoute: a rule for /admin elsewhere, and the rule to the apex with its own timeout."""
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "podinfo-mesh", "namespace": podinfo.namespace, "labels": {"team": "web"},
                         "annotations": {"example.com/owner": "web"}},
            "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "podinfo", "port": 9898}],
                     "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/admin"}}],
                                "backendRefs": [{"name": "podinfo-admin", "port": 9898}]},
                               {"timeouts": {"request": "15s"}, "backendRefs": [{"name": "podinfo", "port": 9898}]}]}}


def managed_weights(route):
    for rule in route["spec"]["rules"]:
        if any(ref["name"] == "podinfo-primary" for ref in rule["backendRefs"]):
            return dict((ref["name"], ref["weight"]) for ref in rule["backendRefs"])
    return None


def test_seed_scenario_on_gateway_api_adopts_promotes_rolls_back_and_cleanup_restores(podinfo):
    host = podinfo.apex_host
    seen = run_seed_scenario(podinfo, "gatewayapi", {"port": 9898}, user_http_route(podinfo), managed_weights, [host])

    assert seen["promoted"]["route"] == {"podinfo-primary": 100, "podinfo-canary": 0}
    promoted = seen["promoted"]["traffic"][host]
    assert promoted["failed"] == 0 and promoted["by_workload"].get("podinfo", 0) > 0, "the canary served, nothing failed"
    assert seen["rolled back"]["route"] == {"podinfo-primary": 100, "podinfo-canary": 0}
    rolled_back = seen["rolled back"]["traffic"][host]
    assert rolled_back["failed"] > 0 and set(rolled_back["failed_by_workload"]) == {"podinfo"}, "only the bad canary failed"
    assert seen["cleanup"]["traffic"][host]["failed"] == 0
    assert seen["after"] == promoted_template(seen["before"]), "Deployment, Service and HTTPRoute as the user wrote them"
    assert podinfo.inventory()["VirtualService"] == [] and podinfo.inventory()["DestinationRule"] == []
