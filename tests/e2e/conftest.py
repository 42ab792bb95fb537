"""Fixtures of the end-to-end tests (the sandbox's own fixtures come from tests/conftest.py)."""
import os
import subprocess

import pytest

from tests import ansible_playbook
from tests.e2e.galaxy_stub import tar_installed_collection
from tests.e2e.rollout_scenario import REPO, Podinfo


# The oldest ansible-core meta/runtime.yml claims (hack/setup-venv-oldest.sh).
OLDEST_VENV = REPO / ".venv-ansible-oldest"


def pytest_generate_tests(metafunc):
    """Tests marked ``oldest`` run twice, on the newest and on the oldest ansible-core we claim, in the same pool of
    workers as the rest of the suite (one suite, no second start-up). With CANARY_TEST_VENV set (`make e2e-oldest`)
    every test runs once, on that environment."""
    if metafunc.definition.get_closest_marker("oldest") and not os.environ.get("CANARY_TEST_VENV"):
        metafunc.parametrize("ansible_core", ["newest_core", "oldest_core"], indirect=True)


@pytest.fixture(autouse=True)
def ansible_core(request, monkeypatch):
    """Which ansible-core runs the test's playbooks: the test environment's, or the oldest claimed for ``oldest_core``."""
    which = getattr(request, "param", "newest_core")
    if which == "oldest_core":
        if not (OLDEST_VENV / "bin" / "ansible-playbook").exists():
            pytest.skip("%s is not built (make setup builds it)" % OLDEST_VENV.name)
        monkeypatch.setattr(ansible_playbook, "ANSIBLE_VENV", OLDEST_VENV.resolve())
        monkeypatch.setattr(ansible_playbook, "ANSIBLE_PYTHON", str(OLDEST_VENV.resolve() / "bin" / "python"))
    return which


@pytest.fixture
def podinfo(emulator, kubeconfig, mesh, prometheus_live, tmp_path):
    """The podinfo scenario in a fresh namespace of this test's emulator, not loaded yet (call ``load()``)."""
    return Podinfo(emulator, kubeconfig, mesh, prometheus_live, tmp_path)


@pytest.fixture(scope="session")
def collection_artifacts(tmp_path_factory):
    """{"progressive.canary": this checkout built with `ansible-galaxy collection build` (galaxy.yml's build_ignore
    applies), "kubernetes.core": the installed dependency as Galaxy serves it}: tarball paths, built once per worker."""
    artifacts = tmp_path_factory.mktemp("collection-artifacts")
    built = subprocess.run([str(ansible_playbook.ANSIBLE_VENV / "bin" / "ansible-galaxy"), "collection", "build", "--output-path",
                            str(artifacts), str(REPO)], capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    core = tar_installed_collection(REPO / ".collections" / "ansible_collections" / "kubernetes" / "core", artifacts)
    return {"progressive.canary": next(artifacts.glob("progressive-canary-*.tar.gz")), "kubernetes.core": core}
