"""Header and cookie matches as Istio/Envoy resolve them, with Flagger's VirtualService shapes (pkg/router/istio.go), read
from the API emulator over HTTP: A/B testing (header + cookie match), Blue/Green (0/100 routes), and the per-class
counts a test asserts on ("non-matching users never reached the canary")."""

import pytest
import requests

from tests.sandbox.fixtures_api import wait_for
from tests.sandbox.fixtures_strategies import (
    CANARY_COOKIE_REGEX, HOST, NS, USERS, destination, replace_routes, static_mesh, virtual_service)
from tests.sandbox.mesh_matching import plain_request, string_matches


def ab_routes(header="x-canary", cookie_regex=CANARY_COOKIE_REGEX):
    """Flagger's A/B routes during the analysis (SetRoutes(0, 100)): the analysis' matches to the canary, everyone else
    to the primary, whose lone destination keeps the primary weight 0 (istiod gives a lone destination everything)."""
    return [{"match": [{"headers": {header: {"exact": "insider"}}}, {"headers": {"cookie": {"regex": cookie_regex}}}],
             "route": [destination("podinfo-primary", 0), destination("podinfo-canary", 100)]},
            {"route": [destination("podinfo-primary", 0)]}]


def weighted_routes(primary, canary):
    return [{"route": [destination("podinfo-primary", primary), destination("podinfo-canary", canary)]}]


def test_ab_header_and_cookie_users_reach_the_canary_and_nobody_else(mesh, istio_cluster):
    istio_cluster(ab_routes())
    mesh.populate(HOST, USERS)
    assert mesh.send(HOST, 1000) == {200: 1000}
    counts = mesh.counts(HOST)
    assert counts["by_workload"] == {"podinfo": 200, "podinfo-primary": 800}
    assert counts["by_class"]["insider"]["by_workload"] == {"podinfo": 100}
    assert counts["by_class"]["tester"]["by_workload"] == {"podinfo": 100}
    assert counts["by_class"]["plain"]["by_workload"] == {"podinfo-primary": 800}, "non-matching users never reach the canary"
    # Distinct users: every insider and tester reached the canary, no plain user did.
    users = counts["users"]
    assert users["seen"] == 100 and users["switched"] == 0
    assert users["by_class"]["plain"]["by_workload"] == {"podinfo-primary": 80}
    assert users["by_class"]["insider"]["by_workload"] == {"podinfo": 10}
    assert users["cookies"] == {"canary": 10}


@pytest.mark.parametrize("users", [
    {"outsider": {"count": 1, "headers": {"x-canary": "outsider"}}},            # exact: another value
    {"prefixed": {"count": 1, "headers": {"x-canary": "insider-not"}}},         # exact is not a prefix match
    {"other-cookie": {"count": 1, "cookies": {"xcanary": "always"}}},            # the regex must match the whole name
    {"never": {"count": 1, "cookies": {"canary": "never"}}},
    {"second-cookie": {"count": 1, "cookies": {"session": "1", "canary": "always"}}},  # "; canary=always": Flagger's
    # regex expects no space after ";", so a browser's second cookie does not match (as in Envoy)
])
def test_ab_non_matching_users_stay_on_the_primary(users):
    mesh = static_mesh([virtual_service(ab_routes())])
    mesh.populate(HOST, users)
    mesh.send(HOST, 20)
    assert mesh.counts(HOST)["by_workload"] == {"podinfo-primary": 20}


def test_header_names_match_case_insensitively(mesh, istio_cluster):
    istio_cluster(ab_routes(header="X-Canary"))   # Envoy lower-cases header names; Flagger writes "Cookie" too
    mesh.populate(HOST, {"insider": {"count": 1, "headers": {"X-CANARY": "insider"}}})
    mesh.send(HOST, 5)
    assert mesh.counts(HOST)["by_workload"] == {"podinfo": 5}


def test_blue_green_no_user_reaches_the_canary_until_the_switch(mesh, istio_cluster):
    emulator = istio_cluster(weighted_routes(100, 0))
    mesh.populate(HOST, USERS)
    mesh.send(HOST, 500)
    assert mesh.counts(HOST)["by_workload"] == {"podinfo-primary": 500}
    replace_routes(emulator.url, weighted_routes(0, 100))
    mesh.reset(HOST)
    mesh.send(HOST, 500)
    counts = mesh.counts(HOST)
    assert counts["by_workload"] == {"podinfo": 500}
    assert counts["users"]["switched"] == 0, "the reset started a new window"


def test_uri_method_and_prefix_matches():
    http = [{"match": [{"uri": {"prefix": "/api"}, "method": {"exact": "POST"}}], "route": [destination("podinfo-canary", 100)]},
            {"match": [{"headers": {"x-canary": {"prefix": "ins"}}}], "route": [destination("podinfo-canary", 100)]},
            {"match": [{"withoutHeaders": {"x-block": {}}}], "route": [destination("podinfo-primary", 100)]}]
    mesh = static_mesh([virtual_service(http)])
    mesh.populate(HOST, {"writer": 1}, path="/api/items", method="POST")
    mesh.send(HOST, 3)
    assert mesh.counts(HOST)["by_workload"] == {"podinfo": 3}
    mesh.reset()
    mesh.populate(HOST, {"reader": 1}, path="/api/items")
    mesh.send(HOST, 3)
    assert mesh.counts(HOST)["by_workload"] == {"podinfo-primary": 3}
    mesh.reset()
    mesh.populate(HOST, {"insider": {"count": 1, "headers": {"x-canary": "insiders"}}})
    mesh.send(HOST, 3)
    assert mesh.counts(HOST)["by_workload"] == {"podinfo": 3}
    mesh.reset()
    mesh.populate(HOST, {"blocked": {"count": 1, "headers": {"x-block": "yes"}}})
    assert mesh.send(HOST, 3) == {404: 3}, "no route matches: Envoy's 404"


@pytest.mark.parametrize("matcher, value, expected", [
    (("regex", ".*insider.*"), "an insider here", True),
    (("regex", "insider"), "an insider", False),                 # RE2 full match, not search
    (("regex", CANARY_COOKIE_REGEX), "canary=always", True),
    (("regex", CANARY_COOKIE_REGEX), "a=1;canary=always;b=2", True),
    (("regex", ".*flagger-cookie.*LpsIaLdoNZ.*"), "x=1; flagger-cookie=LpsIaLdoNZ", True),
    (("prefix", "ins"), "insider", True),
    (("exact", "insider"), None, False),                          # an absent header matches nothing
    (("present", None), "", True),
])
def test_string_match_semantics(matcher, value, expected):
    assert string_matches(matcher, value) is expected


def test_the_control_api_takes_users_per_target(mesh, istio_cluster):
    istio_cluster(ab_routes())
    body = {"host": HOST, "rps": 50, "users": USERS}
    added = requests.post(mesh.url + "/targets", json=body, timeout=5)
    assert added.status_code == 200, added.text
    assert added.json() == [{"host": HOST, "namespace": NS, "rps": 50.0,
                             "users": {name: dict({"headers": {}, "cookies": {}}, **spec) for name, spec in USERS.items()}}]

    # The steady traffic comes from those users.
    def counted():
        counts = requests.get(mesh.url + "/counts", params={"host": HOST}, timeout=5).json()
        return counts if counts["total"] >= 100 else None

    counts = wait_for(counted, what="steady traffic from the users")
    assert set(counts["by_class"]) == {"insider", "tester", "plain"}
    assert counts["by_class"]["insider"]["by_workload"] == {"podinfo": counts["by_class"]["insider"]["total"]}
    assert set(counts["by_class"]["plain"]["by_workload"]) == {"podinfo-primary"}
    bad = requests.post(mesh.url + "/targets", json={"host": HOST, "users": {"x": {"count": 0}}}, timeout=5)
    assert bad.status_code == 400 and "count must be an integer >= 1" in bad.json()["error"]
    mesh.remove_target(HOST)


def test_a_plain_request_default_is_unchanged():
    request = plain_request("podinfo.test")
    assert (request.method, request.path, request.headers) == ("GET", "/", {})


def test_a_stale_proxy_applies_the_old_matches_to_a_users_request(mesh, istio_cluster):
    emulator = istio_cluster(ab_routes())
    mesh.simulate_proxies(3.0, 1.0)
    mesh.populate(HOST, {"insider": {"count": 2, "headers": {"x-canary": "insider"}}})
    mesh.send(HOST, 4)
    replace_routes(emulator.url, weighted_routes(100, 0))     # the A/B test ends: everyone back to the primary
    mesh.send(HOST, 8)          # read at once, but no proxy has it yet: each routes the insiders by the old matches
    assert mesh.counts(HOST)["by_class"]["insider"]["by_workload"] == {"podinfo": 12}

    def all_proxies_updated():
        mesh.reset(HOST)
        mesh.send(HOST, 8)
        return mesh.counts(HOST)["by_workload"] == {"podinfo-primary": 8}
    wait_for(all_proxies_updated, what="every proxy routing by the new routes")
