"""Where a step's time goes, piece by piece: a module's imports (``python -X importtime``), the cost of one more
task in a playbook (controller-only action, a no-op module, our canary_info in the worker and as a module process),
and the API requests one module call makes (discovery included) counted by the emulator."""
import os
import re
import subprocess
import sys

import yaml

from tests.integration.canary_scenario import NAMESPACE

from bench import step_anatomy
from bench.operations import settled_records
from bench.playbook_runs import run_playbook
from bench.sandbox_session import podinfo_session
from bench.timing import median, seconds_of

MODULES = "ansible_collections.progressive.canary.plugins.modules."
# Imports reported from a module's -X importtime (cumulative microseconds of the first import of each).
IMPORTS = ("ansible.module_utils.basic", "kubernetes", "kubernetes.dynamic", "ansible_collections.kubernetes.core.plugins.module_utils.k8s.client",
           "requests", "yaml")
IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)$")
# Tasks of the longer playbook; the cost of one task is (t[MANY] - t[1]) / (MANY - 1).
MANY = 11
TASKS = {
    "set_fact": {"ansible.builtin.set_fact": {"bench_value": 1}},
    "debug": {"ansible.builtin.debug": {"msg": "a controller-only task"}},
    "ping": {"ansible.builtin.ping": {}},
    "canary_info": {"progressive.canary.canary_info": {"target": "podinfo", "namespace": NAMESPACE}},
    # The same task as a module process of its own (plugin_utils/in_worker.py): what a module call costs without the
    # worker, as with any interpreter but ansible-playbook's.
    "canary_info_as_process": {"progressive.canary.canary_info": {"target": "podinfo", "namespace": NAMESPACE},
                               "vars": {"progressive_canary_in_worker": False}},
}


def import_times(module):
    """{import: cumulative seconds} of ``python -X importtime -c 'import <module>'`` (top-level imports reported in
    IMPORTS, plus the module itself) and the process's wall seconds."""
    command = [sys.executable, "-X", "importtime", "-c", "import " + module]
    completed = {}

    def run():
        completed["process"] = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)

    wall = seconds_of(run)
    found = {}
    for line in completed["process"].stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match and match.group(4) in IMPORTS + (module,) and match.group(4) not in found:
            found[match.group(4)] = int(match.group(2)) / 1e6
    found["process_wall"] = wall
    return found


def _playbook(session, name, task, count):
    path = os.path.join(session.root, "%s-%d.yml" % (name, count))
    play = [{"hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/progressive.canary.canary": {"kubeconfig": session.kubeconfig}},
             "tasks": [task] * count}]
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(play, handle)
    return path


def task_cost(session, name, runs):
    """Seconds of one more ``name`` task (median over ``runs`` pairs), ansible-playbook's own start with 1 task,
    the API requests of one task (from the last run of MANY tasks, divided by MANY) and of the first task of the
    session (kubernetes' discovery cache in $TMPDIR still empty)."""
    one, many, requests, first_process = [], [], None, None
    for run_number in range(runs):
        timed = {}
        for count in (1, MANY):
            session.forget_requests()
            run = run_playbook(_playbook(session, name, TASKS[name], count), os.path.join(session.root, "%s-%d-%d" % (name, count, run_number)))
            if run.returncode != 0:
                raise RuntimeError("%s x%d failed:\n%s" % (name, count, run.output[-2000:]))
            timed[count] = run.seconds
            counted = step_anatomy.request_counts(settled_records(session.emulator), step_anatomy.PODINFO_STATE)
            if count == MANY:
                requests = counted
            elif first_process is None:
                first_process = counted  # the session's first module process: kubernetes' discovery cache is cold
        one.append(timed[1])
        many.append(timed[MANY])
    per_task = [(m - o) / (MANY - 1) for o, m in zip(one, many)]
    return {"per_task": median(per_task), "playbook_with_one": median(one),
            "requests_per_task": {key: value / float(MANY) for key, value in requests.items()},
            "requests_first_task": first_process}


def bench_task_costs(runs):
    """Import times of our modules and of kubernetes, and the cost of each kind of task."""
    measured = {"imports": {name: import_times(MODULES + name) for name in ("canary_shift", "canary_analysis", "canary_lease")}}
    measured["imports"]["kubernetes.dynamic"] = import_times("kubernetes.dynamic")
    measured["imports"]["python -c pass"] = {"process_wall": seconds_of(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))}
    with podinfo_session() as session:
        measured["tasks"] = {name: task_cost(session, name, runs) for name in TASKS}
    return measured
