"""Why the controller's memory grows over a long release: a tasks file that includes itself once per step (as the
role's analysis did before its steps became one canary_advance task), with and without a run record that grows by one
entry per step, no module and no cluster. The timeline callback gives ansible-playbook's RSS at each level."""
import os
import shutil
import tempfile

import yaml

from bench.playbook_runs import run_playbook

LEVELS = 50
# A history entry about the size of the role's (one line of check values and a few fields).
ENTRY = {"line": "step 1 at weight 10%: request-success-rate=100.0 (>= 99.0) pass, request-duration=4.97 (<= 500.0) pass",
         "weight": 10, "passed": True, "checks": [{"name": "request-success-rate", "value": 100.0, "verdict": "pass"}]}


def _step_file(growing):
    record = "{{ bench_run | combine({'history': bench_run.history + [bench_entry]}) }}" if growing else "{{ bench_run }}"
    return [
        {"name": "Step marker", "ansible.builtin.set_fact": {"bench_level": "{{ bench_level | int + 1 }}"}},
        {"name": "Decide", "ansible.builtin.set_fact": {"bench_run": record}},
        {"name": "Gate", "ansible.builtin.set_fact": {"bench_run": "{{ bench_run }}"}},
        {"name": "Record", "ansible.builtin.set_fact": {"bench_run": "{{ bench_run }}"}},
        {"name": "Next step", "ansible.builtin.include_tasks": "step.yml", "when": "bench_level | int < %d" % LEVELS},
    ]


def _loop_play():
    """The same set_facts, LEVELS times, with no include nesting (a loop over an include of the step)."""
    return [{"hosts": "localhost", "gather_facts": False, "vars": {"bench_entry": ENTRY},
             "tasks": [{"ansible.builtin.set_fact": {"bench_level": 0, "bench_run": {"history": []}}},
                       {"name": "Steps", "ansible.builtin.include_tasks": "step_flat.yml", "loop": list(range(LEVELS))}]}]


def _rss_growth_mib(run):
    marks = [event["rss_kib"] for event in run.timeline if event["event"] == "start" and (event["task"] or "").endswith("Step marker")]
    return (marks[-1] - marks[0]) / 1024.0, len(marks)


def measure():
    """{variant: (RSS growth over the levels in MiB, levels seen, seconds)} for nested includes with a constant or a
    growing record, and a loop of flat includes with a growing record."""
    root = tempfile.mkdtemp(prefix="bench-include-")
    try:
        return _measure_in(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _measure_in(root):
    measured = {}
    for variant, growing, nested in (("nested_constant", False, True), ("nested_growing", True, True), ("loop_growing", True, False)):
        directory = os.path.join(root, variant)
        os.makedirs(directory)
        steps = _step_file(growing)
        if nested:
            play = [{"hosts": "localhost", "gather_facts": False, "vars": {"bench_entry": ENTRY},
                     "tasks": [{"ansible.builtin.set_fact": {"bench_level": 0, "bench_run": {"history": []}}},
                               {"ansible.builtin.include_tasks": "step.yml"}]}]
            with open(os.path.join(directory, "step.yml"), "w", encoding="utf-8") as handle:
                yaml.safe_dump(steps, handle)
        else:
            play = _loop_play()
            with open(os.path.join(directory, "step_flat.yml"), "w", encoding="utf-8") as handle:
                yaml.safe_dump(steps[:-1], handle)
        playbook = os.path.join(directory, "play.yml")
        with open(playbook, "w", encoding="utf-8") as handle:
            yaml.safe_dump(play, handle)
        run = run_playbook(playbook, os.path.join(directory, "run"))
        if run.returncode != 0:
            raise RuntimeError("%s failed:\n%s" % (variant, run.output[-2000:]))
        growth, levels = _rss_growth_mib(run)
        measured[variant] = {"rss_growth_mib": growth, "levels": levels, "seconds": run.seconds}
    return measured
