"""Objects, helpers and fixtures (re-exported by tests/conftest.py) for the mesh's strategy tests (test_mesh_matches,
_cookies, _mirroring, _gateway_api_strategies): podinfo after canary_init (a primary, a canary of another version,
the apex/primary/canary Services) routed by Flagger's shapes, in the API emulator or in a StaticCluster."""

import pytest
import requests

from tests.sandbox.fixtures_mesh import create_objects, deployment_manifest, service_manifest, wait_ready
from tests.sandbox.mesh import Mesh, StaticCluster

NS = "test"
HOST = "podinfo.test"
VS_PATH = "/apis/networking.istio.io/v1beta1/namespaces/%s/virtualservices" % NS
# Flagger's documented A/B cookie match (docs/gitbook/usage/deployment-strategies.md).
CANARY_COOKIE_REGEX = "^(.*?;)?(canary=always)(;.*)?$"
CANARY_IMAGE = "ghcr.io/stefanprodan/podinfo:6.0.1"     # the release under test: another version than the primary's
USERS = {"insider": {"count": 10, "headers": {"x-canary": "insider"}},
         "tester": {"count": 10, "cookies": {"canary": "always"}},
         "plain": {"count": 80}}


def destination(host, weight):
    """A VirtualService route destination, as Flagger's makeDestination writes it."""
    return {"destination": {"host": host}, "weight": weight}


def virtual_service(http):
    return {"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
            "metadata": {"name": "podinfo", "namespace": NS}, "spec": {"hosts": ["podinfo"], "http": http}}


def podinfo_objects(routing=(), canary_error_rate=None, static=False):
    """podinfo after canary_init plus ``routing`` objects; ``static``: ready replicas in status, for a StaticCluster."""
    timing = {} if static else {"ready_seconds": 0}
    return [
        deployment_manifest("podinfo-primary", NS, {"app": "podinfo-primary"}, replicas=2, ready=2 if static else None, **timing),
        deployment_manifest("podinfo", NS, {"app": "podinfo"}, replicas=1, ready=1 if static else None,
                            error_rate=canary_error_rate, image=CANARY_IMAGE, **timing),
        service_manifest("podinfo", NS, {"app": "podinfo-primary"}),
        service_manifest("podinfo-primary", NS, {"app": "podinfo-primary"}),
        service_manifest("podinfo-canary", NS, {"app": "podinfo"}),
    ] + list(routing)


def static_mesh(routing, canary_error_rate=None):
    """A Mesh resolving podinfo and ``routing`` without an emulator."""
    mesh = Mesh()
    mesh.bind(StaticCluster(podinfo_objects(routing, canary_error_rate, static=True)))
    return mesh


@pytest.fixture(name="strategy_cluster")
def fixture_strategy_cluster(emulator):
    """A factory: ``create(routing objects, canary_error_rate=None)`` creates podinfo and them in the emulator over
    HTTP and waits for both Deployments; returns the emulator."""
    def create(routing, canary_error_rate=None):
        create_objects(emulator.url, podinfo_objects(routing, canary_error_rate))
        wait_ready(emulator.url, NS, "podinfo-primary", 2)
        wait_ready(emulator.url, NS, "podinfo", 1)
        return emulator
    return create


@pytest.fixture(name="istio_cluster")
def fixture_istio_cluster(strategy_cluster):
    """A factory: ``create(http routes, canary_error_rate=None)``: podinfo routed by a VirtualService with them."""
    return lambda http, canary_error_rate=None: strategy_cluster([virtual_service(http)], canary_error_rate)


def replace_routes(api_url, http):
    """PUT the podinfo VirtualService with new http routes (as the router does between steps)."""
    current = requests.get(api_url + VS_PATH + "/podinfo", timeout=10).json()
    current["spec"]["http"] = http
    response = requests.put(api_url + VS_PATH + "/podinfo", json=current, timeout=10)
    assert response.status_code == 200, response.text


def metric_total(text, **labels):
    """Sum of the istio_requests_total samples of a /metrics text carrying ``labels``."""
    total = 0
    for line in text.splitlines():
        if line.startswith("istio_requests_total{") and all('%s="%s"' % item in line for item in labels.items()):
            total += int(line.rsplit(" ", 1)[1])
    return total
