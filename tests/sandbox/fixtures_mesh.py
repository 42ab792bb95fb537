"""pytest fixtures for the mesh simulator and real Prometheus (re-exported by tests/conftest.py).

- ``mesh_server`` (session): one Mesh serving ``/metrics`` on a fixed port for the whole session, so
  that one live Prometheus can scrape it; each test rebinds it to its own emulator.
- ``prometheus_live`` (session): real Prometheus scraping ``mesh_server`` every second.
- ``mesh`` (function): ``mesh_server`` bound to the test's ``emulator`` with its traffic thread
  running and no targets; counts, metrics and routing state start empty. Add traffic with
  ``mesh.add_target("podinfo.test")`` or send it synchronously with ``mesh.send(host, n)``.
  Rebinding resets the mesh's counters: Prometheus sees a counter reset, which ``rate()`` handles,
  but a window such as ``[10s]`` still holds the previous test's traffic for 10 s. Live assertions
  should poll with a tolerance (``wait_for_value(..., accept=...)``) rather than read once.
- ``prometheus_backfill`` (function): a factory ``start(openmetrics_text, query_time=None)`` returning a
  Prometheus on backfilled blocks; every server it started is stopped after the test.
Tests skip with the reason when prometheus/promtool are missing.
"""

import time

import pytest
import requests

from tests.sandbox.mesh import Mesh
from tests.sandbox.prometheus import Prometheus, PrometheusUnavailable, find_prometheus


def _require_prometheus():
    try:
        find_prometheus()
    except PrometheusUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def mesh_server():
    """The session's Mesh with its HTTP server (``.url``, ``.scrape_target``), not bound to any emulator."""
    server = Mesh().serve()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def prometheus_live(mesh_server):  # pylint: disable=redefined-outer-name  # pytest fixture injection
    """Real Prometheus scraping the session's mesh every second."""
    _require_prometheus()
    server = Prometheus.live([mesh_server.scrape_target])
    yield server
    server.stop()


@pytest.fixture
def mesh(mesh_server, emulator):  # pylint: disable=redefined-outer-name
    """The session's mesh bound to this test's emulator, traffic thread running, no targets yet."""
    mesh_server.bind(emulator.url)
    mesh_server.start()
    yield mesh_server
    mesh_server.stop_traffic()
    mesh_server.bind(None)


@pytest.fixture
def prometheus_backfill():
    """Factory: ``prometheus_backfill(openmetrics_text, query_time=None)`` -> a started Prometheus."""
    _require_prometheus()
    started = []

    def start(openmetrics_text, query_time=None):
        server = Prometheus.backfill(openmetrics_text, query_time=query_time)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# -- manifests for mesh tests (valid for the emulator; ``ready`` sets status for StaticCluster) ----

def deployment_manifest(name, namespace, labels, replicas=1, ready=None, error_rate=None, latency_ms=None, ready_seconds=None,
                        image="ghcr.io/stefanprodan/podinfo:6.0.0"):
    """A Deployment whose pods carry ``labels`` and the sandbox behaviour annotations when given."""
    annotations = {}
    if ready_seconds is not None:
        annotations["sandbox.progressive.canary/ready-seconds"] = str(ready_seconds)
    if error_rate is not None:
        annotations["sandbox.progressive.canary/error-rate"] = str(error_rate)
    if latency_ms is not None:
        annotations["sandbox.progressive.canary/latency-ms"] = str(latency_ms)
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels), "annotations": annotations},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
        },
    }
    if ready is not None:
        manifest["status"] = {"replicas": replicas, "readyReplicas": ready}
    return manifest


def service_manifest(name, namespace, selector, port=9898):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": dict(selector), "ports": [{"name": "http", "port": port, "targetPort": port}]},
    }


def virtual_service_manifest(name, namespace, hosts, weights, gateways=None, http_extra=None):
    """A VirtualService routing ``hosts`` to ``weights`` (``{destination host: weight}``) in one http route."""
    route = {"name": "primary", "route": [{"destination": {"host": host}, "weight": weight} for host, weight in weights.items()]}
    spec = {"hosts": list(hosts), "http": list(http_extra or []) + [route]}
    if gateways is not None:
        spec["gateways"] = list(gateways)
    return {"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def destination_rule_manifest(name, namespace, host, subsets):
    """A DestinationRule for ``host`` with ``subsets`` (``{subset name: labels}``)."""
    return {"apiVersion": "networking.istio.io/v1beta1", "kind": "DestinationRule",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"host": host, "subsets": [{"name": n, "labels": dict(l)} for n, l in subsets.items()]}}


def _collection_path(manifest):
    group_version = manifest["apiVersion"]
    prefix = "/api/" + group_version if "/" not in group_version else "/apis/" + group_version
    return "%s/namespaces/%s/%ss" % (prefix, manifest["metadata"]["namespace"], manifest["kind"].lower())


def create_objects(api_url, manifests):
    """Create ``manifests`` (and their namespaces) in the emulator with plain POSTs; return the created objects."""
    created = []
    for namespace in sorted({m["metadata"]["namespace"] for m in manifests}):
        response = requests.post(api_url + "/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
                                 timeout=10)
        assert response.status_code in (201, 409), response.text
    for manifest in manifests:
        body = {k: v for k, v in manifest.items() if k != "status"}
        response = requests.post(api_url + _collection_path(manifest), json=body, timeout=10)
        assert response.status_code == 201, response.text
        created.append(response.json())
    return created


def wait_ready(api_url, namespace, name, replicas=1, timeout=30.0):
    """Poll a Deployment until ``status.readyReplicas >= replicas``; return it (fails the test on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        deployment = requests.get("%s/apis/apps/v1/namespaces/%s/deployments/%s" % (api_url, namespace, name), timeout=10).json()
        if ((deployment.get("status") or {}).get("readyReplicas") or 0) >= replicas:
            return deployment
        if time.monotonic() > deadline:
            pytest.fail("Deployment %s/%s not ready within %ss: %s" % (namespace, name, timeout, deployment.get("status")))
        time.sleep(0.1)
