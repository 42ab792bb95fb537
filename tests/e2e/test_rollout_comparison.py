"""playbooks/rollout.yml end to end with a comparison check (compare_with_primary): a release answering 1 % errors
while its primary answers 0.5 % is rolled back on the comparison alone, and the step line prints both medians, the
p-value and the effect."""
from tests.e2e.rollout_scenario import NEW_IMAGE, SANDBOX, failure_message, needs_crds

pytestmark = needs_crds

# Enough requests per 3 s sample to tell 1 % from 0.5 % errors (the canary gets 30 % of them).
RPS = 400
ANALYSIS = {
    "interval": "16s", "threshold": 1, "step_weight": 30, "max_weight": 60,
    "metrics": [
        {"name": "request-duration", "interval": "10s", "threshold_range": {"max": 500}},
        {"name": "success-rate-vs-primary", "interval": "15s",
         "compare_with_primary": {"metric": "request-success-rate", "step": "3s"}},
    ],
}


def test_release_worse_than_its_primary_is_rolled_back(podinfo):
    podinfo.load(template_annotations={SANDBOX + "error-rate": "0.005"})
    podinfo.mesh.add_target(podinfo.apex_host, rps=RPS)
    podinfo.run()  # init only: the primary runs the current template, 0.5 % errors
    podinfo.patch_template(image=NEW_IMAGE, annotations={SANDBOX + "error-rate": "0.01"})

    returncode, result, plays, output = podinfo.run(rollout_analysis=ANALYSIS)

    print("\n".join(result["summary"]))
    assert returncode != 0, output
    assert result["outcome"] == "rolled back", result
    step = result["steps"][0]
    verdicts = dict((check["name"], check["verdict"]) for check in step["checks"])
    assert verdicts == {"request-duration": "pass", "success-rate-vs-primary": "fail"}, result["summary"]
    compared = next(check for check in step["checks"] if check["name"] == "success-rate-vs-primary")["comparison"]
    assert compared["canary_median"] < compared["primary_median"] and compared["p_value"] < 0.05, compared
    assert any("success-rate-vs-primary vs primary: " in line and " -> fail" in line for line in result["summary"]), result["summary"]
    message = failure_message(plays)
    assert "1 failed checks reached the threshold 1" in message and "success-rate-vs-primary vs primary: " in message, message
    assert podinfo.state()["phase"] == "Failed"
    assert podinfo.route() == {"podinfo-primary": 100, "podinfo-canary": 0}


def test_rollout_compare_with_primary_adds_both_comparisons_which_prometheus_parses(podinfo):
    podinfo.load()
    analysis = {"interval": "3s", "step_weight": 30, "max_weight": 60}  # the role's default metrics
    returncode, result, plays, output = podinfo.run(options=("--check",), rollout_image=NEW_IMAGE, rollout_analysis=analysis,
                                                    rollout_compare_with_primary=True)

    assert returncode == 0 and result["outcome"] == "checked", output
    validated = next(task for play in plays for task in play if str(task.get("msg", "")).startswith("valid: "))
    assert [(check["name"], check["type"], check["parsed"]) for check in validated["checks"]] == [
        ("request-success-rate", "builtin", True), ("request-duration", "builtin", True),
        ("request-success-rate-vs-primary", "comparison", True), ("request-duration-vs-primary", "comparison", True)]
