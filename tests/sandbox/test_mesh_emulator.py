"""The mesh reading the Kubernetes API emulator over HTTP: routing follows what the cluster says, live."""

import time

import pytest
import requests

from tests.sandbox.fixtures_mesh import (
    create_objects,
    deployment_manifest,
    service_manifest,
    virtual_service_manifest,
    wait_ready,
)

NS = "test"


def podinfo_canary(primary_weight, canary_weight, canary_replicas=1):
    return [
        deployment_manifest("podinfo-primary", NS, {"app": "podinfo-primary"}, replicas=2, ready_seconds=0),
        deployment_manifest("podinfo", NS, {"app": "podinfo"}, replicas=canary_replicas, ready_seconds=0, error_rate=0.5),
        service_manifest("podinfo", NS, {"app": "podinfo-primary"}),
        service_manifest("podinfo-primary", NS, {"app": "podinfo-primary"}),
        service_manifest("podinfo-canary", NS, {"app": "podinfo"}),
        virtual_service_manifest("podinfo", NS, ["app.example.com", "podinfo"],
                                 {"podinfo-primary": primary_weight, "podinfo-canary": canary_weight}, gateways=["mesh"]),
    ]


@pytest.fixture(name="canary_cluster")
def fixture_canary_cluster(emulator):
    """The emulator holding podinfo after canary_init, routed 80/20, both Deployments ready."""
    create_objects(emulator.url, podinfo_canary(80, 20))
    wait_ready(emulator.url, NS, "podinfo-primary", 2)
    wait_ready(emulator.url, NS, "podinfo", 1)
    return emulator


def set_weights(api_url, primary, canary):
    patch = {"spec": {"http": [{"name": "primary", "route": [
        {"destination": {"host": "podinfo-primary"}, "weight": primary},
        {"destination": {"host": "podinfo-canary"}, "weight": canary}]}]}}
    response = requests.patch("%s/apis/networking.istio.io/v1beta1/namespaces/%s/virtualservices/podinfo" % (api_url, NS),
                              json=patch, headers={"Content-Type": "application/merge-patch+json"}, timeout=10)
    assert response.status_code == 200, response.text


def test_weights_from_the_emulators_virtual_service(mesh, canary_cluster):
    mesh.send("podinfo.test", 500)
    mesh.send("app.example.com", 100, namespace=NS)
    assert mesh.counts("podinfo.test")["by_workload"] == {"podinfo-primary": 400, "podinfo": 100}
    assert mesh.counts("app.example.com")["by_workload"] == {"podinfo-primary": 80, "podinfo": 20}
    # The canary's pod template says error-rate 0.5: half of its requests are 500.
    assert mesh.counts("podinfo.test")["failed_by_workload"] == {"podinfo": 50}

    set_weights(canary_cluster.url, 100, 0)
    mesh.reset()
    mesh.send("podinfo.test", 50)
    # An anonymous client (a target without users): class "plain", no users tracked, nothing mirrored.
    served = {"total": 50, "failed": 0, "by_workload": {"podinfo-primary": 50}, "failed_by_workload": {}}
    assert mesh.counts("podinfo.test") == dict(served, by_code={"200": 50}, gone=0, by_class={"plain": served},
                                               mirror={"total": 0, "failed": 0, "by_workload": {}, "failed_by_workload": {}},
                                               users={"seen": 0, "switched": 0, "switched_any": 0, "switched_users": [], "by_class": {},
                                                      "cookies": {}})


def test_service_selector_without_virtual_service(mesh, emulator):
    create_objects(emulator.url, [deployment_manifest("web", NS, {"app": "web"}, ready_seconds=0),
                                  service_manifest("web", NS, {"app": "web"})])
    wait_ready(emulator.url, NS, "web")
    assert mesh.send("web.test", 20) == {200: 20}
    assert mesh.send("web.test.svc.cluster.local", 5) == {200: 5}


def test_scaled_to_zero_destination_answers_503_counted_as_failed(mesh, canary_cluster):
    response = requests.patch("%s/apis/apps/v1/namespaces/%s/deployments/podinfo" % (canary_cluster.url, NS),
                              json={"spec": {"replicas": 0}}, headers={"Content-Type": "application/merge-patch+json"}, timeout=10)
    assert response.status_code == 200, response.text
    deadline = time.monotonic() + 30
    while mesh.send("podinfo.test", 10).get(503) != 2:
        assert time.monotonic() < deadline, "the canary never lost its ready replicas"
        mesh.reset()
    assert mesh.failed("podinfo.test") == 2
    assert mesh.counts("podinfo.test")["by_code"] == {"200": 8, "503": 2}


def test_missing_service_is_503(mesh, emulator):
    create_objects(emulator.url, [deployment_manifest("orphan", NS, {"app": "orphan"}, ready_seconds=0)])
    assert mesh.send("orphan.test", 3) == {503: 3}
    assert mesh.failed("orphan.test") == 3


def test_steady_traffic_and_counts_over_http(mesh, canary_cluster):
    mesh.add_target("podinfo.test", rps=100)
    deadline = time.monotonic() + 30
    while requests.get(mesh.url + "/counts", params={"host": "podinfo.test"}, timeout=5).json()["total"] < 50:
        assert time.monotonic() < deadline, "no steady traffic reached podinfo.test"
        time.sleep(0.1)
    counts = requests.get(mesh.url + "/counts", timeout=5).json()["podinfo.test"]
    assert set(counts["by_workload"]) == {"podinfo-primary", "podinfo"}
    assert requests.post(mesh.url + "/reset", timeout=5).status_code == 200
    mesh.remove_target("podinfo.test")
    assert requests.get(mesh.url + "/targets", timeout=5).json() == []
    metrics = requests.get(mesh.url + "/metrics", timeout=5)
    assert metrics.headers["Content-Type"].startswith("text/plain")
    assert 'destination_workload="podinfo-primary"' in metrics.text


def test_targets_can_be_added_over_http(mesh, canary_cluster):
    added = requests.post(mesh.url + "/targets", json={"host": "app.example.com", "namespace": NS, "rps": 20}, timeout=5)
    assert added.json() == [{"host": "app.example.com", "namespace": NS, "rps": 20.0}]
    assert requests.post(mesh.url + "/targets", json={"host": "app.example.com"}, timeout=5).status_code == 400
    assert requests.delete(mesh.url + "/targets", params={"host": "app.example.com"}, timeout=5).json() == []


def test_mesh_keeps_its_last_routes_while_the_api_fails(mesh, canary_cluster):
    assert mesh.send("podinfo.test", 10) == {200: 9, 500: 1}
    fault = canary_cluster.faults.add(verb="GET", path_regex="/virtualservices$", status=503)
    set_weights(canary_cluster.url, 0, 100)  # unseen by the mesh: its reads fail
    assert mesh.send("podinfo.test", 10) == {200: 9, 500: 1}
    assert mesh.api_errors == 1 and fault.matched == 1
    canary_cluster.faults.clear()
    assert mesh.send("podinfo.test", 10) == {200: 5, 500: 5}


def test_mesh_without_any_resolution_sends_nothing_while_the_api_fails(mesh, mesh_server):
    mesh_server.bind("http://127.0.0.1:9")  # nothing listens on the discard port
    assert mesh.send("podinfo.test", 10) == {}
    assert mesh.api_errors == 1


def test_mesh_reads_with_list_calls_only(mesh, canary_cluster):
    istio = requests.get(canary_cluster.url + "/apis/networking.istio.io", timeout=5).json()["preferredVersion"]["groupVersion"]
    mesh.send("podinfo.test", 1)  # discovers the Istio API version once per binding
    canary_cluster.request_log.reset()
    mesh.send("podinfo.test", 10)
    mesh.send("app.example.com", 10, namespace=NS)
    # One snapshot per send: each collection listed once, nothing written, no object read one by one.
    assert canary_cluster.request_log.counts() == {
        "GET /apis/%s/namespaces/test/virtualservices" % istio: 2,
        "GET /api/v1/namespaces/test/services": 2,
        "GET /apis/apps/v1/namespaces/test/deployments": 2,
        "GET /apis/route.openshift.io/v1/routes": 2,     # which hosts OpenShift Routes claim (mesh_openshift_route)
    }
