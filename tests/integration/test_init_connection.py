"""API failures reach the user as one error type whose message names the object and the cause."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import CanaryApiError, connect
from ansible_collections.progressive.canary.plugins.module_utils.kube.light_plan import CLIENT_ENV
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, load_podinfo, reset_request_log

pytestmark = pytest.mark.needs_crds
TARGET_PATH = "/deployments/podinfo$"


@pytest.fixture
def api(emulator, kubeconfig):
    load_podinfo(emulator)
    # A float, as the modules' request_timeout option is (the kubernetes client ignores a bare float).
    return connect({"kubeconfig": kubeconfig}, request_timeout=1.5)


def _init_error(api):  # pylint: disable=redefined-outer-name
    with pytest.raises(CanaryApiError) as error:
        run_init(api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, ready_timeout=30))
    return str(error.value)


def test_server_error_names_object_and_status(emulator, api):  # pylint: disable=redefined-outer-name
    emulator.faults.add(verb="GET", path_regex=TARGET_PATH, status=500)
    message = _init_error(api)
    assert message.startswith("reading Deployment test/podinfo (apps/v1) failed: HTTP 500")


def test_dropped_connection_names_object(emulator, api):  # pylint: disable=redefined-outer-name
    emulator.faults.add(verb="GET", path_regex=TARGET_PATH, drop=True)
    message = _init_error(api)
    assert message.startswith("reading Deployment test/podinfo (apps/v1) failed: cannot reach the API server")


def test_slow_answer_hits_the_request_timeout(emulator, api):  # pylint: disable=redefined-outer-name
    emulator.faults.add(verb="GET", path_regex=TARGET_PATH, latency=3)
    message = _init_error(api)
    assert "reading Deployment test/podinfo (apps/v1) failed" in message and "timed out" in message.lower()


@pytest.mark.parametrize("path_regex", ["^/version$", "^/apis$"])
def test_discovery_that_never_answers_times_out_while_connecting(emulator, kubeconfig, path_regex, monkeypatch):
    # kubernetes.core's client runs discovery while it is created and sets no timeout on those requests (the light
    # client connects without a request: its discovery is the lookup below).
    monkeypatch.setenv(CLIENT_ENV, "full")
    emulator.ensure_namespace(NAMESPACE)
    fault = emulator.faults.add(verb="GET", path_regex=path_regex, latency=60)
    with pytest.raises(CanaryApiError) as error:
        connect({"kubeconfig": kubeconfig}, request_timeout=1.0)
    assert fault.matched >= 1  # a timed-out request is retried (retry.py), each attempt bounded by the timeout
    assert str(error.value).startswith("connecting to the API server failed: cannot reach the API server")
    assert "timed out" in str(error.value).lower()


def test_every_request_carries_the_timeout_even_lookups_after_connecting(emulator, kubeconfig):
    emulator.ensure_namespace(NAMESPACE)
    api = connect({"kubeconfig": kubeconfig}, request_timeout=1.0)
    reset_request_log(emulator)
    # A kind looked up later than connecting (discovery of one group, on a cache miss) is a request too.
    emulator.faults.add(verb="GET", path_regex="^/apis/autoscaling/v2$", latency=60)
    with pytest.raises(CanaryApiError) as error:
        api.get("autoscaling/v2", "HorizontalPodAutoscaler", NAMESPACE, "podinfo")
    assert "timed out" in str(error.value).lower()


def test_light_discovery_that_never_answers_times_out_at_the_first_lookup(emulator, kubeconfig, monkeypatch):
    monkeypatch.delenv(CLIENT_ENV, raising=False)   # the light client even where the suite forces the full one
    emulator.ensure_namespace(NAMESPACE)
    fault = emulator.faults.add(verb="GET", path_regex="^/apis/apps/v1$", latency=60)
    api = connect({"kubeconfig": kubeconfig}, request_timeout=1.0)
    assert api.plan.light
    with pytest.raises(CanaryApiError) as error:
        api.get("apps/v1", "Deployment", NAMESPACE, "podinfo")
    assert fault.matched >= 1
    assert str(error.value).startswith("looking up Deployment (apps/v1) failed: cannot reach the API server at %s: timed out"
                                       % emulator.url), str(error.value)
