"""Fixtures of the end-to-end tests (the sandbox's own fixtures come from tests/conftest.py)."""
import subprocess

import pytest

from tests import ansible_playbook
from tests.e2e.galaxy_stub import tar_installed_collection
from tests.e2e.rollout_scenario import REPO, Podinfo


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
