"""The mesh resolving OpenShift Routes (mesh_openshift_route): a Route's host goes to its backends by weight, as
OpenShift's HAProxy router sends it; over a static set of objects, and live from the emulator."""

import subprocess

import pytest
import requests

from tests.sandbox.fixtures_mesh import create_objects, deployment_manifest, service_manifest, wait_ready
from tests.sandbox.mesh import Mesh, StaticCluster
from tests.sandbox.prometheus import PrometheusUnavailable, find_prometheus

NS = "test"
HOST = "podinfo.apps.example.com"


def route_manifest(name, backends, host=HOST, path=None, target_port=None, created="2026-01-01T00:00:00Z"):
    """A Route for ``host`` to ``backends`` (``[(service, weight)]``, the first one ``spec.to``)."""
    references = [{"kind": "Service", "name": service, "weight": weight} for service, weight in backends]
    spec = {"host": host, "to": references[0]}
    if references[1:]:
        spec["alternateBackends"] = references[1:]
    if path:
        spec["path"] = path
    if target_port is not None:
        spec["port"] = {"targetPort": target_port}
    return {"apiVersion": "route.openshift.io/v1", "kind": "Route",
            "metadata": {"name": name, "namespace": NS, "creationTimestamp": created}, "spec": spec}


def podinfo_objects(canary_ready=1):
    return [
        deployment_manifest("podinfo-primary", NS, {"app": "podinfo-primary"}, replicas=2, ready=2),
        deployment_manifest("podinfo", NS, {"app": "podinfo"}, replicas=1, ready=canary_ready),
        deployment_manifest("legacy", NS, {"app": "legacy"}, replicas=1, ready=1),
        service_manifest("podinfo-primary", NS, {"app": "podinfo-primary"}),
        service_manifest("podinfo-canary", NS, {"app": "podinfo"}),
        service_manifest("legacy", NS, {"app": "legacy"}),
    ]


def static_mesh(objects):
    mesh = Mesh()
    mesh.bind(StaticCluster(objects))
    return mesh


def test_route_weights_split_the_hosts_traffic_exactly():
    mesh = static_mesh(podinfo_objects() + [route_manifest("web", [("podinfo-primary", 70), ("podinfo-canary", 20), ("legacy", 10)])])
    assert mesh.send(HOST, 1000, namespace="clients") == {200: 1000}
    assert mesh.counts(HOST)["by_workload"] == {"podinfo-primary": 700, "podinfo": 200, "legacy": 100}


def test_weight_zero_gets_nothing_and_all_zero_answers_503():
    mesh = static_mesh(podinfo_objects() + [route_manifest("web", [("podinfo-primary", 0), ("podinfo-canary", 100)])])
    mesh.send(HOST, 100, namespace=NS)
    assert mesh.counts(HOST)["by_workload"] == {"podinfo": 100}
    mesh = static_mesh(podinfo_objects() + [route_manifest("web", [("podinfo-primary", 0), ("podinfo-canary", 0)])])
    assert mesh.send(HOST, 10, namespace=NS) == {503: 10}


def test_a_backend_without_ready_endpoints_weighs_nothing():
    """HAProxy has no server for it: its share goes to the others (not a 503 per share, as a mesh destination would)."""
    mesh = static_mesh(podinfo_objects(canary_ready=0) + [route_manifest("web", [("podinfo-primary", 50), ("podinfo-canary", 50)])])
    assert mesh.send(HOST, 100, namespace=NS) == {200: 100}
    assert mesh.counts(HOST)["by_workload"] == {"podinfo-primary": 100}


def test_the_route_port_must_name_an_endpoint_port():
    """A named targetPort the backend Services do not carry leaves the Route without endpoints."""
    mesh = static_mesh(podinfo_objects() + [route_manifest("web", [("podinfo-primary", 100)], target_port="port-1")])
    assert mesh.send(HOST, 10, namespace=NS) == {503: 10}
    for port in ("http", 9898):
        mesh = static_mesh(podinfo_objects() + [route_manifest("web", [("podinfo-primary", 100)], target_port=port)])
        assert mesh.send(HOST, 10, namespace=NS) == {200: 10}


def test_the_oldest_route_for_the_host_and_root_path_serves_it():
    objects = podinfo_objects() + [
        route_manifest("newer", [("legacy", 100)], created="2026-02-01T00:00:00Z"),
        route_manifest("admin", [("legacy", 100)], path="/admin", created="2025-01-01T00:00:00Z"),
        route_manifest("older", [("podinfo-primary", 100)], created="2026-01-01T00:00:00Z"),
    ]
    mesh = static_mesh(objects)
    mesh.send(HOST, 10, namespace=NS)
    assert mesh.counts(HOST)["by_workload"] == {"podinfo-primary": 10}


def test_hosts_no_route_claims_resolve_as_before():
    mesh = static_mesh(podinfo_objects() + [route_manifest("web", [("legacy", 100)])])
    mesh.send("podinfo-canary.test", 10)
    assert mesh.counts("podinfo-canary.test")["by_workload"] == {"podinfo": 10}


def test_route_weights_follow_the_emulator_live(mesh, emulator):
    objects = [deployment_manifest("podinfo-primary", NS, {"app": "podinfo-primary"}, replicas=1, ready_seconds=0),
               deployment_manifest("podinfo", NS, {"app": "podinfo"}, replicas=1, ready_seconds=0),
               service_manifest("podinfo-primary", NS, {"app": "podinfo-primary"}),
               service_manifest("podinfo-canary", NS, {"app": "podinfo"}),
               route_manifest("web", [("podinfo-primary", 80), ("podinfo-canary", 20)])]
    for obj in objects:
        obj["metadata"].pop("creationTimestamp", None)
    create_objects(emulator.url, objects)
    wait_ready(emulator.url, NS, "podinfo-primary", 1)
    wait_ready(emulator.url, NS, "podinfo", 1)
    mesh.send(HOST, 100, namespace=NS)
    assert mesh.counts(HOST)["by_workload"] == {"podinfo-primary": 80, "podinfo": 20}
    patch = [{"op": "replace", "path": "/spec/to/weight", "value": 40}, {"op": "replace", "path": "/spec/alternateBackends/0/weight", "value": 60}]
    response = requests.patch(emulator.url + "/apis/route.openshift.io/v1/namespaces/test/routes/web", json=patch,
                              headers={"Content-Type": "application/json-patch+json"}, timeout=10)
    assert response.status_code == 200, response.text
    mesh.reset(HOST)
    mesh.send(HOST, 100, namespace=NS)
    assert mesh.counts(HOST)["by_workload"] == {"podinfo-primary": 40, "podinfo": 60}


def router_lines(mesh, family):
    return sorted(line for line in mesh.metrics_text().splitlines() if line.startswith(family + "{"))


def test_route_traffic_counts_in_the_routers_haproxy_families_with_its_labels():
    """openshift/router's exporter: per server (pod) responses by class and average latency, labelled server, namespace,
    route, pod, service; per backend (the Route) responses by class."""
    objects = podinfo_objects() + [route_manifest("web", [("podinfo-primary", 80), ("podinfo-canary", 20)])]
    objects[1]["spec"]["template"]["metadata"]["annotations"] = {"sandbox.progressive.canary/error-rate": "0.1",
                                                                 "sandbox.progressive.canary/latency-ms": "40"}
    mesh = static_mesh(objects)
    mesh.send(HOST, 500, namespace="clients")
    canary = [line for line in router_lines(mesh, "haproxy_server_http_responses_total") if 'service="podinfo-canary"' in line]
    assert len(canary) == 6   # one series per class: 1xx 2xx 3xx 4xx 5xx other
    labels = '{server="10.2.0.1:8080",namespace="test",route="web",pod="podinfo-sandbox",service="podinfo-canary",code="%s"}'
    assert "haproxy_server_http_responses_total" + labels % "2xx" + " 90" in canary
    assert "haproxy_server_http_responses_total" + labels % "5xx" + " 10" in canary
    assert "haproxy_server_http_responses_total" + labels % "4xx" + " 0" in canary
    latency = router_lines(mesh, "haproxy_server_http_average_response_latency_milliseconds")
    assert ('haproxy_server_http_average_response_latency_milliseconds{server="10.2.0.1:8080",namespace="test",route="web",'
            'pod="podinfo-sandbox",service="podinfo-canary"} 40') in latency
    backend = router_lines(mesh, "haproxy_backend_http_responses_total")
    assert 'haproxy_backend_http_responses_total{backend="http",namespace="test",route="web",code="2xx"} 490' in backend


def test_mesh_traffic_and_router_503s_reach_no_haproxy_server():
    """Only requests a Route's router sends to a pod are a server's; a Service host is mesh traffic, and a Route
    without endpoints is answered by the router itself."""
    mesh = static_mesh(podinfo_objects() + [route_manifest("web", [("podinfo-primary", 0), ("podinfo-canary", 0)])])
    assert mesh.send(HOST, 10, namespace=NS) == {503: 10}
    mesh.send("legacy.test", 10)
    assert "haproxy_" not in mesh.metrics_text()
    assert "istio_requests_total" in mesh.metrics_text()


def test_promtool_parses_the_router_families_and_only_objects_to_the_routers_own_naming():
    """The exporter names its gauges ``*_total`` and its latency in milliseconds, which promtool's linter dislikes."""
    try:
        promtool = find_prometheus()[1]
    except PrometheusUnavailable as exc:
        pytest.skip(str(exc))
    mesh = static_mesh(podinfo_objects() + [route_manifest("web", [("podinfo-primary", 80), ("podinfo-canary", 20)])])
    mesh.send(HOST, 50, namespace="clients")
    checked = subprocess.run([promtool, "check", "metrics"], input=mesh.metrics_text(), capture_output=True, text=True, check=False)
    problems = [line.strip() for line in (checked.stdout + checked.stderr).splitlines() if line.strip() and "haproxy" in line]
    assert checked.returncode in (0, 3), problems
    assert sorted(problems) == [
        'haproxy_backend_http_responses_total non-counter metrics should not have "_total" suffix',
        'haproxy_server_http_average_response_latency_milliseconds use base unit "seconds" instead of "milliseconds"',
        'haproxy_server_http_responses_total non-counter metrics should not have "_total" suffix',
    ]
