"""Fixtures of the end-to-end tests (the sandbox's own fixtures come from tests/conftest.py)."""
import os
import subprocess

import pytest

from tests import ansible_playbook
from tests.e2e.galaxy_stub import tar_installed_collection
from tests.e2e.rollout_scenario import REPO, Podinfo


# The oldest ansible-core meta/runtime.yml claims (hack/setup-venv-oldest.sh).
OLDEST_VENV = REPO / ".venv-ansible-oldest"


# The files in the order of their longest test (per-test times of `make test`'s JUnit report, tests/output/junit): xdist
# hands the tests out in this order, so the longest start first and the short refusals fill each worker's end, and the
# workers finish together. Order only: a file not listed runs between, and every test runs.
LONGEST_FIRST = ("test_rollout_lost_state.py", "test_rbac.py", "test_rollout_callers.py", "test_docs.py", "test_rollout_lease.py",
                 "test_rollout_runner.py", "test_rollout_secrets.py", "test_rollout_gateway_api.py", "test_rollout_resume.py",
                 "test_rollout_openshift.py", "test_rollout_outcomes.py", "test_rollout_check_mode.py", "test_rollout_comparison.py",
                 "test_rollout_strategies.py", "test_rollout_image.py", "test_rollout_webhooks.py", "test_rollout_old_istio.py",
                 "test_user_text.py", "test_collection_package.py", "test_rollout_refusals.py", "test_rollout_durations.py")


def pytest_collection_modifyitems(items):
    """The longest first (LONGEST_FIRST); the tests of a file keep their order."""
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONGEST_FIRST) // 2))


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
