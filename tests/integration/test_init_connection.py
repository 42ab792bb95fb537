"""API failures reach the user as one error type whose message names the object and the cause."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.connection import CanaryApiError, connect
from ansible_collections.progressive.canary.plugins.module_utils.init import InitRequest, run_init
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, load_podinfo

pytestmark = pytest.mark.needs_crds
TARGET_PATH = "/deployments/podinfo$"


@pytest.fixture
def api(emulator, kubeconfig):
    load_podinfo(emulator)
    return connect({"kubeconfig": kubeconfig}, request_timeout=1)


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
