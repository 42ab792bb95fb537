"""Notifications as Flagger's alert providers, through ansible-playbook against a loopback HTTP server: Slack's,
Teams' and the generic webhook's payloads, the severity each alert wants, check mode sending nothing, a failing
notifier a warning (never a failed task), and the URLs - secrets - shown nowhere, not even at -vvv."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import CanaryState, StateStore
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import connect
from tests.integration.loopback_http import LoopbackServer, Reply
from tests.integration.test_analysis_module import run_playbook

SLACK_PATH = "/services/T0001/B0002/slack-secret-4b1e"
TEAMS_PATH = "/webhookb2/teams-secret-9c2d"
HOOK_PATH = "/events?token=hook-secret-77aa"
SECRETS = ("slack-secret-4b1e", "teams-secret-9c2d", "hook-secret-77aa")


@pytest.fixture
def receiver():
    with LoopbackServer(lambda request: Reply(500, "broken") if request.path.startswith("/broken") else Reply(200, "ok")) as server:
        yield server


def _alerts(url):
    return [{"name": "releases", "type": "slack", "url": url + SLACK_PATH, "channel": "deploys"},
            {"name": "ops", "type": "msteams", "url": url + TEAMS_PATH, "severity": "warn"},
            {"name": "audit", "type": "webhook", "address": url + HOOK_PATH, "metadata": {"team": "web"}}]


def _notify(event, **options):
    return {"progressive.canary.canary_notify": dict({"target": "podinfo", "namespace": "test", "event": event,
                                                      "alerts": "{{ alerts }}"}, **options)}


def _by_path(requests):
    return dict((request.path, request.json()) for request in requests)


def test_started_and_rolled_back_as_flagger_sends_them(tmp_path, receiver):  # pylint: disable=redefined-outer-name
    tasks = [_notify("started", fields={"Revision": "5d8f", "Plan": "weights 10, 20"}),
             _notify("rolled_back", reason="2 failed checks reached the threshold 2")]
    results, output = run_playbook(tmp_path, tasks, extra_vars={"alerts": _alerts(receiver.url)})
    assert results[0]["sent"] == ["releases", "audit"], "the warn alert does not get an info message"
    assert results[1]["sent"] == ["releases", "ops", "audit"] and results[1]["severity"] == "error"

    started = _by_path(receiver.requests[:2])
    slack = started[SLACK_PATH]
    assert slack["channel"] == "deploys" and slack["text"] == "podinfo.test: New revision detected, progressing canary analysis."
    assert slack["attachments"][0]["color"] == "good" and slack["attachments"][0]["author_name"] == "podinfo.test"
    fields = sorted(slack["attachments"][0]["fields"], key=lambda field: field["title"])  # the test's YAML sorts the keys
    assert fields == [{"title": "Plan", "value": "weights 10, 20", "short": False}, {"title": "Revision", "value": "5d8f", "short": False}]
    hook = started[HOOK_PATH]
    assert (hook["name"], hook["namespace"], hook["checksum"]) == ("podinfo", "test", "5d8f")
    assert hook["metadata"]["eventMessage"] == "New revision detected, progressing canary analysis."
    assert (hook["metadata"]["eventType"], hook["metadata"]["team"]) == ("Normal", "web") and hook["metadata"]["timestamp"].isdigit()

    rolled_back = _by_path(receiver.requests[2:])
    teams = rolled_back[TEAMS_PATH]
    assert (teams["@type"], teams["themeColor"], teams["summary"]) == ("MessageCard", "FF0000", "podinfo.test")
    assert teams["sections"][0]["activityTitle"] == "Canary analysis failed, podinfo.test rolled back: 2 failed checks reached the threshold 2"
    assert rolled_back[SLACK_PATH]["attachments"][0]["color"] == "danger"
    assert rolled_back[HOOK_PATH]["metadata"]["eventType"] == "Warning"
    assert not any(secret in output for secret in SECRETS), "a webhook URL is a secret"


def test_a_failing_notifier_is_a_warning_and_check_mode_sends_nothing(tmp_path, receiver):  # pylint: disable=redefined-outer-name
    alerts = [{"name": "broken", "type": "slack", "url": receiver.url + "/broken/slack-secret-4b1e"},
              {"name": "closed", "type": "webhook", "url": "http://127.0.0.1:9/hook-secret-77aa", "timeout": 2},
              {"name": "fine", "type": "msteams", "url": receiver.url + TEAMS_PATH}]
    results, output = run_playbook(tmp_path, [_notify("promoted")], extra_vars={"alerts": alerts})
    assert results[0]["failed"] is False and results[0]["sent"] == ["fine"]
    warnings = results[0]["warnings"]
    assert warnings[0] == "alert broken (slack) was not delivered: HTTP 500", warnings
    assert warnings[1].startswith("alert closed (webhook) was not delivered: "), warnings
    assert not any(secret in output for secret in SECRETS)

    receiver.requests.clear()
    results, _output = run_playbook(tmp_path, [_notify("promoted")], check=True, extra_vars={"alerts": alerts})
    assert results[0]["sent"] == ["broken", "closed", "fine"] and receiver.requests == []


def test_a_failed_check_is_notified_where_it_is_counted(tmp_path, kubeconfig, emulator, receiver):  # noqa: F811  pylint: disable=redefined-outer-name,unused-argument
    api = connect({"kubeconfig": str(kubeconfig)})
    api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "test"}})
    StateStore(api, CanaryNames("podinfo", "test")).create(CanaryState({"phase": "Progressing"}))
    with LoopbackServer(lambda request: Reply(200, {"score": 0.5})) as scores:
        task = {"progressive.canary.canary_analysis": {
            "namespace": "test", "target": "podinfo", "kubeconfig": str(kubeconfig), "record_in_state": True,
            "fail_on_failure": False, "checksum": "5d8f", "alerts": "{{ alerts }}",
            "checks": [{"name": "score", "web": {"url": scores.url, "value_path": "score"}, "threshold_range": {"min": 0.9}}]}}
        results, output = run_playbook(tmp_path, [task], extra_vars={"alerts": _alerts(receiver.url)})
    assert results[0]["state"]["failed_checks"] == 1
    sent = _by_path(receiver.requests)
    assert set(sent) == {SLACK_PATH, TEAMS_PATH, HOOK_PATH}, "a failed check is a warning: the warn alert gets it too"
    message = sent[HOOK_PATH]["metadata"]["eventMessage"]
    assert message == "Halt podinfo.test advancement score 0.50 < 0.9", message
    assert sent[HOOK_PATH]["metadata"]["Failed checks"] == "1" and sent[HOOK_PATH]["checksum"] == "5d8f"
    assert not any(secret in output for secret in SECRETS)
