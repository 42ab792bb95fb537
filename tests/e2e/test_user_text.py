"""What the playbooks show a person never contains Python's None (rollout_scenario.Podinfo.run checks every task's
message of every e2e run): here the cases where a value is unknown - a Deployment not managed yet, a canary with no
failed revision - through the rollout (check mode, then real) and the status playbook; and a release a person can
follow: its plan, its step lines, the Events on the Deployment, its report and its alerts (checked on the healthy release
of test_rollout_outcomes, which runs on both ansible-cores: one release run for both)."""
import re

from tests.e2e.rollout_scenario import needs_crds, user_texts

pytestmark = needs_crds


def _status_lines(plays):
    return next(task["msg"] for play in plays for task in play if isinstance(task.get("msg"), list))


def test_unknown_values_are_said_or_left_out(podinfo):
    podinfo.load(traffic=False)

    returncode, result, _plays, output = podinfo.run(options=("--check",))
    assert returncode == 0 and result["outcome"] == "checked", output
    assert result["summary"][0].startswith("canary %s/podinfo: checked, " % podinfo.namespace), result["summary"]

    returncode, _result, plays, output = podinfo.run("status")
    assert returncode == 0, output
    assert _status_lines(plays)[0].startswith("canary %s/podinfo: " % podinfo.namespace)

    returncode, result, _plays, output = podinfo.run()  # init: the current revision is the promoted one
    assert returncode == 0 and result["outcome"] == "unchanged", output
    revision = result["revision"]

    returncode, _result, plays, output = podinfo.run("status")
    assert returncode == 0, output
    assert "revision: %s (promoted %s)" % (revision, revision) in _status_lines(plays), _status_lines(plays)


def alerts_of(receiver):
    """The alerts of a release a person follows: a Slack one ``receiver`` takes, and a Teams one it answers 503."""
    return [{"name": "releases", "type": "slack", "url": receiver.url + "/services/T1/B2/slack-secret-5e6f"},
            {"name": "broken", "type": "msteams", "url": receiver.url + "/broken/teams-secret-8a9b"}]


def assert_a_person_can_follow(podinfo, result, plays, output, receiver, report):
    """A release a person can follow (run by test_rollout_outcomes' healthy release, with ``rollout_alerts=alerts_of(receiver)``
    and ``rollout_report_path=report``): the plan at the start, each step's place, time and time left, the Events on the
    Deployment in Flagger's words, the HTML report where the user asked, published as an AWX artifact, and the alerts
    told of the start and the promotion (a broken one a warning, and no webhook URL shown)."""
    assert result["outcome"] == "promoted", output
    slack = [request.json()["text"] for request in receiver.requests if "/services/" in request.path]
    assert slack == ["podinfo.%s: New revision detected, progressing canary analysis." % podinfo.namespace,
                     "podinfo.%s: Canary analysis completed successfully, promotion finished." % podinfo.namespace], slack
    assert "alert broken (msteams) was not delivered: HTTP 503" in output
    assert "slack-secret-5e6f" not in output and "teams-secret-8a9b" not in output

    texts = user_texts(plays)
    plan = next(text for text in texts if text.startswith("plan: "))
    assert plan == ("plan: canary release of revision %s (progressive traffic shifting): weights 30, 60%% every 3s, 2 steps; "
                    "rollback at 2 failed checks; at best 6s, at most 9s of analysis plus up to 30s for the canary to become "
                    "ready" % result["revision"]), plan
    # as each step shows itself (its line and the decision); the summary repeats the lines
    steps = [text for text in texts if text.startswith("step ") and re.search(r" -> (weight \d+%|promote)$", text)]
    assert [re.match(r"step (\d) of 2 at weight (\d+)% \(\d\d:\d\d:\d\d UTC, \w+ elapsed, at best (\w+) left\): .* -> (\w+)", line).groups()
            for line in steps] == [("1", "30", "3s", "weight"), ("2", "60", "0s", "promote")], steps

    told = [(item["type"], item["message"]) for item in podinfo.emulator.request("GET", "/api/v1/namespaces/%s/events" % podinfo.namespace)[1]["items"]
            if item["involvedObject"]["name"] == "podinfo"]
    ref = "podinfo." + podinfo.namespace
    for said in [("Normal", "Initialization done! " + ref), ("Normal", "New revision detected! Scaling up " + ref),
                 ("Normal", "Starting canary analysis for " + ref), ("Normal", "Advance %s canary weight 60" % ref),
                 ("Normal", "Promotion completed! Scaling down " + ref)]:
        assert said in told, told

    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg ") == 3 and "request-success-rate" in page
    stats = [task["ansible_stats"]["data"] for play in plays for task in play if "rollout_reports" in (task.get("ansible_stats") or {}).get("data", {})]
    assert [data["rollout_reports"] for data in stats] == [{"%s/podinfo" % podinfo.namespace: str(report)}], stats
