"""Provider gatewayapi through the phases, against the sandbox over HTTP: init creates (or adopts) one HTTPRoute whose
managed rule splits between podinfo-primary and podinfo-canary, shift and promote move its weights, cleanup deletes
ours or gives the user's back byte for byte; an ambiguous adoption, a second route for the same parent and hostnames,
and options the provider does not read are refused before the first write (the emulator's request log)."""
import copy
import json

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import (
    DESTINATION_RULE, VIRTUAL_SERVICE, CanaryNames, is_managed)
from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.phases.info import canary_info
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.routers.gateway_api import HTTP_ROUTE
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, load_podinfo, reset_request_log, writes
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.integration.release_scenario import promote, set_template, shift
from tests.sandbox.fixtures_mesh import wait_ready

pytestmark = pytest.mark.needs_crds
PROVIDER = "gatewayapi"
MESH_SERVICE = {"port": 9898, "port_name": "http"}
GATEWAY_SERVICE = dict(MESH_SERVICE, gateway_refs=[{"name": "public", "namespace": "istio-system"}], hostnames=["app.example.com"])


def _start(emulator, service=None):
    load_podinfo(emulator)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    return InitRequest("podinfo", NAMESPACE, service or MESH_SERVICE, hpa="podinfo", ready_timeout=60, provider=PROVIDER)


def _routes(api):
    return dict((route["metadata"]["name"], route) for route in api.list(HTTP_ROUTE[0], HTTP_ROUTE[1], NAMESPACE))


def _weights(route):
    """{backend name: weight} of the rule sending to podinfo-primary / podinfo-canary."""
    for rule in route["spec"]["rules"]:
        names = [ref["name"] for ref in rule["backendRefs"]]
        if "podinfo-primary" in names:
            return dict((ref["name"], ref["weight"]) for ref in rule["backendRefs"])
    return None


def _user_route(name="podinfo", parent=None, hostnames=None):
    spec = {"parentRefs": [parent or {"group": "", "kind": "Service", "name": "podinfo"}], "rules": [
        {"matches": [{"path": {"type": "PathPrefix", "value": "/admin"}}], "backendRefs": [{"name": "admin", "port": 80}]},
        {"timeouts": {"request": "10s"}, "backendRefs": [{"name": "podinfo", "port": 9898}]}]}
    if hostnames:
        spec["hostnames"] = hostnames
    metadata = {"name": name, "namespace": NAMESPACE, "labels": {"team": "web"}}
    return {"apiVersion": HTTP_ROUTE[0], "kind": HTTP_ROUTE[1], "metadata": metadata, "spec": spec}


def _release(api, service):
    """init -> a new image shifted to 30 % -> promoted -> cleanup, the route's weights after each."""
    seen = {}
    init = run_init(api, InitRequest("podinfo", NAMESPACE, service, hpa="podinfo", ready_timeout=60, provider=PROVIDER))
    assert init["phase"] == "Initialized", init
    seen["init"] = _routes(api)
    set_template(api)
    shift(api, 30, ready_timeout=60, provider=PROVIDER)
    seen["shift"] = _routes(api)
    info = canary_info(api, CanaryNames("podinfo", NAMESPACE), PROVIDER)
    assert info["initialized"] and info["weight"] == 30, info
    promote(api, ready_timeout=60, provider=PROVIDER)
    seen["promote"] = _routes(api)
    cleanup = run_cleanup(api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60, provider=PROVIDER))
    seen["cleanup"] = _routes(api)
    return seen, cleanup


def test_mesh_route_created_shifted_promoted_and_deleted(emulator, kube_api):  # noqa: F811
    _start(emulator)
    seen, _cleanup = _release(kube_api, MESH_SERVICE)
    route = seen["init"]["podinfo"]
    assert is_managed(route, "podinfo"), "the generated route is marked ours"
    assert route["spec"]["parentRefs"] == [{"group": "", "kind": "Service", "name": "podinfo", "port": 9898}], "GAMMA: the apex Service"
    assert _weights(route) == {"podinfo-primary": 100, "podinfo-canary": 0}
    assert _weights(seen["shift"]["podinfo"]) == {"podinfo-primary": 70, "podinfo-canary": 30}
    assert _weights(seen["promote"]["podinfo"]) == {"podinfo-primary": 100, "podinfo-canary": 0}
    assert seen["cleanup"] == {}, "ours deleted"
    for kind_pair in (VIRTUAL_SERVICE, DESTINATION_RULE):
        assert kube_api.list(kind_pair[0], kind_pair[1], NAMESPACE) == [], "no Istio object for provider gatewayapi"


def test_gateway_route_has_the_gateway_parent_and_hostnames(emulator, kube_api):  # noqa: F811
    run_init(kube_api, _start(emulator, GATEWAY_SERVICE))
    spec = _routes(kube_api)["podinfo"]["spec"]
    assert spec["parentRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "public", "namespace": "istio-system"}]
    assert spec["hostnames"] == ["app.example.com"]


@pytest.mark.parametrize("name", ["podinfo", "web"], ids=["named-like-the-apex", "routing-the-apex"])
def test_cleanup_gives_an_adopted_route_back_exactly(emulator, kube_api, name):  # noqa: F811
    _start(emulator)
    user = kube_api.create(_user_route(name))
    seen, cleanup = _release(kube_api, MESH_SERVICE)
    adopted = seen["shift"][name]
    assert list(seen["shift"]) == [name], "adopted, no second route created"
    assert not is_managed(adopted), "an adopted route stays the user's"
    assert adopted["spec"]["rules"][0] == user["spec"]["rules"][0], "the other rule untouched"
    assert adopted["spec"]["rules"][1]["timeouts"] == {"request": "10s"}, "the managed rule's own fields kept"
    assert _weights(adopted) == {"podinfo-primary": 70, "podinfo-canary": 30}
    restored = seen["cleanup"][name]
    assert json.dumps(restored["spec"], sort_keys=True) == json.dumps(user["spec"], sort_keys=True), "byte for byte"
    assert restored["metadata"]["labels"] == user["metadata"]["labels"]
    assert "http_route" in json.dumps(cleanup) or cleanup["changed"], cleanup


def _refused_before_any_write(emulator, api, request, text):
    reset_request_log(emulator)
    with pytest.raises(Refusal) as refused:
        run_init(api, request)
    assert writes(emulator) == [], "refused before the first write"
    for part in text:
        assert part in str(refused.value), str(refused.value)


def test_ambiguous_adoption_is_refused_naming_the_routes(emulator, kube_api):  # noqa: F811
    request = _start(emulator)
    kube_api.create(_user_route("web"))
    kube_api.create(_user_route("web-2"))
    _refused_before_any_write(emulator, kube_api, request, ["HTTPRoute test/web, HTTPRoute test/web-2", "cannot tell which"])


def test_a_second_route_for_the_same_parent_and_host_is_never_created(emulator, kube_api):  # noqa: F811
    request = _start(emulator, GATEWAY_SERVICE)
    other = _user_route("shop", parent={"name": "public", "namespace": "istio-system"}, hostnames=["*.example.com"])
    other["spec"]["rules"] = [{"backendRefs": [{"name": "shop", "port": 80}]}]
    kube_api.create(other)
    _refused_before_any_write(emulator, kube_api, request, ["HTTPRoute test/shop already attaches", "Nothing was changed"])


def test_a_route_on_another_parent_is_left_alone(emulator, kube_api):  # noqa: F811
    request = _start(emulator, GATEWAY_SERVICE)
    other = kube_api.create(_user_route("internal", parent={"name": "internal", "namespace": "istio-system"}))
    run_init(kube_api, request)
    routes = _routes(kube_api)
    assert sorted(routes) == ["internal", "podinfo"] and routes["internal"]["spec"] == other["spec"]


@pytest.mark.parametrize("provider, service, text", [
    ("gatewayapi", PODINFO_SERVICE, "service.hosts, service.retries do not apply to provider gatewayapi"),
    ("istio", dict(PODINFO_SERVICE, hostnames=["app.example.com"]), "service.hostnames does not apply to provider istio"),
    ("istio", dict(PODINFO_SERVICE, gateway_refs=[{"name": "public"}]), "gateway_refs is read by gatewayapi"),
], ids=["istio-options-on-gatewayapi", "hostnames-on-istio", "gateway-refs-on-istio"])
def test_options_the_provider_does_not_read_are_refused_before_any_write(emulator, kube_api, provider, service, text):  # noqa: F811
    _start(emulator)
    request = InitRequest("podinfo", NAMESPACE, copy.deepcopy(service), hpa="podinfo", ready_timeout=60, provider=provider)
    _refused_before_any_write(emulator, kube_api, request, [text])


def _split(mesh, host, sample=100):
    """Pause the background traffic, send ``sample`` requests to ``host`` at once; returns (per-workload split, failed)."""
    mesh.stop_traffic()
    failed = mesh.failed(host)
    mesh.reset(host)
    mesh.send(host, sample, namespace=NAMESPACE)
    counts = mesh.counts(host)
    mesh.reset(host)
    mesh.start()
    return counts["by_workload"], failed + counts["failed"]


@pytest.mark.parametrize("host, service, user_route", [
    ("podinfo.test", MESH_SERVICE, None),
    ("app.example.com", GATEWAY_SERVICE, _user_route("web", parent={"name": "public", "namespace": "istio-system"},
                                                     hostnames=["app.example.com"])),
], ids=["mesh-generated-route", "gateway-adopted-route"])
def test_no_request_fails_through_init_shift_promote_cleanup(emulator, kube_api, mesh, host, service, user_route):  # noqa: F811
    request = _start(emulator, service)
    if user_route is not None:
        kube_api.create(user_route)
    mesh.add_target(host, namespace=NAMESPACE)
    failed = {}
    assert run_init(kube_api, request)["phase"] == "Initialized"
    split, failures = _split(mesh, host)
    failed["init"] = failures
    assert split == {"podinfo-primary": 100}
    set_template(kube_api)
    shift(kube_api, 30, ready_timeout=60, provider=PROVIDER)
    split, failures = _split(mesh, host)
    failed["shift"] = failures
    assert split == {"podinfo-primary": 70, "podinfo": 30}, "the HTTPRoute's weights split the traffic"
    promote(kube_api, ready_timeout=60, provider=PROVIDER)
    split, failures = _split(mesh, host)
    failed["promote"] = failures
    assert split == {"podinfo-primary": 100}
    run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60, provider=PROVIDER))
    split, failures = _split(mesh, host)
    failed["cleanup"] = failures
    assert split == {"podinfo": 100}, "after cleanup the target serves again"
    mesh.stop_traffic()
    failed["end"] = mesh.failed(host)
    mesh.remove_target(host)
    assert failed == {"init": 0, "shift": 0, "promote": 0, "cleanup": 0, "end": 0}, "failed requests until each step"


@pytest.mark.parametrize("adopt", [False, True], ids=["generated", "adopted"])
def test_check_mode_then_second_runs_write_nothing(emulator, kube_api, adopt):  # noqa: F811
    request = _start(emulator)
    if adopt:
        kube_api.create(_user_route("web"))
    reset_request_log(emulator)
    planned = run_init(kube_api, request, check_mode=True, want_diff=True)
    assert planned["changed"] and writes(emulator) == [], "check mode writes nothing"
    route_action = "manage the canary rule of HTTPRoute test/web" if adopt else "create HTTPRoute test/podinfo"
    assert route_action in planned["actions"], planned["actions"]
    done = run_init(kube_api, request)
    assert done["actions"] == planned["actions"], "check mode announced exactly what the run did"
    reset_request_log(emulator)
    again = run_init(kube_api, request)
    assert again["changed"] is False and again["actions"] == [] and writes(emulator) == []
    cleanup = CleanupRequest("podinfo", NAMESPACE, ready_timeout=60, provider=PROVIDER)
    planned = run_cleanup(kube_api, cleanup, check_mode=True)
    assert planned["changed"] and writes(emulator) == []
    assert run_cleanup(kube_api, cleanup)["actions"] == planned["actions"]
    reset_request_log(emulator)
    assert run_cleanup(kube_api, cleanup)["changed"] is False and writes(emulator) == []


# -- service.match / headers / timeout (Flagger's service options on the managed rule) ------------------------------------
RULE_OPTIONS = {"match": [{"uri": {"prefix": "/"}, "headers": {"x-canary": {"exact": "insider"}}}, {"uri": {"prefix": "/api"}}],
                "headers": {"request": {"set": {"x-release": "canary"}}, "response": {"remove": ["server"]}},
                "timeout": "10s"}
OPTION_MATCHES = [
    {"path": {"type": "PathPrefix", "value": "/"}, "headers": [{"type": "Exact", "name": "x-canary", "value": "insider"}]},
    {"path": {"type": "PathPrefix", "value": "/api"}}]
OPTION_FILTERS = [
    {"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "x-release", "value": "canary"}]}},
    {"type": "ResponseHeaderModifier", "responseHeaderModifier": {"remove": ["server"]}}]


def _managed_rule(route):
    return next(rule for rule in route["spec"]["rules"] if "podinfo-primary" in [ref["name"] for ref in rule["backendRefs"]])


def test_generated_rule_takes_match_headers_and_timeout_and_a_second_init_writes_nothing(emulator, kube_api):  # noqa: F811
    request = _start(emulator, dict(MESH_SERVICE, **RULE_OPTIONS))
    run_init(kube_api, request)
    rule = _managed_rule(_routes(kube_api)["podinfo"])
    assert rule["matches"] == OPTION_MATCHES and rule["filters"] == OPTION_FILTERS and rule["timeouts"] == {"request": "10s"}
    reset_request_log(emulator)
    assert run_init(kube_api, request)["changed"] is False and writes(emulator) == [], "spelled as the API server stores it"


def _user_route_with_rule_fields():
    """The user's route whose rule to the apex has its own matches, filters and timeouts."""
    route = _user_route("web")
    route["spec"]["rules"][1].update({
        "matches": [{"path": {"type": "PathPrefix", "value": "/"}, "method": "GET"}],
        "filters": [{"type": "URLRewrite", "urlRewrite": {"hostname": "podinfo.internal"}},
                    {"type": "RequestHeaderModifier", "requestHeaderModifier": {"add": [{"name": "x-team", "value": "web"}]}}],
        "timeouts": {"request": "30s", "backendRequest": "5s"}})
    return route


@pytest.mark.parametrize("options", [{}, RULE_OPTIONS], ids=["options-not-given", "options-given"])
def test_adopted_rule_keeps_its_own_fields_unless_the_option_is_given_and_cleanup_gives_them_back(emulator, kube_api, options):  # noqa: F811
    _start(emulator)
    user = kube_api.create(_user_route_with_rule_fields())
    own = user["spec"]["rules"][1]
    seen, _cleanup = _release(kube_api, dict(MESH_SERVICE, **options))
    rule = _managed_rule(seen["shift"]["web"])
    assert _weights(seen["shift"]["web"]) == {"podinfo-primary": 70, "podinfo-canary": 30}
    if not options:
        assert (rule["matches"], rule["filters"], rule["timeouts"]) == (own["matches"], own["filters"], own["timeouts"])
    else:
        assert rule["matches"] == OPTION_MATCHES
        assert rule["filters"] == [own["filters"][0], OPTION_FILTERS[0], OPTION_FILTERS[1]], "the rewrite kept, the modifiers ours"
        assert rule["timeouts"] == {"request": "10s", "backendRequest": "5s"}
    assert seen["shift"]["web"]["spec"]["rules"][0] == user["spec"]["rules"][0], "the other rule untouched"
    restored = seen["cleanup"]["web"]
    assert json.dumps(restored["spec"], sort_keys=True) == json.dumps(user["spec"], sort_keys=True), "byte for byte"


@pytest.mark.parametrize("option, text", [
    ({"match": [{"uri": {"prefix": "api"}}]}, "service.match[0].uri: the path 'api' must be an absolute path"),
    ({"match": [{"authority": {"exact": "podinfo"}}]}, "service.match[0].authority has no Gateway API equivalent"),
    ({"match": [{"headers": {"x-canary": {"prefix": "in"}}}]}, "use regex: '^<prefix>'"),
    ({"headers": {"request": {"set": {"x token": "t"}}}}, "service.headers.request.set: the name 'x token' is not an HTTP header name"),
    ({"timeout": "1.5s"}, "service.timeout '1.5s' is not a Gateway API duration"),
], ids=["relative-path", "istio-only-field", "header-prefix", "header-name", "istio-duration"])
def test_a_match_header_or_timeout_the_route_cannot_hold_is_refused_before_any_write(emulator, kube_api, option, text):  # noqa: F811
    _refused_before_any_write(emulator, kube_api, _start(emulator, dict(MESH_SERVICE, **option)), [text])


def test_a_timeout_below_the_adopted_rule_s_backend_timeout_is_refused_by_the_api_server_before_any_write(emulator, kube_api):  # noqa: F811
    request = _start(emulator, dict(MESH_SERVICE, timeout="2s"))
    kube_api.create(_user_route_with_rule_fields())
    _refused_before_any_write(emulator, kube_api, request, [
        "the API server refuses HTTPRoute test/web", "backendRequest timeout cannot be longer than request timeout"])


def test_match_on_a_route_with_two_rules_to_the_apex_is_refused_before_any_write(emulator, kube_api):  # noqa: F811
    request = _start(emulator, dict(MESH_SERVICE, match=[{"uri": {"prefix": "/api"}}]))
    route = _user_route("web")
    route["spec"]["rules"][0]["backendRefs"] = [{"name": "podinfo", "port": 9898}]
    kube_api.create(route)
    _refused_before_any_write(emulator, kube_api, request, ["service.match would give the 2 rules of the HTTPRoute that send to the Service podinfo"])


@pytest.mark.parametrize("match, split", [
    ([{"uri": {"prefix": "/"}, "method": {"exact": "GET"}}], {"podinfo-primary": 70, "podinfo": 30}),
    ([{"headers": {"x-canary": {"exact": "insider"}}}], {}),
], ids=["matching-the-traffic", "not-matching-the-traffic"])
def test_the_mesh_sends_only_matching_requests_to_the_managed_rule(emulator, kube_api, mesh, match, split):  # noqa: F811
    """The simulator's traffic is a plain ``GET /`` without headers: the managed rule takes it only when a match allows
    it; otherwise no rule of the route matches and the request is answered 404, as the Gateway API asks."""
    run_init(kube_api, _start(emulator, dict(MESH_SERVICE, match=match)))
    mesh.add_target("podinfo.test", namespace=NAMESPACE)
    set_template(kube_api)
    shift(kube_api, 30, ready_timeout=60, provider=PROVIDER)
    by_workload, failed = _split(mesh, "podinfo.test")
    mesh.stop_traffic()
    mesh.remove_target("podinfo.test")
    assert by_workload == split
    if split:
        assert failed == 0
    else:
        assert failed >= 100, "each request no rule matches fails (404): none reaches primary or canary"
