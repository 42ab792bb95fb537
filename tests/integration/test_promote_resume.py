"""canary_promote over HTTP: idempotent, check mode writes nothing, a promotion interrupted at each of its writes
is finished by a re-run that restarts the primary only once, an unchanged primary template is never rewritten, and
two concurrent runs on one canary do not interleave (one fails on the lease)."""
import threading

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import CanaryApiError
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.phases.promote import PromoteRun
from ansible_collections.progressive.canary.plugins.module_utils.phases.release import ReleaseRequest, execute
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import CanaryLeaseHeld, StateStore
from ansible_collections.progressive.canary.plugins.module_utils.workloads.deployment import readiness
from ansible_collections.progressive.canary.plugins.module_utils.workloads.pod_template import CONFIG_CHECKSUM_ANNOTATION
from tests.integration.canary_scenario import NAMESPACE, kube_api, podinfo_manifests, reset_request_log  # noqa: F401  pylint: disable=unused-import
from tests.integration.release_scenario import DEPLOYMENT, NEW_IMAGE, get as _get, init_podinfo, kill_module_at, promote as _promote, set_template
from tests.integration.release_scenario import progressing, shift as _shift  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.sandbox.fixtures_api import wait_for

pytestmark = pytest.mark.needs_crds
NAMES = CanaryNames("podinfo", NAMESPACE)
PRIMARY_PATH = "deployments/podinfo-primary$"


def _template_writes(emulator):
    """Successful writes to the primary Deployment (each one that changes the template is a restart)."""
    return [r for r in emulator.request_log.writes() if r.path.endswith("/deployments/podinfo-primary") and r.status < 300]


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
        # Until cleared: a single 500 would be retried (retry.py) and the promotion would go through.
        emulator.faults.add(verb=verb, path_regex=path, status=500)
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


# A real canary_promote process SIGKILLed at each point, the next run started where it died. ``applied``: the held
# write reached the server and lands after the kill (the process never saw the answer).
PROCESS_KILL_POINTS = [
    # verb, path, requests let through first, applied, phase the kill leaves
    ("PATCH", PRIMARY_PATH, 0, True, "Promoting"),                        # the primary's template, written but unanswered
    ("PUT", "configmaps/podinfo-canary-state$", 1, False, "Promoting"),   # the Finalising record (the 1st PUT is the lease)
    ("PATCH", "virtualservices/podinfo$", 0, True, "Finalising"),         # route 100/0, written but unanswered
    ("PATCH", "deployments/podinfo$", 0, False, "Finalising"),            # the target's scale to 0, never written
]


def test_promote_process_killed_at_several_points_is_finished_by_a_rerun_with_one_restart(progressing, emulator, kubeconfig, tmp_path):  # noqa: E501  pylint: disable=redefined-outer-name
    generation = _get(progressing, DEPLOYMENT, "podinfo-primary")["metadata"]["generation"]
    args = {"target": "podinfo", "namespace": NAMESPACE, "kubeconfig": kubeconfig, "lease_holder": "awx-job-9", "ready_timeout": 60}
    left = []
    for verb, path, skip, applied, _phase in PROCESS_KILL_POINTS:
        kill_module_at(emulator, tmp_path, "canary_promote", args, verb, path, skip=skip, applied=applied)
        state = StateStore(progressing, NAMES).read()
        left.append((state.phase, state["lease"]["holder"]))
    assert left == [(phase, "awx-job-9") for _verb, _path, _skip, _applied, phase in PROCESS_KILL_POINTS], "a killed run keeps its lease"
    # ... naming its process, now gone: the next run takes it over at once, whatever its holder (test_lease_holders.py).
    final = _promote(progressing, lease_holder="awx-job-9")
    assert final["phase"] == "Succeeded" and final["actions"] == ["scale Deployment test/podinfo to 0", final["actions"][-1]]
    primary = _get(progressing, DEPLOYMENT, "podinfo-primary")
    assert primary["spec"]["template"]["spec"]["containers"][0]["image"] == NEW_IMAGE
    assert primary["metadata"]["generation"] == generation + 1, "one restart of the primary over all the runs"
    assert len(_template_writes(emulator)) == 1, "the first run's write landed unanswered; no run wrote the primary again"
    assert StateStore(progressing, NAMES).read()["lease"] is None


def test_promotion_killed_before_its_last_record_is_finished_by_one_state_write(progressing, emulator):  # pylint: disable=redefined-outer-name
    done = _promote(progressing)
    # What a run killed between its last two writes leaves: everything done, the state still Finalising with
    # the old promoted revision, and its lease held (a killed process releases nothing).
    store = StateStore(progressing, NAMES)
    state = store.read()
    state.set_phase("Finalising")
    state.data["last_promoted_revision"] = "the-previous-revision"
    state.data["lease"] = {"holder": "awx-job-8", "expires": "2999-01-01T00:00:00Z"}
    store.write(state)
    with pytest.raises(CanaryLeaseHeld):
        _promote(progressing, lease_holder="another-run")
    reset_request_log(emulator)
    final = _promote(progressing, lease_holder="awx-job-8")
    assert final["phase"] == "Succeeded" and final["last_promoted_revision"] == done["revision"]
    assert len(final["actions"]) == 1 and final["actions"][0].startswith("set phase Succeeded")
    assert _template_writes(emulator) == []
    assert store.read()["lease"] is None


def _checksum(api):
    return _get(api, DEPLOYMENT, "podinfo-primary")["spec"]["template"]["metadata"]["annotations"][CONFIG_CHECKSUM_ANNOTATION]


def test_a_config_only_release_rolls_the_primary_once_and_cleanup_drops_the_checksum(emulator, kube_api):  # noqa: F811
    """Pods read env/envFrom only when they start: new data in a tracked ConfigMap must restart the primary."""
    emulator.ensure_namespace(NAMESPACE)
    emulator.load_manifests("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: podinfo-config}\ndata: {color: blue}\n", namespace=NAMESPACE)
    containers = podinfo_manifests()["deployment"]["spec"]["template"]["spec"]["containers"]
    containers[0]["envFrom"] = [{"configMapRef": {"name": "podinfo-config"}}]
    init_podinfo(emulator, kube_api, deployment_changes={"spec.template.spec.containers": containers})
    primary = _get(kube_api, DEPLOYMENT, "podinfo-primary")
    assert primary["spec"]["template"]["spec"]["containers"][0]["envFrom"] == [{"configMapRef": {"name": "podinfo-config-primary"}}]
    initial_checksum = _checksum(kube_api)
    kube_api.patch("v1", "ConfigMap", NAMESPACE, "podinfo-config", {"data": {"color": "green"}})
    assert _shift(kube_api, 50, ready_timeout=60)["pending"]
    result = _promote(kube_api)
    assert result["phase"] == "Succeeded" and result["primary_updated"]
    assert _get(kube_api, DEPLOYMENT, "podinfo-primary")["metadata"]["generation"] == primary["metadata"]["generation"] + 1
    assert _get(kube_api, ("v1", "ConfigMap"), "podinfo-config-primary")["data"] == {"color": "green"}
    assert _checksum(kube_api) != initial_checksum
    assert not _promote(kube_api)["changed"]
    # A template-only release: the config data is unchanged, so is the checksum; only the image moves the primary.
    set_template(kube_api)
    _shift(kube_api, 50, ready_timeout=60)
    checksum = _checksum(kube_api)
    assert _promote(kube_api)["primary_updated"]
    assert _get(kube_api, DEPLOYMENT, "podinfo-primary")["metadata"]["generation"] == primary["metadata"]["generation"] + 2
    assert _checksum(kube_api) == checksum
    run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))
    restored = _get(kube_api, DEPLOYMENT, "podinfo")["spec"]["template"]
    assert restored["spec"]["containers"][0]["image"] == NEW_IMAGE
    assert restored["spec"]["containers"][0]["envFrom"] == [{"configMapRef": {"name": "podinfo-config"}}]
    assert CONFIG_CHECKSUM_ANNOTATION not in (restored["metadata"].get("annotations") or {})


def _waiting_after_scale_up(emulator):
    """run-a has made its writes before the wait (lease, analysis started, target scaled up) and polls readiness."""
    records = emulator.request_log.records()
    writes = [(r.method, r.path.rsplit("/", 1)[-1]) for r in records if r.method != "GET"]
    if writes != [("PUT", "podinfo-canary-state"), ("PUT", "podinfo-canary-state"), ("PATCH", "podinfo")]:
        return False
    scaled = max(i for i, r in enumerate(records) if r.method == "PATCH")
    return any(r.method == "GET" and r.path.endswith("/deployments/podinfo") for r in records[scaled + 1:])


def test_two_concurrent_runs_one_fails_on_the_lease_and_nothing_interleaves(emulator, kube_api):  # noqa: F811
    init_podinfo(emulator, kube_api)
    # The new template's pods take a while to be ready: the first run holds the lease while it waits.
    set_template(kube_api, annotations={"sandbox.progressive.canary/ready-seconds": "5"})
    reset_request_log(emulator)
    outcome = {}
    runner = threading.Thread(target=lambda: outcome.update(first=_shift(kube_api, 20, ready_timeout=60, lease_holder="run-a")))
    runner.start()
    # From its first readiness poll until the target is ready, run-a only reads: every write in that window is run-b's.
    wait_for(lambda: _waiting_after_scale_up(emulator), timeout=30, what="run-a waiting for the target")
    writes_before = len(emulator.request_log.writes())
    with pytest.raises(CanaryLeaseHeld) as held:
        _shift(kube_api, 40, ready_timeout=60, lease_holder="run-b")
    ready, why, _final = readiness(_get(kube_api, DEPLOYMENT, "podinfo"))
    assert not ready, "run-a must still be waiting for the window to hold only run-b's requests: " + why
    assert "run-a" in str(held.value)
    assert len(emulator.request_log.writes()) == writes_before, "the refused run wrote nothing"
    runner.join()
    assert outcome["first"]["weight"] == 20 and outcome["first"]["step"] == 1
    assert _shift(kube_api, 40, lease_holder="run-b")["weight"] == 40
