"""Webhooks and gates against loopback receivers: payload, success <= 202, gates open/closed/timing out, 5xx."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.analysis.webhooks import build_payload, run_webhooks
from tests.integration.loopback_http import LoopbackServer, Reply

PAYLOAD = build_payload("podinfo", "test", "Progressing", "rev-abc")


def hook(url, hook_type, **extra):
    spec = {"name": "%s-hook" % hook_type, "type": hook_type, "url": url + "/hook"}
    spec.update(extra)
    return spec


def test_rollout_hook_posts_flaggers_payload_with_its_metadata():
    with LoopbackServer(lambda request: Reply(202, {"ok": True})) as server:
        outcome = run_webhooks([hook(server.url, "rollout", metadata={"cmd": "hey -z 1m"})], "rollout", PAYLOAD)
    assert outcome["passed"] is True and outcome["hooks"][0]["status"] == 202
    request = server.requests[0]
    assert request.method == "POST" and request.headers["Content-Type"] == "application/json"
    assert request.json() == {"name": "podinfo", "namespace": "test", "phase": "Progressing", "checksum": "rev-abc",
                              "metadata": {"cmd": "hey -z 1m"}}


@pytest.mark.parametrize("status", [203, 400, 500, 503])
def test_hook_above_202_fails_with_status_and_body(status):
    with LoopbackServer(lambda request: Reply(status, "smoke test failed: 3 errors")) as server:
        outcome = run_webhooks([hook(server.url, "pre-rollout")], "pre-rollout", PAYLOAD)
    result = outcome["hooks"][0]
    assert outcome["passed"] is False and result["status"] == status
    assert "HTTP %d" % status in result["reason"] and "smoke test failed" in result["reason"] and server.url in result["reason"]


def test_hook_timeout_fails_naming_the_url():
    with LoopbackServer(lambda request: Reply(200, "late", delay_s=2)) as server:
        outcome = run_webhooks([hook(server.url, "rollout", timeout="200ms")], "rollout", PAYLOAD)
    assert outcome["passed"] is False
    assert "timed out" in outcome["hooks"][0]["reason"] and server.url in outcome["hooks"][0]["reason"]


def test_unreachable_hook_fails_with_a_message():
    with LoopbackServer(lambda request: Reply(200)) as server:
        url = server.url
    outcome = run_webhooks([hook(url, "pre-rollout")], "pre-rollout", PAYLOAD)
    assert outcome["passed"] is False and outcome["hooks"][0]["status"] is None
    assert "refused" in outcome["hooks"][0]["reason"]


def gate_opening_after(closed_calls):
    calls = []

    def respond(request):
        calls.append(request)
        return Reply(200, "open") if len(calls) > closed_calls else Reply(403, "Forbidden")
    return respond


def test_open_gate_passes_at_once():
    with LoopbackServer(gate_opening_after(0)) as server:
        outcome = run_webhooks([hook(server.url, "confirm-promotion")], "confirm-promotion", PAYLOAD)
    assert outcome["passed"] is True and outcome["hooks"][0]["attempts"] == 1


def test_closed_gate_is_polled_until_it_opens():
    with LoopbackServer(gate_opening_after(2)) as server:
        outcome = run_webhooks([hook(server.url, "confirm-rollout", poll_interval="50ms", gate_timeout="30s")],
                               "confirm-rollout", PAYLOAD)
    assert outcome["passed"] is True and outcome["hooks"][0]["attempts"] == 3 and len(server.requests) == 3
    assert "is open" in outcome["hooks"][0]["reason"]


def test_gate_that_stays_closed_times_out_with_the_last_answer():
    with LoopbackServer(lambda request: Reply(403, "Forbidden")) as server:
        outcome = run_webhooks([hook(server.url, "confirm-traffic-increase", poll_interval="100ms", gate_timeout="500ms")],
                               "confirm-traffic-increase", PAYLOAD)
    result = outcome["hooks"][0]
    assert outcome["passed"] is False and result["attempts"] >= 2
    assert "stayed closed" in result["reason"] and "gate_timeout of 0.5s" in result["reason"] and "HTTP 403: Forbidden" in result["reason"]


def test_gate_answering_5xx_is_closed_and_times_out_reporting_the_error():
    calls = []

    def broken_then_silent(request):
        # The first answer is the error; later calls hang past the gate's deadline, so the last call is always
        # cut short by gate_timeout, however loaded the machine is: the reason must still carry the 5xx answer.
        calls.append(request)
        return Reply(500, "approval service broken", delay_s=0 if len(calls) == 1 else 30)

    with LoopbackServer(broken_then_silent) as server:
        outcome = run_webhooks([hook(server.url, "confirm-promotion", poll_interval="50ms", gate_timeout="2s")],
                               "confirm-promotion", PAYLOAD)
    result = outcome["hooks"][0]
    assert outcome["passed"] is False and result["status"] == 500
    assert "stayed closed" in result["reason"] and "HTTP 500: approval service broken" in result["reason"]


def test_rollback_hook_success_requests_rollback_and_errors_do_not():
    with LoopbackServer(lambda request: Reply(200, "roll back")) as asking, LoopbackServer(lambda request: Reply(404)) as quiet:
        outcome = run_webhooks([hook(asking.url, "rollback", name="ask"), hook(quiet.url, "rollback", name="quiet")],
                               "rollback", PAYLOAD)
    assert outcome["passed"] is True and outcome["rollback_requested"] is True
    assert [h["rollback_requested"] for h in outcome["hooks"]] == [True, False]


def test_check_mode_calls_gates_but_not_actions():
    with LoopbackServer(lambda request: Reply(200)) as server:
        actions = run_webhooks([hook(server.url, "pre-rollout")], "pre-rollout", PAYLOAD, check_mode=True)
        gates = run_webhooks([hook(server.url, "confirm-rollout")], "confirm-rollout", PAYLOAD, check_mode=True)
    assert actions["skipped"] == ["pre-rollout-hook"] and actions["hooks"] == []
    assert gates["passed"] is True and len(server.requests) == 1
