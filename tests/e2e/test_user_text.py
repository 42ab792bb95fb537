"""What the playbooks show a person never contains Python's None (rollout_scenario.Podinfo.run checks every task's
message of every e2e run): here the cases where a value is unknown - a Deployment not managed yet, a canary with no
failed revision - through the rollout (check mode, then real) and the status playbook."""
from tests.e2e.rollout_scenario import needs_crds

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
