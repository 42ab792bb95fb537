"""What canary_init and canary_info say of a target without a graceful shutdown, the settle time refused when it
cannot be one (before the first write), and a routing change the mesh never reports in effect."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import DEPLOYMENT, CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.phases.info import canary_info
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.workloads.wait import NotReadyError
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, load_podinfo, reset_request_log, writes
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.integration.release_scenario import get, init_podinfo, rollback, route, set_template, shift
from tests.sandbox.fixtures_mesh import wait_ready

pytestmark = pytest.mark.needs_crds
NAMES = CanaryNames("podinfo", NAMESPACE)
WARNING = "Deployment test/podinfo: container podinfod has no preStop hook, so a pod that is scaled down or replaced exits at once"


def test_init_and_info_warn_about_a_target_without_a_pre_stop_hook_until_it_has_one(emulator, kube_api):  # noqa: F811
    result = init_podinfo(emulator, kube_api)
    assert len(result["warnings"]) == 1 and result["warnings"][0].startswith(WARNING), result
    assert "preStop hook that sleeps a few seconds" in result["warnings"][0]
    assert [w[:len(WARNING)] for w in canary_info(kube_api, NAMES)["warnings"]] == [WARNING]

    kube_api.patch(DEPLOYMENT[0], DEPLOYMENT[1], NAMESPACE, "podinfo", {"spec": {"template": {"spec": {"containers": [
        {"name": "podinfod", "lifecycle": {"preStop": {"sleep": {"seconds": 5}}}}]}}}}, "strategic")
    assert canary_info(kube_api, NAMES)["warnings"] == []


def test_a_negative_settle_time_is_refused_before_the_first_write(emulator, kube_api):  # noqa: F811
    load_podinfo(emulator)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    reset_request_log(emulator)
    with pytest.raises(Refusal, match=r"route_settle_seconds must be a number of seconds >= 0, got -1\.0; nothing was changed"):
        run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, ready_timeout=60, route_settle_seconds=-1.0))
    assert writes(emulator) == [] and emulator.request_log.dry_runs() == []


def test_a_mesh_that_never_reports_the_change_fails_the_phase_before_the_removal(emulator, kube_api):  # noqa: F811
    """istiod's status stuck at an older generation (a proxy that never acknowledges): the rollback's wait ends after
    its ready_timeout with the reason, and the canary is not scaled down (a re-run waits again)."""
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    shift(kube_api, 20, ready_timeout=60)
    path = "/apis/networking.istio.io/v1/namespaces/%s/virtualservices/podinfo" % NAMESPACE
    generation = emulator.request("GET", path)[1]["metadata"]["generation"]
    stuck = {"observedGeneration": generation, "conditions": [{"type": "Reconciled", "status": "True", "message": "4/4 proxies up to date."}]}
    status, body = emulator.request("PATCH", path + "/status", {"status": stuck}, content_type="application/merge-patch+json")
    assert status == 200, body
    with pytest.raises(NotReadyError, match=r"the routing change of canary test/podinfo not ready after 2\.0s: istiod reports "
                                            r"generation %d, the VirtualService is at %d" % (generation, generation + 1)):
        rollback(kube_api, ready_timeout=2, reason="error rate")
    assert route(kube_api) == [("podinfo-primary", 100), ("podinfo-canary", 0)]
    assert get(kube_api, DEPLOYMENT, "podinfo")["spec"]["replicas"] == 2, "not scaled down while a proxy may still send to it"
