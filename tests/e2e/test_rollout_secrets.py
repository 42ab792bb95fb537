"""Secrets embedded in URLs never leave the run: a Prometheus URL with ``user:password@`` (through an authenticating
proxy in front of the live Prometheus), webhook URLs with ``?token=`` / ``?access_token=``, a web check with
``?api_key=``, a generic incoming-webhook path (``/hooks/<secret>``) and Slack/Teams incoming-webhook URLs, released by
playbooks/rollout.yml once to a promotion, then the next release to a rollback (a failing web check).

Every byte the runs show is scanned: the default callback's text at default verbosity and at ``-vvv`` (the modules'
invocation arguments) with ``--diff``, the JSON callback's report (every task's full result), and every ConfigMap and
every object the canary manages in the emulator. Each secret occurs 0 times, while the hosts and paths stay readable."""
import base64
import json
import subprocess

import pytest

from tests import ansible_playbook
from tests.e2e.rollout_scenario import NEW_IMAGE, PLAYBOOKS, needs_crds
from tests.integration.loopback_http import LoopbackServer, Reply, forwarding_responder

pytestmark = needs_crds

PROMETHEUS_PASSWORD = "prom-pa55-7c1e0b"
HOOK_TOKEN = "hooktok-91d2f4e8"
PRE_ROLLOUT_TOKEN = "preroll-3a8b6c0d"
WEB_API_KEY = "webkey-5e7f1a2b"
GENERIC_HOOK_SECRET = "generichook-0f9e8d7c"
SLACK_SECRET = "slackpart-4d3c2b1a0f9e"
SLACK_WORKSPACE = "T0SLACKWS42"
TEAMS_SECRET = "teamspart-8a7b6c5d4e"
FAILING_IMAGE = "stefanprodan/podinfo:3.1.2"
SECRETS = (PROMETHEUS_PASSWORD, HOOK_TOKEN, PRE_ROLLOUT_TOKEN, WEB_API_KEY, GENERIC_HOOK_SECRET, SLACK_SECRET,
           SLACK_WORKSPACE, TEAMS_SECRET)


class Endpoints(object):
    """The loopback receiver of the hooks and the web check (its score decides the check), and the Prometheus proxy
    that answers 401 unless the request carries the URL's basic-auth credentials."""

    def __init__(self, prometheus_url):
        self.score = 1.0
        self.load_test_fails = False
        self.receiver = LoopbackServer(self._answer)
        expected = "Basic " + base64.b64encode(("gate:" + PROMETHEUS_PASSWORD).encode()).decode()
        self.proxy = LoopbackServer(forwarding_responder(prometheus_url, lambda request: request.headers.get("Authorization") == expected))

    def _answer(self, request):
        if request.path.startswith("/score"):
            return Reply(200, {"score": self.score})
        if request.path.startswith("/load") and self.load_test_fails:
            return Reply(500, "load test failed")
        return Reply(200, "ok")

    def prometheus_url(self):
        return self.proxy.url.replace("http://", "http://gate:%s@" % PROMETHEUS_PASSWORD)

    def analysis(self):
        hooks = [
            {"name": "smoke", "type": "pre-rollout", "url": "%s/smoke?access_token=%s" % (self.receiver.url, PRE_ROLLOUT_TOKEN)},
            {"name": "load", "type": "rollout", "url": "%s/load?token=%s&mode=short" % (self.receiver.url, HOOK_TOKEN)},
            {"name": "chat", "type": "rollout", "url": "%s/hooks/%s" % (self.receiver.url, GENERIC_HOOK_SECRET)},
            {"name": "slack", "type": "post-rollout", "timeout": "2s",
             "url": "https://hooks.slack.com/services/%s/B0SLACKCH7/%s" % (SLACK_WORKSPACE, SLACK_SECRET)},
            {"name": "teams", "type": "rollback", "timeout": "2s",
             "url": "https://contoso.webhook.office.com/webhookb2/1f0e@2e1d/IncomingWebhook/%s/3c2b" % TEAMS_SECRET},
        ]
        metrics = [
            {"name": "request-success-rate", "interval": "10s", "threshold_range": {"min": 99}},
            {"name": "score", "threshold_range": {"min": 0.5},
             "web": {"url": "%s/score?api_key=%s&app=podinfo" % (self.receiver.url, WEB_API_KEY), "value_path": "score"}},
        ]
        return {"interval": "3s", "threshold": 1, "step_weight": 30, "max_weight": 60, "metrics": metrics, "webhooks": hooks}

    def __enter__(self):
        self.receiver.start()
        self.proxy.start()
        return self

    def __exit__(self, *exc_info):
        self.receiver.stop()
        self.proxy.stop()


@pytest.fixture
def endpoints(podinfo):
    with Endpoints(podinfo.prometheus.url) as started:
        yield started


def run_text(podinfo, endpoints, options):  # pylint: disable=redefined-outer-name
    """playbooks/rollout.yml with the default (human) callback: (exit code, everything it printed)."""
    run_dir = podinfo._run_dir()  # pylint: disable=protected-access
    variables = podinfo.release_vars(rollout_prometheus={"url": endpoints.prometheus_url()}, rollout_analysis=endpoints.analysis())
    env = dict(ansible_playbook.playbook_env(run_dir), ANSIBLE_STDOUT_CALLBACK="default")
    command = ansible_playbook.playbook_command(PLAYBOOKS / "rollout.yml", run_dir, extra_vars=variables, options=options)
    completed = subprocess.run(command, env=env, cwd=str(run_dir), capture_output=True, text=True, timeout=600, check=False)
    return completed.returncode, completed.stdout + completed.stderr


def run_report(podinfo, endpoints, options):  # pylint: disable=redefined-outer-name
    """playbooks/rollout.yml with the JSON callback: (exit code, rollout_result, every task's full result as text)."""
    returncode, result, plays, output = podinfo.run(options=options, rollout_prometheus={"url": endpoints.prometheus_url()},
                                                    rollout_analysis=endpoints.analysis())
    return returncode, result, json.dumps(plays) + output


def cluster_text(podinfo):
    """Every ConfigMap of every namespace, and every object of the kinds a canary manages in its namespace."""
    status, config_maps = podinfo.emulator.request("GET", "/api/v1/configmaps")
    assert status == 200, config_maps
    managed = [podinfo.get(kind, name) for kind, names in podinfo.inventory().items() for name in names]
    return json.dumps(config_maps) + json.dumps(managed)


def leaks(text):
    return {secret: text.count(secret) for secret in SECRETS if secret in text}


def _prepared(podinfo, endpoints):  # pylint: disable=redefined-outer-name
    podinfo.load()
    returncode, output = run_text(podinfo, endpoints, ("--diff",))
    assert returncode == 0, output
    assert leaks(output) == {} and leaks(cluster_text(podinfo)) == {}
    podinfo.patch_template(image=NEW_IMAGE)


def test_a_passing_then_a_failing_release_show_no_secret_at_any_verbosity(podinfo, endpoints):  # pylint: disable=redefined-outer-name
    """Both releases on one canary (a promotion, then the next release rolled back): one set-up for both."""
    _prepared(podinfo, endpoints)

    returncode, result, report = run_report(podinfo, endpoints, ("-vvv", "--diff"))

    assert returncode == 0, report
    assert result["outcome"] == "promoted" and podinfo.image("podinfo-primary") == NEW_IMAGE, result
    assert any(check["name"] == "score" and check["verdict"] == "pass" for step in result["steps"] for check in step["checks"])
    calls = [request.path for request in endpoints.receiver.requests]
    assert any(HOOK_TOKEN in path for path in calls) and any(GENERIC_HOOK_SECRET in path for path in calls), \
        "the hooks were called with their real URLs"
    assert leaks(report) == {} and leaks(cluster_text(podinfo)) == {}

    podinfo.patch_template(image=FAILING_IMAGE)
    endpoints.score = 0.0
    endpoints.load_test_fails = True

    returncode, verbose = run_text(podinfo, endpoints, ("-vvv", "--diff"))

    assert returncode != 0, verbose
    assert podinfo.state()["phase"] == "Failed" and podinfo.image("podinfo-primary") == NEW_IMAGE, "the promoted release stays"
    assert "0 is below the minimum 0.5" in verbose, "the check failed on the web check's value"
    state = podinfo.state()
    assert leaks(verbose) == {} and leaks(cluster_text(podinfo)) == {}, "secrets shown at -vvv or stored"
    # The URLs stay useful: where they point is shown, only the secret parts are replaced.
    assert endpoints.receiver.url + "/load?token=REDACTED&mode=short failed: HTTP 500" in state["failure_reason"]
    assert endpoints.receiver.url + "/score?api_key=REDACTED&app=podinfo" in verbose
    assert "https://hooks.slack.com/services/REDACTED" in verbose
    assert "http://gate:REDACTED@127.0.0.1:%d" % endpoints.proxy._server.server_address[1] in verbose  # pylint: disable=protected-access
    # A re-run at default verbosity (the rollback is recorded: nothing to do) and the JSON report of every result.
    returncode, default = run_text(podinfo, endpoints, ("--diff",))
    assert leaks(default) == {}
    returncode, _result, report = run_report(podinfo, endpoints, ("-vvv", "--diff"))
    assert leaks(report) == {}
