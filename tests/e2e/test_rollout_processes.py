"""What a healthy release costs the controller, counted (never timed): the module processes the rollout role starts
and the tasks it runs. Every module process (interpreter, AnsiballZ, our imports) costs ~0.5 CPU-s and every task a
forked worker, which is what bounds a fleet of canaries on a 2-core controller (bench/README.md, "Fewer module
processes"): these counts must not creep back.

Module processes are counted where they start: the run's ``ansible_python_interpreter`` is a wrapper that logs the
AnsiballZ file it is asked to run (one line per process, the module's name in the file's name) and then runs it."""
import collections
import json
import re
import stat

from tests import ansible_playbook
from tests.e2e.rollout_scenario import NEW_IMAGE, needs_crds

pytestmark = needs_crds

# An initialized canary, a new image, both builtin checks, 2 steps (30, 60): validate the checks (1), take the lease
# with the canary's facts (1), set the image returning the facts after it (1), scale up at weight 0 (1), one
# canary_advance process per step (weight 0 -> 30, 30 -> 60, 60 -> promote: 3), promote (1), release the lease (1).
# The scale-up, the steps and the promotion are one task (canary_advance's action, finish): each still one module call.
HEALTHY_RELEASE_PROCESSES = {
    "canary_analysis": 1,
    "canary_lease": 2,
    "canary_image": 1,
    "canary_shift": 1,
    "canary_advance": 3,
    "canary_promote": 1,
}
# Every task result of the run, skipped ones and includes counted: each is a forked worker (40 before the settings
# became one filter call and the state, the result and the pre-rollout decision stopped needing tasks of their own;
# 35 before the analysis, the promotion, the rollback and the alerts of the release's start and end became one
# canary_advance task; 15 before that task decided its own run record; 14 before the report and the failure, which a
# healthy release without a report skips, became one include).
HEALTHY_RELEASE_TASKS_AT_MOST = 13


def _counting_interpreter(tmp_path):
    """(extra-vars file naming a wrapper interpreter, log file it appends each module process's module name to)."""
    log = tmp_path / "module-processes.log"
    wrapper = tmp_path / "counting-python"
    wrapper.write_text('#!/bin/sh\nbasename "$1" >> "%s"\nexec "%s" "$@"\n' % (log, ansible_playbook.ANSIBLE_PYTHON), encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    extra = tmp_path / "interpreter.json"
    extra.write_text(json.dumps({"ansible_python_interpreter": str(wrapper)}), encoding="utf-8")
    return extra, log


def _module_processes(log):
    names = [re.sub(r"^AnsiballZ_(.*)\.py$", r"\1", line.strip()) for line in log.read_text(encoding="utf-8").splitlines()]
    return dict(collections.Counter(names))


def test_healthy_release_starts_one_module_process_per_write_or_step(podinfo, tmp_path):
    podinfo.load()
    returncode, _result, _plays, output = podinfo.run()  # init only: nothing pending
    assert returncode == 0, output
    extra, log = _counting_interpreter(tmp_path)

    returncode, result, plays, output = podinfo.run(options=("-e", "@%s" % extra), rollout_image=NEW_IMAGE)

    assert returncode == 0, output
    assert result["outcome"] == "promoted" and [step["weight"] for step in result["steps"]] == [30, 60], result
    assert _module_processes(log) == HEALTHY_RELEASE_PROCESSES
    tasks = sum(len(play) for play in plays)
    assert tasks <= HEALTHY_RELEASE_TASKS_AT_MOST, "%d task results (skipped and includes counted)" % tasks
