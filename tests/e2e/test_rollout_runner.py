"""playbooks/rollout.yml run through ansible-runner (AWX's engine), as an AWX job template runs it: the same healthy
release as through ansible-playbook gives the same result and the same task events, and the events carry the summary."""
import json
import os
import sys
from pathlib import Path

import ansible_runner

from tests.e2e.rollout_scenario import NEW_IMAGE, PLAYBOOKS, REPO, Podinfo, needs_crds

pytestmark = needs_crds
VENV_BIN = str(Path(sys.executable).parent)


def _tasks_from_report(output):
    """[(task name, status)] of the tasks that ran, from an ansible.posix.json report."""
    report, _end = json.JSONDecoder().raw_decode(output, output.index("{"))
    ran = []
    for play in report["plays"]:
        for task in play["tasks"]:
            result = task["hosts"]["localhost"]
            if not result.get("skipped"):
                # The JSON callback prefixes a role's tasks with "<role> : "; runner events name the task alone.
                ran.append((task["task"]["name"].split(" : ", 1)[-1], "changed" if result.get("changed") else "ok"))
    return ran


def _run_with_runner(podinfo, tmp_path):
    """The release through ansible_runner.run (no inventory file: localhost, local connection), as AWX does."""
    private_data_dir = tmp_path / "private_data_dir"
    private_data_dir.mkdir()
    envvars = {key: value for key, value in os.environ.items() if key.startswith(("HOME", "TMPDIR", "PROGRESSIVE_CANARY_"))}
    envvars.update({"ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections"), "PATH": VENV_BIN + os.pathsep + os.environ["PATH"],
                    "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_NOCOLOR": "1"})
    extravars = dict(podinfo.release_vars(rollout_image=NEW_IMAGE), ansible_python_interpreter=sys.executable)
    return ansible_runner.run(private_data_dir=str(private_data_dir), playbook=str(PLAYBOOKS / "rollout.yml"),
                              inventory="localhost ansible_connection=local", extravars=extravars, envvars=envvars, quiet=True,
                              timeout=300)


def test_runner_gives_the_same_result_and_events_as_ansible_playbook(emulator, kubeconfig, mesh, prometheus_live, tmp_path):
    direct = Podinfo(emulator, kubeconfig, mesh, prometheus_live, tmp_path / "direct").load()
    via_runner = Podinfo(emulator, kubeconfig, mesh, prometheus_live, tmp_path / "via_runner").load()
    for podinfo in (direct, via_runner):
        podinfo.tmp_path.mkdir()

    returncode, direct_result, _plays, output = direct.run(rollout_image=NEW_IMAGE)
    assert returncode == 0, output

    runner = _run_with_runner(via_runner, tmp_path)
    events = list(runner.events)
    assert (runner.status, runner.rc) == ("successful", 0), runner.stdout.read()
    facts = [event["event_data"]["res"]["ansible_facts"]["rollout_result"] for event in events
             if event["event"] == "runner_on_ok" and "rollout_result" in (event["event_data"]["res"].get("ansible_facts") or {})]
    assert len(facts) == 1
    runner_result = facts[0]
    assert runner_result["outcome"] == direct_result["outcome"] == "promoted"
    assert runner_result["revision"] == direct_result["revision"], "the same template gives the same revision"
    assert [step["weight"] for step in runner_result["steps"]] == [step["weight"] for step in direct_result["steps"]]
    summary = [event for event in events if event["event"] == "runner_on_ok" and event["event_data"]["task"] == "Summarize the release"]
    assert summary and summary[0]["event_data"]["res"]["msg"] == runner_result["summary"]

    stats = [event for event in events if event["event"] == "playbook_on_stats"]
    artifacts = stats[0]["event_data"]["artifact_data"]["rollout_results"]
    assert artifacts["%s/podinfo" % via_runner.namespace]["outcome"] == "promoted", "set_stats: AWX job artifacts"

    runner_tasks = [(event["event_data"]["task"], "changed" if event["event_data"]["res"].get("changed") else "ok")
                    for event in events if event["event"] == "runner_on_ok"]
    assert runner_tasks == _tasks_from_report(output)
    assert via_runner.state()["phase"] == "Succeeded" and via_runner.image("podinfo-primary") == NEW_IMAGE
