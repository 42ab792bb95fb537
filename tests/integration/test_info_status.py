"""canary_info over HTTP: read-only (no write even while another run holds the lease), a canary that is not
initialized is reported as such, the status follows a release (weight, step, failed checks, pending), and the lease
and image calls return the same status (their info option)."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.phases.info import canary_info
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import Lease, StateStore
from tests.integration.canary_scenario import NAMESPACE, kube_api, load_podinfo, reset_request_log, run_playbook  # noqa: F401  pylint: disable=unused-import
from tests.integration.release_scenario import NEW_IMAGE, init_podinfo, set_template, shift

pytestmark = pytest.mark.needs_crds
NAMES = CanaryNames("podinfo", NAMESPACE)


def test_info_on_a_canary_that_is_not_initialized(emulator, kube_api):  # noqa: F811
    load_podinfo(emulator)
    reset_request_log(emulator)
    info = canary_info(kube_api, NAMES)
    assert info["initialized"] is False and info["phase"] is None and "run canary_init first" in info["reason"]
    assert emulator.request_log.writes() == []


def test_info_follows_the_release_and_never_writes(emulator, kube_api):  # noqa: F811
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    shift(kube_api, 20)
    store = StateStore(kube_api, NAMES)
    with Lease(store, holder="awx-job-3") as lease:
        lease.update(lambda state: state.count_failed_check("request-duration: 612ms > 500ms"))
        reset_request_log(emulator)
        info = canary_info(kube_api, NAMES)
        assert emulator.request_log.writes() == []
    assert info["initialized"] and info["phase"] == "Progressing" and info["pending"]
    assert (info["primary_weight"], info["weight"], info["recorded_weight"], info["step"]) == (80, 20, 20, 1)
    assert info["failed_checks"] == 1 and info["last_failed_check"] == "request-duration: 612ms > 500ms"
    assert info["lease"]["holder"] == "awx-job-3"
    assert info["revision"] == info["last_applied_revision"] != info["last_promoted_revision"]
    assert info["target"]["ready"] and info["target"]["replicas"] == 2 and info["primary"]["ready_replicas"] == 2
    assert info["last_transition_time"].endswith("Z")


def test_the_lease_and_image_calls_return_the_status_canary_info_reads(emulator, kube_api, kubeconfig, tmp_path):  # noqa: F811
    """canary_lease (info, state acquired) and canary_image (info) as the rollout role calls them: each returns the
    canary's status as canary_info does, the image's after its write (a new revision, pending); without info, none."""
    init_podinfo(emulator, kube_api)
    canary = {"target": "podinfo", "namespace": NAMESPACE, "lease_holder": "rollout/test/podinfo/7"}
    tasks = [
        {"name": "lease", "progressive.canary.canary_lease": dict(canary, operation="rollout", info=True)},
        {"name": "image", "progressive.canary.canary_image": dict(canary, image=NEW_IMAGE, info=True)},
        {"name": "info", "progressive.canary.canary_info": canary},
        {"name": "plain lease", "progressive.canary.canary_lease": dict(canary, operation="rollout")},
        {"name": "plain image", "progressive.canary.canary_image": dict(canary, image=NEW_IMAGE)},
        {"name": "release", "progressive.canary.canary_lease": dict(canary, state="released")},
    ]
    returncode, results = run_playbook(tmp_path, tasks, kubeconfig)

    assert returncode == 0, results
    before, after, info = results["lease"]["info"], results["image"]["info"], results["info"]
    assert before["initialized"] and before["phase"] == "Initialized" and not before["pending"], before
    assert before["lease"]["holder"] == "rollout/test/podinfo/7", "read once the lease was taken"
    assert after["pending"] and after["revision"] != before["revision"], after
    for key in ("initialized", "phase", "revision", "pending", "weight", "primary_weight", "failed_checks", "last_promoted_revision",
                "primary", "state_object"):
        assert after[key] == info[key], key
    # The target's readiness is read right after the image write: the Deployment controller may not have observed the
    # new template yet (then "not observed"), and has by the later canary_info.
    moving = ("ready", "reason")
    assert {k: v for k, v in after["target"].items() if k not in moving} == {k: v for k, v in info["target"].items() if k not in moving}
    assert "info" not in results["plain lease"] and "info" not in results["plain image"]
