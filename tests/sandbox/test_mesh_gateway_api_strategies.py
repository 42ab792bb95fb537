"""Flagger's strategies on Gateway API (pkg/router/gateway_api.go) through the mesh, HTTPRoutes read from the API
emulator over HTTP: A/B header and cookie matches (Exact, RegularExpression), the spec's most-specific-match
precedence, session affinity with a backendRef ``ResponseHeaderModifier`` adding ``Set-Cookie``, and the
``RequestMirror`` filter (``percent`` / ``fraction``)."""

import pytest

from tests.sandbox.fixtures_strategies import CANARY_COOKIE_REGEX, HOST, NS, USERS, metric_total, static_mesh

ROUTES_PATH = "/apis/gateway.networking.k8s.io/v1/namespaces/%s/httproutes" % NS
MESH_PARENT = {"group": "", "kind": "Service", "name": "podinfo", "port": 9898}
COOKIE = "flagger-cookie=LpsIaLdoNZ"


def backend(name, weight, filters=None):
    ref = {"group": "", "kind": "Service", "name": name, "port": 9898, "weight": weight}
    if filters:
        ref["filters"] = filters
    return ref


def header(name, value, kind="Exact"):
    return {"type": kind, "name": name, "value": value}


def ab_rules(default_first=False):
    matched = {"matches": [{"headers": [header("x-canary", "insider")]},
                           {"headers": [header("cookie", CANARY_COOKIE_REGEX, "RegularExpression")]}],
               "backendRefs": [backend("podinfo-primary", 0), backend("podinfo-canary", 100)]}
    default = {"backendRefs": [backend("podinfo-primary", 100), backend("podinfo-canary", 0)]}
    return [default, matched] if default_first else [matched, default]


def affinity_rules(canary_weight):
    set_cookie = [{"type": "ResponseHeaderModifier",
                   "responseHeaderModifier": {"add": [{"name": "Set-Cookie", "value": COOKIE + "; Max-Age=21600"}]}}]
    sticky = {"matches": [{"path": {"type": "PathPrefix", "value": "/"},
                           "headers": [header("Cookie", ".*flagger-cookie.*LpsIaLdoNZ.*", "RegularExpression")]}],
              "backendRefs": [backend("podinfo-primary", 0), backend("podinfo-canary", 100)]}
    weighted = {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                "backendRefs": [backend("podinfo-primary", 100 - canary_weight),
                                backend("podinfo-canary", canary_weight, set_cookie)]}
    return [sticky, weighted]


def mirror_rules(**percentage):
    mirror = dict({"backendRef": {"group": "", "kind": "Service", "name": "podinfo-canary", "port": 9898}}, **percentage)
    return [{"filters": [{"type": "RequestMirror", "requestMirror": mirror}],
             "backendRefs": [backend("podinfo-primary", 100), backend("podinfo-canary", 0)]}]


def http_route(rules):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "podinfo", "namespace": NS}, "spec": {"parentRefs": [MESH_PARENT], "rules": rules}}


@pytest.fixture(name="routed")
def fixture_routed(strategy_cluster):
    """A factory: podinfo routed by an HTTPRoute attached to its Service (GAMMA) with ``rules``, created over HTTP."""
    return lambda rules, canary_error_rate=None: strategy_cluster([http_route(rules)], canary_error_rate)


@pytest.mark.parametrize("default_first", [False, True])
def test_ab_matches_reach_the_canary_whatever_the_rule_order(mesh, routed, default_first):
    routed(ab_rules(default_first))     # the header rule is more specific: it wins even when listed second
    mesh.populate(HOST, USERS)
    assert mesh.send(HOST, 1000) == {200: 1000}
    counts = mesh.counts(HOST)
    assert counts["by_workload"] == {"podinfo": 200, "podinfo-primary": 800}
    assert counts["by_class"]["plain"]["by_workload"] == {"podinfo-primary": 800}


def test_session_affinity_with_a_backend_response_header_modifier(mesh, routed):
    routed(affinity_rules(10))
    mesh.populate(HOST, {"plain": 100})
    mesh.send(HOST, 100)
    mesh.send(HOST, 100)
    counts = mesh.counts(HOST)
    assert counts["users"]["cookies"] == {"flagger-cookie": 19}
    assert counts["by_workload"] == {"podinfo-primary": 90 + 81, "podinfo": 10 + 19}
    assert counts["users"]["switched"] == 0


MIRROR_PERCENTAGES = [({}, 20), ({"percent": 50}, 10), ({"fraction": {"numerator": 1, "denominator": 4}}, 5),
                      ({"fraction": {"numerator": 30}}, 6)]


@pytest.mark.parametrize("percentage, mirrored", MIRROR_PERCENTAGES)
def test_request_mirror_filter(mesh, routed, percentage, mirrored):
    routed(mirror_rules(**percentage), canary_error_rate=1.0)
    assert mesh.send(HOST, 20) == {200: 20}
    counts = mesh.counts(HOST)
    assert counts["mirror"] == {"total": mirrored, "failed": mirrored, "by_workload": {"podinfo": mirrored} if mirrored else {},
                                "failed_by_workload": {"podinfo": mirrored} if mirrored else {}}
    assert counts["failed"] == 0
    text = mesh.metrics_text()
    assert metric_total(text, reporter="destination", destination_workload="podinfo") == mirrored
    assert metric_total(text, reporter="source", destination_workload="podinfo") == 0


@pytest.mark.parametrize("path, expected", [("/", "podinfo-primary"), ("/api", "podinfo"), ("/api/v1", "podinfo"),
                                            ("/apis", "podinfo-primary"), ("/exact", "podinfo")])
def test_path_matches_whole_segments_and_exact_first(path, expected):
    rules = [{"backendRefs": [backend("podinfo-primary", 1)]},
             {"matches": [{"path": {"type": "PathPrefix", "value": "/api/"}}, {"path": {"type": "Exact", "value": "/exact"}}],
              "backendRefs": [backend("podinfo-canary", 1)]}]
    mesh = static_mesh([http_route(rules)])
    mesh.populate(HOST, {"visitor": 1}, path=path)
    mesh.send(HOST, 2)
    assert mesh.counts(HOST)["by_workload"] == {expected: 2}
