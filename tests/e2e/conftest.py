"""Fixtures of the end-to-end tests (the sandbox's own fixtures come from tests/conftest.py)."""
import pytest

from tests.e2e.rollout_scenario import Podinfo


@pytest.fixture
def podinfo(emulator, kubeconfig, mesh, prometheus_live, tmp_path):
    """The podinfo scenario in a fresh namespace of this test's emulator, not loaded yet (call ``load()``)."""
    return Podinfo(emulator, kubeconfig, mesh, prometheus_live, tmp_path)
