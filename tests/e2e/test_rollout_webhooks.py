"""Webhooks and a custom query through playbooks/rollout.yml (a local HTTP receiver, the sandbox, live Prometheus):
a closed confirm-promotion gate holds the promotion until it opens, or rolls back when it times out; failed rollout
hooks count as failed checks in the state object; failed pre-rollout hooks are tried again each interval until the
threshold, as Flagger; a custom PromQL check written `!unsafe` in a variables file is rendered by the module."""
import json
import threading

import pytest

from tests.e2e.rollout_scenario import NEW_IMAGE, OLD_IMAGE, failure_message, needs_crds
from tests.integration.loopback_http import LoopbackServer, Reply
from tests.sandbox.fixtures_api import wait_for

pytestmark = needs_crds
# Requests to the canary workload seen by the mesh: only a query rendered for this test's namespace and target finds it.
CANARY_REQUESTS = """
rollout_analysis:
  interval: 3s
  threshold: 2
  step_weight: 30
  max_weight: 60
  metrics:
    - name: canary-requests
      query: !unsafe >-
        sum(increase(istio_requests_total{destination_workload_namespace="{{ namespace }}",
        destination_workload="{{ target }}"}[{{ interval }}]))
      interval: 10s
      threshold_range: {min: 1}
  webhooks: %s
"""


class Receiver(object):
    """Webhook endpoints: /gate answers 403 until ``open_gate()``, /fail answers 500, anything else 200."""

    def __init__(self):
        self.gate_open = threading.Event()
        self.server = LoopbackServer(self._answer)

    def _answer(self, request):
        if request.path == "/gate":
            return Reply(200, "approved") if self.gate_open.is_set() else Reply(403, "waiting for approval")
        return Reply(500, "tests failed") if request.path == "/fail" else Reply(200, "ok")

    def calls(self, path):
        return [request.json() for request in list(self.server.requests) if request.path == path]

    def hook(self, name, hook_type, path, **options):
        return dict({"name": name, "type": hook_type, "url": self.server.url + path}, **options)


@pytest.fixture
def receiver():
    hooks = Receiver()
    with hooks.server:
        yield hooks


def _webhooks_yaml(webhooks):
    return CANARY_REQUESTS % json.dumps(webhooks)  # JSON is YAML


def _pending_release(podinfo):
    podinfo.load()
    returncode, _result, _plays, output = podinfo.run()
    assert returncode == 0, output
    podinfo.patch_template(image=NEW_IMAGE)
    podinfo.mesh.reset(podinfo.apex_host)  # count only the release's traffic: init served from the target itself


def test_closed_promotion_gate_holds_the_promotion_until_it_opens(podinfo, receiver):  # pylint: disable=redefined-outer-name
    _pending_release(podinfo)
    webhooks = [receiver.hook("smoke", "pre-rollout", "/smoke"), receiver.hook("load-test", "rollout", "/load"),
                receiver.hook("approval", "confirm-promotion", "/gate", poll_interval="500ms", gate_timeout="2m")]
    outcome = {}
    run = threading.Thread(target=lambda: outcome.update(zip(("returncode", "result", "plays", "output"),
                                                             podinfo.run(yaml_vars=_webhooks_yaml(webhooks)))))
    run.start()
    try:
        wait_for(lambda: len(receiver.calls("/gate")) >= 3, timeout=120, what="the closed gate polled three times")
        held = podinfo.state()
        assert held["phase"] == "Progressing" and podinfo.image("podinfo-primary") == OLD_IMAGE, held
        assert podinfo.route() == {"podinfo-primary": 40, "podinfo-canary": 60}
    finally:
        receiver.gate_open.set()
        run.join(timeout=180)

    assert outcome["returncode"] == 0, outcome["output"]
    result = outcome["result"]
    assert result["outcome"] == "promoted" and podinfo.image("podinfo-primary") == NEW_IMAGE, result
    values = [check["value"] for step in result["steps"] for check in step["checks"] if check["name"] == "canary-requests"]
    assert len(values) == 2 and all(value >= 1 for value in values), result["summary"]
    checksums = {call["checksum"] for path in ("/smoke", "/load", "/gate") for call in receiver.calls(path)}
    assert checksums == {result["revision"]}, "every hook is told the revision being released"
    assert len(receiver.calls("/smoke")) == 1 and len(receiver.calls("/load")) == 2


def test_promotion_gate_that_stays_closed_rolls_back(podinfo, receiver):  # pylint: disable=redefined-outer-name
    _pending_release(podinfo)
    webhooks = [receiver.hook("approval", "confirm-promotion", "/gate", poll_interval="500ms", gate_timeout="2s")]

    returncode, result, plays, output = podinfo.run(yaml_vars=_webhooks_yaml(webhooks))

    assert returncode != 0, output
    assert result["outcome"] == "rolled back" and [step["passed"] for step in result["steps"]] == [True, True], result
    assert "the confirm-promotion gate stayed closed" in failure_message(plays) and "waiting for approval" in result["reason"]
    assert podinfo.state()["phase"] == "Failed" and podinfo.image("podinfo-primary") == OLD_IMAGE


def test_failing_rollout_hook_counts_as_failed_checks_in_the_state(podinfo, receiver):  # pylint: disable=redefined-outer-name
    _pending_release(podinfo)

    returncode, result, plays, output = podinfo.run(yaml_vars=_webhooks_yaml([receiver.hook("acceptance", "rollout", "/fail")]))

    assert returncode != 0, output
    assert result["outcome"] == "rolled back" and result["failed_checks"] == 2, result
    assert podinfo.state()["failed_checks"] == 2, "recorded in the state object, where a resumed run reads it"
    assert "webhook 'acceptance' (rollout)" in failure_message(plays) and "tests failed" in failure_message(plays)
    assert all(check["verdict"] == "pass" for step in result["steps"] for check in step["checks"]), "the metrics passed"


def test_failing_pre_rollout_hook_is_tried_until_the_threshold_without_traffic(podinfo, receiver):  # pylint: disable=redefined-outer-name
    _pending_release(podinfo)

    returncode, result, plays, output = podinfo.run(yaml_vars=_webhooks_yaml([receiver.hook("smoke", "pre-rollout", "/fail")]))

    assert returncode != 0, output
    assert result["outcome"] == "rolled back" and result["steps"] == [], result
    assert len(receiver.calls("/fail")) == 2, "called once per interval until the failed checks reach the threshold 2"
    assert "2 failed checks reached the threshold 2" in failure_message(plays) and "webhook 'smoke'" in failure_message(plays)
    assert podinfo.state()["failed_checks"] == 2
    assert podinfo.mesh.counts(podinfo.apex_host)["by_workload"].get("podinfo", 0) == 0, "no traffic reached the canary"
