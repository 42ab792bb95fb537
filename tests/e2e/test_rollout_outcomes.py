"""playbooks/rollout.yml and cleanup.yml end to end (real ansible-playbook, sandbox, live Prometheus): the seed's
healthy release promoted, a release answering 10 % errors rolled back, a canary that never becomes ready rolled back
at the progress deadline, a canary no traffic reaches rolled back as no data; cleanup restores the originals."""
import re

import pytest

from tests.e2e.rollout_scenario import NEW_IMAGE, OLD_IMAGE, SANDBOX, failure_message, needs_crds
from tests.e2e.test_user_text import alerts_of, assert_a_person_can_follow
from tests.integration.loopback_http import LoopbackServer, Reply

pytestmark = needs_crds


def _assert_rolled_back(podinfo, state):
    """Traffic and replicas back on the primary, still at the old release, and serving."""
    assert state["phase"] == "Failed" and state["failed_revision"] and state["failed_revision"] != state["last_promoted_revision"]
    assert podinfo.route() == {"podinfo-primary": 100, "podinfo-canary": 0}
    assert podinfo.get("Deployment", "podinfo")["spec"]["replicas"] == 0
    primary = podinfo.get("Deployment", "podinfo-primary")
    assert podinfo.image("podinfo-primary") == OLD_IMAGE and primary["status"]["readyReplicas"] == 2


def _assert_cleanup_restores(podinfo, service_before, deployment_before):
    returncode, _result, _plays, output = podinfo.run("cleanup")
    assert returncode == 0, output
    assert podinfo.user_view("Service", "podinfo") == service_before
    assert podinfo.user_view("Deployment", "podinfo") == deployment_before
    assert podinfo.get("Deployment", "podinfo")["status"]["readyReplicas"] == 2
    assert podinfo.inventory() == {"Deployment": ["podinfo"], "Service": ["podinfo"], "ConfigMap": [],
                                   "HorizontalPodAutoscaler": ["podinfo"], "VirtualService": [], "DestinationRule": []}


@pytest.mark.oldest  # also: the block's module_defaults hand rollout_alerts to canary_advance (a YAML merge key)
def test_healthy_release_is_promoted_with_no_failed_request_then_cleanup_restores(podinfo, tmp_path):
    """The seed's healthy release, which is also the release a person follows (its plan, step lines, Events, report
    and alerts: test_user_text.assert_a_person_can_follow), so that one release run proves both."""
    podinfo.load()
    service_before = podinfo.user_view("Service", "podinfo")
    deployment_before = podinfo.user_view("Deployment", "podinfo")
    report = tmp_path / "reports" / "podinfo.html"
    report.parent.mkdir()

    with LoopbackServer(lambda request: Reply(503 if "broken" in request.path else 200, "")) as receiver:
        returncode, result, plays, output = podinfo.run(rollout_image=NEW_IMAGE, rollout_report_path=str(report),
                                                        rollout_alerts=alerts_of(receiver))

    assert returncode == 0, output
    assert result["outcome"] == "promoted" and result["image"] == NEW_IMAGE, result
    assert [step["weight"] for step in result["steps"]] == [30, 60], result["summary"]
    for step in result["steps"]:
        assert step["passed"] and {check["name"]: check["verdict"] for check in step["checks"]} == {
            "request-success-rate": "pass", "request-duration": "pass"}, result["summary"]
        assert all(check["value"] is not None for check in step["checks"]), result["summary"]
    assert any(re.match(r"step 2 of 2 at weight 60% \(.* left\): request-success-rate=", line) for line in result["summary"]), result["summary"]
    assert podinfo.state()["phase"] == "Succeeded"
    assert podinfo.image("podinfo-primary") == NEW_IMAGE and podinfo.image("podinfo") == NEW_IMAGE
    assert podinfo.get("Deployment", "podinfo")["spec"]["replicas"] == 0
    assert podinfo.route() == {"podinfo-primary": 100, "podinfo-canary": 0}
    counts = podinfo.mesh.counts(podinfo.apex_host)
    assert counts["failed"] == 0 and counts["by_workload"].get("podinfo", 0) > 0, counts
    assert_a_person_can_follow(podinfo, result, plays, output, receiver, report)

    deployment_before["spec"]["template"]["spec"]["containers"][0]["image"] = NEW_IMAGE  # the promoted release stays
    _assert_cleanup_restores(podinfo, service_before, deployment_before)
    assert podinfo.mesh.counts(podinfo.apex_host)["failed"] == 0


def test_release_with_errors_is_rolled_back_at_the_threshold_then_cleanup_restores(podinfo):
    podinfo.load()
    service_before = podinfo.user_view("Service", "podinfo")
    deployment_before = podinfo.user_view("Deployment", "podinfo")
    podinfo.run()  # init only: nothing is pending yet
    podinfo.patch_template(image=NEW_IMAGE, annotations={SANDBOX + "error-rate": "0.1"})

    returncode, result, plays, output = podinfo.run()

    assert returncode != 0, output
    assert result["outcome"] == "rolled back", result
    failed_steps = [step for step in result["steps"] if not step["passed"]]
    assert len(failed_steps) == 2 and result["failed_checks"] == 2, result["summary"]
    message = failure_message(plays)
    assert "2 failed checks reached the threshold 2" in message and "request-success-rate" in message, message
    success_rate = next(check for check in failed_steps[-1]["checks"] if check["name"] == "request-success-rate")
    assert success_rate["verdict"] == "fail" and 80 < success_rate["value"] < 99, result["summary"]
    _assert_rolled_back(podinfo, podinfo.state())
    counts = podinfo.mesh.counts(podinfo.apex_host)
    assert counts["failed_by_workload"].get("podinfo-primary", 0) == 0, counts

    _assert_cleanup_restores(podinfo, service_before, deployment_before)


def test_canary_that_never_becomes_ready_is_rolled_back_at_the_progress_deadline(podinfo):
    podinfo.load()
    podinfo.run()
    podinfo.patch_template(image=NEW_IMAGE, annotations={SANDBOX + "behaviour": "never-ready"})

    returncode, result, plays, output = podinfo.run(rollout_progress_deadline=4)

    assert returncode != 0, output
    assert result is not None, output
    assert result["outcome"] == "rolled back" and result["steps"] == [], result
    assert "did not become ready within the progress deadline (4s)" in failure_message(plays)
    _assert_rolled_back(podinfo, podinfo.state())
    assert podinfo.mesh.counts(podinfo.apex_host)["failed"] == 0


def test_canary_no_traffic_reaches_is_rolled_back_as_no_data_and_its_report_is_written(podinfo, tmp_path):
    podinfo.load(traffic=False)
    podinfo.run()
    podinfo.patch_template(image=NEW_IMAGE)
    report = tmp_path / "podinfo.html"

    returncode, result, plays, output = podinfo.run(rollout_report_path=str(report))

    assert returncode != 0, output
    assert result["outcome"] == "rolled back", result
    assert report.is_file() and "rolled back" in report.read_text(encoding="utf-8"), "a failed release leaves its report"
    verdicts = {check["name"]: (check["verdict"], check["value"]) for step in result["steps"] for check in step["checks"]}
    assert verdicts == {"request-success-rate": ("no data", None), "request-duration": ("no data", None)}, result["summary"]
    message = failure_message(plays)
    assert "no data" in message.lower() and "request-success-rate" in message, message
    assert any("no data" in line for line in result["summary"]), result["summary"]
    _assert_rolled_back(podinfo, podinfo.state())


def test_promotion_that_fails_ends_with_the_summary_and_a_rerun_finishes_it(podinfo):
    podinfo.load()
    podinfo.run()
    podinfo.patch_template(image=NEW_IMAGE)
    # Every write to the primary Deployment fails: canary_promote cannot copy the canary's template to it.
    primary_path = "/namespaces/%s/deployments/podinfo-primary$" % podinfo.namespace
    faults = [podinfo.emulator.faults.add(verb=verb, path_regex=primary_path, status=500) for verb in ("PATCH", "PUT")]

    returncode, result, plays, output = podinfo.run()

    assert returncode != 0, output
    assert sum(fault.matched for fault in faults) > 0, "the promotion wrote to the primary"
    assert result is not None and result["outcome"] == "error", output
    assert [step["weight"] for step in result["steps"]] == [30, 60], result["summary"]
    assert "canary_promote did not finish (a re-run continues the promotion)" in result["reason"], result
    assert any(line.startswith("step 2 of 2 at weight 60% (") for line in result["summary"]), result["summary"]
    assert failure_message(plays).startswith("release of %s/podinfo error: canary_promote did not finish" % podinfo.namespace)
    assert podinfo.image("podinfo-primary") == OLD_IMAGE

    podinfo.emulator.faults.clear()
    returncode, result, _plays, output = podinfo.run()
    assert returncode == 0, output
    assert result["outcome"] == "promoted" and podinfo.image("podinfo-primary") == NEW_IMAGE, result
    assert result["steps"] == [] and result["resumed"][0].startswith("the promotion (phase "), "finished, not analysed again"
    assert podinfo.state()["phase"] == "Succeeded"
