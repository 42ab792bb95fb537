"""The mesh's Gateway API resolution (mesh_gateway_api.py): an HTTPRoute's backendRef weights split the traffic, for a
route attached to the apex Service (GAMMA) and one attached to a Gateway for a hostname; what it does not route
falls through as before."""

import pytest

from tests.sandbox.fixtures_mesh import deployment_manifest, service_manifest, virtual_service_manifest
from tests.sandbox.mesh import Mesh, StaticCluster, resolve

NS = "test"
MESH_PARENT = {"group": "", "kind": "Service", "name": "podinfo", "port": 9898}
GATEWAY_PARENT = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "public", "namespace": "istio-system"}


def http_route(name, parent, weights, hostnames=None, rules_before=(), created="2026-01-01T00:00:00Z"):
    rule = {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
            "backendRefs": [{"group": "", "kind": "Service", "name": backend, "port": 9898, "weight": weight}
                            for backend, weight in weights.items()]}
    spec = {"parentRefs": [parent], "rules": list(rules_before) + [rule]}
    if hostnames:
        spec["hostnames"] = hostnames
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": NS, "creationTimestamp": created}, "spec": spec}


def podinfo_objects(*routes):
    return [
        deployment_manifest("podinfo-primary", NS, {"app": "podinfo-primary"}, replicas=2, ready=2),
        deployment_manifest("podinfo", NS, {"app": "podinfo"}, replicas=1, ready=1),
        service_manifest("podinfo", NS, {"app": "podinfo-primary"}),
        service_manifest("podinfo-primary", NS, {"app": "podinfo-primary"}),
        service_manifest("podinfo-canary", NS, {"app": "podinfo"}),
    ] + list(routes)


def sent(objects, host, count=100):
    mesh = Mesh()
    mesh.bind(StaticCluster(objects))
    assert mesh.send(host, count, namespace=NS) == {200: count}
    return mesh.counts(host)["by_workload"]


@pytest.mark.parametrize("host", ["podinfo", "podinfo.test", "podinfo.test.svc.cluster.local"])
def test_a_route_attached_to_the_service_splits_its_mesh_traffic(host):
    objects = podinfo_objects(http_route("podinfo", MESH_PARENT, {"podinfo-primary": 70, "podinfo-canary": 30}))
    assert sent(objects, host) == {"podinfo-primary": 70, "podinfo": 30}


def test_a_route_attached_to_a_gateway_splits_its_hostname_only():
    route = http_route("podinfo", GATEWAY_PARENT, {"podinfo-primary": 40, "podinfo-canary": 60}, hostnames=["app.example.com"])
    objects = podinfo_objects(route)
    assert sent(objects, "app.example.com") == {"podinfo-primary": 40, "podinfo": 60}
    assert sent(objects, "podinfo.test") == {"podinfo-primary": 100}, "mesh traffic does not take a Gateway's route"
    assert [d.local_status for d in resolve(StaticCluster(objects), "shop.example.com", NS)] == [503], "another host: unrouted"


def test_the_first_rule_matching_get_slash_wins_and_the_oldest_route_first():
    admin = {"matches": [{"path": {"type": "PathPrefix", "value": "/admin"}}],
             "backendRefs": [{"name": "podinfo-canary", "port": 9898}]}
    newer = http_route("newer", MESH_PARENT, {"podinfo-canary": 1}, created="2026-02-01T00:00:00Z")
    older = http_route("older", MESH_PARENT, {"podinfo-primary": 1}, rules_before=[admin])
    assert sent(podinfo_objects(newer, older), "podinfo.test") == {"podinfo-primary": 100}


@pytest.mark.parametrize("weights, status", [({"podinfo-primary": 0, "podinfo-canary": 0}, 500)], ids=["all-weights-zero"])
def test_a_rule_with_nothing_to_send_to_answers_500(weights, status):
    objects = podinfo_objects(http_route("podinfo", MESH_PARENT, weights))
    assert [d.local_status for d in resolve(StaticCluster(objects), "podinfo.test", NS)] == [status]


def test_a_virtual_service_still_comes_first():
    objects = podinfo_objects(http_route("route", MESH_PARENT, {"podinfo-canary": 1}),
                              virtual_service_manifest("podinfo", NS, ["podinfo"], {"podinfo-primary": 100}, gateways=["mesh"]))
    assert sent(objects, "podinfo.test") == {"podinfo-primary": 100}


def test_the_mesh_reads_http_routes_from_the_emulator(emulator):
    emulator.ensure_namespace(NS)
    for obj in podinfo_objects(http_route("podinfo", MESH_PARENT, {"podinfo-primary": 50, "podinfo-canary": 50})):
        obj = dict(obj, metadata=dict(obj["metadata"]))
        obj["metadata"].pop("creationTimestamp", None)
        status, answer = emulator.request("POST", emulator.collection_path(obj["apiVersion"], obj["kind"], NS), obj)
        assert status == 201, answer
    mesh = Mesh()
    mesh.bind(emulator.url)
    assert [(d.service, d.weight) for d in mesh._resolve("podinfo.test", NS)] == [("podinfo-primary", 50), ("podinfo-canary", 50)]
