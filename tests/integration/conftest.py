"""Fixtures of the integration tests (the sandbox's own fixtures come from tests/conftest.py)."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.kube.light_plan import CLIENT_ENV

# The modules run on the light Kubernetes client when the connection allows it (plugins/module_utils/kube/light_plan.py).
# The tests of these files run a second time on kubernetes.core's client (PROGRESSIVE_CANARY_KUBE_CLIENT=full, the users'
# escape hatch), in the same pool of workers, so that both clients stay proven on the modules' whole paths.
BOTH_CLIENTS_FILES = ("test_init_podinfo.py", "test_shift_weights.py", "test_advance_step.py", "test_release_playbook.py")


def pytest_generate_tests(metafunc):
    if metafunc.definition.path.name in BOTH_CLIENTS_FILES:
        metafunc.parametrize("kube_client", ["light_client", "full_client"], indirect=True)


@pytest.fixture(autouse=True)
def kube_client(request, monkeypatch):
    """The client the test's modules use: the light one where the connection allows it (the default), or kubernetes.core's
    for ``full_client`` (the variable reaches ansible-playbook's module processes too). A test may set its own."""
    which = getattr(request, "param", "light_client")
    if which == "full_client":
        monkeypatch.setenv(CLIENT_ENV, "full")
    return which
