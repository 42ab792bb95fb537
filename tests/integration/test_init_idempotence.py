"""Second runs write nothing; check mode writes nothing; diff mode shows the real change."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, load_podinfo, reset_request_log, writes
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.sandbox.fixtures_mesh import wait_ready

pytestmark = pytest.mark.needs_crds


def _init(api, **options):
    return run_init(api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo", ready_timeout=60), **options)


def _cleanup(api, **options):
    return run_cleanup(api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60), **options)


def _diff_for(result, header):
    entries = [entry for entry in result["diff"] if entry["before_header"] == header]
    assert entries, "no diff for %r in %s" % (header, [entry["before_header"] for entry in result["diff"]])
    return entries[0]


@pytest.fixture
def podinfo(emulator):
    load_podinfo(emulator)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    reset_request_log(emulator)
    return emulator


def test_second_init_and_second_cleanup_write_nothing(podinfo, kube_api):  # noqa: F811  pylint: disable=redefined-outer-name
    assert _init(kube_api)["changed"]
    assert writes(podinfo), "the first run wrote"
    reset_request_log(podinfo)
    again = _init(kube_api)
    assert again["changed"] is False and again["phase"] == "Initialized" and again["actions"] == []
    assert writes(podinfo) == []

    assert _cleanup(kube_api)["changed"]
    reset_request_log(podinfo)
    again = _cleanup(kube_api)
    assert again == {"changed": False, "restored": [], "removed": [], "actions": []}
    assert writes(podinfo) == []


def test_check_mode_writes_nothing_and_diff_shows_the_real_change(podinfo, kube_api):  # noqa: F811  pylint: disable=redefined-outer-name
    planned = _init(kube_api, check_mode=True, want_diff=True)
    assert planned["changed"] and writes(podinfo) == []
    assert kube_api.get("apps/v1", "Deployment", NAMESPACE, "podinfo-primary") is None
    repoint = _diff_for(planned, "re-point Service test/podinfo at the primary (ports kept)")
    assert repoint["before"]["spec"]["selector"] == {"app": "podinfo"} and repoint["after"]["spec"]["selector"] == {"app": "podinfo-primary"}
    assert len(repoint["after"]["spec"]["ports"]) == 3
    scale = _diff_for(planned, "scale Deployment test/podinfo to 0")
    assert (scale["before"], scale["after"]) == ({"spec": {"replicas": 2}}, {"spec": {"replicas": 0}})
    assert _diff_for(planned, "create Deployment test/podinfo-primary")["after"]["spec"]["selector"] == {"matchLabels": {"app": "podinfo-primary"}}

    done = _init(kube_api, want_diff=True)
    assert done["actions"] == planned["actions"], "check mode announced exactly what the run did"
    assert [entry["before_header"] for entry in done["diff"]] == [entry["before_header"] for entry in planned["diff"]]

    reset_request_log(podinfo)
    planned = _cleanup(kube_api, check_mode=True, want_diff=True)
    assert planned["changed"] and writes(podinfo) == []
    restore = _diff_for(planned, "restore Service test/podinfo as recorded")
    assert restore["before"]["spec"]["selector"] == {"app": "podinfo-primary"} and restore["after"]["spec"]["selector"] == {"app": "podinfo"}
    assert kube_api.get("apps/v1", "Deployment", NAMESPACE, "podinfo")["spec"]["replicas"] == 0
    done = _cleanup(kube_api)
    assert done["actions"] == planned["actions"]
