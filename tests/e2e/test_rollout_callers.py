"""The role's contracts with the ways it is called, end to end (real ansible-playbook, sandbox, live Prometheus):
an AWX workflow passing one release's artifacts (set_stats) to the next node as extra variables, and a play that
uses the role directly (``roles: [progressive.canary.rollout]``) with no K8S_AUTH_* environment."""
import json

import pytest
import yaml

from tests import ansible_playbook
from tests.e2e.rollout_scenario import NEW_IMAGE, REPO, needs_crds, rollout_result
from tests.sandbox.apiserver.kubeconfig import kubeconfig_doc

pytestmark = needs_crds
NEWER_IMAGE = "stefanprodan/podinfo:3.1.2"


def _run(podinfo, playbook, extra_files=(), **overrides):
    """Run ``playbook`` with the role's variables (then each of ``extra_files`` as `-e @file`, as AWX passes a
    workflow's artifacts); returns (exit code, rollout_result fact, the run's published stats, output)."""
    podinfo.runs += 1
    run_dir = podinfo.tmp_path / ("run%d" % podinfo.runs)
    run_dir.mkdir()
    options = [option for path in extra_files for option in ("-e", "@%s" % path)]
    command = ansible_playbook.playbook_command(playbook, run_dir, extra_vars=podinfo.release_vars(**overrides), options=options)
    env = dict(ansible_playbook.playbook_env(run_dir), ANSIBLE_SHOW_CUSTOM_STATS="true")
    returncode, report, output = ansible_playbook.run_command(command, env, run_dir)
    plays = [[task["hosts"]["localhost"] for task in play["tasks"]] for play in report["plays"]]
    return returncode, rollout_result(plays), report["global_custom_stats"], output


def test_a_workflow_node_after_a_promotion_gets_its_artifacts_and_promotes_the_next_revision(podinfo, tmp_path):
    podinfo.load()
    rollout = REPO / "playbooks" / "rollout.yml"
    returncode, first, stats, output = _run(podinfo, rollout, rollout_image=NEW_IMAGE)
    assert returncode == 0 and first["outcome"] == "promoted", output
    published = stats["rollout_results"]["%s/podinfo" % podinfo.namespace]
    assert published["outcome"] == "promoted" and published["revision"] == first["revision"], stats
    assert "summary" not in published, "the summary lines stay in the job's output"

    # What AWX gives the next node: the artifacts of the nodes before it, as extra variables. Besides this release's,
    # another canary's from an earlier node, and `rollout_result` as this role published it before (a workflow whose
    # artifacts were made by an older release of the collection).
    artifacts = dict(stats)
    artifacts["rollout_results"] = dict(stats["rollout_results"], **{"other/web": {"outcome": "promoted"}})
    artifacts["rollout_result"] = {key: value for key, value in first.items() if key != "summary"}
    artifacts_file = tmp_path / "stats.json"
    artifacts_file.write_text(json.dumps(artifacts), encoding="utf-8")

    returncode, second, stats, output = _run(podinfo, rollout, extra_files=[artifacts_file], rollout_image=NEWER_IMAGE)

    assert returncode == 0, output
    assert podinfo.state()["phase"] == "Succeeded" and podinfo.image("podinfo-primary") == NEWER_IMAGE
    assert set(stats["rollout_results"]) == {"%s/podinfo" % podinfo.namespace, "other/web"}, "earlier nodes' results are carried on"
    published = stats["rollout_results"]["%s/podinfo" % podinfo.namespace]
    assert published["outcome"] == "promoted" and published["image"] == NEWER_IMAGE and published["revision"] != first["revision"]
    assert "canary %s/podinfo: promoted, revision %s" % (podinfo.namespace, published["revision"]) in output
    assert second is not None


def _direct_play(path, module_defaults=None):
    """A play using the role directly, as a user's own playbook does (no playbooks/rollout.yml)."""
    play = {"name": "Release with the role", "hosts": "localhost", "gather_facts": False,
            "roles": [{"role": "progressive.canary.rollout"}]}
    if module_defaults:
        play["module_defaults"] = module_defaults
    path.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    return path


def _two_context_kubeconfig(podinfo, path):
    """A kubeconfig whose current context is a server that is not there; context `sandbox` is the emulator."""
    doc = kubeconfig_doc(podinfo.emulator.url)
    elsewhere = kubeconfig_doc("http://127.0.0.1:9", name="elsewhere")
    for key in ("clusters", "users", "contexts"):
        doc[key] += elsewhere[key]
    doc["current-context"] = "elsewhere"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return str(path)


@pytest.mark.oldest
def test_the_role_used_directly_connects_with_rollout_kubeconfig_and_rollout_context(podinfo, tmp_path):
    podinfo.load(traffic=False)
    kubeconfig = _two_context_kubeconfig(podinfo, tmp_path / "two-contexts.yaml")

    returncode, result, _stats, output = _run(podinfo, _direct_play(tmp_path / "direct.yml"), rollout_image=NEW_IMAGE,
                                              rollout_kubeconfig=kubeconfig, rollout_context="sandbox", rollout_skip_analysis=True)

    assert returncode == 0 and result["outcome"] == "promoted", output
    assert podinfo.image("podinfo-primary") == NEW_IMAGE


def test_the_role_used_directly_keeps_the_connection_of_the_plays_module_defaults(podinfo, tmp_path):
    podinfo.load(traffic=False)
    play = _direct_play(tmp_path / "direct.yml", {"group/progressive.canary.canary": {"kubeconfig": podinfo.kubeconfig}})

    returncode, result, _stats, output = _run(podinfo, play, rollout_image=NEW_IMAGE, rollout_kubeconfig="",
                                              rollout_skip_analysis=True)

    assert returncode == 0 and result["outcome"] == "promoted", output
    assert podinfo.image("podinfo-primary") == NEW_IMAGE


def test_two_releases_in_one_play_each_use_their_own_analysis(podinfo, tmp_path):
    """A play that calls the role twice for one host (two releases one after the other), each with its own
    rollout_analysis: the second release steps by its own weights, never by the first one's (a fact the first run
    left would outrank the role's variables)."""
    podinfo.load(traffic=False)
    analysis = {"interval": "1s", "threshold": 2, "max_weight": 100, "metrics": []}
    releases = [("first release", {"rollout_image": NEW_IMAGE, "rollout_analysis": dict(analysis, step_weight=50)}),
                ("second release", {"rollout_image": NEWER_IMAGE, "rollout_analysis": dict(analysis, step_weight=25)})]
    tasks = []
    for name, role_vars in releases:
        tasks.append({"name": name, "ansible.builtin.include_role": {"name": "progressive.canary.rollout"}, "vars": role_vars})
        tasks.append({"name": "keep the %s's result" % name, "ansible.builtin.set_fact": {"results": "{{ results | default([]) + [rollout_result] }}"}})
    playbook = tmp_path / "two-releases.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}]),
                        encoding="utf-8")
    shared = {key: value for key, value in podinfo.release_vars().items() if key not in ("rollout_analysis", "rollout_image")}
    command = ansible_playbook.playbook_command(playbook, tmp_path, extra_vars=shared)
    returncode, report, output = ansible_playbook.run_command(command, ansible_playbook.playbook_env(tmp_path), tmp_path)

    assert returncode == 0, output
    last = [task["hosts"]["localhost"] for task in report["plays"][0]["tasks"]][-1]
    first, second = last["ansible_facts"]["results"]
    assert first["outcome"] == second["outcome"] == "promoted", (first, second)
    assert [step["weight"] for step in first["steps"]] == [50, 100], first["steps"]
    assert [step["weight"] for step in second["steps"]] == [25, 50, 75, 100], second["steps"]
    assert podinfo.image("podinfo-primary") == NEWER_IMAGE
