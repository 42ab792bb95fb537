"""A fresh emulator holding the ready podinfo reference scenario, in its own TMPDIR/HOME.

The client's discovery caches live in ``$TMPDIR`` and ``~/.kube/cache``: every session gets new ones, so each
run starts as cold as a first module run on a new controller node."""
import contextlib
import os
import shutil
import tempfile

from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import connect
from tests.integration.canary_scenario import NAMESPACE, load_podinfo, reset_request_log
from tests.sandbox.apiserver import Emulator
from tests.sandbox.fixtures_mesh import wait_ready

# Pods become ready this long after they are created: small, so wall times show our overhead, not the wait.
READY_SECONDS = 0.01


@contextlib.contextmanager
def isolated_home():
    """A new directory set as TMPDIR and HOME (environment and Python's cached ``tempfile.tempdir``)."""
    root = tempfile.mkdtemp(prefix="bench-")
    saved_env = {key: os.environ.get(key) for key in ("TMPDIR", "HOME")}
    saved_tempdir = tempfile.tempdir
    for name in ("tmp", "home"):
        os.mkdir(os.path.join(root, name))
    os.environ["TMPDIR"] = tempfile.tempdir = os.path.join(root, "tmp")
    os.environ["HOME"] = os.path.join(root, "home")
    try:
        yield root
    finally:
        tempfile.tempdir = saved_tempdir
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(root, ignore_errors=True)


class PodinfoSession(object):
    """``emulator``, ``kubeconfig`` (path) and ``root`` (the session's TMPDIR/HOME parent) of a podinfo sandbox."""

    def __init__(self, emulator, kubeconfig, root):
        self.emulator = emulator
        self.kubeconfig = kubeconfig
        self.root = root

    def connect(self):
        """A KubeApi built as the modules build it (kubernetes.core's client, discovery included)."""
        return connect({"kubeconfig": self.kubeconfig}, request_timeout=10)

    def forget_requests(self):
        reset_request_log(self.emulator)


@contextlib.contextmanager
def podinfo_session():
    """Start an emulator, load podinfo (2 ready replicas, its HPA and apex Service) and yield a PodinfoSession.

    Raises ``pytest.skip.Exception`` (from the shared scenario loader) when ../shared is absent."""
    with isolated_home() as root:
        with Emulator(ready_seconds=READY_SECONDS) as emulator:
            load_podinfo(emulator)
            wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
            kubeconfig = emulator.write_kubeconfig(os.path.join(root, "kubeconfig"))
            yield PodinfoSession(emulator, kubeconfig, root)
