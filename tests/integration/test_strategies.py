"""Flagger's deployment strategies through canary_advance's step (phases/advance.py), against the sandbox over HTTP:
the route shapes each provider writes (A/B match routes, Blue/Green at weight 0, the mirror, the session cookie and
its expiry), the iterations recorded in the state, the route back to one on promotion and rollback, cleanup exact,
and what a provider cannot route refused before the first request."""
import copy
import json
import re

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import VIRTUAL_SERVICE, CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.run_lease import LeaseRequest, acquire
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import StateStore
from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError
from ansible_collections.progressive.canary.plugins.module_utils.phases.advance import advance
from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.phases.info import canary_info
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.routers.gateway_api import HTTP_ROUTE
from tests.integration.canary_scenario import NAMESPACE, kube_api, load_podinfo, reset_request_log, writes  # noqa: F401  pylint: disable=unused-import
from tests.integration.release_scenario import get, init_podinfo, promote, rollback, set_template, shift
from tests.integration.test_advance_step import HOLDER, params
from tests.sandbox.fixtures_mesh import wait_ready

pytestmark = pytest.mark.needs_crds
NAMES = CanaryNames("podinfo", NAMESPACE)
INSIDERS = [{"headers": {"x-canary": {"exact": "insider"}}}, {"headers": {"cookie": {"regex": "^(.*?;)?(canary=always)(;.*)?$"}}}]
AB = dict(weights=[], iterations=2, match=INSIDERS)
BLUE_GREEN = dict(weights=[], iterations=2, mirror=True, mirror_weight=50)
AFFINITY = dict(weights=[20, 40], session_affinity={"cookie_name": "flagger-cookie", "max_age": 3600})
FAILING_CHECK = {"name": "errors", "query": "sum(up)", "threshold_range": {"max": 1}}
UNREACHABLE = {"url": "http://127.0.0.1:9", "timeout": 1}


def _http(api):
    return get(api, VIRTUAL_SERVICE, "podinfo")["spec"]["http"]


def _dest(route):
    return [(item["destination"]["host"], item["weight"]) for item in route["route"]]


def _steps(api, options, count, run=None, **extra):
    """``count`` canary_advance steps from ``run``; the results."""
    results = []
    run = run or {}
    for _step in range(count):
        results.append(advance(api, params(run=run, **dict(options, **extra))))
        run = results[-1]["run"]
    return results


def _initialized(emulator, api, provider="istio", service=None):
    if provider == "istio":
        init_podinfo(emulator, api)
    else:
        load_podinfo(emulator)
        wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
        run_init(api, InitRequest("podinfo", NAMESPACE, service, hpa="podinfo", ready_timeout=60, provider=provider))
    set_template(api)
    acquire(api, LeaseRequest(NAMES, HOLDER, 300, operation="rollout"))    # the run's lease, as the role holds it


def test_ab_testing_routes_matching_requests_to_the_canary_counts_iterations_and_promotes_to_one_route(emulator, kube_api):  # noqa: F811
    _initialized(emulator, kube_api)
    before = copy.deepcopy(_http(kube_api))
    start, first, last = _steps(kube_api, AB, 3)
    assert [step["decision"] for step in (start, first, last)] == ["start the test", "iteration 1 passed", "promote"]
    assert first["line"].startswith("iteration 1 of 2 at weight 0%") and last["line"].startswith("iteration 2 of 2")
    match_route, default_route = _http(kube_api)
    assert match_route["name"] == "progressive-canary-match" and match_route["match"] == INSIDERS
    assert _dest(match_route) == [("podinfo-primary", 0), ("podinfo-canary", 100)]
    assert _dest(default_route) == [("podinfo-primary", 100), ("podinfo-canary", 0)] and "match" not in default_route
    assert get(kube_api, ("apps/v1", "Deployment"), "podinfo")["spec"]["replicas"] > 0, "the canary scaled up for the test"
    info = canary_info(kube_api, NAMES)
    assert info["strategy"] == "A/B testing" and info["weight"] == 0, info
    assert (info["iterations"], info["iterations_total"]) == (1, 2), "iteration 1 of 2 passed (the second promotes)"
    status, events = emulator.request("GET", "/api/v1/namespaces/%s/events" % NAMESPACE)
    assert "Advance podinfo.%s canary iteration 1/2" % NAMESPACE in [item["message"] for item in events["items"]], status
    reset_request_log(emulator)
    assert advance(kube_api, params(run=last["run"], **AB))["changed"] is False and writes(emulator) == [], "promote again: nothing"
    promote(kube_api, ready_timeout=60, lease_holder=HOLDER)
    assert [_dest(route) for route in _http(kube_api)] == [[("podinfo-primary", 100), ("podinfo-canary", 0)]], "one route again"
    assert _http(kube_api) == before


def test_ab_testing_failed_checks_hold_the_iteration_then_roll_back_to_one_route(emulator, kube_api):  # noqa: F811
    _initialized(emulator, kube_api)
    start = advance(kube_api, params(**AB))
    failing = dict(AB, checks=[FAILING_CHECK], prometheus=UNREACHABLE)
    held = advance(kube_api, params(run=start["run"], **failing))
    assert held["next_action"] == "hold" and held["line"].startswith("iteration 1 of 2") and held["run"]["iteration"] == 0
    ended = advance(kube_api, params(run=held["run"], **failing))
    assert ended["next_action"] == "rollback", ended
    assert len(_http(kube_api)) == 2, "the test's routes stay until the rollback"
    rollback(kube_api, ready_timeout=60, lease_holder=HOLDER)
    assert [route.get("name") for route in _http(kube_api)] == [None] and _dest(_http(kube_api)[0]) == [("podinfo-primary", 100), ("podinfo-canary", 0)]


def test_blue_green_mirrors_during_the_iterations_and_promotion_switches_all_traffic(emulator, kube_api):  # noqa: F811
    _initialized(emulator, kube_api)
    start, first = _steps(kube_api, BLUE_GREEN, 2)
    assert start["decision"] == "start the test" and first["decision"] == "iteration 1 passed"
    assert start["run"]["strategy"] == "Blue/Green with traffic mirroring of 50% of requests"
    (managed,) = _http(kube_api)
    assert _dest(managed) == [("podinfo-primary", 100), ("podinfo-canary", 0)], "no user request reaches the canary"
    assert managed["mirror"] == {"host": "podinfo-canary"} and managed["mirrorPercentage"] == {"value": 50.0}
    state = StateStore(kube_api, NAMES).read()
    assert state["iterations"] == 1 and state["strategy"].startswith("Blue/Green") and state["canary_weight"] == 0
    resumed = advance(kube_api, params(**BLUE_GREEN))  # a run record lost (a new run): the state's iterations resume it
    assert resumed["decision"] == "promote" and resumed["line"].startswith("iteration 2 of 2"), resumed
    promote(kube_api, ready_timeout=60, lease_holder=HOLDER)
    (managed,) = _http(kube_api)
    assert "mirror" not in managed and _dest(managed) == [("podinfo-primary", 100), ("podinfo-canary", 0)]


def test_a_canary_with_mirror_mirrors_one_step_at_weight_0_then_shifts(emulator, kube_api):  # noqa: F811
    _initialized(emulator, kube_api)
    mirrored, shifted = _steps(kube_api, dict(weights=[30, 60], mirror=True), 2)
    assert mirrored["decision"] == "mirror the traffic at weight 0%" and mirrored["run"]["mirrored"] is True
    assert shifted["line"].startswith("step 1 of 2 at weight 0% (mirrored)") and shifted["decision"] == "weight 30%", shifted["line"]
    (managed,) = _http(kube_api)
    assert "mirror" not in managed and _dest(managed) == [("podinfo-primary", 70), ("podinfo-canary", 30)]


def test_session_affinity_sets_the_cookie_routes_its_holders_then_expires_it(emulator, kube_api):  # noqa: F811
    _initialized(emulator, kube_api)
    _start, at_20 = _steps(kube_api, AFFINITY, 2)
    sticky, weighted = _http(kube_api)
    cookie = sticky["route"][1]["headers"]["response"]["add"]["Set-Cookie"]
    assert cookie.startswith("flagger-cookie=") and cookie.endswith("; Max-Age=3600")
    assert sticky["name"] == "progressive-canary-sticky" and _dest(sticky) == [("podinfo-primary", 0), ("podinfo-canary", 100)]
    regex = sticky["match"][0]["headers"]["cookie"]["regex"]
    assert list(sticky["match"][0]["headers"]) == ["cookie"] and re.fullmatch(regex, "a=1; %s; b=2" % cookie.split(";")[0])
    assert not re.fullmatch(regex, "x%s" % cookie.split(";")[0]), "another cookie whose name ends the same does not match"
    assert weighted["route"][1]["headers"]["response"]["add"]["Set-Cookie"] == cookie and _dest(weighted)[1] == ("podinfo-canary", 40)
    reset_request_log(emulator)
    assert advance(kube_api, params(run=dict(at_20["run"], weight=40), **AFFINITY))["decision"] == "promote"
    assert writes(emulator) == [], "the same shape at the same weight: nothing written"
    promote(kube_api, ready_timeout=60, lease_holder=HOLDER)
    expiry, weighted = _http(kube_api)
    assert expiry["name"] == "progressive-canary-cookie-expiry" and _dest(expiry) == [("podinfo-primary", 100), ("podinfo-canary", 0)]
    assert expiry["route"][0]["headers"]["response"]["add"]["Set-Cookie"] == cookie.split(";")[0] + "; Max-Age=-1"
    assert "headers" not in weighted["route"][1] and _dest(weighted) == [("podinfo-primary", 100), ("podinfo-canary", 0)]


def test_cleanup_gives_the_virtual_service_back_exactly_after_a_strategy(emulator, kube_api):  # noqa: F811
    user = {"apiVersion": VIRTUAL_SERVICE[0], "kind": VIRTUAL_SERVICE[1], "metadata": {"name": "podinfo", "namespace": NAMESPACE},
            "spec": {"hosts": ["podinfo"], "http": [{"match": [{"uri": {"prefix": "/api"}}], "route": [{"destination": {"host": "podinfo"}}]}]}}
    load_podinfo(emulator)
    kube_api.create(user)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    run_init(kube_api, InitRequest("podinfo", NAMESPACE, {"port": 9898}, hpa="podinfo", ready_timeout=60))
    set_template(kube_api)
    _steps(kube_api, AB, 2)
    match_route = _http(kube_api)[0]
    assert match_route["match"] == [{"uri": {"prefix": "/api"}, "headers": INSIDERS[0]["headers"]},
                                    {"uri": {"prefix": "/api"}, "headers": INSIDERS[1]["headers"]}], "the route's own match kept"
    run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60, lease_holder=HOLDER))
    restored = get(kube_api, VIRTUAL_SERVICE, "podinfo")
    assert json.dumps(restored["spec"], sort_keys=True) == json.dumps(user["spec"], sort_keys=True)


def test_gateway_api_ab_rule_mirror_and_cookie_filters(emulator, kube_api):  # noqa: F811
    _initialized(emulator, kube_api, "gatewayapi", {"port": 9898, "port_name": "http"})
    _steps(kube_api, AB, 1, provider="gatewayapi")
    rules = get(kube_api, HTTP_ROUTE, "podinfo")["spec"]["rules"]
    assert [rule.get("name") for rule in rules] == ["progressive-canary-match", None]
    assert rules[0]["matches"][0]["headers"] == [{"name": "x-canary", "type": "Exact", "value": "insider"}]
    assert rules[0]["matches"][1]["headers"][0]["type"] == "RegularExpression"
    assert [(ref["name"], ref["weight"]) for ref in rules[0]["backendRefs"]] == [("podinfo-primary", 0), ("podinfo-canary", 100)]
    reset_request_log(emulator)
    assert advance(kube_api, params(run={}, provider="gatewayapi", **AB))["decision"] == "iteration 1 passed"
    assert [w for w in writes(emulator) if "httproutes" in w.path] == [], "the shape written once"
    promote(kube_api, ready_timeout=60, lease_holder=HOLDER, provider="gatewayapi")
    (rule,) = get(kube_api, HTTP_ROUTE, "podinfo")["spec"]["rules"]
    assert "name" not in rule

    set_template(kube_api, image="stefanprodan/podinfo:3.1.2")
    _steps(kube_api, dict(weights=[20, 40], mirror=True, session_affinity={"cookie_name": "c"}), 3, provider="gatewayapi")
    sticky, weighted = get(kube_api, HTTP_ROUTE, "podinfo")["spec"]["rules"]
    assert sticky["name"] == "progressive-canary-sticky" and "filters" not in sticky
    canary_ref = [ref for ref in weighted["backendRefs"] if ref["name"] == "podinfo-canary"][0]
    assert canary_ref["weight"] == 40 and canary_ref["filters"][0]["type"] == "ResponseHeaderModifier"
    assert not [item for item in weighted.get("filters") or [] if item["type"] == "RequestMirror"], "the mirror step is over"


@pytest.mark.parametrize("provider, options, text", [
    ("istio", dict(weights=[], match=INSIDERS), "match (A/B testing) needs iterations"),
    ("istio", dict(weights=[10], iterations=3), "iterations (A/B testing, Blue/Green) and weights"),
    ("istio", dict(weights=[], iterations=2, match=[{"headers": {"x-canary": {"regex": "(unclosed"}}}]), "does not compile"),
    ("istio", dict(weights=[], iterations=2, match=[{"headers": {"x-canary": {"contains": "a"}}}]), "must be one of {exact"),
    ("istio", dict(weights=[10], mirror_weight=20), "mirror_weight is set without mirror"),
    ("istio", dict(weights=[], iterations=2, session_affinity={"cookie_name": "c", "max_age": 60}), "not to Blue/Green"),
    ("openshift", dict(weights=[], iterations=2, match=INSIDERS), "provider openshift cannot route match (A/B testing)"),
    ("openshift", dict(weights=[10], mirror=True, session_affinity={"cookie_name": "c", "max_age": 60}),
     "provider openshift cannot route mirror, session_affinity"),
    ("gatewayapi", dict(weights=[], iterations=2, match=[{"headers": {"x-user": {"prefix": "beta"}}}]), "x-user by prefix"),
], ids=["match-without-iterations", "iterations-and-weights", "regex", "match-kind", "mirror-weight-alone",
        "affinity-blue-green", "openshift-ab", "openshift-mirror-affinity", "gatewayapi-prefix"])
def test_what_no_strategy_or_provider_runs_is_refused_before_any_request(emulator, kube_api, provider, options, text):  # noqa: F811
    reset_request_log(emulator)
    with pytest.raises(CanaryError) as refused:
        advance(kube_api, params(provider=provider, **options))
    assert text in str(refused.value), str(refused.value)
    assert emulator.request_log.records() == [], "not even a read"


def test_stepped_promotion_moves_traffic_back_to_the_primary_in_steps(emulator, kube_api):  # noqa: F811
    _initialized(emulator, kube_api)
    _steps(kube_api, dict(weights=[50]), 2)
    assert _dest(_http(kube_api)[0]) == [("podinfo-primary", 50), ("podinfo-canary", 50)]
    reset_request_log(emulator)
    result = promote(kube_api, ready_timeout=60, lease_holder=HOLDER, step_weight_promotion=40, interval=0)
    routes = [action for action in result["actions"] if action.startswith("route ")]
    assert routes == ["route 0/100 (primary/canary) in VirtualService %s/podinfo" % NAMESPACE,
                      "route 40/60 (primary/canary) in VirtualService %s/podinfo" % NAMESPACE,
                      "route 80/20 (primary/canary) in VirtualService %s/podinfo" % NAMESPACE,
                      "route 100/0 (primary/canary) in VirtualService %s/podinfo" % NAMESPACE], result["actions"]
    assert [a for a in result["actions"] if a.startswith("hold ")] == ["hold 0s at 40/60 (primary/canary)", "hold 0s at 80/20 (primary/canary)"]
    assert result["phase"] == "Succeeded" and _dest(_http(kube_api)[0]) == [("podinfo-primary", 100), ("podinfo-canary", 0)]


def test_a_stepped_promotion_out_of_range_is_refused_before_any_write(emulator, kube_api):  # noqa: F811
    _initialized(emulator, kube_api)
    _steps(kube_api, dict(weights=[50]), 2)
    reset_request_log(emulator)
    with pytest.raises(CanaryError) as refused:
        promote(kube_api, ready_timeout=60, lease_holder=HOLDER, step_weight_promotion=120, interval=0)
    assert "step_weight_promotion must be between 0" in str(refused.value) and writes(emulator) == []


def test_a_target_reverted_during_an_ab_test_ends_it_on_one_route(emulator, kube_api):  # noqa: F811
    _initialized(emulator, kube_api)
    longer = dict(AB)
    longer["iterations"] = 3
    start, _first = _steps(kube_api, longer, 2)
    set_template(kube_api, image=get(kube_api, ("apps/v1", "Deployment"), "podinfo-primary")["spec"]["template"]["spec"]["containers"][0]["image"])
    reverted = advance(kube_api, params(run=_first["run"], **longer))
    assert reverted["shift"].get("restarted"), reverted
    assert [route.get("name") for route in _http(kube_api)] == [None]
    ended = advance(kube_api, params(run=reverted["run"], **longer))
    assert ended["next_action"] == "error" and "nothing to roll out" in ended["run"]["reason"], ended
    assert start["run"]["strategy"] == "A/B testing"


def test_a_new_revision_during_a_weighted_step_restarts_it_with_the_step_s_line(emulator, kube_api):  # noqa: F811
    _initialized(emulator, kube_api)
    _start, at_20 = _steps(kube_api, dict(weights=[20, 40, 60]), 2)
    set_template(kube_api, image="stefanprodan/podinfo:3.1.2")
    restarted = advance(kube_api, params(run=at_20["run"], weights=[20, 40, 60]))
    assert restarted["shift"]["restarted"] and restarted["run"]["weight"] == 0, restarted
    assert restarted["line"].startswith("step 2 of 3 at weight 40%"), restarted["line"]


def test_blue_green_and_stepped_promotion_on_openshift_route_by_weights(emulator, kube_api):  # noqa: F811
    from tests.integration.test_openshift_route import get_route, user_route    # pylint: disable=import-outside-toplevel
    load_podinfo(emulator)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    kube_api.create(user_route())
    run_init(kube_api, InitRequest("podinfo", NAMESPACE, {"port": 9898, "port_name": "http"}, hpa="podinfo", ready_timeout=60,
                                   provider="openshift"))
    set_template(kube_api)
    acquire(kube_api, LeaseRequest(NAMES, HOLDER, 300, operation="rollout"))
    start, first, last = _steps(kube_api, dict(weights=[], iterations=2), 3, provider="openshift")
    assert [step["decision"] for step in (start, first, last)] == ["start the test", "iteration 1 passed", "promote"]
    route = get_route(kube_api)
    assert route["spec"]["to"]["weight"] == 100 and route["spec"]["alternateBackends"][0]["weight"] == 0, "no user on the canary"
    result = promote(kube_api, ready_timeout=60, lease_holder=HOLDER, provider="openshift", step_weight_promotion=50, interval=0)
    assert [a.split(" in ")[0] for a in result["actions"] if a.startswith("route ")] == [
        "route 0/100 (primary/canary)", "route 50/50 (primary/canary)", "route 100/0 (primary/canary)"], result["actions"]
    assert get_route(kube_api)["spec"]["to"]["weight"] == 100


def test_canary_shift_routes_a_strategy_s_shape_by_hand_and_refuses_before_any_request(emulator, kube_api):  # noqa: F811
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    result = shift(kube_api, 0, ready_timeout=60, match=INSIDERS)
    assert result["phase"] == "Progressing" and [route.get("name") for route in _http(kube_api)] == ["progressive-canary-match", None]
    reset_request_log(emulator)
    assert shift(kube_api, 0, ready_timeout=60, match=INSIDERS)["changed"] is False and writes(emulator) == []
    shift(kube_api, 30, ready_timeout=60, mirror=True, mirror_weight=20)
    (managed,) = _http(kube_api)
    assert managed["mirror"] == {"host": "podinfo-canary"} and _dest(managed)[1] == ("podinfo-canary", 30), "the match is gone"
    shift(kube_api, 40, ready_timeout=60)
    assert "mirror" not in _http(kube_api)[0], "without the options: the plain canary"
    for options, text in ((dict(match=[{"headers": {"x": {"regex": "a("}}}]), "does not compile"),
                          (dict(mirror=True, provider="openshift"), "provider openshift cannot route mirror")):
        reset_request_log(emulator)
        with pytest.raises(CanaryError, match=text):
            shift(kube_api, 40, ready_timeout=60, **options)
        assert emulator.request_log.records() == [], "not even a read"


def test_an_iteration_asks_no_confirm_traffic_increase_gate_a_canary_step_does(emulator, kube_api):  # noqa: F811
    from tests.integration.loopback_http import LoopbackServer, Reply   # pylint: disable=import-outside-toplevel
    _initialized(emulator, kube_api)
    with LoopbackServer(lambda request: Reply(200, "open")) as server:
        gate = [{"name": "gate", "type": "confirm-traffic-increase", "url": server.url}]
        start = advance(kube_api, params(webhooks=gate, **AB))
        advance(kube_api, params(run=start["run"], webhooks=gate, **AB))
        assert server.requests == [], "Flagger asks the gate before more traffic, which an iteration does not bring"
        _steps(kube_api, dict(weights=[20, 40]), 1, webhooks=gate)
        assert len(server.requests) == 1
