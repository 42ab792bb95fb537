"""What canary_init and canary_info say of a target without a graceful shutdown, and the settle time refused when it
cannot be one (before the first write)."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import DEPLOYMENT, CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.phases.info import canary_info
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, load_podinfo, reset_request_log, writes
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.integration.release_scenario import init_podinfo
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
