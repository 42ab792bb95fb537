"""Run a real ansible-playbook against localhost from a test and read every task's result.

The run is isolated from the caller: no ANSIBLE_*/K8S_AUTH_*/KUBECONFIG from the environment, Ansible's
temp and home dirs under the test's tmp_path, the working directory there (so no ansible.cfg is picked
up), the venv's ansible-playbook and Python as ``ansible_python_interpreter`` (sandbox.md "Hygiene"; the venv
is CANARY_TEST_VENV when set), and the JSON stdout callback (ansible.posix.json, installed by `make setup`).
TMPDIR/HOME are the caller's: tests using the ``emulator`` fixture already have their own.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The venv whose ansible-playbook and Python run the playbooks: .venv (the newest ansible-core we support)
# unless CANARY_TEST_VENV names another, e.g. .venv-ansible-oldest (`make e2e-oldest`).
ANSIBLE_VENV = Path(os.environ.get("CANARY_TEST_VENV") or Path(sys.executable).parent.parent).resolve()
ANSIBLE_PYTHON = str(ANSIBLE_VENV / "bin" / "python")


def playbook_env(tmp_path):
    """The environment for an isolated ansible-playbook run whose temp files live under tmp_path."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ANSIBLE_", "K8S_AUTH_")) and key != "KUBECONFIG"}
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
        "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-remote"),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_NOCOLOR": "1",
    })
    return env


class BackgroundPlaybook(object):
    """run_playbook started in the background (its output in files under tmp_path); ``finish()`` waits for its end
    and returns what run_playbook returns."""

    def __init__(self, playbook, tmp_path, extra_vars=None, options=()):
        command = playbook_command(playbook, tmp_path, extra_vars, options)
        self.stdout_path, self.stderr_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
        with open(self.stdout_path, "w", encoding="utf-8") as stdout, open(self.stderr_path, "w", encoding="utf-8") as stderr:
            self.process = subprocess.Popen(command, env=playbook_env(tmp_path), cwd=str(tmp_path),  # pylint: disable=consider-using-with
                                            stdout=stdout, stderr=stderr)

    def running(self):
        return self.process.poll() is None

    def finish(self, timeout=600):
        returncode = self.process.wait(timeout=timeout)
        stdout = self.stdout_path.read_text(encoding="utf-8")
        output = stdout + self.stderr_path.read_text(encoding="utf-8")
        try:
            report = json.loads(stdout[stdout.index("{"):])
        except ValueError as exc:
            raise AssertionError("ansible-playbook printed no JSON report:\n%s" % output) from exc
        return returncode, [[task["hosts"]["localhost"] for task in play["tasks"]] for play in report["plays"]], output


def playbook_command(playbook, tmp_path, extra_vars=None, options=()):
    """The ansible-playbook command line running ``playbook`` on localhost, ``extra_vars`` written to a JSON file
    under tmp_path (any structure survives) with the venv's Python as interpreter unless they name another."""
    vars_file = tmp_path / ("%s.vars.json" % Path(playbook).stem)
    vars_file.write_text(json.dumps(dict({"ansible_python_interpreter": ANSIBLE_PYTHON}, **(extra_vars or {}))), encoding="utf-8")
    return [str(ANSIBLE_VENV / "bin" / "ansible-playbook"), "-i", "localhost,", "-c", "local",
            "-e", "@%s" % vars_file, *options, str(playbook)]


def run_command(command, env, tmp_path):
    """Run an ansible-playbook command line with the JSON callback; returns (exit code, the JSON report, output)."""
    completed = subprocess.run(command, env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=600, check=False)
    output = completed.stdout + completed.stderr
    try:
        report = json.loads(completed.stdout[completed.stdout.index("{"):])
    except ValueError as exc:
        raise AssertionError("ansible-playbook printed no JSON report:\n%s" % output) from exc
    return completed.returncode, report, output


def run_playbook(playbook, tmp_path, extra_vars=None, options=()):
    """Run the playbook file on localhost; returns (exit code, [[localhost's task result, ...] per play], output).

    ``extra_vars`` go through a JSON file (any structure survives), ``options`` are extra command-line
    arguments such as ``("--check",)``."""
    command = playbook_command(playbook, tmp_path, extra_vars, options)
    returncode, report, output = run_command(command, playbook_env(tmp_path), tmp_path)
    plays = [[task["hosts"]["localhost"] for task in play["tasks"]] for play in report["plays"]]
    return returncode, plays, output
