"""routers/gateway_api.py: the HTTPRoute generated (both attachments), adopted (only the rule to the apex touched),
weights, which user routes share the canary's parent and hostnames; factory.check_options."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.routers.factory import check_options
from ansible_collections.progressive.canary.plugins.module_utils.routers.gateway_api import (
    adopted_spec, generated_http_route, get_weights, hostnames_overlap, parent_refs, set_weights, shares_parent)

NAMES = CanaryNames("podinfo", "test")
MESH = {"port": 9898}
GATEWAY = {"port": 9898, "gateway_refs": [{"name": "public", "namespace": "istio-system", "sectionName": "https"}],
           "hostnames": ["app.example.com"]}
SPLIT = [{"group": "", "kind": "Service", "name": "podinfo-primary", "port": 9898, "weight": 100},
         {"group": "", "kind": "Service", "name": "podinfo-canary", "port": 9898, "weight": 0}]


def _route(spec, namespace="test"):
    return {"metadata": {"name": "r", "namespace": namespace}, "spec": spec}


def test_generated_route_attaches_to_the_apex_service_by_default():
    spec = generated_http_route(NAMES, MESH)["spec"]
    assert spec == {"parentRefs": [{"group": "", "kind": "Service", "name": "podinfo", "port": 9898}],
                    "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "backendRefs": SPLIT}]}


def test_generated_route_attaches_to_the_gateways_for_the_hostnames():
    spec = generated_http_route(NAMES, GATEWAY)["spec"]
    assert spec["parentRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "public",
                                   "namespace": "istio-system", "sectionName": "https"}]
    assert spec["hostnames"] == ["app.example.com"]


def test_adopting_keeps_every_other_rule_and_field():
    user = {"parentRefs": [{"name": "public"}], "hostnames": ["app.example.com"], "rules": [
        {"matches": [{"path": {"type": "PathPrefix", "value": "/admin"}}], "backendRefs": [{"name": "admin", "port": 80}]},
        {"timeouts": {"request": "5s"}, "backendRefs": [{"name": "podinfo", "port": 9898}]}]}
    spec = adopted_spec(user, NAMES, MESH)
    assert spec["rules"][0] == user["rules"][0] and spec["rules"][1]["timeouts"] == {"request": "5s"}
    assert spec["parentRefs"] == user["parentRefs"] and spec["hostnames"] == user["hostnames"]
    assert get_weights(spec, NAMES) == (100, 0)
    assert user["rules"][1]["backendRefs"] == [{"name": "podinfo", "port": 9898}], "the recorded spec is not changed"


def test_adopting_without_a_rule_to_the_apex_appends_ours():
    user = {"rules": [{"backendRefs": [{"name": "other", "port": 80}]}]}
    spec = adopted_spec(user, NAMES, MESH)
    assert spec["rules"][0] == user["rules"][0] and spec["rules"][1]["backendRefs"] == SPLIT


def test_weights_round_trip_and_only_the_managed_rule_moves():
    spec = {"rules": [{"backendRefs": [{"name": "admin", "port": 80, "weight": 7}]}, {"backendRefs": SPLIT}]}
    moved = set_weights(spec, NAMES, 30, 70)
    assert get_weights(moved, NAMES) == (30, 70) and moved["rules"][0] == spec["rules"][0]
    assert get_weights({"rules": [{"backendRefs": [{"name": "podinfo", "port": 9898}]}]}, NAMES) is None


@pytest.mark.parametrize("ours, theirs, expected", [
    ([], ["a.example.com"], True), (["a.example.com"], [], True), (["a.example.com"], ["a.example.com"], True),
    (["a.example.com"], ["*.example.com"], True), (["*.example.com"], ["b.example.com"], True),
    (["a.example.com"], ["b.example.com"], False), (["a.example.com"], ["*.example.org"], False),
])
def test_hostnames_overlap(ours, theirs, expected):
    assert hostnames_overlap(ours, theirs) is expected


@pytest.mark.parametrize("theirs, expected", [
    ({"parentRefs": [{"name": "public", "namespace": "istio-system"}]}, True),
    ({"parentRefs": [{"name": "public", "namespace": "istio-system", "sectionName": "http"}]}, True),
    ({"parentRefs": [{"name": "public"}]}, False),    # a Gateway "public" of the route's own namespace
    ({"parentRefs": [{"name": "public", "namespace": "istio-system"}], "hostnames": ["shop.example.org"]}, False),
    ({"parentRefs": [{"group": "", "kind": "Service", "name": "podinfo"}]}, False),
])
def test_shares_parent_with_the_gateway_route(theirs, expected):
    assert shares_parent(_route(theirs), parent_refs(NAMES, GATEWAY), GATEWAY["hostnames"]) is expected


def test_shares_parent_with_the_mesh_route_whatever_the_port():
    assert shares_parent(_route({"parentRefs": [{"group": "", "kind": "Service", "name": "podinfo"}]}), parent_refs(NAMES, MESH), [])


@pytest.mark.parametrize("provider, service, refused", [
    ("gatewayapi", {"port": 1, "hosts": [], "gateways": ["mesh"], "retries": None, "gateway_refs": [{"name": "g"}]}, None),
    ("gatewayapi", {"port": 1, "hosts": ["a"], "gateways": ["mesh"]}, "service.hosts does not apply to provider gatewayapi"),
    ("gatewayapi", {"port": 1, "gateways": ["istio-system/public"], "cors_policy": {"allowOrigins": []}},
     "service.cors_policy, service.gateways do not apply to provider gatewayapi"),
    ("gatewayapi", {"port": 1, "match": [{"uri": {"prefix": "/api"}}], "headers": {"request": {"set": {"a": "b"}}}, "timeout": "0s"},
     None),
    ("istio", {"port": 1, "hosts": ["a"], "retries": {"attempts": 1}, "hostnames": None, "gateway_refs": None}, None),
    ("istio", {"port": 1, "hostnames": ["a.example.com"]}, "service.hostnames does not apply to provider istio (hostnames is read by gatewayapi)"),
])
def test_check_options_refuses_what_the_provider_does_not_read(provider, service, refused):
    if refused is None:
        check_options(provider, service)
        return
    with pytest.raises(Refusal, match=refused.replace("(", r"\(").replace(")", r"\)")):
        check_options(provider, service)
