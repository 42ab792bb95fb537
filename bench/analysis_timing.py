"""canary_analysis against a real Prometheus on backfilled Istio series: time per check called directly, and the
time of the module as one ansible-playbook task (process, interpreter and module start-up included), which the
rollout loop pays at every step."""
import json
import os
from pathlib import Path

from ansible_collections.progressive.canary.plugins.module_utils.analysis.gate import run_checks
from ansible_collections.progressive.canary.plugins.module_utils.analysis.prometheus_api import PrometheusConnection
from tests import ansible_playbook
from tests.sandbox.prometheus import Prometheus, istio_series, render_openmetrics

from bench.sandbox_session import isolated_home
from bench.timing import seconds_of

CONTEXT = {"namespace": "test", "target": "podinfo"}
BUILTIN_CHECKS = [{"name": "request-success-rate", "interval": "1m", "threshold_range": {"min": 99}},
                  {"name": "request-duration", "interval": "1m", "threshold_range": {"max": 500}}]
# The playbook with TASKS_MANY tasks minus the one with 1 task, divided by TASKS_MANY - 1: the cost of one more task.
TASKS_MANY = 5


def start_prometheus():
    """Real Prometheus on 5 minutes of a healthy podinfo canary (10 rps, 0.5 % errors, 30 ms)."""
    return Prometheus.backfill(render_openmetrics(istio_series("test", "podinfo", 10, 0.005, 30)))


def _checks_pass(connection, checks, at_time):
    outcome = run_checks(connection, checks, CONTEXT, at_time=at_time)
    if not outcome["passed"]:
        raise RuntimeError("the healthy canary failed its checks: %s" % json.dumps(outcome["checks"]))


def time_checks(prometheus, runs):
    """Seconds per check (each builtin check run alone, ``runs`` times after one warm-up call)."""
    connection = PrometheusConnection(prometheus.url)
    figures = {}
    for check in BUILTIN_CHECKS:
        _checks_pass(connection, [check], prometheus.default_query_time)
        figures["canary_analysis check %s" % check["name"]] = [
            seconds_of(lambda check=check: _checks_pass(connection, [check], prometheus.default_query_time)) for _run in range(runs)]
    return figures


def analysis_arguments(prometheus):
    """canary_analysis's arguments: both builtin checks on podinfo, evaluated at the end of the backfilled data."""
    return dict(CONTEXT, evaluation_time=str(prometheus.default_query_time), prometheus={"url": prometheus.url}, checks=BUILTIN_CHECKS)


def _playbook_seconds(prometheus, tasks, root):
    playbook = os.path.join(root, "analysis-%d.yml" % tasks)
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [{"progressive.canary.canary_analysis": analysis_arguments(prometheus)}] * tasks}]
    with open(playbook, "w", encoding="utf-8") as handle:
        json.dump(play, handle)
    outcome = {}

    def run():
        outcome["run"] = ansible_playbook.run_playbook(playbook, Path(root))

    seconds = seconds_of(run)
    returncode, plays, output = outcome["run"]
    if returncode != 0 or not all(result.get("passed") for result in plays[0]):
        raise RuntimeError("ansible-playbook with canary_analysis failed (%d):\n%s" % (returncode, output[-3000:]))
    return seconds


def time_playbook(prometheus, runs):
    """Wall time of ansible-playbook with 1 canary_analysis task, and the cost of each further task."""
    one, many = [], []
    with isolated_home() as root:
        for _run in range(runs):
            one.append(_playbook_seconds(prometheus, 1, root))
            many.append(_playbook_seconds(prometheus, TASKS_MANY, root))
    per_task = [(m - o) / (TASKS_MANY - 1) for o, m in zip(one, many)]
    return {"ansible-playbook, 1 canary_analysis task": one, "canary_analysis task (each further task)": per_task}
