"""canary_promote over HTTP: idempotent, check mode writes nothing, a promotion interrupted at each of its writes
is finished by a re-run that restarts the primary only once, an unchanged primary template is never rewritten, and
two concurrent runs on one canary do not interleave (one fails on the lease)."""
import threading

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.connection import CanaryApiError
from ansible_collections.progressive.canary.plugins.module_utils.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.promote import PromoteRun
from ansible_collections.progressive.canary.plugins.module_utils.release import ReleaseRequest, execute
from ansible_collections.progressive.canary.plugins.module_utils.state import CanaryLeaseHeld, StateStore
from tests.integration.canary_scenario import NAMESPACE, kube_api, reset_request_log  # noqa: F401  pylint: disable=unused-import
from tests.integration.release_scenario import DEPLOYMENT, NEW_IMAGE, get as _get, init_podinfo, promote as _promote, set_template
from tests.integration.release_scenario import shift as _shift
from tests.sandbox.fixtures_api import wait_for

pytestmark = pytest.mark.needs_crds
NAMES = CanaryNames("podinfo", NAMESPACE)
PRIMARY_PATH = "deployments/podinfo-primary$"


def _template_writes(emulator):
    """Successful writes to the primary Deployment (each one that changes the template is a restart)."""
    return [r for r in emulator.request_log.writes() if r.path.endswith("/deployments/podinfo-primary") and r.status < 300]


@pytest.fixture
def progressing(emulator, kube_api):  # noqa: F811  pylint: disable=redefined-outer-name
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    _shift(kube_api, 60, ready_timeout=60)
    reset_request_log(emulator)
    return kube_api


def test_check_mode_plans_the_promotion_and_writes_nothing(progressing, emulator):  # pylint: disable=redefined-outer-name
    result = execute(progressing, ReleaseRequest("podinfo", NAMESPACE), PromoteRun, check_mode=True, want_diff=True)
    assert result["changed"] and result["primary_updated"] and result["phase"] == "Progressing"
    assert result["actions"][0].startswith("set phase Promoting") and result["actions"][-1].startswith("set phase Succeeded")
    assert "scale Deployment test/podinfo to 0" in result["actions"]
    template_diff = [d for d in result["diff"] if "podinfo-primary" in d["before_header"]]
    assert template_diff and template_diff[0]["after"]["spec"]["template"]["spec"]["containers"][0]["image"] == NEW_IMAGE
    assert emulator.request_log.writes() == []


def test_promote_then_again_changes_nothing(progressing, emulator):  # pylint: disable=redefined-outer-name
    first = _promote(progressing)
    assert first["changed"] and first["phase"] == "Succeeded" and first["last_promoted_revision"] == first["revision"]
    reset_request_log(emulator)
    again = _promote(progressing)
    assert not again["changed"] and again["nothing_to_promote"] and again["actions"] == []
    assert emulator.request_log.writes() == [], "no write, not even the lease"


# Each fault fails one write of the promotion (the run dies there, after the writes before it); the next run
# starts where it stopped. A fault applies to the first matching request: these paths are written once per run.
KILL_POINTS = [
    ("PATCH", PRIMARY_PATH),                  # after the Promoting record: the primary's template
    ("PATCH", "virtualservices/podinfo$"),    # after the template, the wait and the Finalising record: route 100/0
    ("PATCH", "deployments/podinfo$"),        # after the route: scale the target to 0
]


def test_promotion_killed_at_each_write_is_finished_by_reruns_with_one_restart(progressing, emulator):  # pylint: disable=redefined-outer-name
    generation = _get(progressing, DEPLOYMENT, "podinfo-primary")["metadata"]["generation"]
    phases = []
    for verb, path in KILL_POINTS:
        emulator.faults.clear()
        emulator.faults.add(verb=verb, path_regex=path, status=500, times=1)
        with pytest.raises(CanaryApiError):
            _promote(progressing, lease_holder="awx-job-7")
        phases.append(StateStore(progressing, NAMES).read().phase)
    emulator.faults.clear()
    assert phases == ["Promoting", "Finalising", "Finalising"]
    assert StateStore(progressing, NAMES).read()["lease"] is None, "a failed run releases its lease"
    final = _promote(progressing, lease_holder="awx-job-7")
    assert final["phase"] == "Succeeded" and final["actions"] == ["scale Deployment test/podinfo to 0", final["actions"][-1]]
    primary = _get(progressing, DEPLOYMENT, "podinfo-primary")
    assert primary["spec"]["template"]["spec"]["containers"][0]["image"] == NEW_IMAGE
    assert primary["metadata"]["generation"] == generation + 1, "the primary's template was written exactly once"
    assert len(_template_writes(emulator)) == 1
    assert _get(progressing, DEPLOYMENT, "podinfo")["spec"]["replicas"] == 0
    assert not _promote(progressing)["changed"]


def test_promotion_killed_before_its_last_record_is_finished_by_one_state_write(progressing, emulator):  # pylint: disable=redefined-outer-name
    done = _promote(progressing)
    # What a run killed between its last two writes leaves: everything done, the state still Finalising with
    # the old promoted revision, and its lease held (a killed process releases nothing).
    store = StateStore(progressing, NAMES)
    state = store.read()
    state.set_phase("Finalising")
    state["last_promoted_revision"] = "the-previous-revision"
    state["lease"] = {"holder": "awx-job-8", "expires": "2999-01-01T00:00:00Z"}
    store.write(state)
    with pytest.raises(CanaryLeaseHeld):
        _promote(progressing, lease_holder="another-run")
    reset_request_log(emulator)
    final = _promote(progressing, lease_holder="awx-job-8")
    assert final["phase"] == "Succeeded" and final["last_promoted_revision"] == done["revision"]
    assert len(final["actions"]) == 1 and final["actions"][0].startswith("set phase Succeeded")
    assert _template_writes(emulator) == []
    assert store.read()["lease"] is None


def test_config_only_release_does_not_restart_the_primary(emulator, kube_api):  # noqa: F811
    emulator.ensure_namespace(NAMESPACE)
    emulator.load_manifests("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: podinfo-config}\ndata: {color: blue}\n", namespace=NAMESPACE)
    init_podinfo(emulator, kube_api, deployment_changes={"spec.template.spec.volumes": [{"name": "config", "configMap": {"name": "podinfo-config"}}]})
    primary = _get(kube_api, DEPLOYMENT, "podinfo-primary")
    assert primary["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] == "podinfo-config-primary"
    kube_api.patch("v1", "ConfigMap", NAMESPACE, "podinfo-config", {"data": {"color": "green"}})
    assert _shift(kube_api, 50, ready_timeout=60)["pending"]
    result = _promote(kube_api)
    assert result["phase"] == "Succeeded" and not result["primary_updated"]
    assert _get(kube_api, DEPLOYMENT, "podinfo-primary")["metadata"]["generation"] == primary["metadata"]["generation"]
    assert _get(kube_api, ("v1", "ConfigMap"), "podinfo-config-primary")["data"] == {"color": "green"}


def test_two_concurrent_runs_one_fails_on_the_lease_and_nothing_interleaves(emulator, kube_api):  # noqa: F811
    init_podinfo(emulator, kube_api)
    # The new template's pods take a while to be ready: the first run holds the lease while it waits.
    set_template(kube_api, annotations={"sandbox.progressive.canary/ready-seconds": "3"})
    outcome = {}

    def first_run():
        outcome["first"] = _shift(kube_api, 20, ready_timeout=60, lease_holder="run-a")

    runner = threading.Thread(target=first_run)
    runner.start()
    wait_for(lambda: (StateStore(kube_api, NAMES).read()["lease"] or {}).get("holder") == "run-a", timeout=30, what="run-a's lease")
    writes_before = len(emulator.request_log.writes())
    with pytest.raises(CanaryLeaseHeld) as held:
        _shift(kube_api, 40, ready_timeout=60, lease_holder="run-b")
    assert "run-a" in str(held.value)
    assert len(emulator.request_log.writes()) == writes_before, "the refused run wrote nothing"
    runner.join()
    assert outcome["first"]["weight"] == 20 and outcome["first"]["step"] == 1
    assert _shift(kube_api, 40, lease_holder="run-b")["weight"] == 40
