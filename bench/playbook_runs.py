"""ansible-playbook runs as the tests run them (tests/ansible_playbook.py: isolated, JSON stdout callback), timed,
with bench/callbacks/bench_timeline.py recording every task event (time, host, controller memory) to a file."""
import json
import os
import time
from pathlib import Path

from tests import ansible_playbook

CALLBACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "callbacks")


class PlaybookRun(object):
    """One finished run: ``returncode``, ``report`` (the JSON callback's), ``output``, ``seconds`` (wall, process
    start to exit) and ``timeline`` (the bench_timeline events, in order)."""

    def __init__(self, returncode, report, output, seconds, timeline):
        self.returncode = returncode
        self.report = report
        self.output = output
        self.seconds = seconds
        self.timeline = timeline

    def host_results(self, host):
        """[host's task result, ...] over every play."""
        return [task["hosts"][host] for play in self.report["plays"] for task in play["tasks"] if host in task["hosts"]]

    def stats(self):
        return self.report.get("stats", {})


def run_playbook(playbook, run_dir, extra_vars=None, inventory=None, options=(), env=None):
    """Run ``playbook`` (a path) in ``run_dir`` (created; ansible's temp files and the timeline go there), on
    localhost or on ``inventory`` (a path) when given, ``env`` added to the environment; returns a PlaybookRun."""
    os.makedirs(str(run_dir), exist_ok=True)
    timeline_file = os.path.join(str(run_dir), "timeline.jsonl")
    if inventory:
        options = ("-i", str(inventory)) + tuple(options)
    command = ansible_playbook.playbook_command(playbook, Path(str(run_dir)), extra_vars, options)
    run_env = ansible_playbook.playbook_env(Path(str(run_dir)))
    run_env.update(env or {})
    run_env.update({"ANSIBLE_CALLBACK_PLUGINS": CALLBACKS, "ANSIBLE_CALLBACKS_ENABLED": "bench_timeline",
                    "BENCH_TIMELINE_FILE": timeline_file})
    started = time.perf_counter()
    returncode, report, output = ansible_playbook.run_command(command, run_env, Path(str(run_dir)))
    seconds = time.perf_counter() - started
    return PlaybookRun(returncode, report, output, seconds, read_timeline(timeline_file))


def read_timeline(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
