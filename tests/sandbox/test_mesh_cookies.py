"""Session affinity as Flagger writes it (pkg/router/istio.go getSessionAffinityRouteRules): a ``Set-Cookie`` response
header on the canary destination of the weighted route, a cookie-regex route sending the cookie's holders to the
canary, and on promotion/rollback the same route deleting the cookie (``Max-Age=-1``). The users' jars keep what the
responses set and send it back, as a browser does."""

import pytest
import requests

from tests.sandbox.fixtures_strategies import CANARY_IMAGE, HOST, destination, replace_routes
from tests.sandbox.mesh_users import CookieJar, parse_set_cookie

COOKIE = "flagger-cookie=LpsIaLdoNZ"
STICKY_MATCH = [{"headers": {"Cookie": {"regex": ".*flagger-cookie.*LpsIaLdoNZ.*"}}}]
PLAIN_USERS = {"plain": {"count": 100}}


def affinity_routes(canary_weight, max_age=21600):
    """Flagger's routes at a canary step: the sticky canary route, then the weighted route whose canary destination
    sets the cookie."""
    canary = dict(destination("podinfo-canary", canary_weight),
                  headers={"response": {"add": {"Set-Cookie": "%s; Max-Age=%d" % (COOKIE, max_age)}}})
    return [{"match": STICKY_MATCH, "route": [destination("podinfo-primary", 0), destination("podinfo-canary", 100)]},
            {"route": [destination("podinfo-primary", 100 - canary_weight), canary]}]


def finished_routes():
    """Flagger's routes once the canary weight is back to 0 (promoted or rolled back): the previous cookie's holders
    go to the primary and are told to delete the cookie."""
    weighted = [destination("podinfo-primary", 100), destination("podinfo-canary", 0)]
    return [{"match": STICKY_MATCH, "headers": {"response": {"add": {"Set-Cookie": COOKIE + "; Max-Age=-1"}}},
             "route": weighted},
            {"route": weighted}]


def test_a_user_sent_to_the_canary_keeps_reaching_it(mesh, istio_cluster):
    istio_cluster(affinity_routes(10))
    mesh.populate(HOST, PLAIN_USERS)
    mesh.send(HOST, 100)            # one request per user: the weighted route sends 10 users to the canary
    counts = mesh.counts(HOST)
    assert counts["by_workload"] == {"podinfo-primary": 90, "podinfo": 10}
    assert counts["users"]["cookies"] == {"flagger-cookie": 10}
    mesh.send(HOST, 100)            # those 10 stick (cookie route); 10 % of the 90 others reach the canary by weight
    counts = mesh.counts(HOST)
    assert counts["by_workload"] == {"podinfo-primary": 90 + 81, "podinfo": 10 + 19}
    assert counts["users"]["cookies"] == {"flagger-cookie": 19}
    assert counts["users"]["switched"] == 0, "no cookie holder went back to the primary"
    assert counts["users"]["switched_any"] == 9, "plain users without a cookie may move to the canary by weight"


def test_dropping_the_sticky_route_mid_release_is_counted_as_switches(mesh, istio_cluster):
    emulator = istio_cluster(affinity_routes(10))
    mesh.populate(HOST, PLAIN_USERS)
    mesh.send(HOST, 100)
    replace_routes(emulator.url, [{"route": [destination("podinfo-primary", 100), destination("podinfo-canary", 0)]}])
    mesh.send(HOST, 100)
    users = mesh.counts(HOST)["users"]
    assert users["switched"] == 10, "the 10 cookie holders were sent back to the old version"
    assert len(users["switched_users"]) == 10 and all(user.startswith("plain-") for user in users["switched_users"])


def promote_primary(api_url):
    """What Flagger's promotion does to the primary: the canary's pod template (here: its image)."""
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": CANARY_IMAGE}]}}}}
    response = requests.patch(api_url + "/apis/apps/v1/namespaces/test/deployments/podinfo-primary", json=patch,
                              headers={"Content-Type": "application/strategic-merge-patch+json"}, timeout=10)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("promoted", [True, False])
def test_promotion_or_rollback_deletes_the_cookie(mesh, istio_cluster, promoted):
    emulator = istio_cluster(affinity_routes(50))
    mesh.populate(HOST, PLAIN_USERS)
    mesh.send(HOST, 100)
    assert mesh.counts(HOST)["users"]["cookies"] == {"flagger-cookie": 50}
    if promoted:
        promote_primary(emulator.url)
    replace_routes(emulator.url, finished_routes())
    mesh.send(HOST, 100)
    counts = mesh.counts(HOST)
    assert counts["users"]["cookies"] == {}, "Max-Age=-1 deleted every user's cookie"
    assert counts["by_workload"] == {"podinfo-primary": 50 + 100, "podinfo": 50}
    # Promoted: the primary now runs the canary's version, nobody switched; rolled back: the canary's users did.
    assert counts["users"]["switched"] == (0 if promoted else 50)


def test_max_age_expires_in_the_mesh_clock(mesh, istio_cluster):
    istio_cluster(affinity_routes(100, max_age=60))
    now = [1000.0]
    mesh.clock = lambda: now[0]
    mesh.populate(HOST, {"plain": 1})
    mesh.send(HOST, 1)
    assert mesh.counts(HOST)["users"]["cookies"] == {"flagger-cookie": 1}
    now[0] += 59
    assert mesh.counts(HOST)["users"]["cookies"] == {"flagger-cookie": 1}
    now[0] += 1
    assert mesh.counts(HOST)["users"]["cookies"] == {}


def test_counts_over_http_show_the_users(mesh, istio_cluster):
    istio_cluster(affinity_routes(10))
    mesh.populate(HOST, PLAIN_USERS)
    mesh.send(HOST, 100)
    counts = requests.get(mesh.url + "/counts", params={"host": HOST}, timeout=5).json()
    assert counts["users"]["seen"] == 100 and counts["users"]["cookies"] == {"flagger-cookie": 10}
    assert counts["by_class"]["plain"]["by_workload"] == {"podinfo-primary": 90, "podinfo": 10}


@pytest.mark.parametrize("header, expected", [
    ("flagger-cookie=LpsIaLdoNZ; Max-Age=21600", ("flagger-cookie", "LpsIaLdoNZ", {"max-age": "21600"})),
    ("a=b; Path=/api; HttpOnly; SameSite=Strict", ("a", "b", {"path": "/api", "httponly": "", "samesite": "Strict"})),
    ("novalue", None),
])
def test_set_cookie_parsing(header, expected):
    assert parse_set_cookie(header) == expected


def test_jar_order_paths_and_replacement():
    jar = CookieJar({"canary": "always"})
    jar.receive("flagger-cookie=A; Max-Age=10", now=0.0)
    jar.receive("api=1; Path=/api", now=0.0)
    assert jar.header(0.0, "/") == "canary=always; flagger-cookie=A"
    assert jar.header(0.0, "/api/x") == "api=1; canary=always; flagger-cookie=A", "longer paths first"
    assert jar.header(0.0, "/apix") == "canary=always; flagger-cookie=A"
    jar.receive("canary=never", now=0.0)
    assert jar.header(0.0, "/") == "canary=never; flagger-cookie=A", "a replaced cookie keeps its place"
    assert jar.header(10.0, "/") == "canary=never", "Max-Age=10 expired"


def test_with_pods_as_endpoints_a_rolling_primary_serves_its_old_pods_version(mesh, istio_cluster):
    # Routing cookie holders back to a primary whose new pods are not ready yet sends them to the old version.
    emulator = istio_cluster(affinity_routes(50))
    mesh.simulate_proxies(0.0)          # no delay, but pods as endpoints: each pod's own template is its version
    mesh.populate(HOST, PLAIN_USERS)
    mesh.send(HOST, 100)
    patch = {"spec": {"template": {"metadata": {"annotations": {"sandbox.progressive.canary/ready-seconds": "30"}},
                                   "spec": {"containers": [{"name": "app", "image": CANARY_IMAGE}]}}}}
    response = requests.patch(emulator.url + "/apis/apps/v1/namespaces/test/deployments/podinfo-primary", json=patch,
                              headers={"Content-Type": "application/strategic-merge-patch+json"}, timeout=10)
    assert response.status_code == 200, response.text
    replace_routes(emulator.url, finished_routes())
    mesh.send(HOST, 100)
    counts = mesh.counts(HOST)
    assert counts["by_workload"] == {"podinfo-primary": 150, "podinfo": 50}
    assert counts["users"]["switched"] == 50, "the old pods still serve the old version"


def test_a_primary_cookie_keeps_primary_users_there_until_it_expires(mesh, istio_cluster):
    # Flagger with sessionAffinity.primaryCookieName: the primary destination sets a cookie living one analysis
    # interval (60 s here) and a second sticky route keeps its holders on the primary.
    primary_cookie = "primary-flagger-cookie=ApvLdqCoMF"
    routes = affinity_routes(10)
    routes[1]["route"][0]["headers"] = {"response": {"add": {"Set-Cookie": primary_cookie + "; Max-Age=60"}}}
    routes.insert(1, {"match": [{"headers": {"Cookie": {"regex": ".*primary-flagger-cookie.*ApvLdqCoMF.*"}}}],
                      "route": [destination("podinfo-primary", 100), destination("podinfo-canary", 0)]})
    istio_cluster(routes)
    now = [0.0]
    mesh.clock = lambda: now[0]
    mesh.populate(HOST, PLAIN_USERS)
    mesh.send(HOST, 200)            # every user got a cookie on its first request and kept its version since
    counts = mesh.counts(HOST)
    assert counts["users"]["cookies"] == {"primary-flagger-cookie": 90, "flagger-cookie": 10}
    assert counts["by_workload"] == {"podinfo-primary": 180, "podinfo": 20}
    assert counts["users"]["switched_any"] == 0
    now[0] = 60.0                   # the next interval: the primary cookie expired, its users are weighted again
    mesh.send(HOST, 100)
    counts = mesh.counts(HOST)
    assert counts["users"]["cookies"] == {"primary-flagger-cookie": 81, "flagger-cookie": 19}
    assert counts["users"]["switched"] == 0 and counts["users"]["switched_any"] == 9
