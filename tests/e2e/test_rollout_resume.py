"""A release killed by SIGKILL at three points - during init, during the analysis, during the promotion - and run
again. During init and the promotion every process of the run is killed, as when an AWX job pod is evicted; during
the analysis only ansible-playbook, its module process running on. Each run again ends Succeeded or Failed,
continuing from the state object (never restarting the analysis or a half-done promotion), with no orphaned object,
no lease left and all traffic on the primary."""
from tests.e2e.rollout_scenario import NEW_IMAGE, OLD_IMAGE, SANDBOX, needs_crds

pytestmark = needs_crds
# A new pod template takes this long to become ready, so that each waiting point lasts long enough to be hit.
SLOW_READY = {SANDBOX + "ready-seconds": "3"}
MANAGED = {"Deployment": ["podinfo", "podinfo-primary"], "Service": ["podinfo", "podinfo-canary", "podinfo-primary"],
           "ConfigMap": ["podinfo-canary-state"], "HorizontalPodAutoscaler": ["podinfo", "podinfo-primary"],
           "VirtualService": ["podinfo"], "DestinationRule": ["podinfo-canary", "podinfo-primary"]}


def _assert_consistent(podinfo, phase, primary_image):
    state = podinfo.state()
    assert state["phase"] == phase and state["lease"] is None, state
    assert podinfo.inventory() == MANAGED
    assert podinfo.route() == {"podinfo-primary": 100, "podinfo-canary": 0}
    assert podinfo.get("Deployment", "podinfo")["spec"]["replicas"] == 0
    primary = podinfo.get("Deployment", "podinfo-primary")
    assert podinfo.image("podinfo-primary") == primary_image and primary["status"]["readyReplicas"] == 2
    return state


def test_killed_during_init_is_finished_by_the_next_run(podinfo):
    podinfo.load(template_annotations=SLOW_READY)

    seen = podinfo.run_killed_when(lambda state: state.get("phase") == "Initializing" and podinfo.get("Deployment", "podinfo-primary"),
                                   "init creating the primary", rollout_image=NEW_IMAGE)
    assert seen["phase"] == "Initializing"

    returncode, result, _plays, output = podinfo.run(rollout_image=NEW_IMAGE)
    assert returncode == 0, output
    assert result["outcome"] == "promoted" and result["image"] == NEW_IMAGE, result
    state = _assert_consistent(podinfo, "Succeeded", NEW_IMAGE)
    assert state["last_promoted_revision"] == result["revision"]
    assert podinfo.mesh.counts(podinfo.apex_host)["failed"] == 0


def test_killed_during_the_analysis_resumes_it_and_rolls_back_a_bad_release(podinfo):
    podinfo.load()
    podinfo.run()
    podinfo.patch_template(image=NEW_IMAGE, annotations={SANDBOX + "error-rate": "0.1"})

    seen = podinfo.run_killed_when(lambda state: state.get("phase") == "Progressing" and state.get("failed_checks") == 1,
                                   "the first failed check", whole_tree=False)
    assert seen["canary_weight"] > 0

    returncode, result, _plays, output = podinfo.run()
    assert returncode != 0, output
    assert result["outcome"] == "rolled back", result
    assert result["resumed"] and result["resumed"][0].startswith("the analysis at weight"), result
    state = _assert_consistent(podinfo, "Failed", OLD_IMAGE)
    assert state["failed_checks"] == 2, "the failed check of the killed run counts: the analysis resumed, not restarted"


def test_killed_during_the_promotion_is_finished_not_restarted(podinfo):
    podinfo.load()
    podinfo.run()
    podinfo.patch_template(image=NEW_IMAGE, annotations=SLOW_READY)
    primary_generation = podinfo.get("Deployment", "podinfo-primary")["metadata"]["generation"]

    # Killed once the state says Promoting: before or after the template copy, whichever the kill lands on.
    seen = podinfo.run_killed_when(lambda state: state.get("phase") in ("Promoting", "Finalising"), "the promotion")

    returncode, result, _plays, output = podinfo.run()
    assert returncode == 0, output
    assert result["outcome"] == "promoted" and result["steps"] == [], result
    assert len(result["resumed"]) == 1 and result["resumed"][0].startswith("the promotion (phase "), result
    _assert_consistent(podinfo, "Succeeded", NEW_IMAGE)
    assert podinfo.get("Deployment", "podinfo-primary")["metadata"]["generation"] == primary_generation + 1, \
        "the primary's template was copied once, by the killed run or by the rerun, never twice"
    assert podinfo.mesh.counts(podinfo.apex_host)["failed"] == 0


def test_check_mode_after_a_killed_promotion_plans_its_end_and_writes_nothing(podinfo):
    """--check on a canary a killed run left in its promotion: the promotion is planned by canary_promote in check mode
    (canary_advance with finish plans a promotion in check mode), the run ends checked, and nothing is written."""
    podinfo.load()
    podinfo.run()
    podinfo.patch_template(image=NEW_IMAGE, annotations=SLOW_READY)
    podinfo.run_killed_when(lambda state: state.get("phase") in ("Promoting", "Finalising"), "the promotion")
    before = podinfo.state()

    returncode, result, _plays, output = podinfo.run(options=("--check",))

    assert returncode == 0, output
    assert result["outcome"] == "checked", result
    after = podinfo.state()
    assert after["phase"] == before["phase"] and after.get("last_promoted_revision") == before.get("last_promoted_revision")
