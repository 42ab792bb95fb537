"""Flagger's deployment strategies through playbooks/rollout.yml end to end (real ansible-playbook, sandbox, live
Prometheus, the mesh's users sending headers and cookies): an A/B test promoted, a bad A/B test rolled back by its real
metrics while no other user ever reached the canary, a Blue/Green test of mirrored traffic promoted in steps, and a
strategy the provider cannot route refused before the first write. Cleanup restores the originals after each."""
import re

from tests.e2e.rollout_scenario import NEW_IMAGE, SANDBOX, failure_message, needs_crds, user_texts

pytestmark = needs_crds
AB_USERS = {"insider": {"count": 10, "headers": {"x-canary": "insider"}},
            "tester": {"count": 10, "cookies": {"canary": "always"}},
            "plain": {"count": 80}}
INSIDERS = [{"headers": {"x-canary": {"exact": "insider"}}}, {"headers": {"cookie": {"regex": "^(.*?;)?(canary=always)(;.*)?$"}}}]
METRICS = [{"name": "request-success-rate", "interval": "10s", "threshold_range": {"min": 99}},
           {"name": "request-duration", "interval": "10s", "threshold_range": {"max": 500}}]
ANALYSIS = {"interval": "3s", "threshold": 2, "metrics": METRICS}     # no step weights: iterations instead


def _load_with_users(podinfo, users):
    podinfo.load()
    podinfo.mesh.add_target(podinfo.apex_host, namespace=podinfo.namespace, users=users)
    podinfo.mesh.reset(podinfo.apex_host)
    return podinfo.user_view("Service", "podinfo"), podinfo.user_view("Deployment", "podinfo")


def _cleanup_restores(podinfo, service_before, deployment_before):
    returncode, _result, _plays, output = podinfo.run("cleanup")
    assert returncode == 0, output
    assert podinfo.user_view("Service", "podinfo") == service_before
    assert podinfo.user_view("Deployment", "podinfo") == deployment_before
    assert podinfo.inventory()["VirtualService"] == [] and podinfo.inventory()["DestinationRule"] == []


def test_ab_test_is_promoted_after_its_iterations(podinfo):
    service_before, deployment_before = _load_with_users(podinfo, AB_USERS)

    returncode, result, plays, output = podinfo.run(rollout_image=NEW_IMAGE, rollout_analysis=ANALYSIS, rollout_iterations=2,
                                                    rollout_match=INSIDERS)

    assert returncode == 0, output
    assert result["outcome"] == "promoted" and result["strategy"] == "A/B testing", result
    assert re.match(r"canary [^:]+: promoted, revision \w+ \(image [^)]+\) by A/B testing, ", result["summary"][0]), result["summary"]
    assert [line.split(" (")[0] for line in result["summary"] if line.startswith("iteration")] == [
        "iteration 1 of 2 at weight 0%", "iteration 2 of 2 at weight 0%"], result["summary"]
    plans = [text for text in user_texts(plays) if text.startswith("plan: ")]
    assert plans and plans[0].startswith("plan: A/B testing of revision ") and "2 iterations every 3s" in plans[0], plans
    assert podinfo.image("podinfo-primary") == NEW_IMAGE and podinfo.route() == {"podinfo-primary": 100, "podinfo-canary": 0}
    assert len(podinfo.get("VirtualService", "podinfo")["spec"]["http"]) == 1, "one route again"
    counts = podinfo.mesh.counts(podinfo.apex_host)
    assert counts["failed"] == 0 and counts["by_class"]["insider"]["by_workload"].get("podinfo", 0) > 0, counts

    deployment_before["spec"]["template"]["spec"]["containers"][0]["image"] = NEW_IMAGE
    _cleanup_restores(podinfo, service_before, deployment_before)


def test_bad_ab_test_is_rolled_back_and_no_other_user_reached_the_canary(podinfo):
    service_before, deployment_before = _load_with_users(podinfo, AB_USERS)
    options = dict(rollout_analysis=ANALYSIS, rollout_iterations=5, rollout_match=INSIDERS)
    podinfo.run(**options)  # init only
    podinfo.mesh.reset(podinfo.apex_host)     # before init the target served everyone: count from the release on
    podinfo.patch_template(image=NEW_IMAGE, annotations={SANDBOX + "error-rate": "0.3"})

    returncode, result, plays, output = podinfo.run(**options)

    assert returncode != 0 and result["outcome"] == "rolled back", output
    assert "2 failed checks reached the threshold 2" in failure_message(plays)
    assert podinfo.state()["phase"] == "Failed" and podinfo.route() == {"podinfo-primary": 100, "podinfo-canary": 0}
    counts = podinfo.mesh.counts(podinfo.apex_host)
    assert set(counts["by_class"]["plain"]["by_workload"]) == {"podinfo-primary"}, "no plain user ever reached the canary"
    assert counts["failed_by_workload"].get("podinfo-primary", 0) == 0 and counts["by_class"]["plain"]["failed"] == 0, counts
    assert counts["failed_by_workload"].get("podinfo", 0) > 0, "the insiders met the bad canary"
    returncode, _result, _plays, output = podinfo.run(playbook="status")
    assert returncode == 0 and re.search(r"A/B testing: iteration \d of 5 passed", output), output
    _cleanup_restores(podinfo, service_before, deployment_before)


def test_blue_green_with_mirroring_is_promoted_in_steps(podinfo):
    service_before, deployment_before = _load_with_users(podinfo, {"plain": {"count": 50}})

    returncode, result, _plays, output = podinfo.run(rollout_image=NEW_IMAGE, rollout_analysis=ANALYSIS, rollout_iterations=2,
                                                     rollout_mirror=True, rollout_step_weight_promotion=50)

    assert returncode == 0, output
    assert result["outcome"] == "promoted" and result["strategy"] == "Blue/Green with traffic mirroring", result
    assert all(step["passed"] and all(check["value"] is not None for check in step["checks"]) for step in result["steps"]), \
        "the canary's metrics come from the mirrored copies: %s" % result["summary"]
    counts = podinfo.mesh.counts(podinfo.apex_host)
    assert counts["failed"] == 0 and counts["mirror"]["by_workload"].get("podinfo", 0) > 0, counts
    assert podinfo.image("podinfo-primary") == NEW_IMAGE and "mirror" not in podinfo.get("VirtualService", "podinfo")["spec"]["http"][0]

    deployment_before["spec"]["template"]["spec"]["containers"][0]["image"] = NEW_IMAGE
    _cleanup_restores(podinfo, service_before, deployment_before)


def test_a_strategy_the_provider_cannot_route_is_refused_before_any_write(podinfo):
    podinfo.load()
    podinfo.emulator.request_log.reset()

    returncode, _result, _plays, output = podinfo.run(rollout_provider="openshift", rollout_analysis=ANALYSIS, rollout_iterations=2,
                                                      rollout_match=INSIDERS)

    assert returncode != 0, output
    assert "provider openshift cannot route match (A/B testing)" in output, output
    assert podinfo.emulator.request_log.writes() == [], "nothing written"
    assert podinfo.state() is None
