"""The router contract (plugins/module_utils/routers/base.py): every router the factory lists passes it, so a new provider
is accepted by passing it. Against the sandbox over HTTP: reconcile creates when the user has nothing and adopts a user's
object; set/get routes round-trip the weights; finalize gives the user's object back exactly (or deletes what was
created) and removals delete the generated objects; refusals come before the first write (the emulator's request log
counts 0 writes). The apex / -primary / -canary Services router (Flagger's KubernetesRouter) has its own contract below.

A new provider adds its entry to USER_OBJECTS: a user's object it adopts, and what of it adoption must keep."""
import copy
import json

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import (
    SERVICE, TARGET_ANNOTATION, CanaryNames, is_managed)
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import connect
from ansible_collections.progressive.canary.plugins.module_utils.routers import factory
from ansible_collections.progressive.canary.plugins.module_utils.routers.strategy import RouteShape
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, reset_request_log, writes
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.sandbox.apiserver import Emulator

pytestmark = [pytest.mark.needs_crds, pytest.mark.usefixtures("namespace")]
NAMES = CanaryNames("podinfo", NAMESPACE)
# expose: a provider that creates its route only when asked (openshift) is asked to; the others ignore it.
OPTIONS = dict(PODINFO_SERVICE, target_port=None, headers=None, timeout=None, cors_policy=None, traffic_policy=None, expose=True)
WEIGHTS = [(80, 20), (50, 50), (0, 100), (100, 0)]


def _istio_user_object():
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": "podinfo", "namespace": NAMESPACE, "labels": {"team": "web"}},
            "spec": {"hosts": ["podinfo", "app.example.com"], "gateways": ["mesh"], "http": [
                {"name": "admin", "match": [{"uri": {"prefix": "/admin"}}], "route": [{"destination": {"host": "admin"}}]},
                {"name": "main", "route": [{"destination": {"host": "podinfo", "port": {"number": 9898}}}]}]}}


def _istio_kept(user, live):
    """Adoption touches the route to the apex only: hosts, gateways, the other routes and the route's name stay."""
    spec = live["spec"]
    return (spec["hosts"] == user["spec"]["hosts"] and spec["gateways"] == user["spec"]["gateways"]
            and spec["http"][0] == user["spec"]["http"][0] and spec["http"][1]["name"] == "main")


def _openshift_user_object():
    """A Route to the apex with the fields adoption must keep: host, path, port, edge TLS (with a private key, which the
    state never records), annotations and another alternate backend."""
    return {"apiVersion": "route.openshift.io/v1", "kind": "Route",
            "metadata": {"name": "podinfo-web", "namespace": NAMESPACE, "labels": {"team": "web"},
                         "annotations": {"haproxy.router.openshift.io/timeout": "30s"}},
            "spec": {"host": "podinfo.apps.example.com", "path": "/", "port": {"targetPort": "http"},
                     "to": {"kind": "Service", "name": "podinfo", "weight": 100},
                     "alternateBackends": [{"kind": "Service", "name": "podinfo-legacy", "weight": 25}],
                     "tls": {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect",
                             "key": "-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----"}}}


def _openshift_kept(user, live):
    """Adoption changes spec.to and adds the canary's alternate backend: everything else, the user's other backend first,
    stays."""
    spec, users = live["spec"], user["spec"]
    unchanged = dict((key, value) for key, value in users.items() if key not in ("to", "alternateBackends"))
    return (dict((key, value) for key, value in spec.items() if key in unchanged) == unchanged
            and spec["alternateBackends"][0] == users["alternateBackends"][0]
            and live["metadata"]["annotations"] == user["metadata"]["annotations"])


# provider -> (a user's object the router adopts, what adoption keeps of it)
def _gatewayapi_user_object():
    """A user's mesh (GAMMA) HTTPRoute on the apex Service, named like it."""
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "podinfo", "namespace": NAMESPACE, "labels": {"team": "web"}},
            "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "podinfo"}], "rules": [
                {"matches": [{"path": {"type": "PathPrefix", "value": "/admin"}}], "backendRefs": [{"name": "admin", "port": 80}]},
                {"timeouts": {"request": "10s"}, "backendRefs": [{"name": "podinfo", "port": 9898}]}]}}


def _gatewayapi_kept(user, live):
    """Adoption touches the rule to the apex only: parentRefs, the other rules and the rule's timeouts stay."""
    spec = live["spec"]
    return (spec["parentRefs"] == user["spec"]["parentRefs"] and spec["rules"][0] == user["spec"]["rules"][0]
            and spec["rules"][1]["timeouts"] == {"request": "10s"})


# provider -> (a user's object the router adopts, what adoption keeps of it)
USER_OBJECTS = {"istio": (_istio_user_object, _istio_kept), "gatewayapi": (_gatewayapi_user_object, _gatewayapi_kept),
                "openshift": (_openshift_user_object, _openshift_kept)}


@pytest.fixture
def namespace(kube_api):  # noqa: F811
    """Namespace test, empty (the API server refuses objects in a namespace that does not exist)."""
    kube_api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    return NAMESPACE


@pytest.fixture(params=sorted(factory.PROVIDERS))
def router(request):
    assert request.param in USER_OBJECTS, "add a user's object for provider %s to USER_OBJECTS" % request.param
    return factory.router_for(request.param)


def run(steps):
    for step in steps:
        step.execute(None)
    return len(steps)


def spec_text(obj):
    """The spec as exact text (keys sorted): 'exactly' means equal byte for byte."""
    return json.dumps(obj["spec"], sort_keys=True)


def reconciled(router, api, weights=(100, 0)):  # pylint: disable=redefined-outer-name
    """Read, record the originals, reconcile and run; returns the originals recorded before any change."""
    observed = router.read(api, NAMES, OPTIONS)
    original = router.original(observed)
    assert run(router.reconcile(observed, OPTIONS, weights, original)) > 0
    return original


def routed_objects(router, api):  # pylint: disable=redefined-outer-name
    return [obj for obj in router.route_objects(router.read_routes(api, NAMES)) if obj is not None]


def test_reconcile_creates_when_the_user_has_nothing(router, kube_api, emulator):  # noqa: F811
    original = reconciled(router, kube_api)
    assert all(value is None for value in original.values()), "nothing of the user's to record: %s" % original
    assert router.get_routes(router.read_routes(kube_api, NAMES)) == (100, 0)
    assert all(is_managed(obj, NAMES.target) for obj in routed_objects(router, kube_api)), "created objects are marked ours"
    reset_request_log(emulator)
    observed = router.read(kube_api, NAMES, OPTIONS)
    assert router.reconcile(observed, OPTIONS, (100, 0), router.original(observed)) == [], "a second reconcile plans nothing"
    assert writes(emulator) == []


def test_reconcile_adopts_a_users_object(router, kube_api, emulator):  # noqa: F811
    make_user_object, kept = USER_OBJECTS[router.PROVIDER]
    user = kube_api.create(make_user_object())
    original = reconciled(router, kube_api)
    assert any(value is not None for value in original.values()), "the user's object is recorded: %s" % original
    live = routed_objects(router, kube_api)
    assert [obj["metadata"]["name"] for obj in live] == [user["metadata"]["name"]]
    assert not is_managed(live[0]), "an adopted object stays the user's (not marked as generated)"
    assert kept(user, live[0]), "adoption changed more than the managed route: %s" % live[0]["spec"]
    assert router.get_routes(router.read_routes(kube_api, NAMES)) == (100, 0)
    observed = router.read(kube_api, NAMES, OPTIONS)
    assert router.reconcile(observed, OPTIONS, (100, 0), original) == [], "adoption is idempotent"


def test_set_and_get_routes_round_trip_the_weights(router, kube_api, emulator):  # noqa: F811
    reconciled(router, kube_api)
    for primary, canary in WEIGHTS:
        assert run(router.set_routes(router.read_routes(kube_api, NAMES), primary, canary)) > 0
        observed = router.read_routes(kube_api, NAMES)
        assert router.get_routes(observed) == (primary, canary)
        reset_request_log(emulator)
        assert router.set_routes(observed, primary, canary) == [], "weights already set: nothing planned"
        assert writes(emulator) == []


def test_finalize_gives_the_users_object_back_exactly(router, kube_api, emulator):  # noqa: F811
    make_user_object, _kept = USER_OBJECTS[router.PROVIDER]
    user = kube_api.create(make_user_object())
    original = reconciled(router, kube_api)
    run(router.set_routes(router.read_routes(kube_api, NAMES), 40, 60))
    observed = router.read(kube_api, NAMES)
    assert run(router.finalize(observed, original) + router.removals(observed)) > 0
    live = routed_objects(router, kube_api)
    assert [spec_text(obj) for obj in live] == [spec_text(user)], "the user's spec, byte for byte"
    assert live[0]["metadata"].get("labels") == user["metadata"].get("labels")
    observed = router.read(kube_api, NAMES)
    assert [key for key, obj in observed.live.items() if obj is not None and is_managed(obj)] == [], "generated objects deleted"
    reset_request_log(emulator)
    assert router.finalize(observed, original) + router.removals(observed) == [], "a second finalize plans nothing"
    assert writes(emulator) == []


def test_finalize_deletes_what_was_created(router, kube_api, emulator):  # noqa: F811
    original = reconciled(router, kube_api)
    run(router.set_routes(router.read_routes(kube_api, NAMES), 40, 60))
    observed = router.read(kube_api, NAMES)
    assert run(router.finalize(observed, original) + router.removals(observed)) > 0
    assert all(obj is None for obj in router.read(kube_api, NAMES).live.values()), "nothing of the canary's is left"


def test_a_name_held_by_another_canary_is_refused_before_any_write(router, kube_api, emulator):  # noqa: F811
    observed = router.read(kube_api, NAMES, OPTIONS)
    planned = router.reconcile(observed, OPTIONS, (100, 0), router.original(observed))
    for step in planned:
        body = copy.deepcopy(step.after)
        body["metadata"]["annotations"][TARGET_ANNOTATION] = "another-canary"
        kube_api.create(body)
    reset_request_log(emulator)
    observed = router.read(kube_api, NAMES, OPTIONS)
    with pytest.raises(Refusal, match="not created by progressive.canary for podinfo"):
        router.reconcile(observed, OPTIONS, (100, 0), router.original(observed))
    assert writes(emulator) == []


def test_kinds_not_served_are_refused_before_any_write(router, sandbox_home):
    with Emulator(crds=[]) as bare:
        api = connect({"kubeconfig": bare.write_kubeconfig(sandbox_home / "bare-kubeconfig")}, request_timeout=10)
        for read in (lambda: router.read(api, NAMES, OPTIONS), lambda: router.read_routes(api, NAMES)):
            with pytest.raises(Refusal, match="not installed"):
                read()
        # cleanup reads with missing_ok: nothing of the provider's to give back, nothing planned
        observed = router.read(api, NAMES, missing_ok=True)
        assert not observed.served and router.finalize(observed, {}) == [] and router.removals(observed) == []
        assert bare.request_log.writes() == []


# -- the Services (Flagger's KubernetesRouter) ----------------------------------------------------------------------
SERVICES = factory.service_router()
PRIMARY_SELECTOR = {"app": "podinfo-primary"}
CANARY_SELECTOR = {"app": "podinfo"}
USER_APEX = {"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": "podinfo", "namespace": NAMESPACE, "labels": {"team": "web"}, "annotations": {"note": "mine"}},
             "spec": {"type": "ClusterIP", "selector": {"app": "podinfo"}, "sessionAffinity": "ClientIP",
                      "ports": [{"name": "http", "port": 9898, "targetPort": 9898, "protocol": "TCP"},
                                {"name": "grpc", "port": 9999, "targetPort": 9999, "protocol": "TCP"}]}}


def _services(api):
    observed = SERVICES.read(api, NAMES)
    original = SERVICES.original(observed)
    run(SERVICES.reconcile(observed, OPTIONS, PRIMARY_SELECTOR, CANARY_SELECTOR) + SERVICES.repoint(observed, OPTIONS, PRIMARY_SELECTOR))
    return original


def _finalize_services(api, original):
    observed = SERVICES.read(api, NAMES)
    return SERVICES.finalize(observed, original, "app", "podinfo", "podinfo-primary") + SERVICES.removals(observed)


def test_services_created_when_the_user_has_no_apex_and_deleted_by_finalize(kube_api, emulator):  # noqa: F811
    assert _services(kube_api) == {"apex_service": None}
    observed = SERVICES.read(kube_api, NAMES)
    selectors = dict((name, observed.get(SERVICE, name)["spec"]["selector"]) for name in (NAMES.apex, NAMES.primary, NAMES.canary))
    assert selectors == {"podinfo": PRIMARY_SELECTOR, "podinfo-primary": PRIMARY_SELECTOR, "podinfo-canary": CANARY_SELECTOR}
    reset_request_log(emulator)
    assert SERVICES.reconcile(observed, OPTIONS, PRIMARY_SELECTOR, CANARY_SELECTOR) + SERVICES.repoint(observed, OPTIONS, PRIMARY_SELECTOR) == []
    assert writes(emulator) == []
    run(_finalize_services(kube_api, {"apex_service": None}))
    assert all(obj is None for obj in SERVICES.read(kube_api, NAMES).live.values())


def test_services_adopt_and_repoint_the_users_apex_then_restore_it_exactly(kube_api, emulator):  # noqa: F811
    user = kube_api.create(copy.deepcopy(USER_APEX))
    original = _services(kube_api)
    assert original["apex_service"]["spec"]["ports"] == user["spec"]["ports"]
    apex = SERVICES.apex(SERVICES.read(kube_api, NAMES))
    assert apex["spec"]["selector"] == PRIMARY_SELECTOR and apex["spec"]["ports"] == user["spec"]["ports"], "re-pointed, ports kept"
    assert not is_managed(apex), "the apex stays the user's"
    assert run(_finalize_services(kube_api, original)) == 3     # the apex restored, -primary and -canary deleted
    restored = SERVICES.apex(SERVICES.read(kube_api, NAMES))
    assert spec_text(restored) == spec_text(user), "the user's spec, byte for byte (clusterIP kept)"
    assert restored["metadata"]["labels"] == user["metadata"]["labels"]
    assert restored["metadata"]["annotations"] == user["metadata"]["annotations"]
    reset_request_log(emulator)
    assert _finalize_services(kube_api, original) == []
    assert writes(emulator) == []


def test_services_re_create_a_deleted_apex_as_recorded(kube_api, emulator):  # noqa: F811
    user = kube_api.create(copy.deepcopy(USER_APEX))
    original = _services(kube_api)
    kube_api.delete("v1", "Service", NAMESPACE, "podinfo")
    run(_finalize_services(kube_api, original))
    restored = SERVICES.apex(SERVICES.read(kube_api, NAMES))
    recorded_fields = dict((key, value) for key, value in restored["spec"].items() if key in original["apex_service"]["spec"])
    assert recorded_fields == dict((key, value) for key, value in user["spec"].items() if key in original["apex_service"]["spec"])


def test_services_refuse_a_name_held_by_something_else_before_any_write(kube_api, emulator):  # noqa: F811
    kube_api.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "podinfo-primary", "namespace": NAMESPACE},
                     "spec": {"selector": {"app": "other"}, "ports": [{"port": 80}]}})
    reset_request_log(emulator)
    observed = SERVICES.read(kube_api, NAMES)
    with pytest.raises(Refusal, match="Service test/podinfo-primary already exists and was not created by progressive.canary"):
        SERVICES.reconcile(observed, OPTIONS, PRIMARY_SELECTOR, CANARY_SELECTOR)
    assert writes(emulator) == []


# -- strategies (routers/strategy.py): a shape a router routes round-trips; one it cannot is refused before any read ------
SHAPES = {
    "match": RouteShape(match=[{"headers": {"x-canary": {"exact": "insider"}}}]),
    "mirror": RouteShape(mirror_weight=50),
    "session_affinity": RouteShape(cookie="flagger-cookie=rev2", max_age=60),
}


@pytest.mark.parametrize("shape_name", sorted(SHAPES))
def test_a_strategy_s_shape_is_routed_or_refused_and_the_plain_shape_gives_the_route_back(router, kube_api, emulator, shape_name):  # noqa: F811
    shape = SHAPES[shape_name]
    reconciled(router, kube_api)
    plain = spec_text(routed_objects(router, kube_api)[0])
    if shape_name not in router.SHAPES:
        with pytest.raises(Refusal, match="provider %s cannot route %s" % (router.PROVIDER, shape_name)):
            router.check_shape(shape)
        return
    router.check_shape(shape)
    assert run(router.set_routes(router.read_routes(kube_api, NAMES), 80, 20, shape)) > 0
    observed = router.read_routes(kube_api, NAMES)
    assert router.get_routes(observed) == (80, 20), "the weights are the managed route's, whatever the shape"
    reset_request_log(emulator)
    assert router.set_routes(observed, 80, 20, shape) == [], "the same shape again: nothing planned"
    assert run(router.set_routes(router.read_routes(kube_api, NAMES), 100, 0)) > 0
    back = routed_objects(router, kube_api)[0]
    if shape_name == "session_affinity":    # the holders are told to drop the cookie: the only route left
        assert [route.get("name") for route in (back["spec"].get("http") or back["spec"].get("rules"))][0] == "progressive-canary-cookie-expiry"
    else:
        assert spec_text(back) == plain, "a plain shape at 100/0 is the route as init made it"
