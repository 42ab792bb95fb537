"""pytest fixtures for the Kubernetes API emulator (re-exported by tests/conftest.py).

- ``emulator`` (function): a fresh, started Emulator serving every shared CRD, with this test's own
  ``TMPDIR``/``HOME`` so that discovery caches (``$TMPDIR/osrcp-*``, ``$TMPDIR/k8srcp-*``, ``~/.kube/cache``)
  never leak between tests.
- ``kubeconfig`` (function): path of a kubeconfig for ``emulator``.
- ``kubectl`` (function): ``kubectl(*args, input=None, check=True)`` runs the real /usr/bin/kubectl on it
  and returns the CompletedProcess (text mode).
- ``k8s_client`` (function): a kubernetes ``DynamicClient`` on it.
"""
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from tests.sandbox.apiserver import Emulator

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


@pytest.fixture
def sandbox_home(tmp_path, monkeypatch):
    """This test's TMPDIR and HOME (both env and Python's cached `tempfile.tempdir`)."""
    tmp = tmp_path / "tmp"
    home = tmp_path / "home"
    tmp.mkdir()
    home.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp_path


@pytest.fixture
def emulator(sandbox_home):  # pylint: disable=redefined-outer-name,unused-argument
    with Emulator() as started:
        yield started


@pytest.fixture
def kubeconfig(emulator, sandbox_home):  # pylint: disable=redefined-outer-name
    return emulator.write_kubeconfig(sandbox_home / "kubeconfig")


@pytest.fixture
def kubectl(kubeconfig):  # pylint: disable=redefined-outer-name
    if not os.path.exists(KUBECTL):
        pytest.skip("kubectl is not installed")

    def run(*args, input=None, check=True):  # pylint: disable=redefined-builtin
        completed = subprocess.run([KUBECTL, "--kubeconfig", kubeconfig, *args], input=input, capture_output=True,
                                   text=True, timeout=120, check=False)
        if check and completed.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
        return completed

    return run


@pytest.fixture
def k8s_client(kubeconfig):  # pylint: disable=redefined-outer-name
    from kubernetes import config
    from kubernetes.dynamic import DynamicClient

    api_client = config.new_client_from_config(config_file=kubeconfig)
    yield DynamicClient(api_client)
    api_client.close()


def wait_for(condition, timeout=30.0, interval=0.05, what="condition"):
    """Poll `condition()` until it returns something truthy (returned); AssertionError after `timeout` seconds.

    The timeout only bounds a hung test: assertions are about the value reached, never about how fast."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {value!r}")
        time.sleep(interval)
