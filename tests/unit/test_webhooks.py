"""Unit tests of the webhook definitions: durations, payload and validation."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.analysis.webhooks import (
    WebhookConfigError, build_payload, parse_duration, prepare_hook, run_webhooks)


@pytest.mark.parametrize("text, seconds", [("10s", 10), ("500ms", 0.5), ("1m30s", 90), ("1h", 3600), ("1d", 86400), (5, 5), ("2.5", 2.5)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "ten seconds", "-1s", "0s", "1x", "1.5.3s"])
def test_parse_duration_refuses(text):
    with pytest.raises(WebhookConfigError):
        parse_duration(text)


def test_payload_is_flaggers_with_string_metadata_and_omitempty():
    assert build_payload("podinfo", "test", "Progressing", "abc") == {
        "name": "podinfo", "namespace": "test", "phase": "Progressing", "checksum": "abc"}
    assert build_payload("p", "n", "Progressing", None, {"cmd": "hey", "n": 3})["metadata"] == {"cmd": "hey", "n": "3"}


def test_hook_defaults():
    hook = prepare_hook({"name": "h", "type": "confirm-promotion", "url": "http://x"})
    assert (hook["timeout"], hook["gate_timeout"], hook["poll_interval"]) == (10, 3600, 10)


@pytest.mark.parametrize("hook, message", [
    ({"type": "rollout", "url": "http://x"}, "name"),
    ({"name": "h", "type": "later", "url": "http://x"}, "type must be"),
    ({"name": "h", "type": "rollout"}, "url"),
    ({"name": "h", "type": "rollout", "url": "http://x", "timeout": "soon"}, "timeout"),
    ({"name": "h", "type": "rollout", "url": "file:///etc/passwd"}, "not an http:// or https:// URL"),
    ({"name": "h", "type": "rollout", "url": "data:,{}"}, "not an http:// or https:// URL"),
])
def test_invalid_hooks(hook, message):
    with pytest.raises(WebhookConfigError, match=message):
        prepare_hook(hook)


def test_hooks_of_other_types_are_validated_too():
    with pytest.raises(WebhookConfigError, match="webhook 'notify': url 'file:///x' is not"):
        run_webhooks([{"name": "notify", "type": "post-rollout", "url": "file:///x"}], "pre-rollout", build_payload("p", "n", "Progressing"))


def test_other_types_are_ignored_and_nothing_to_call_passes():
    outcome = run_webhooks([{"name": "h", "type": "post-rollout", "url": "http://127.0.0.1:9/"}], "pre-rollout",
                           build_payload("p", "n", "Progressing"))
    assert outcome == {"passed": True, "hooks": [], "skipped": [], "rollback_requested": False}
