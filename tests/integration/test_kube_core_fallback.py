"""Without kubernetes.core's private helpers (an upgrade renamed one: simulated by deleting it from kubernetes.core's
module) connect() runs on kubernetes.core's public get_api_client: requests work, every CRUD request carries the
request timeout, but nothing is retried by us (kube_core.py, docs/lifecycle.md "Building blocks")."""
import pytest

from ansible_collections.kubernetes.core.plugins.module_utils.client import discovery
from ansible_collections.kubernetes.core.plugins.module_utils.k8s import client as core_client
from ansible_collections.progressive.canary.plugins.module_utils.kube import kube_core
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import CanaryApiError, connect
from ansible_collections.progressive.canary.plugins.module_utils.kube.light_plan import CLIENT_ENV
from tests.integration.canary_scenario import NAMESPACE, load_podinfo

pytestmark = pytest.mark.needs_crds
TARGET_PATH = "/deployments/podinfo$"
# Helpers whose removal leaves the installed get_api_client working (it keeps its own reference to LazyDiscoverer,
# and calls _set_header only for impersonation headers).
MISSING = [(discovery, "LazyDiscoverer"), (core_client, "_set_header")]


@pytest.fixture(params=MISSING, ids=[attribute for _module, attribute in MISSING])
def public_path(request, monkeypatch):
    monkeypatch.setenv(CLIENT_ENV, "full")      # the kubernetes.core client, not the light one
    module, attribute = request.param
    monkeypatch.delattr(module, attribute)
    assert kube_core.private_helpers() is None


def _config_map(name):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"namespace": NAMESPACE, "name": name},
            "data": {"k": "v"}}


def test_requests_work_on_the_public_client(emulator, kubeconfig, public_path):  # pylint: disable=unused-argument
    load_podinfo(emulator)
    api = connect({"kubeconfig": kubeconfig}, request_timeout=5.0)
    assert not hasattr(api.client.client, "retry_log")   # kubernetes.core's own ApiClient, not TimeoutApiClient
    assert api.get("apps/v1", "Deployment", NAMESPACE, "podinfo")["metadata"]["name"] == "podinfo"
    api.create(_config_map("fallback"))
    assert api.get("v1", "ConfigMap", NAMESPACE, "fallback")["data"] == {"k": "v"}
    assert api.delete("v1", "ConfigMap", NAMESPACE, "fallback") is True


def test_a_transient_error_is_not_retried_on_the_public_client(emulator, kubeconfig, public_path):  # pylint: disable=unused-argument
    load_podinfo(emulator)
    api = connect({"kubeconfig": kubeconfig}, request_timeout=5.0)
    fault = emulator.faults.add(verb="GET", path_regex=TARGET_PATH, status=503, times=1)
    with pytest.raises(CanaryApiError) as error:
        api.get("apps/v1", "Deployment", NAMESPACE, "podinfo")
    assert fault.matched == 1
    assert str(error.value).startswith("reading Deployment test/podinfo (apps/v1) failed: HTTP 503")
    assert "tried" not in str(error.value)   # no retry note: it was sent once


def test_the_same_transient_error_is_retried_on_the_main_path(emulator, kubeconfig):
    load_podinfo(emulator)
    api = connect({"kubeconfig": kubeconfig}, request_timeout=5.0)
    fault = emulator.faults.add(verb="GET", path_regex=TARGET_PATH, status=503, times=1)
    assert api.get("apps/v1", "Deployment", NAMESPACE, "podinfo")["metadata"]["name"] == "podinfo"
    assert fault.matched == 1


def test_every_crud_request_still_carries_the_timeout(emulator, kubeconfig, public_path):  # pylint: disable=unused-argument
    load_podinfo(emulator)
    api = connect({"kubeconfig": kubeconfig}, request_timeout=1.0)
    emulator.faults.add(verb="GET", path_regex=TARGET_PATH, latency=60)
    with pytest.raises(CanaryApiError) as error:
        api.get("apps/v1", "Deployment", NAMESPACE, "podinfo")
    assert str(error.value).startswith("reading Deployment test/podinfo (apps/v1) failed: cannot reach the API server")
    assert "timed out" in str(error.value).lower()


def test_a_bad_kubeconfig_is_the_same_clear_error(tmp_path, public_path):  # pylint: disable=unused-argument
    with pytest.raises(CanaryApiError) as error:
        connect({"kubeconfig": str(tmp_path / "missing")})
    assert str(error.value).startswith("cannot configure the Kubernetes client")
