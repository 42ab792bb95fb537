"""The seed scenario on a mesh whose proxies learn of changes late and whose pods exit at once when deleted.

Init, a healthy release promoted, a bad (slow) release rolled back, cleanup — for every provider — with the mesh's
proxies applying what they read 1 to 2 s late (tests/sandbox/mesh_propagation.py) and every deleted pod exiting at
once (no preStop, tests/sandbox/apiserver/pod_termination.py): a request a stale proxy sends to a pod that is gone
fails. Every phase waits until its routing change is in effect before it removes anything (routers/settling.py), so
no request to the apex host fails in any phase. The negative control runs the same phases without waiting (settle
time 0, a mesh that reports no status, as an older istiod): requests fail, so the mesh does catch the bug.

Each phase's wall time is printed (``pytest -s``) for the report of what the waits cost."""
import time

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.phases.promote import PromoteRun
from ansible_collections.progressive.canary.plugins.module_utils.phases.release import ReleaseRequest, execute
from ansible_collections.progressive.canary.plugins.module_utils.phases.rollback import RollbackRun
from ansible_collections.progressive.canary.plugins.module_utils.phases.shift import ShiftRun
from ansible_collections.progressive.canary.plugins.module_utils.routers.openshift_route import ROUTE
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, load_podinfo
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.integration.release_scenario import set_template
from tests.sandbox.fixtures_api import wait_for
from tests.sandbox.fixtures_mesh import wait_ready

pytestmark = pytest.mark.needs_crds
DELAY, JITTER = 1.0, 1.0            # each proxy 1 to 2 s late
SETTLE = DELAY + JITTER + 0.5       # the settle time the phases wait when the mesh reports nothing
ROUTE_HOST = "podinfo.apps.example.com"

# provider -> (service option, host the clients call, client namespace)
PROVIDERS = {
    "istio": (PODINFO_SERVICE, "podinfo." + NAMESPACE, NAMESPACE),
    "gatewayapi": ({"port": 9898, "port_name": "http"}, "podinfo." + NAMESPACE, NAMESPACE),
    "openshift": ({"port": 9898, "port_name": "http"}, ROUTE_HOST, "clients"),
}


class Scenario(object):
    """The seed scenario's phases for one provider, each followed by a check of the requests to the apex host."""

    def __init__(self, api, mesh, provider, settle, timings):
        self.api, self.mesh, self.provider, self.settle = api, mesh, provider, settle
        self.service, self.host, self.client_namespace = PROVIDERS[provider]
        self.timings = timings
        self.failed = {}

    def _options(self):
        return {"provider": self.provider, "route_settle_seconds": self.settle}

    def _release(self, run_class, **extra):
        return execute(self.api, ReleaseRequest("podinfo", NAMESPACE, ready_timeout=60, **dict(self._options(), **extra)), run_class)

    def phase(self, name, run):
        started = time.monotonic()
        result = run()
        self.timings[name] = time.monotonic() - started
        # A stale proxy may send to a removed pod until its delay has passed: count those too.
        time.sleep(DELAY + JITTER + 0.5)
        self.failed[name] = self.mesh.counts(self.host)
        self.mesh.reset(self.host)
        return result

    def init(self):
        request = InitRequest("podinfo", NAMESPACE, self.service, hpa="podinfo", ready_timeout=60, **self._options())
        return self.phase("init", lambda: run_init(self.api, request))

    def _canary_serves(self):
        """Every proxy sends the canary its share before the phase that takes it away."""
        served = self.mesh.counts(self.host)["by_workload"].get("podinfo", 0)
        wait_for(lambda: self.mesh.counts(self.host)["by_workload"].get("podinfo", 0) >= served + 20, what="the canary's share")

    def healthy_release_promoted(self):
        set_template(self.api)
        for weight in (20, 40, 60):
            self._release(ShiftRun, weight=weight)
        self._canary_serves()
        return self.phase("promote", lambda: self._release(PromoteRun))

    def bad_release_rolled_back(self):
        set_template(self.api, "stefanprodan/podinfo:3.1.2", annotations={"sandbox.progressive.canary/latency-ms": "4000"})
        self._release(ShiftRun, weight=20)
        self._canary_serves()
        return self.phase("rollback", lambda: self._release(RollbackRun, reason="p99 latency above 500 ms"))

    def cleanup(self):
        return self.phase("cleanup", lambda: run_cleanup(self.api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60, **self._options())))


def _start(emulator, api, mesh, provider, write_status):
    load_podinfo(emulator)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    if provider == "openshift":
        api.create({"apiVersion": ROUTE[0], "kind": ROUTE[1], "metadata": {"name": "podinfo-web", "namespace": NAMESPACE},
                    "spec": {"host": ROUTE_HOST, "to": {"kind": "Service", "name": "podinfo", "weight": 100},
                             "port": {"targetPort": 9898}}})
    mesh.simulate_proxies(DELAY, JITTER, write_status=write_status)
    host, client_namespace = PROVIDERS[provider][1:]
    mesh.add_target(host, namespace=client_namespace)
    # Every proxy has routed for longer than its delay: none of them is still on an empty view.
    wait_for(lambda: mesh.counts(host)["total"] >= 200, what="traffic through every proxy")
    assert mesh.failed(host) == 0, mesh.counts(host)
    mesh.reset(host)


@pytest.mark.parametrize("provider, write_status", [
    ("istio", True), ("istio", False), ("gatewayapi", True), ("openshift", True),
], ids=["istio-with-status", "istio-without-status", "gatewayapi", "openshift"])
def test_no_request_to_the_apex_host_fails_in_any_phase(emulator, kube_api, mesh, provider, write_status):  # noqa: F811
    _start(emulator, kube_api, mesh, provider, write_status)
    timings = {}
    scenario = Scenario(kube_api, mesh, provider, SETTLE, timings)
    assert scenario.init()["phase"] == "Initialized"
    assert scenario.healthy_release_promoted()["phase"] == "Succeeded"
    assert scenario.bad_release_rolled_back()["rolled_back"]
    assert scenario.cleanup()["changed"]
    print("\n%s (status %s): %s" % (provider, write_status, ", ".join("%s %.1fs" % item for item in timings.items())))
    failed = dict((phase, counts) for phase, counts in scenario.failed.items() if counts["failed"])
    assert not failed, failed
    assert all(counts["total"] > 0 for counts in scenario.failed.values()), scenario.failed


def test_without_waiting_the_mesh_shows_failed_requests(emulator, kube_api, mesh):  # noqa: F811
    """The negative control: the same phases without waiting (settle time 0, istiod writing no status)."""
    _start(emulator, kube_api, mesh, "istio", write_status=False)
    timings = {}
    scenario = Scenario(kube_api, mesh, "istio", 0, timings)
    scenario.init()
    scenario.healthy_release_promoted()
    scenario.bad_release_rolled_back()
    scenario.cleanup()
    failed = dict((phase, counts["failed"]) for phase, counts in scenario.failed.items())
    print("\nistio without waiting: %s; failed %s" % (", ".join("%s %.1fs" % item for item in timings.items()), failed))
    for phase in ("init", "promote", "rollback", "cleanup"):
        counts = scenario.failed[phase]
        assert counts["failed"] > 0 and counts["failed"] == counts["gone"], (phase, counts)
