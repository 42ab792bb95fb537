"""Provider openshift (plugins/module_utils/routers/openshift_route.py) through the phases, against the sandbox over
HTTP: a user's Route to the apex is adopted, the release moves its weights while traffic runs through the Route's host
(the mesh resolves Routes as OpenShift's HAProxy router does) without a failed request, and cleanup gives the Route
back exactly. What the router must not do is refused before the first write (the emulator's request log: 0 writes)."""
import copy

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.phases.promote import PromoteRun
from ansible_collections.progressive.canary.plugins.module_utils.phases.release import ReleaseRequest, execute
from ansible_collections.progressive.canary.plugins.module_utils.phases.rollback import RollbackRun
from ansible_collections.progressive.canary.plugins.module_utils.phases.shift import ShiftRun
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.routers.openshift_route import ROUTE, OpenShiftRouter
from tests.integration.canary_scenario import NAMESPACE, load_podinfo, reset_request_log, run_playbook, user_view, writes
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.integration.release_scenario import Traffic, set_template
from tests.sandbox.fixtures_mesh import wait_ready

pytestmark = pytest.mark.needs_crds
NAMES = CanaryNames("podinfo", NAMESPACE)
HOST = "podinfo.apps.example.com"
SAMPLE = 100
OPENSHIFT = {"provider": "openshift"}


def user_route(alternates=(), annotations=None, name="podinfo-web", target_port=9898, to_weight=100):
    """The user's Route to the apex: edge TLS (with a private key), a port, annotations, maybe other backends."""
    spec = {"host": HOST, "to": {"kind": "Service", "name": "podinfo", "weight": to_weight}, "port": {"targetPort": target_port},
            "tls": {"termination": "edge", "key": "-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----"}}
    if alternates:
        spec["alternateBackends"] = [{"kind": "Service", "name": service, "weight": weight} for service, weight in alternates]
    return {"apiVersion": ROUTE[0], "kind": ROUTE[1],
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"team": "web"},
                         "annotations": dict({"haproxy.router.openshift.io/timeout": "30s"}, **(annotations or {}))},
            "spec": spec}


def get_route(api, name="podinfo-web"):
    return api.get(ROUTE[0], ROUTE[1], NAMESPACE, name)


def podinfo(emulator):
    load_podinfo(emulator)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)


# The service option as the openshift provider reads it (Istio's hosts, retries... are refused with it).
ROUTE_SERVICE = {"port": 9898, "port_name": "http"}


def init(api, service=None):
    return run_init(api, InitRequest("podinfo", NAMESPACE, service or ROUTE_SERVICE, hpa="podinfo", ready_timeout=60, **OPENSHIFT))


def cleanup(api):
    return run_cleanup(api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60, **OPENSHIFT))


def backends(api, name="podinfo-web"):
    spec = get_route(api, name)["spec"]
    return [(item["name"], item["weight"]) for item in [spec["to"]] + list(spec.get("alternateBackends") or [])]


def test_release_through_an_adopted_route_without_a_failed_request_then_the_route_back_exactly(emulator, kube_api, mesh):  # noqa: F811
    podinfo(emulator)
    user = kube_api.create(user_route())
    traffic = Traffic(mesh, HOST, namespace="clients", sample_size=SAMPLE)
    assert traffic.sample() == {"podinfo": SAMPLE}, "before init the Route sends to the apex, which selects the target"

    result = init(kube_api)
    assert result["changed"] and result["phase"] == "Initialized", result
    assert backends(kube_api) == [("podinfo-primary", 100), ("podinfo-canary", 0)]
    assert traffic.sample() == {"podinfo-primary": SAMPLE}
    reset_request_log(emulator)
    assert not init(kube_api)["changed"] and writes(emulator) == [], "a second init changes nothing"

    set_template(kube_api)
    for weight in (20, 40, 60):
        result = execute(kube_api, ReleaseRequest("podinfo", NAMESPACE, weight=weight, **OPENSHIFT), ShiftRun)
        assert result["changed"] and result["weight"] == weight, result
        assert backends(kube_api) == [("podinfo-primary", 100 - weight), ("podinfo-canary", weight)]
        assert traffic.sample() == {"podinfo-primary": SAMPLE - weight, "podinfo": weight}, "weight = percent: the split is exact"

    result = execute(kube_api, ReleaseRequest("podinfo", NAMESPACE, **OPENSHIFT), PromoteRun)
    assert result["phase"] == "Succeeded", result
    assert backends(kube_api) == [("podinfo-primary", 100), ("podinfo-canary", 0)]
    assert traffic.sample() == {"podinfo-primary": SAMPLE}

    result = cleanup(kube_api)
    assert "Route test/podinfo-web" in result["restored"], result
    live = get_route(kube_api)
    assert user_view(live) == user_view(user), "the Route back exactly: spec, labels, annotations"
    assert live["metadata"]["resourceVersion"] != user["metadata"]["resourceVersion"]
    by_workload = traffic.sample()
    assert by_workload == {"podinfo": SAMPLE}, "after cleanup the Route sends to the apex again, which selects the target"
    assert traffic.total_failed() == 0, "no request through the Route failed"


def test_the_users_other_backends_are_kept_through_a_rollback_and_restored(emulator, kube_api):  # noqa: F811
    podinfo(emulator)
    user = kube_api.create(user_route(alternates=[("legacy", 30), ("mirror", 0)]))
    init(kube_api)
    assert backends(kube_api) == [("podinfo-primary", 100), ("legacy", 30), ("mirror", 0), ("podinfo-canary", 0)]
    set_template(kube_api)
    execute(kube_api, ReleaseRequest("podinfo", NAMESPACE, weight=25, **OPENSHIFT), ShiftRun)
    assert backends(kube_api) == [("podinfo-primary", 75), ("legacy", 30), ("mirror", 0), ("podinfo-canary", 25)]
    result = execute(kube_api, ReleaseRequest("podinfo", NAMESPACE, **OPENSHIFT), RollbackRun)
    assert result["phase"] == "Failed", result
    assert backends(kube_api) == [("podinfo-primary", 100), ("legacy", 30), ("mirror", 0), ("podinfo-canary", 0)]
    cleanup(kube_api)
    assert user_view(get_route(kube_api)) == user_view(user)


def test_check_mode_writes_nothing_and_neither_the_state_nor_the_diff_holds_the_tls_key(emulator, kube_api):  # noqa: F811
    podinfo(emulator)
    kube_api.create(user_route())
    reset_request_log(emulator)
    request = InitRequest("podinfo", NAMESPACE, ROUTE_SERVICE, hpa="podinfo", ready_timeout=60, **OPENSHIFT)
    planned = run_init(kube_api, request, check_mode=True, want_diff=True)
    assert planned["changed"] and writes(emulator) == [], "check mode writes nothing"
    shown = str(planned.get("diff"))
    assert HOST in shown and "<redacted>" in shown and "not-a-real-key" not in shown, "the diff shows the Route, its TLS key redacted"
    init(kube_api)
    state = kube_api.get("v1", "ConfigMap", NAMESPACE, NAMES.state)
    text = str(state["data"])
    assert "podinfo-web" in text and "PRIVATE KEY" not in text and "not-a-real-key" not in text


def test_every_percent_round_trips_through_the_route_weights(emulator, kube_api):  # noqa: F811
    podinfo(emulator)
    kube_api.create(user_route())
    init(kube_api)
    router = OpenShiftRouter()
    for canary in range(0, 101):
        for step in router.set_routes(router.read_routes(kube_api, NAMES), 100 - canary, canary):
            step.execute(None)
        assert router.get_routes(router.read_routes(kube_api, NAMES)) == (100 - canary, canary)


@pytest.mark.parametrize("route, message", [
    (user_route(alternates=[("a", 10), ("b", 10), ("c", 10)]),
     "Route test/podinfo-web already has 3 alternate backends (a, b, c), the most a Route takes: there is no room for podinfo-canary"),
    (user_route(annotations={"haproxy.router.openshift.io/balance": "leastconn"}),
     "has annotation haproxy.router.openshift.io/balance: leastconn: HAProxy splits by the backends' weights only with roundrobin"),
    (user_route(alternates=[("legacy", 50)], to_weight=200),
     "sends to podinfo at weight 200 beside other backends"),
    (user_route(target_port="port-1"), "sends to port port-1, which podinfo-primary and podinfo-canary do not carry"),
], ids=["no-room", "balance", "to-weight", "port"])
def test_a_route_the_split_would_not_be_exact_on_is_refused_before_any_write(emulator, kube_api, route, message):  # noqa: F811
    podinfo(emulator)
    kube_api.create(copy.deepcopy(route))
    reset_request_log(emulator)
    with pytest.raises(Refusal, match="Nothing was changed") as refused:
        init(kube_api)
    assert message in str(refused.value)
    assert writes(emulator) == [], "refused before the first write"


def test_without_a_route_init_refuses_unless_expose_asks_for_one(emulator, kube_api):  # noqa: F811
    podinfo(emulator)
    reset_request_log(emulator)
    with pytest.raises(Refusal, match="no Route sends to Service test/podinfo.*service.expose: true"):
        init(kube_api)
    assert writes(emulator) == []

    result = init(kube_api, dict(ROUTE_SERVICE, expose=True))
    assert result["phase"] == "Initialized"
    assert backends(kube_api, "podinfo") == [("podinfo-primary", 100), ("podinfo-canary", 0)]
    assert get_route(kube_api, "podinfo")["spec"]["port"] == {"targetPort": "http"}
    result = cleanup(kube_api)
    assert "Route test/podinfo" in result["removed"]
    assert get_route(kube_api, "podinfo") is None


def test_two_routes_to_the_apex_are_refused_naming_both(emulator, kube_api):  # noqa: F811
    podinfo(emulator)
    kube_api.create(user_route())
    kube_api.create(user_route(name="podinfo-internal"))
    reset_request_log(emulator)
    with pytest.raises(Refusal, match="Route test/podinfo-internal, Route test/podinfo-web all send to Service test/podinfo"):
        init(kube_api)
    assert writes(emulator) == []


def test_the_modules_take_provider_openshift_and_expose(emulator, kube_api, kubeconfig, tmp_path):  # noqa: F811
    podinfo(emulator)
    common = {"target": "podinfo", "namespace": NAMESPACE, "provider": "openshift"}
    init_options = dict(common, hpa="podinfo", ready_timeout=60, service={"port": 9898, "expose": True})
    tasks = [{"name": "init", "progressive.canary.canary_init": init_options},
             {"name": "cleanup", "progressive.canary.canary_cleanup": dict(common, ready_timeout=60)}]
    returncode, results = run_playbook(tmp_path, tasks, kubeconfig)
    assert returncode == 0, results
    assert results["init"]["managed"]["route_backends"] == ["podinfo-primary", "podinfo-canary"], results["init"]
    assert "Route test/podinfo" in results["cleanup"]["removed"], results["cleanup"]
    assert get_route(kube_api, "podinfo") is None
