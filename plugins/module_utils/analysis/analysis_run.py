# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""canary_analysis's run once its options are parsed: the webhooks of the type, then the checks (gate.py), or
with validate_only every input checked and nothing called; the outcome counted in the state when asked. Every
failure is a CanaryError whose message and fields are the failed task's (canary_module.failing reports it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.module_utils.analysis.gate import (
    AnalysisConfigError, record_in_state, run_checks, summary, validate_checks, with_webhooks,
)
from ansible_collections.progressive.canary.plugins.module_utils.canary import alerts, events
from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError, reworded
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.analysis.prometheus_api import PrometheusConnection
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import StateStore
from ansible_collections.progressive.canary.plugins.module_utils.analysis.webhooks import build_payload, prepare_hooks, run_webhooks

CONTEXT_OPTIONS = ("namespace", "target", "service", "name", "interval", "provider")


def _connection(params):
    return PrometheusConnection.from_params(params["prometheus"]) if params["prometheus"] else None


def validate(params, context):
    """validate_only: every check and every webhook validated, every query parsed by Prometheus; nothing called."""
    hooks = prepare_hooks(params["webhooks"])
    connection = _connection(params)
    outcome = {"passed": True, "checks": [], "failed_check_names": []}
    if params["checks"]:
        outcome = validate_checks(connection, params["checks"], context, at_time=params["evaluation_time"])
    outcome = with_webhooks(outcome, {"passed": True, "hooks": [], "skipped": [hook["name"] for hook in hooks]})
    parsed = [check["name"] for check in outcome["checks"] if check.get("parsed")]
    unparsed = [check["reason"] for check in outcome["checks"] if check.get("parsed") is False]
    outcome["msg"] = ("valid: %d checks (%d queries parsed by Prometheus) and %d webhooks; nothing was called or written%s"
                      % (len(outcome["checks"]), len(parsed), len(hooks), "".join("; " + reason for reason in unparsed)))
    return outcome


def analyse(params, context, check_mode):
    """Call the webhooks of the type (Flagger calls them first), then run the checks; one outcome for both."""
    if params["validate_only"]:
        return validate(params, context)
    hooks = [hook for hook in params["webhooks"] if hook["type"] == params["webhook_type"]]
    payload = build_payload(params["name"] or params["target"], params["namespace"], "Progressing", params["checksum"])
    if not params["checks"] and not hooks:
        raise AnalysisConfigError("no checks and no %s webhooks given: an empty gate cannot fail, so it is refused" % params["webhook_type"])
    hooks_outcome = run_webhooks(hooks, params["webhook_type"], payload, check_mode=check_mode)
    checks_outcome = {"passed": True, "checks": [], "failed_check_names": []}
    if params["checks"]:
        checks_outcome = run_checks(_connection(params), params["checks"], context, at_time=params["evaluation_time"])
    return with_webhooks(checks_outcome, hooks_outcome)


def tell_failures(api, names, outcome, alert_list, revision, state):
    """A recorded failed run (gate.py's ``outcome``) as Events on the target and a notification per failed check or
    hook to ``alert_list`` (the ``alerts`` option); the warnings of what could not be told (neither fails the task).
    Whatever runs a step calls it once the failure is counted (``state``: the state after record_in_state)."""
    warnings = events.record_halt(api, names, outcome)
    fields = [("Failed checks", (state or {}).get("failed_checks", "")), ("Revision", revision or "")]
    for item in events.failures(outcome):
        severity, message = alerts.failed_check(events.halted(names, item)[1])
        warnings.extend(alerts.notify(alert_list, names.target, names.namespace, severity, message, fields)[1])
    return warnings


def run_analysis(params, check_mode, connect):
    """The task's result. ``connect(**fields)`` gives the KubeApi the outcome is recorded with (the module's
    kube_api). Raises CanaryError: ``invalid analysis: ...`` before anything is called, a failed recording with the
    outcome, and (with fail_on_failure) a run that did not pass with its whole result."""
    context = dict((key, params[key]) for key in CONTEXT_OPTIONS)
    with reworded("invalid analysis: "):
        outcome = analyse(params, context, check_mode)
    result = dict(changed=False, msg=outcome.pop("msg", None) or summary(outcome), **outcome)
    if params["record_in_state"] and not check_mode and not params["validate_only"]:
        with reworded("%s; recording the outcome in the state object failed: " % result["msg"], **outcome):
            api = connect(**outcome)
            names = CanaryNames(params["target"], params["namespace"])
            result["state"] = record_in_state(StateStore(api, names), outcome, params["lease_holder"], params["lease_seconds"])
        warnings = tell_failures(api, names, outcome, params["alerts"], params["checksum"], result["state"]) if not outcome["passed"] else []
        if warnings:
            result["warnings"] = warnings
        result["changed"] = not outcome["passed"]
    if not outcome["passed"] and params["fail_on_failure"]:
        raise CanaryError(result.pop("msg"), **result)
    return result
