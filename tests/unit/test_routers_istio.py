"""routers/istio.py: the VirtualService generated, adopted (only the canary route touched), weights."""
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.routers.istio import (
    adopted_spec, generated_virtual_service, get_weights, qualified_host, routed_hosts, set_weights, shared_hosts)

NAMES = CanaryNames("podinfo", "test")
OPTIONS = {"hosts": ["app.example.com"], "gateways": ["mesh"],
           "retries": {"attempts": 3, "perTryTimeout": "1s", "retryOn": "gateway-error,connect-failure,refused-stream"}}


def test_generated_matches_the_seed():
    spec = generated_virtual_service(NAMES, OPTIONS)["spec"]
    assert spec == {"hosts": ["app.example.com", "podinfo"], "gateways": ["mesh"], "http": [{
        "retries": OPTIONS["retries"],
        "route": [{"destination": {"host": "podinfo-primary"}, "weight": 100}, {"destination": {"host": "podinfo-canary"}, "weight": 0}]}]}


def test_adopting_keeps_user_routes_and_takes_over_the_apex_route():
    user = {"hosts": ["app.example.com"], "http": [
        {"match": [{"uri": {"prefix": "/admin"}}], "route": [{"destination": {"host": "admin"}}]},
        {"match": [{"uri": {"prefix": "/"}}], "route": [{"destination": {"host": "podinfo.test.svc.cluster.local"}}]}]}
    spec = adopted_spec(user, NAMES, OPTIONS)
    assert spec["http"][0] == user["http"][0]
    assert spec["http"][1]["match"] == user["http"][1]["match"]
    assert get_weights(spec, NAMES) == (100, 0)
    assert spec["hosts"] == ["app.example.com"]


def test_adopting_without_an_apex_route_appends_ours():
    user = {"hosts": ["x"], "http": [{"route": [{"destination": {"host": "other"}}]}]}
    spec = adopted_spec(user, NAMES, OPTIONS)
    assert spec["http"][0] == user["http"][0] and len(spec["http"]) == 2 and get_weights(spec, NAMES) == (100, 0)


def test_set_weights_touches_only_the_managed_route():
    spec = adopted_spec({"http": [{"route": [{"destination": {"host": "other"}}]}]}, NAMES, OPTIONS)
    shifted = set_weights(spec, NAMES, 80, 20)
    assert get_weights(shifted, NAMES) == (80, 20) and shifted["http"][0] == spec["http"][0]
    assert get_weights({"http": [{"route": [{"destination": {"host": "other"}}]}]}, NAMES) is None


def test_qualified_host_names_every_form_of_a_service_host_alike():
    for host in ("podinfo", "podinfo.test", "podinfo.test.svc", "podinfo.test.svc.cluster.local"):
        assert qualified_host(host, "test") == "podinfo.test.svc.cluster.local"
    assert qualified_host("podinfo", "other") == "podinfo.other.svc.cluster.local"
    assert qualified_host("app.example.com", "test") == "app.example.com"
    assert qualified_host("*.example.com", "test") == "*.example.com"


def test_shared_hosts_need_a_common_host_and_a_common_gateway():
    names = CanaryNames("podinfo", "test")
    hosts, gateways = routed_hosts(names, {"hosts": ["app.example.com"], "gateways": ["mesh"]})

    def user(spec_hosts, namespace="test", spec_gateways=None):
        spec = {"hosts": spec_hosts}
        if spec_gateways is not None:
            spec["gateways"] = spec_gateways
        return {"metadata": {"name": "routes", "namespace": namespace}, "spec": spec}

    assert shared_hosts(user(["podinfo.test"]), hosts, gateways) == ["podinfo.test.svc.cluster.local"]
    assert shared_hosts(user(["podinfo"], namespace="other"), hosts, gateways) == []
    assert shared_hosts(user(["*"]), hosts, gateways) == hosts
    assert shared_hosts(user(["app.example.com"], spec_gateways=["public"]), hosts, gateways) == []
    assert shared_hosts(user(["app.example.com"], spec_gateways=["public", "mesh"]), hosts, gateways) == ["app.example.com"]
