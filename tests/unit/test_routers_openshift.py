"""routers/openshift_route.py: weight = percent, the canary's alternate backend beside the user's, the record and the
restore of an adopted Route's backends, the TLS key kept out of diffs."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.routers.openshift_route import (
    backends_patch, generated_route, get_weights, recorded_backends, routed_spec, shown, with_recorded_backends)

NAMES = CanaryNames("podinfo", "test")
USER = {"metadata": {"name": "web"},
        "spec": {"host": "podinfo.apps.example.com", "to": {"kind": "Service", "name": "podinfo", "weight": 100},
                 "alternateBackends": [{"kind": "Service", "name": "legacy", "weight": 30}],
                 "tls": {"termination": "edge", "key": "secret-key"}}}


@pytest.mark.parametrize("canary", range(0, 101))
def test_every_percent_is_the_route_weight_and_reads_back(canary):
    spec = routed_spec(USER["spec"], NAMES, 100 - canary, canary)
    assert spec["to"] == {"kind": "Service", "name": "podinfo-primary", "weight": 100 - canary}
    assert get_weights(spec, NAMES) == (100 - canary, canary)


def test_the_canary_follows_the_users_backends_which_keep_order_and_weight():
    spec = routed_spec(USER["spec"], NAMES, 80, 20)
    assert spec["alternateBackends"] == [{"kind": "Service", "name": "legacy", "weight": 30},
                                         {"kind": "Service", "name": "podinfo-canary", "weight": 20}]
    again = routed_spec(spec, NAMES, 40, 60)
    assert [item["name"] for item in again["alternateBackends"]] == ["legacy", "podinfo-canary"], "the canary keeps its place"
    assert dict((key, value) for key, value in again.items() if key not in ("to", "alternateBackends")) == {
        "host": "podinfo.apps.example.com", "tls": {"termination": "edge", "key": "secret-key"}}


def test_a_route_to_anything_else_has_no_weights():
    assert get_weights(USER["spec"], NAMES) is None
    assert get_weights({"to": {"kind": "Service", "name": "podinfo-primary"}}, NAMES) is None, "no canary backend"
    unset = {"to": {"name": "podinfo-primary"}, "alternateBackends": [{"name": "podinfo-canary"}]}
    assert get_weights(unset, NAMES) == (100, 100), "an unset weight is the API's default, 100"


def test_the_record_holds_the_backends_only_and_restores_them():
    recorded = recorded_backends(USER)
    assert recorded == {"name": "web", "to": USER["spec"]["to"], "alternateBackends": USER["spec"]["alternateBackends"]}
    routed = routed_spec(USER["spec"], NAMES, 50, 50)
    assert with_recorded_backends(routed, recorded) == USER["spec"]
    without = {"metadata": {"name": "web"}, "spec": {"to": {"kind": "Service", "name": "podinfo", "weight": 100}}}
    live = {"spec": routed_spec(without["spec"], NAMES, 50, 50)}
    restored = with_recorded_backends(live["spec"], recorded_backends(without))
    assert restored == without["spec"]
    assert backends_patch(live, restored) == [{"op": "replace", "path": "/spec/to", "value": without["spec"]["to"]},
                                              {"op": "remove", "path": "/spec/alternateBackends"}]


def test_the_generated_route_and_the_tls_key_in_diffs():
    route = generated_route(NAMES, {"port_name": "http"}, (100, 0))
    assert route["metadata"]["name"] == "podinfo" and "host" not in route["spec"]
    assert get_weights(route["spec"], NAMES) == (100, 0) and route["spec"]["port"] == {"targetPort": "http"}
    assert shown(USER)["spec"]["tls"]["key"] == "<redacted>" and USER["spec"]["tls"]["key"] == "secret-key"
