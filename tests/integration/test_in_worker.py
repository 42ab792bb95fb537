"""The modules in Ansible's worker process (plugin_utils/in_worker.py) and as module processes: the same results, the
same masking of secrets, the task's environment; and each where it should run.

Each run is a real ansible-playbook on the sandbox with -vvv, which says "running <module> in the worker process" for
a module run in the worker, and "Using module file" for a module process."""
import difflib
import json
import re

import pytest
import yaml

from tests import ansible_playbook
from tests.integration.canary_scenario import NAMESPACE, kube_api  # noqa: F401  pylint: disable=unused-import
from tests.integration.release_scenario import NEW_IMAGE, PODINFO_SERVICE, init_podinfo

pytestmark = pytest.mark.needs_crds

IN_WORKER = "in the worker process"
MODULE_PROCESS = "Using module file"
SECRET = "s3cr3t-in-a-url"
CANARY = {"target": "podinfo", "namespace": NAMESPACE}
VOLATILE = re.compile(r"^(\s*(?:- )?(?:controller_pid|pid|started|expires|last_transition_time|renew_time)):.*$", re.M)


def _tasks():
    """Reads, a check-mode write with a diff, a write and its undoing, and a refusal whose arguments hold a secret."""
    return [
        {"name": "info", "progressive.canary.canary_info": CANARY},
        {"name": "init again", "progressive.canary.canary_init": dict(CANARY, hpa="podinfo", service=PODINFO_SERVICE),
         "check_mode": True, "diff": True},
        {"name": "image", "progressive.canary.canary_image": dict(CANARY, image=NEW_IMAGE), "check_mode": True, "diff": True},
        {"name": "lease", "progressive.canary.canary_lease": dict(CANARY, operation="rollout", lease_holder="worker-test")},
        {"name": "release", "progressive.canary.canary_lease": dict(CANARY, state="released", lease_holder="worker-test")},
        {"name": "refused", "progressive.canary.canary_analysis": dict(
            CANARY, prometheus_url="http://admin:%s@127.0.0.1:1/" % SECRET, metrics=[{"name": "error-rate"}]),
         "ignore_errors": True},
    ]


def _run(tmp_path, name, tasks, kubeconfig, extra_vars):
    workdir = tmp_path / name
    workdir.mkdir()
    playbook = workdir / "play.yml"
    play = {"hosts": "localhost", "gather_facts": False, "tasks": tasks,
            "module_defaults": {"group/progressive.canary.canary": {"kubeconfig": kubeconfig}}}
    playbook.write_text(yaml.safe_dump([play]), encoding="utf-8")
    returncode, plays, output = ansible_playbook.run_playbook(playbook, workdir, extra_vars, options=("-vvv",))
    return returncode, dict((task["name"], result) for task, result in zip(tasks, plays[0])), output


def _comparable(result):
    """A result as YAML without the values that differ from one run to the next by themselves: times, and the
    ansible-playbook process recorded in the lease."""
    text = yaml.safe_dump(result, sort_keys=True)
    return VOLATILE.sub(r"\1: (varies)", text)


def test_in_the_worker_and_as_a_process_the_results_are_the_same(emulator, kube_api, kubeconfig, tmp_path):  # noqa: F811
    init_podinfo(emulator, kube_api)
    tasks = _tasks()
    in_worker = _run(tmp_path, "in-worker", tasks, kubeconfig, {})
    as_process = _run(tmp_path, "as-process", tasks, kubeconfig, {"progressive_canary_in_worker": False})

    for returncode, results, output in (in_worker, as_process):
        assert returncode == 0, output
        assert results["refused"]["failed"] and SECRET not in output, output
        assert results["lease"]["changed"] and not results["init again"]["changed"], results
        assert results["image"]["changed"] and results["image"]["diff"], results["image"]
    assert in_worker[2].count(IN_WORKER) == len(tasks) and MODULE_PROCESS not in in_worker[2]
    assert as_process[2].count(MODULE_PROCESS) == len(tasks) and IN_WORKER not in as_process[2]
    for task in tasks:
        worker_result, process_result = _comparable(in_worker[1][task["name"]]), _comparable(as_process[1][task["name"]])
        assert worker_result == process_result, "\n".join(difflib.unified_diff(
            process_result.splitlines(), worker_result.splitlines(), "as a process", "in the worker", lineterm=""))


def test_the_task_environment_is_the_module_s_in_the_worker(emulator, kube_api, kubeconfig, tmp_path):  # noqa: F811
    """kubernetes.core's K8S_AUTH_* variables set by the task's environment reach the module as they reach a process
    (values that are no text too, as a shell gives them), and are gone for the next task. A PYTHON* variable is read by
    a Python as it starts: with one, the module runs as a process."""
    init_podinfo(emulator, kube_api)
    environment = {"K8S_AUTH_KUBECONFIG": kubeconfig, "K8S_AUTH_VERIFY_SSL": False, "HTTP_TIMEOUT_PROBE": 8080}
    tasks = [
        {"name": "from the environment", "progressive.canary.canary_info": CANARY, "environment": environment},
        {"name": "without it", "progressive.canary.canary_info": CANARY, "ignore_errors": True},
        {"name": "with a PYTHON variable", "progressive.canary.canary_info": CANARY,
         "environment": dict(environment, PYTHONWARNINGS="ignore")},
    ]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]), encoding="utf-8")
    returncode, plays, output = ansible_playbook.run_playbook(playbook, tmp_path, options=("-vvv",))
    results = plays[0]
    assert returncode == 0 and output.count(IN_WORKER) == 2 and output.count(MODULE_PROCESS) == 1, output
    assert results[0]["initialized"] and results[0]["phase"] == "Initialized", results[0]
    assert results[1]["failed"], results[1]
    assert results[2]["initialized"], results[2]


def test_a_module_runs_as_a_process_where_the_host_s_python_is_another(emulator, kube_api, kubeconfig, tmp_path):  # noqa: F811
    """An interpreter in another directory (here a link to the very same file, as a virtualenv's is): its installed
    packages differ from ansible-playbook's, so the module runs there, as a process, and finds no kubernetes."""
    init_podinfo(emulator, kube_api)
    other_bin = tmp_path / "other-venv" / "bin"
    other_bin.mkdir(parents=True)
    (other_bin / "python").symlink_to(ansible_playbook.ANSIBLE_PYTHON)
    tasks = [{"name": "info", "progressive.canary.canary_info": CANARY}]
    _returncode, results, output = _run(tmp_path, "other-python", tasks, kubeconfig,
                                        {"ansible_python_interpreter": str(other_bin / "python")})
    assert MODULE_PROCESS in output and IN_WORKER not in output, output
    # That Python is another environment: ansible-playbook's packages are not there.
    assert "Failed to import the required Python library (kubernetes)" in results["info"]["msg"], results["info"]
    assert str(other_bin / "python") in results["info"]["msg"], results["info"]


def test_delegated_to_localhost_from_a_remote_host_it_runs_in_the_worker(emulator, kube_api, kubeconfig, tmp_path):  # noqa: F811
    """The usual shape for a remote inventory: the task delegated to the controller, whose Python decides."""
    init_podinfo(emulator, kube_api)
    remote = {"name": "remote-app", "ansible_host": "192.0.2.1", "ansible_connection": "ssh"}
    add = {"name": "a remote host", "ansible.builtin.add_host": remote}
    playbook = tmp_path / "play.yml"
    plays = [{"hosts": "localhost", "gather_facts": False, "tasks": [add]},
             {"hosts": "remote-app", "gather_facts": False,
              "module_defaults": {"group/progressive.canary.canary": {"kubeconfig": kubeconfig}},
              "tasks": [{"name": "info", "progressive.canary.canary_info": CANARY, "delegate_to": "localhost"},
                        {"name": "info as a process", "progressive.canary.canary_info": CANARY, "delegate_to": "localhost",
                         "vars": {"progressive_canary_in_worker": False}}]}]
    playbook.write_text(yaml.safe_dump(plays), encoding="utf-8")
    command = ansible_playbook.playbook_command(playbook, tmp_path, options=("-vvv",))
    returncode, report, output = ansible_playbook.run_command(command, ansible_playbook.playbook_env(tmp_path), tmp_path)
    assert returncode == 0, output
    results = [task["hosts"]["remote-app"] for task in report["plays"][1]["tasks"]]
    assert [result["initialized"] for result in results] == [True, True], results
    assert output.count(IN_WORKER) == 1 and output.count(MODULE_PROCESS) == 1, output


def test_an_async_task_runs_as_a_process(emulator, kube_api, kubeconfig, tmp_path):  # noqa: F811
    """async: Ansible's async wrapper runs the module process in the background and polls its result."""
    init_podinfo(emulator, kube_api)
    tasks = [{"name": "info", "progressive.canary.canary_info": CANARY, "async": 60, "poll": 1}]
    # An absolute job directory: the async wrapper and async_status would otherwise disagree on where ~ is here.
    returncode, results, output = _run(tmp_path, "async", tasks, kubeconfig, {"ansible_async_dir": str(tmp_path / "async-jobs")})
    assert returncode == 0 and results["info"]["initialized"], output
    assert IN_WORKER not in output, output


PROBE_MODULE = """#!/usr/bin/python
from ansible_collections.progressive.canary.plugins.module_utils.canary_module import CanaryModule


def main():
    module = CanaryModule(argument_spec={"how": {"type": "str", "required": True}, "token": {"type": "str", "no_log": True}})
    if module.params["how"] == "raise":
        raise RuntimeError("a bug in the module")
    if module.params["how"] == "warn":
        module.warn("the token %s is about to expire" % module.params["token"])
    module.exit_json(changed=False, how=module.params["how"])


if __name__ == "__main__":
    main()
"""
PROBE_ACTION = """from ansible_collections.probe.worker.plugins.modules import probe
from ansible_collections.progressive.canary.plugins.plugin_utils.in_worker import ModuleAction


class ActionModule(ModuleAction):
    MODULE = probe
"""


def _run_probe(tmp_path, tasks, in_worker):
    """``tasks`` calling probe.worker.probe, a probe collection's module built on CanaryModule and run through the same
    ModuleAction as ours: (exit code, [result per task], output)."""
    collection = tmp_path / "collections" / "ansible_collections" / "probe" / "worker"
    for kind, text in (("modules", PROBE_MODULE), ("action", PROBE_ACTION)):
        (collection / "plugins" / kind).mkdir(parents=True)
        (collection / "plugins" / kind / "probe.py").write_text(text, encoding="utf-8")
    (collection / "galaxy.yml").write_text("namespace: probe\nname: worker\nversion: 1.0.0\n", encoding="utf-8")
    playbook = tmp_path / "play.yml"
    play = {"hosts": "localhost", "gather_facts": False, "tasks": tasks, "vars": {"progressive_canary_in_worker": in_worker}}
    playbook.write_text(yaml.safe_dump([play]), encoding="utf-8")
    env = ansible_playbook.playbook_env(tmp_path)
    env["ANSIBLE_COLLECTIONS_PATH"] = "%s:%s" % (tmp_path / "collections", env["ANSIBLE_COLLECTIONS_PATH"])
    command = ansible_playbook.playbook_command(playbook, tmp_path, options=("-vvv",))
    returncode, report, output = ansible_playbook.run_command(command, env, tmp_path)
    assert (IN_WORKER in output) == in_worker, output
    return returncode, [task["hosts"]["localhost"] for task in report["plays"][0]["tasks"]], output


@pytest.mark.parametrize("in_worker", [True, False], ids=["in the worker", "as a process"])
def test_a_module_s_unexpected_error_is_a_failed_result_as_from_a_process(tmp_path, in_worker):
    """An exception a module does not handle (a bug) ends a module process with a traceback and no result, which
    Ansible reports as the module's failure: a result, to which failed_when applies. In the worker too."""
    tasks = [{"name": "raises", "probe.worker.probe": {"how": "raise"}, "register": "raised", "failed_when": False},
             {"name": "fine", "probe.worker.probe": {"how": "fine"}},
             {"name": "fails", "probe.worker.probe": {"how": "raise"}, "ignore_errors": True}]
    returncode, (raised, fine, fails), output = _run_probe(tmp_path, tasks, in_worker)
    assert returncode == 0, output
    assert not raised.get("failed") and raised["failed_when_result"] is False, raised
    assert fine["how"] == "fine" and not fine.get("failed"), fine
    assert fails["failed"] and "a bug in the module" in json.dumps(fails), fails


@pytest.mark.parametrize("in_worker", [True, False], ids=["in the worker", "as a process"])
def test_a_no_log_value_in_a_warning_is_masked(tmp_path, in_worker):
    """ansible-core 2.19 no longer masks a module's no_log values in its warnings; CanaryModule does."""
    secret = "tok-5e3c1a9f"
    tasks = [{"name": "warns", "probe.worker.probe": {"how": "warn", "token": secret}}]
    returncode, (warned,), output = _run_probe(tmp_path, tasks, in_worker)
    assert returncode == 0, output
    assert any("is about to expire" in warning for warning in warned["warnings"]), warned
    assert secret not in output, output
