"""playbooks/rollout.yml and cleanup.yml end to end with provider openshift (an OpenShift Route through the router's
HAProxy, whose metrics the builtin checks query): the user's Route to the apex Service adopted by init, podinfo 3.1.1
promoted, a release answering 10 % errors rolled back, cleanup; the user's Deployment, Service and Route equal to what
they were, no request failed on the apex host, and on the Route's host none but the erroring canary's own
(tests/e2e/provider_scenario.py)."""
from tests.e2e.provider_scenario import promoted_template, run_seed_scenario
from tests.e2e.rollout_scenario import needs_crds

pytestmark = needs_crds


def user_route(podinfo):
    """The user's Route to the apex: its own host, port, edge TLS, an annotation of the router."""
    return {"apiVersion": "route.openshift.io/v1", "kind": "Route",
            "metadata": {"name": "podinfo-web", "namespace": podinfo.namespace, "labels": {"team": "web"},
                         "annotations": {"haproxy.router.openshift.io/timeout": "30s"}},
            "spec": {"host": route_host(podinfo), "to": {"kind": "Service", "name": "podinfo", "weight": 100},
                     "port": {"targetPort": 9898}, "tls": {"termination": "edge"}}}


def route_host(podinfo):
    return "podinfo-%s.apps.example.com" % podinfo.namespace


def backend_weights(route):
    spec = route["spec"]
    return dict((backend["name"], backend["weight"]) for backend in [spec["to"]] + list(spec.get("alternateBackends") or []))


def test_seed_scenario_on_openshift_adopts_promotes_rolls_back_and_cleanup_restores(podinfo):
    apex, routed = podinfo.apex_host, route_host(podinfo)
    seen = run_seed_scenario(podinfo, "openshift", {"port": 9898}, user_route(podinfo), backend_weights, [apex, routed])

    assert seen["promoted"]["route"] == {"podinfo-primary": 100, "podinfo-canary": 0}
    promoted = seen["promoted"]["traffic"]
    assert promoted[routed]["failed"] == 0 and promoted[routed]["by_workload"].get("podinfo", 0) > 0, "the canary served"
    assert seen["rolled back"]["route"] == {"podinfo-primary": 100, "podinfo-canary": 0}
    rolled_back = seen["rolled back"]["traffic"]
    assert set(rolled_back[routed]["failed_by_workload"]) == {"podinfo"}, "on the Route's host only the bad canary failed"
    assert seen["cleanup"]["traffic"][routed]["failed"] == 0, seen["cleanup"]["traffic"]
    for phase in ("promoted", "rolled back", "cleanup"):
        assert seen[phase]["traffic"][apex]["failed"] == 0, "no request to the apex host failed (%s)" % phase
        assert seen[phase]["traffic"][apex]["total"] > 0
    assert seen["after"] == promoted_template(seen["before"]), "Deployment, Service and Route as the user wrote them"
    assert podinfo.inventory()["VirtualService"] == [] and podinfo.inventory()["DestinationRule"] == []
