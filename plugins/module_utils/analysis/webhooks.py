# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flagger's webhooks, with gates that time out.

Each hook is a POST of JSON ``{name, namespace, phase, checksum, metadata}`` (Flagger's
CanaryWebhookPayload); an answer with status <= 202 is success, anything else (or no answer within the
hook's ``timeout``, default 10s) is failure, as in Flagger.

Types and what success means:
- ``pre-rollout``, ``rollout``, ``post-rollout``: one call; success passes.
- ``confirm-rollout``, ``confirm-traffic-increase``, ``confirm-promotion``: gates. A gate is called
  every ``poll_interval`` until it answers success (open) or its ``gate_timeout`` runs out (Flagger's
  gates wait forever; these fail with the last answer in the message).
- ``rollback``: one call; success means the hook asks for a rollback (``rollback_requested``). An error
  or a non-success status means no rollback is requested, as in Flagger. Rollback hooks never fail.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.progressive.canary.plugins.module_utils.analysis.durations import DurationError, parse_duration as parse_any_duration
from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError
from ansible_collections.progressive.canary.plugins.module_utils.analysis.http_client import HttpRequestError, http_request, http_url_problem
from ansible_collections.progressive.canary.plugins.module_utils.redaction import redact_url

PRE_ROLLOUT = "pre-rollout"
ROLLOUT = "rollout"
POST_ROLLOUT = "post-rollout"
CONFIRM_ROLLOUT = "confirm-rollout"
CONFIRM_TRAFFIC_INCREASE = "confirm-traffic-increase"
CONFIRM_PROMOTION = "confirm-promotion"
ROLLBACK = "rollback"
HOOK_TYPES = (CONFIRM_ROLLOUT, PRE_ROLLOUT, ROLLOUT, CONFIRM_TRAFFIC_INCREASE, CONFIRM_PROMOTION, POST_ROLLOUT, ROLLBACK)
GATE_TYPES = (CONFIRM_ROLLOUT, CONFIRM_TRAFFIC_INCREASE, CONFIRM_PROMOTION)
# Hooks that only ask a question (gates, rollback): safe to call in check mode. The others trigger
# actions (tests, load generation, notifications) and are not called in check mode.
QUERY_TYPES = GATE_TYPES + (ROLLBACK,)

DEFAULT_TIMEOUT = "10s"
DEFAULT_GATE_TIMEOUT = "1h"
DEFAULT_POLL_INTERVAL = "10s"
MAX_SUCCESS_STATUS = 202


class WebhookConfigError(CanaryError, ValueError):
    """A webhook definition is invalid; nothing was called."""


def parse_duration(value, field="duration"):
    """Seconds from a duration (durations.py: ``500ms``, ``10s``, ``1m30s``, ``1d``) or a number of seconds."""
    try:
        return parse_any_duration(value, field)
    except DurationError as exc:
        raise WebhookConfigError(str(exc))


def build_payload(name, namespace, phase, checksum=None, metadata=None):
    """Flagger's webhook payload; metadata is omitted when empty (``omitempty``)."""
    payload = {"name": name, "namespace": namespace, "phase": phase, "checksum": checksum or ""}
    if metadata:
        payload["metadata"] = dict((str(k), str(v)) for k, v in metadata.items())
    return payload


def prepare_hook(hook):
    """Validate one hook definition and return it with durations in seconds."""
    name = hook.get("name")
    if not name:
        raise WebhookConfigError("every webhook needs a name")
    if hook.get("type") not in HOOK_TYPES:
        raise WebhookConfigError("webhook %r: type must be one of %s" % (name, ", ".join(HOOK_TYPES)))
    if not hook.get("url"):
        raise WebhookConfigError("webhook %r needs a url" % name)
    problem = http_url_problem(hook["url"])
    if problem:
        raise WebhookConfigError("webhook %r: url %s" % (name, problem))
    prepared = dict(hook)
    # What messages and results quote: an incoming-webhook URL or a ?token= is a secret (redaction.py).
    prepared["shown_url"] = redact_url(hook["url"])
    prepared["timeout"] = parse_duration(hook.get("timeout") or DEFAULT_TIMEOUT, "webhook %r timeout" % name)
    prepared["gate_timeout"] = parse_duration(hook.get("gate_timeout") or DEFAULT_GATE_TIMEOUT, "webhook %r gate_timeout" % name)
    prepared["poll_interval"] = parse_duration(hook.get("poll_interval") or DEFAULT_POLL_INTERVAL, "webhook %r poll_interval" % name)
    return prepared


def prepare_hooks(hooks):
    """Validate every hook of a canary's list, whatever its type, and return them prepared (WebhookConfigError)."""
    return [prepare_hook(hook) for hook in hooks or []]


def call_once(hook, payload, timeout=None):
    """POST the payload once; returns (success, status or None, short description of the answer)."""
    try:
        response = http_request(
            hook["url"], method="POST", json_body=payload, headers=hook.get("headers"),
            timeout=timeout or hook["timeout"], validate_certs=hook.get("validate_certs", True), ca_path=hook.get("ca_path"),
        )
    except HttpRequestError as exc:
        return False, None, "no answer (%s)" % exc.cause
    body = response.quoted_body()
    answer = "HTTP %s%s" % (response.status, (": %s" % body) if body else "")
    return response.status <= MAX_SUCCESS_STATUS, response.status, answer


def _result(hook, passed, status, reason, attempts=1):
    return {"name": hook["name"], "type": hook["type"], "url": hook["shown_url"], "status": status,
            "passed": passed, "attempts": attempts, "reason": reason}


def run_hook(hook, payload):
    """One call of a non-gate hook, judged by its type."""
    success, status, answer = call_once(hook, payload)
    label = "webhook %r (%s) at %s" % (hook["name"], hook["type"], hook["shown_url"])
    if hook["type"] == ROLLBACK:
        # The call is an answer, not a test: the hook "passes" either way and the answer is in rollback_requested.
        result = _result(hook, True, status,
                         "%s requested a rollback (%s)" % (label, answer) if success else "%s: no rollback requested (%s)" % (label, answer))
        result["rollback_requested"] = success
        return result
    return _result(hook, success, status, "%s succeeded (%s)" % (label, answer) if success else "%s failed: %s" % (label, answer))


def wait_gate(hook, payload, clock=time.monotonic, sleep=time.sleep):
    """Poll a gate until it opens or its gate_timeout passes; never waits past the deadline."""
    deadline = clock() + hook["gate_timeout"]
    attempts = 0
    label = "gate %r (%s) at %s" % (hook["name"], hook["type"], hook["shown_url"])
    last = None     # (status, answer) of the last call that was not cut short by the gate's own deadline
    while True:
        remaining = deadline - clock()
        attempts += 1
        call_timeout = max(0.001, min(hook["timeout"], remaining))
        success, status, answer = call_once(hook, payload, timeout=call_timeout)
        if success:
            return _result(hook, True, status, "%s is open (%s)" % (label, answer), attempts)
        if status is not None or call_timeout >= hook["timeout"] or last is None:
            last = (status, answer)
        else:
            # Our deadline cut this call short: the gate's own last answer says more than "timed out".
            last = (last[0], "%s (the final call was cut short by the gate_timeout)" % last[1])
        remaining = deadline - clock()
        if remaining <= 0:
            return _result(hook, False, last[0], "%s stayed closed until its gate_timeout of %ss ran out after %d attempt(s); last answer: %s"
                           % (label, _seconds(hook["gate_timeout"]), attempts, last[1]), attempts)
        sleep(min(hook["poll_interval"], remaining))


def _seconds(value):
    return ("%g" % value)


def run_webhooks(hooks, hook_type, payload, check_mode=False, sleep=time.sleep):
    """Run the hooks of ``hook_type`` in order and return {passed, hooks, rollback_requested, skipped}.

    ``payload`` is the canary's part of the body (build_payload); each hook adds its own ``metadata``.

    Hooks of other types are not called, so the whole list of a canary can be passed every time; every hook of
    the list is validated, so that a bad definition is refused at the first call, not when its turn comes.
    In check mode only gates and rollback hooks (questions, not actions) are called.
    Raises WebhookConfigError for an invalid definition before anything is called. ``sleep`` waits between two
    calls of a gate (run_lease.renewing_sleep keeps a canary's lease meanwhile).
    """
    if hook_type not in HOOK_TYPES:
        raise WebhookConfigError("type must be one of %s" % ", ".join(HOOK_TYPES))
    selected = [hook for hook in prepare_hooks(hooks) if hook["type"] == hook_type]
    results = []
    skipped = []
    for hook in selected:
        if check_mode and hook_type not in QUERY_TYPES:
            skipped.append(hook["name"])
            continue
        hook_payload = build_payload(payload["name"], payload["namespace"], payload["phase"], payload.get("checksum"),
                                     hook.get("metadata"))
        if hook_type in GATE_TYPES:
            results.append(wait_gate(hook, hook_payload, sleep=sleep))
        else:
            results.append(run_hook(hook, hook_payload))
    return {
        "passed": all(result["passed"] for result in results),
        "hooks": results,
        "skipped": skipped,
        "rollback_requested": any(result.get("rollback_requested") for result in results),
    }


def summary(outcome, hook_type):
    """One line for a person."""
    if not outcome["hooks"] and not outcome["skipped"]:
        return "no %s webhooks defined" % hook_type
    failed = [result["reason"] for result in outcome["hooks"] if not result["passed"]]
    parts = []
    if failed:
        parts.append("%d of %d %s webhook(s) failed: %s" % (len(failed), len(outcome["hooks"]), hook_type, " | ".join(failed)))
    else:
        parts.append("%d %s webhook(s) passed" % (len(outcome["hooks"]), hook_type))
    if outcome["skipped"]:
        parts.append("not called in check mode: %s" % ", ".join(outcome["skipped"]))
    return "; ".join(parts)
