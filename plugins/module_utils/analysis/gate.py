# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Prometheus gate: run a list of checks once and give each a verdict.

A check is one of
- builtin: Flagger's Istio ``request-success-rate`` (percent) or ``request-duration`` (p99, ms),
- query: a custom PromQL template (``{{ namespace }}``, ``{{ target }}``, ``{{ service }}``,
  ``{{ interval }}``, ``{{ name }}``, user ``template_variables``),
- web: a JSON endpoint and a JMESPath expression,
each compared with ``threshold_range`` {min, max} (inclusive, as Flagger); or
- comparison (``compare_with_primary``): the canary against the primary on one metric (comparison.py).

Verdicts: ``pass``, ``fail`` (out of bounds), ``no data`` (empty result, NaN, missing value) and
``error`` (Prometheus unreachable or erroring, ambiguous result). Only ``pass`` passes, except that a
check may explicitly set ``on_no_data: pass``. The gate cannot pass on what it does not know.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re

from ansible_collections.progressive.canary.plugins.module_utils.analysis.comparison import (
    COMPARISON, ComparisonConfigError, is_comparison, prepare_comparison, run_comparison,
)
from ansible_collections.progressive.canary.plugins.module_utils.analysis.durations import DurationError, prometheus_duration
from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError
from ansible_collections.progressive.canary.plugins.module_utils.analysis.istio_queries import (
    QueryTemplateError, render_query,
)
from ansible_collections.progressive.canary.plugins.module_utils.analysis.observers import (
    BUILTIN_NAMES, NoBuiltinMetrics, builtin_template, builtin_unit,
)
from ansible_collections.progressive.canary.plugins.module_utils.analysis.prometheus_api import (
    PrometheusError, query as prometheus_query,
)
from ansible_collections.progressive.canary.plugins.module_utils.redaction import redact_url
from ansible_collections.progressive.canary.plugins.module_utils.analysis.verdicts import ERROR, FAIL, NO_DATA, PASS, VALID
from ansible_collections.progressive.canary.plugins.module_utils.analysis.web_check import (
    WebCheckError, WebNoData, fetch_web_value, validate_web_spec,
)

BUILTIN = "builtin"
QUERY = "query"
WEB = "web"

DEFAULT_INTERVAL = "1m"
ON_NO_DATA_CHOICES = ("fail", "pass")
_SELECTOR = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*\s*\{[^{}]*\}")
NO_TRAFFIC_HINT = ("the canary may be receiving no traffic (or Prometheus is not scraping its metrics); "
                   "check that requests reach it during the interval")


class AnalysisConfigError(CanaryError, ValueError):
    """The list of checks or the canary context is invalid; nothing was queried."""


class NoData(Exception):
    """A query answered but gave no usable value."""


class AmbiguousResult(Exception):
    """A query answered with several series or a range vector: no single value to judge."""


# ---------------------------------------------------------------- configuration

def check_type(check):
    """``web`` when it has a web spec, ``query`` when it has PromQL, ``builtin`` for Flagger's names."""
    if check.get("web"):
        return WEB
    if check.get("query"):
        return QUERY
    if check.get("name") in BUILTIN_NAMES:
        return BUILTIN
    raise AnalysisConfigError(
        "check %r has no query and no web spec, and is not a builtin check (builtin: %s)"
        % (check.get("name"), ", ".join(BUILTIN_NAMES))
    )


def _bounds(check):
    threshold = check.get("threshold_range") or {}
    low, high = threshold.get("min"), threshold.get("max")
    if low is None and high is None:
        raise AnalysisConfigError("check %r needs threshold_range with min and/or max" % check.get("name"))
    try:
        low = None if low is None else float(low)
        high = None if high is None else float(high)
    except (TypeError, ValueError):
        raise AnalysisConfigError("check %r: threshold_range min/max must be numbers" % check.get("name"))
    if any(bound is not None and math.isnan(bound) for bound in (low, high)):
        raise AnalysisConfigError("check %r: threshold_range min/max must be numbers, not NaN" % check.get("name"))
    if low is not None and high is not None and low > high:
        raise AnalysisConfigError("check %r: threshold_range min %s is above max %s" % (check.get("name"), low, high))
    return {"min": low, "max": high}


def template_variables(context, check, interval):
    """The variables a check's query is rendered with: the canary context, the interval, user variables."""
    target = context["target"]
    variables = {
        "name": context.get("name") or target,
        "namespace": context["namespace"],
        "target": target,
        "service": context.get("service") or target,
        "ingress": context.get("ingress") or target,
        "interval": interval,
    }
    user = dict(check.get("template_variables") or {})
    clash = sorted(set(user) & set(variables))
    if clash:
        raise AnalysisConfigError("check %r: template_variables may not redefine %s" % (check.get("name"), ", ".join(clash)))
    variables.update(user)
    variables["variables"] = user
    return variables


def prepare_check(check, context):
    """Validate one check and return its plan: name, type, bounds, on_no_data, and the rendered query or web spec."""
    name = check.get("name")
    if not name:
        raise AnalysisConfigError("every check needs a name")
    if is_comparison(check):
        try:
            return prepare_comparison(check, context, lambda interval: template_variables(context, check, interval))
        except ComparisonConfigError as exc:
            raise AnalysisConfigError("check %r: %s" % (name, exc))
    kind = check_type(check)
    on_no_data = check.get("on_no_data") or "fail"
    if on_no_data not in ON_NO_DATA_CHOICES:
        raise AnalysisConfigError("check %r: on_no_data must be one of %s" % (name, ", ".join(ON_NO_DATA_CHOICES)))
    plan = {"name": name, "type": kind, "threshold_range": _bounds(check), "on_no_data": on_no_data}
    if kind == WEB:
        try:
            validate_web_spec(check["web"])
        except ValueError as exc:
            raise AnalysisConfigError("check %r: %s" % (name, exc))
        plan["web"] = check["web"]
        return plan
    try:
        # Written as Prometheus takes it in a range selector (1.5m -> 1m30s).
        interval = prometheus_duration(check.get("interval") or context.get("interval") or DEFAULT_INTERVAL,
                                       "check %r: interval" % name)
    except DurationError as exc:
        raise AnalysisConfigError(str(exc))
    if kind == BUILTIN:
        try:
            template = builtin_template(context.get("provider"), name)
        except NoBuiltinMetrics as exc:
            raise AnalysisConfigError(str(exc))
        plan["unit"] = builtin_unit(context.get("provider"), name)
    else:
        template = check["query"]
    try:
        plan["query"] = render_query(template, template_variables(context, check, interval))
    except QueryTemplateError as exc:
        raise AnalysisConfigError("check %r: %s" % (name, exc))
    plan["interval"] = interval
    return plan


def prepare_checks(checks, context):
    """Validate the whole list before anything is queried; raises AnalysisConfigError."""
    for key in ("namespace", "target"):
        if not context.get(key):
            raise AnalysisConfigError("the canary's %s is required to render the checks" % key)
    if not checks:
        raise AnalysisConfigError("no checks given: an empty gate cannot fail, so it is refused")
    plans = [prepare_check(check, context) for check in checks]
    names = [plan["name"] for plan in plans]
    duplicates = sorted(set(n for n in names if names.count(n) > 1))
    if duplicates:
        raise AnalysisConfigError("check names must be unique; repeated: %s" % ", ".join(duplicates))
    return plans


# ---------------------------------------------------------------- reading values

def _labels(metric):
    return "{%s}" % ", ".join('%s="%s"' % (k, v) for k, v in sorted((metric or {}).items()))


def _sample_number(raw):
    """A Prometheus sample value string as float; NaN raises NoData."""
    value = float(raw)
    if math.isnan(value):
        raise NoData("returned NaN (typically 0/0: no requests in the window)")
    return value


def single_value(data):
    """The one number in an instant query's ``data``; NoData or AmbiguousResult otherwise.

    vector: exactly one series; scalar: its value; string: parsed as a number; matrix: ambiguous.
    """
    result_type = data.get("resultType")
    result = data.get("result")
    if result_type == "vector":
        if not result:
            raise NoData("returned an empty vector")
        if len(result) > 1:
            shown = ", ".join(_labels(series.get("metric")) for series in result[:5])
            raise AmbiguousResult(
                "returned %d series (%s%s); a gate needs exactly one value: aggregate the query, e.g. sum(...)"
                % (len(result), shown, ", ..." if len(result) > 5 else "")
            )
        sample = result[0].get("value") or [None, None]
        if sample[1] is None:
            raise NoData("returned a series without a value")
        return _sample_number(sample[1]), sample[1]
    if result_type in ("scalar", "string"):
        if not result or result[1] is None:
            raise NoData("returned an empty %s" % result_type)
        try:
            return _sample_number(result[1]), result[1]
        except ValueError:
            raise AmbiguousResult("returned the string %r, which is not a number" % result[1])
    if result_type == "matrix":
        raise AmbiguousResult(
            "returned a range vector (matrix of %d series); a gate needs an instant value: "
            "wrap the range selector in a function such as rate(...[1m]) and aggregate it" % len(result or [])
        )
    raise AmbiguousResult("returned an unknown resultType %r" % result_type)


def selectors_in(promql):
    """The metric selectors of a query (compact), to tell a person which labels matched nothing."""
    found = []
    for match in _SELECTOR.finditer(promql):
        text = re.sub(r"\s+", "", match.group(0))
        if text not in found:
            found.append(text)
    return found


# ---------------------------------------------------------------- verdicts

def judge(value, bounds):
    """``(verdict, reason)`` for a value against inclusive bounds, as Flagger (value < min or > max fails)."""
    if bounds["min"] is not None and value < bounds["min"]:
        return FAIL, "%s is below the minimum %s" % (_number(value), _number(bounds["min"]))
    if bounds["max"] is not None and value > bounds["max"]:
        return FAIL, "%s is above the maximum %s" % (_number(value), _number(bounds["max"]))
    return PASS, "%s is within %s" % (_number(value), _range_text(bounds))


def _number(value):
    return ("%.6g" % value) if isinstance(value, float) else str(value)


def _range_text(bounds):
    low = "-inf" if bounds["min"] is None else _number(bounds["min"])
    high = "+inf" if bounds["max"] is None else _number(bounds["max"])
    return "[%s, %s]" % (low, high)


def _json_safe(value):
    """Finite floats as they are; +/-Inf have no JSON form, so they are reported only in raw_value."""
    if value is None or math.isinf(value):
        return None
    return value


def _result(plan, verdict, reason, value=None, raw_value=None):
    passed = verdict in (PASS, VALID) or (verdict == NO_DATA and plan["on_no_data"] == "pass")
    if verdict == NO_DATA and passed:
        reason += " (counted as passed because on_no_data is 'pass')"
    outcome = {
        "name": plan["name"],
        "type": plan["type"],
        "query": plan.get("query") if plan["type"] != WEB else plan["web"]["value_path"],
        "value": _json_safe(value),
        "raw_value": raw_value,
        "threshold_range": plan["threshold_range"],
        "verdict": verdict,
        "passed": passed,
        "reason": reason,
    }
    if plan["type"] == WEB:
        outcome["url"] = redact_url(plan["web"]["url"])
    else:
        outcome["interval"] = plan["interval"]
    return outcome


def _no_data_reason(plan, context, cause):
    what = plan["unit"] if plan["type"] == BUILTIN else "query"
    return "no data: check %r (%s) %s for workload %r in namespace %r over the last %s; selectors: %s; %s" % (
        plan["name"], what, cause, context["target"], context["namespace"], plan["interval"],
        " ".join(selectors_in(plan["query"])) or "(none)", NO_TRAFFIC_HINT,
    )


def run_prometheus_check(connection, plan, context, at_time=None):
    """Query Prometheus for one planned check and return its result dict (never raises for query problems)."""
    try:
        data = prometheus_query(connection, plan["query"], at_time=at_time)
        value, raw = single_value(data)
    except PrometheusError as exc:
        return _result(plan, ERROR, "check %r: %s" % (plan["name"], exc))
    except NoData as exc:
        return _result(plan, NO_DATA, _no_data_reason(plan, context, exc))
    except AmbiguousResult as exc:
        return _result(plan, ERROR, "check %r: the query %s" % (plan["name"], exc))
    verdict, reason = judge(value, plan["threshold_range"])
    unit = " (%s)" % plan["unit"] if plan["type"] == BUILTIN else ""
    return _result(plan, verdict, "check %r%s: %s" % (plan["name"], unit, reason), value, raw)


def run_web_check(plan):
    """Fetch one web check's value and judge it (never raises for endpoint problems)."""
    try:
        value = fetch_web_value(plan["web"])
    except WebNoData as exc:
        return _result(plan, NO_DATA, "no data: check %r: %s" % (plan["name"], exc))
    except WebCheckError as exc:
        return _result(plan, ERROR, "check %r: %s" % (plan["name"], exc))
    verdict, reason = judge(value, plan["threshold_range"])
    return _result(plan, verdict, "check %r: %s" % (plan["name"], reason), value, repr(value))


def run_checks(connection, checks, context, at_time=None):
    """Run every check once and return {passed, checks: [...], failed_check_names: [...]}.

    ``connection`` is a PrometheusConnection (may be None when every check is a web check).
    ``context``: namespace, target (canary workload), optional service, name, interval (default window).
    ``at_time`` evaluates Prometheus queries at that instant instead of now.
    Raises AnalysisConfigError for invalid checks before anything is queried.
    """
    plans = prepare_checks(checks, context)
    _require_connection(connection, plans)
    results = []
    for plan in plans:
        if plan["type"] == WEB:
            results.append(run_web_check(plan))
        elif plan["type"] == COMPARISON:
            results.append(run_comparison(connection, plan, at_time=at_time))
        else:
            results.append(run_prometheus_check(connection, plan, context, at_time=at_time))
    failed = [result["name"] for result in results if not result["passed"]]
    return {"passed": not failed, "checks": results, "failed_check_names": failed}


def _require_connection(connection, plans):
    if connection is None and any(plan["type"] != WEB for plan in plans):
        raise AnalysisConfigError("a Prometheus connection (prometheus.url) is required for builtin and query checks")


def _compact(promql):
    return re.sub(r"\s+", " ", promql).strip()


def check_query_with_prometheus(connection, plan, at_time=None):
    """Send a planned check's rendered query to Prometheus once, to be parsed and evaluated. Returns None when
    Prometheus answered it, or why it could not be asked now: no answer or a 5xx, an outage that says nothing about
    the settings (the analysis counts it as a failed check if it lasts; refusing here would also block finishing a
    promotion or a rollback while Prometheus is down). Raises AnalysisConfigError quoting Prometheus when it refuses
    the query (a PromQL syntax error is HTTP 400 bad_data), any other 4xx (credentials, path), an answer that is not
    the Prometheus API, and a query returning a range vector (never a gate's single value). No data, or several
    series (the canary may have no traffic yet), is fine here."""
    try:
        data = prometheus_query(connection, plan["query"], at_time=at_time)
    except PrometheusError as exc:
        if exc.status is None or exc.status >= 500:
            return str(exc)
        verb = "refused" if exc.status == 400 else "could not check"
        raise AnalysisConfigError("check %r: Prometheus %s the query: %s; query: %s" % (plan["name"], verb, exc, _compact(plan["query"])))
    if data.get("resultType") == "matrix":
        raise AnalysisConfigError("check %r: the query returns a range vector, not a single value: wrap the range selector in a "
                                  "function such as rate(...[1m]) and aggregate it; query: %s" % (plan["name"], _compact(plan["query"])))
    return None


def _validated(connection, plan, at_time):
    if plan["type"] == WEB:
        return _result(plan, VALID, "check %r: valid (the web endpoint is not called when validating)" % plan["name"])
    outage = check_query_with_prometheus(connection, plan, at_time=at_time)
    if outage:
        result = _result(plan, VALID, "check %r: valid, but Prometheus could not parse the query now: %s" % (plan["name"], outage))
        result["parsed"] = False
        return result
    result = _result(plan, VALID, "check %r: valid, Prometheus parsed the query" % plan["name"])
    result["parsed"] = True
    return result


def validate_checks(connection, checks, context, at_time=None):
    """Everything run_checks would refuse, and every query checked by Prometheus (check_query_with_prometheus), with
    nothing judged: {passed: True, checks: [...], failed_check_names: []}, each check with the verdict ``valid``
    and, for Prometheus checks, ``parsed`` (false when an outage kept Prometheus from answering; the reason says so).
    Web endpoints are not called. Raises AnalysisConfigError naming the first invalid check."""
    plans = prepare_checks(checks, context)
    _require_connection(connection, plans)
    results = [_validated(connection, plan, at_time) for plan in plans]
    return {"passed": True, "checks": results, "failed_check_names": []}


def with_webhooks(outcome, hooks_outcome):
    """The outcome of the checks together with the webhooks called before them (webhooks.run_webhooks's result):
    a failed hook fails the run as a failed check does, so that it is counted and recorded the same way (Flagger)."""
    combined = dict(outcome)
    combined["hooks"] = hooks_outcome["hooks"]
    combined["skipped_hooks"] = hooks_outcome["skipped"]
    combined["failed_hook_names"] = [hook["name"] for hook in hooks_outcome["hooks"] if not hook["passed"]]
    combined["passed"] = outcome["passed"] and hooks_outcome["passed"]
    return combined


def summary(outcome):
    """One line for a person: which checks (and webhooks) failed and why, or that all passed."""
    results = outcome.get("hooks", []) + outcome["checks"]
    if outcome["passed"]:
        return "all %d checks passed" % len(results)
    reasons = [result["reason"] for result in results if not result["passed"]]
    return "%d of %d checks failed: %s" % (len(reasons), len(results), " | ".join(reasons))


# ---------------------------------------------------------------- state

def record_in_state(store, outcome, lease_holder=None, lease_seconds=None):
    """Count a failed run in the canary's state object (one failed check per failed run, as Flagger).

    ``store`` is a state.StateStore. A passed run writes nothing. The state object must exist (the canary
    was initialised): recording never creates one. Returns the public state after the write (or as read).
    Raises state.StateError / CanaryLeaseHeld / connection.CanaryApiError with a message naming the object.
    """
    # Imported here: the gate itself needs no Kubernetes client, only recording does.
    from ansible_collections.progressive.canary.plugins.module_utils.canary.state import (  # pylint: disable=import-outside-toplevel
        DEFAULT_LEASE_SECONDS, Lease, StateError,
    )
    current = store.read()
    if current is None:
        raise StateError("canary %s/%s has no state object %s: initialise it with canary_init before recording checks "
                         "(a state lost while the canary's primary exists is rebuilt by canary_init from the primary's record)"
                         % (store.names.namespace, store.names.target, store.names.state))
    if outcome["passed"]:
        return current.public()
    reason = summary(outcome)
    with Lease(store, lease_holder, lease_seconds or DEFAULT_LEASE_SECONDS, operation="analysis") as lease:
        state = lease.update(lambda state: state.count_failed_check(reason))
    return state.public()
