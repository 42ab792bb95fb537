"""canary_analysis and canary_webhook through ansible-playbook: argument spec, no_log, result shape, check mode."""
import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.integration.loopback_http import LoopbackServer, Reply, forwarding_responder
from tests.sandbox.prometheus import istio_series, render_openmetrics

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKEN = "tok-6f1d9a3c-never-shown"


def playbook_text(tasks, results_path):
    """A play running ``tasks`` (each registered as r<i>, errors ignored) and writing their results as JSON."""
    play_tasks = [dict(task, register="r%d" % index, ignore_errors=True) for index, task in enumerate(tasks)]
    play_tasks.append({"ansible.builtin.copy": {
        "dest": str(results_path),
        "content": "{{ [%s] | to_json }}" % ", ".join("r%d" % i for i in range(len(tasks)))},
        "check_mode": False})
    return yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": play_tasks}])


def run_playbook(tmp_path, tasks, check=False, edit=None, extra_vars=None):
    """Run ``tasks`` on localhost and return (their results, ansible output); ``edit`` rewrites the playbook text,
    ``extra_vars`` are passed as a JSON file (so that values such as secrets are not in the playbook's own text)."""
    results_path = tmp_path / "results.json"
    playbook = tmp_path / "play.yml"
    text = playbook_text(tasks, results_path)
    playbook.write_text(edit(text) if edit else text)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".collections"),
               PYTHONPATH=os.pathsep.join([REPO, os.path.join(REPO, ".collections")]),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_HOME=str(tmp_path / "home"), ANSIBLE_NOCOLOR="1")
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local", "-vvv",
               "-e", "ansible_python_interpreter=%s" % sys.executable, str(playbook)]
    if check:
        command.append("--check")
    if extra_vars:
        vars_path = tmp_path / "extra_vars.json"
        vars_path.write_text(json.dumps(extra_vars))
        command.extend(["-e", "@%s" % vars_path])
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return json.loads(results_path.read_text()), completed.stdout + completed.stderr


def test_analysis_module_through_ansible(tmp_path, prometheus_backfill):
    prometheus = prometheus_backfill(render_openmetrics(istio_series("test", "podinfo", 10, 0.2, 30)))

    def accept(request):
        return request.headers.get("Authorization") == "Bearer " + TOKEN

    with LoopbackServer(forwarding_responder(prometheus.url, accept)) as proxy:
        base = {"namespace": "test", "target": "podinfo", "evaluation_time": str(prometheus.default_query_time),
                "prometheus": {"url": proxy.url, "bearer_token": TOKEN}}
        checks = [{"name": "request-success-rate", "threshold_range": {"min": 99}},
                  {"name": "request-duration", "interval": "30s", "threshold_range": {"max": 500}}]
        results, output = run_playbook(tmp_path, [
            {"progressive.canary.canary_analysis": dict(base, checks=checks)},
            {"progressive.canary.canary_analysis": dict(base, checks=checks, fail_on_failure=False)},
            {"progressive.canary.canary_analysis": dict(base, checks=[{"name": "nothing", "threshold_range": {"min": 1}}])},
        ])
    failing, reported, invalid = results
    assert failing["failed"] is True and failing["passed"] is False and failing["changed"] is False
    assert failing["failed_check_names"] == ["request-success-rate"]
    rate, latency = failing["checks"]
    assert rate["value"] == pytest.approx(80.0) and rate["verdict"] == "fail" and rate["threshold_range"] == {"min": 99.0, "max": None}
    assert latency["verdict"] == "pass" and latency["interval"] == "30s" and "[30s]" in latency["query"]
    assert "below the minimum 99" in failing["msg"]
    assert reported.get("failed") is False and reported["passed"] is False and reported["checks"] == failing["checks"]
    assert invalid["failed"] is True and "not a builtin check" in invalid["msg"]
    assert TOKEN not in output and TOKEN not in json.dumps(results)


def test_custom_query_placeholders_pass_through_ansible_when_unsafe(tmp_path, prometheus_backfill):
    prometheus = prometheus_backfill(render_openmetrics(istio_series("test", "podinfo", 10, 0.0, 30)))
    query = 'sum(rate(istio_requests_total{destination_workload_namespace="{{ namespace }}",destination_workload="{{ target }}"}[{{ interval }}]))'
    task = {"progressive.canary.canary_analysis": {
        "namespace": "test", "target": "podinfo", "interval": "2m", "evaluation_time": str(prometheus.default_query_time),
        "prometheus": {"url": prometheus.url},
        "checks": [{"name": "requests-per-second", "query": "QUERY", "threshold_range": {"min": 5}}]}}
    results, _output = run_playbook(tmp_path, [task], edit=lambda text: text.replace("query: QUERY", "query: !unsafe '%s'" % query))
    check = results[0]["checks"][0]
    assert results[0]["passed"] is True and check["value"] == pytest.approx(10.0)
    assert check["query"] == query.replace("{{ namespace }}", "test").replace("{{ target }}", "podinfo").replace("{{ interval }}", "2m")


def test_webhook_module_through_ansible_check_mode(tmp_path):
    with LoopbackServer(lambda request: Reply(200)) as server:
        hooks = [{"name": "approve", "type": "confirm-promotion", "url": server.url + "/gate", "headers": {"Authorization": "Bearer " + TOKEN}},
                 {"name": "load", "type": "rollout", "url": server.url + "/load", "metadata": {"cmd": "hey"}}]
        base = {"name": "podinfo", "namespace": "test", "checksum": "rev1", "webhooks": hooks}
        results, output = run_playbook(tmp_path, [
            {"progressive.canary.canary_webhook": dict(base, type="confirm-promotion")},
            {"progressive.canary.canary_webhook": dict(base, type="rollout")},
        ], check=True)
    gate, rollout = results
    assert gate["passed"] is True and gate["hooks"][0]["status"] == 200 and gate["hooks"][0]["attempts"] == 1
    assert rollout["passed"] is True and rollout["hooks"] == [] and rollout["skipped"] == ["load"]
    assert [request.path for request in server.requests] == ["/gate"]
    assert server.requests[0].json() == {"name": "podinfo", "namespace": "test", "phase": "Progressing", "checksum": "rev1"}
    assert TOKEN not in json.dumps(results) and TOKEN not in output  # headers are no_log: not even -vvv shows them
