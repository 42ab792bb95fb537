"""The strategies with traffic running: canary_advance's steps, then canary_promote or canary_rollback, against the
sandbox over HTTP while the mesh simulator's users (headers, cookie jars) send requests; the counts say who reached
which workload. A healthy canary is promoted and a bad one (half of its answers 500) rolled back, and in both: no
request to the primary fails; A/B: users without the header or cookie never reach the canary; session affinity: no
cookie holder switches version and the cookie is gone after the promotion; mirroring: the canary's (failing) answers
to the copies never reach a user. The rollback is decided by a check that fails (an unreachable Prometheus); the
end-to-end tests decide it from the canary's real metrics."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.run_lease import LeaseRequest, acquire
from ansible_collections.progressive.canary.plugins.module_utils.phases.advance import advance
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import SERVICE, VIRTUAL_SERVICE
from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.routers.gateway_api import HTTP_ROUTE
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, kube_api, load_podinfo, user_view  # noqa: F401  pylint: disable=unused-import
from tests.sandbox.fixtures_mesh import wait_ready
from tests.integration.release_scenario import get, promote, rollback, set_template
from tests.integration.test_advance_step import HOLDER, params

pytestmark = pytest.mark.needs_crds
HOST = "podinfo.%s" % NAMESPACE
SANDBOX = "sandbox.progressive.canary/"
AB_USERS = {"insider": {"count": 10, "headers": {"x-canary": "insider"}},
            "tester": {"count": 10, "cookies": {"canary": "always"}},
            "plain": {"count": 80}}
INSIDERS = [{"headers": {"x-canary": {"exact": "insider"}}}, {"headers": {"cookie": {"regex": "^(.*?;)?(canary=always)(;.*)?$"}}}]
APEX_BEFORE = {}     # the apex Service as loaded, before init (set by _release)
FAILING = dict(checks=[{"name": "errors", "query": "sum(up)", "threshold_range": {"max": 1}}],
               prometheus={"url": "http://127.0.0.1:9", "timeout": 1})


def _release(emulator, api, mesh, users, bad, provider="istio"):
    """podinfo initialized with ``users`` sending steady traffic, a new revision (a bad one: 50 % of 500s) applied,
    the run's lease taken."""
    load_podinfo(emulator)
    APEX_BEFORE.clear()
    APEX_BEFORE.update(user_view(get(api, SERVICE, "podinfo")))
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    service = PODINFO_SERVICE if provider == "istio" else {"port": 9898, "port_name": "http"}
    assert run_init(api, InitRequest("podinfo", NAMESPACE, service, hpa="podinfo", ready_timeout=60, provider=provider))["phase"] == "Initialized"
    mesh.add_target(HOST, namespace=NAMESPACE, users=users)
    set_template(api, annotations={SANDBOX + "error-rate": "0.5"} if bad else None)
    acquire(api, LeaseRequest(CanaryNames("podinfo", NAMESPACE), HOLDER, 300, operation="rollout"))
    mesh.reset(HOST)


def _steps(api, mesh, options, bad, provider="istio"):
    """canary_advance's steps until promote or rollback, 100 requests (one per user) after each; the last result."""
    run = {}
    while True:
        step = advance(api, params(run=run, provider=provider, **dict(options, **(FAILING if bad and run else {}))))
        mesh.send(HOST, 100, namespace=NAMESPACE)
        if step["next_action"] in ("promote", "rollback"):
            return step
        run = step["run"]


def _end(api, mesh, bad, provider="istio"):
    """Promote or roll back, 100 requests, then cleanup (the apex Service exactly as before, no routing object left,
    every request answered by the target again); the counts from the release's start to before the cleanup."""
    (rollback if bad else promote)(api, ready_timeout=60, lease_holder=HOLDER, provider=provider)
    mesh.send(HOST, 100, namespace=NAMESPACE)
    counts = mesh.counts(HOST)
    run_cleanup(api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60, lease_holder=HOLDER, provider=provider))
    assert user_view(get(api, SERVICE, "podinfo")) == APEX_BEFORE, "the apex Service as the user wrote it"
    kind = HTTP_ROUTE if provider == "gatewayapi" else VIRTUAL_SERVICE
    assert api.list(kind[0], kind[1], NAMESPACE) == [], "no routing object left"
    mesh.stop_traffic()
    mesh.reset(HOST)
    mesh.send(HOST, 100, namespace=NAMESPACE)
    after_cleanup = mesh.counts(HOST)
    assert after_cleanup["by_workload"] == {"podinfo": 100} and after_cleanup["failed"] == (after_cleanup["failed_by_workload"].get("podinfo", 0)), \
        after_cleanup
    return counts


def _primary_failures(counts):
    return counts["failed_by_workload"].get("podinfo-primary", 0)


@pytest.mark.parametrize("provider, bad", [("istio", False), ("istio", True), ("gatewayapi", False)],
                         ids=["healthy-promoted", "bad-rolled-back", "gatewayapi-healthy-promoted"])
def test_ab_testing_only_matching_users_reach_the_canary(emulator, kube_api, mesh, provider, bad):  # noqa: F811
    _release(emulator, kube_api, mesh, AB_USERS, bad, provider)
    last = _steps(kube_api, mesh, dict(weights=[], iterations=2, match=INSIDERS), bad, provider)
    assert last["next_action"] == ("rollback" if bad else "promote"), last
    during = mesh.counts(HOST)
    assert set(during["by_class"]["plain"]["by_workload"]) == {"podinfo-primary"}, "no plain user reached the canary"
    for matching in ("insider", "tester"):   # on the primary only before the test started
        assert during["by_class"][matching]["by_workload"].get("podinfo", 0) >= 20, during["by_class"][matching]
    assert during["users"]["by_class"]["plain"]["by_workload"] == {"podinfo-primary": 80}
    after = _end(kube_api, mesh, bad, provider)
    assert _primary_failures(after) == 0 and after["by_class"]["plain"]["failed"] == 0, after
    assert (after["failed_by_workload"].get("podinfo", 0) > 0) is bad, "only the bad canary fails, and only its insiders"


@pytest.mark.parametrize("bad", [False, True], ids=["healthy-promoted", "bad-rolled-back"])
def test_session_affinity_keeps_each_user_on_one_version_and_drops_the_cookie(emulator, kube_api, mesh, bad):  # noqa: F811
    _release(emulator, kube_api, mesh, {"plain": {"count": 100}}, bad)
    last = _steps(kube_api, mesh, dict(weights=[20, 50], session_affinity={"cookie_name": "flagger-cookie", "max_age": 3600}), bad)
    during = mesh.counts(HOST)
    assert during["users"]["cookies"].get("flagger-cookie", 0) >= 20, "the users who reached the canary hold its cookie"
    assert during["users"]["switched"] == 0, "no cookie holder was served another version"
    assert last["next_action"] == ("rollback" if bad else "promote")
    after = _end(kube_api, mesh, bad)
    assert after["users"]["cookies"].get("flagger-cookie", 0) == 0, "the cookie is dropped after the %s" % ("rollback" if bad else "promotion")
    assert _primary_failures(after) == 0, after
    if not bad:
        assert after["users"]["switched"] == 0, "the promoted primary runs the canary's version: nobody switched"


@pytest.mark.parametrize("provider, bad", [("istio", False), ("istio", True), ("gatewayapi", True)],
                         ids=["healthy-promoted", "bad-rolled-back", "gatewayapi-bad-rolled-back"])
def test_blue_green_mirroring_copies_never_reach_a_user(emulator, kube_api, mesh, provider, bad):  # noqa: F811
    _release(emulator, kube_api, mesh, {"plain": {"count": 100}}, bad, provider)
    last = _steps(kube_api, mesh, dict(weights=[], iterations=2, mirror=True), bad, provider)
    during = mesh.counts(HOST)
    assert set(during["by_workload"]) == {"podinfo-primary"} and during["failed"] == 0, "no user on the canary before the switch"
    assert during["mirror"]["by_workload"].get("podinfo", 0) >= 100, "the canary got copies of the users' requests"
    assert (during["mirror"]["failed"] > 0) is bad, "the bad canary failed copies nobody received"
    assert last["next_action"] == ("rollback" if bad else "promote")
    after = _end(kube_api, mesh, bad, provider)
    assert _primary_failures(after) == 0 and after["failed"] == 0, after
