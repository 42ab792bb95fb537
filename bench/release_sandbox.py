"""The sandbox the rollout role runs against in the end-to-end tests, outside pytest: an emulator, the mesh
simulator sending traffic, and real Prometheus scraping the mesh every second, in a TMPDIR/HOME of its own.
Each canary is tests/e2e's Podinfo (podinfo in a namespace of its own, traffic to its apex host)."""
import contextlib
import os
from pathlib import Path

from tests.e2e.rollout_scenario import Podinfo
from tests.sandbox.apiserver import Emulator
from tests.sandbox.mesh import Mesh
from tests.sandbox.prometheus import Prometheus

from bench.sandbox_session import isolated_home

# The builtin checks as the role runs them, over windows short enough for 1 s steps (Prometheus scrapes every 1 s).
BUILTIN_CHECKS = [{"name": "request-success-rate", "interval": "10s", "threshold_range": {"min": 99}},
                  {"name": "request-duration", "interval": "10s", "threshold_range": {"max": 500}}]


class ReleaseSandbox(object):
    """``emulator``, ``kubeconfig``, ``mesh``, ``prometheus`` and ``root`` (a scratch directory)."""

    def __init__(self, emulator, kubeconfig, mesh, prometheus, root):
        self.emulator = emulator
        self.kubeconfig = kubeconfig
        self.mesh = mesh
        self.prometheus = prometheus
        self.root = root
        self._canaries = 0

    def canary(self, traffic=True):
        """A new podinfo canary (namespace ``e2e-<random>``), loaded and ready, with traffic unless told not."""
        self._canaries += 1
        scratch = os.path.join(self.root, "canary%d" % self._canaries)
        os.mkdir(scratch)
        return Podinfo(self.emulator, self.kubeconfig, self.mesh, self.prometheus, Path(scratch)).load(traffic=traffic)


@contextlib.contextmanager
def release_sandbox():
    """Start emulator, mesh (traffic running) and live Prometheus; yield a ReleaseSandbox; stop them all.

    Raises PrometheusUnavailable when prometheus is not installed."""
    with isolated_home() as root:
        mesh = Mesh().serve()
        try:
            prometheus = Prometheus.live([mesh.scrape_target])
            try:
                with Emulator() as emulator:
                    mesh.bind(emulator.url)
                    mesh.start()
                    try:
                        kubeconfig = emulator.write_kubeconfig(os.path.join(root, "kubeconfig"))
                        yield ReleaseSandbox(emulator, kubeconfig, mesh, prometheus, root)
                    finally:
                        mesh.stop_traffic()
                        mesh.bind(None)
            finally:
                prometheus.stop()
        finally:
            mesh.stop()
