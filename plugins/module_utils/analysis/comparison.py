# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The comparison check: the canary judged against the primary on the same metric, as Kayenta's judge does.

A check with ``compare_with_primary`` measures one metric (a builtin, or a custom query naming the side by
``{{ workload }}``) on both sides: a Prometheus range query over the check's window, one sample per ``step`` (each
the query over that step, so that no two samples share a request). The samples are compared with a Mann-Whitney U
test (mann_whitney.py), one-sided in the direction that is worse (``decrease``: lower is worse, as a success rate;
``increase``: higher is worse, as a latency) or two-sided (``either``). The check fails only when the canary is
significantly (p below 1 - confidence) AND materially (the relative difference of the medians beyond
``max_degradation`` percent) worse. Too few samples, no data, or only NaN on either side is ``no data``, which never
passes here; the reason names the side.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import datetime
import math
import re
import time

from ansible_collections.progressive.canary.plugins.module_utils.analysis.comparison_text import comparison_text, p_value_text
from ansible_collections.progressive.canary.plugins.module_utils.analysis.durations import DurationError, parse_duration, prometheus_duration
from ansible_collections.progressive.canary.plugins.module_utils.analysis.istio_queries import (
    REQUEST_DURATION, REQUEST_SUCCESS_RATE, QueryTemplateError, render_query,
)
from ansible_collections.progressive.canary.plugins.module_utils.analysis.mann_whitney import GREATER, LESS, TWO_SIDED, mann_whitney_u, median
from ansible_collections.progressive.canary.plugins.module_utils.analysis.observers import NoBuiltinMetrics, side_names, side_template
from ansible_collections.progressive.canary.plugins.module_utils.analysis.prometheus_api import PrometheusError, query_range
from ansible_collections.progressive.canary.plugins.module_utils.analysis.verdicts import ERROR, FAIL, NO_DATA, PASS

COMPARISON = "comparison"
OPTION = "compare_with_primary"
DECREASE = "decrease"
INCREASE = "increase"
EITHER = "either"
DIRECTIONS = (DECREASE, INCREASE, EITHER)
ALTERNATIVE = {DECREASE: LESS, INCREASE: GREATER, EITHER: TWO_SIDED}
DEFAULT_STEP = "10s"
DEFAULT_CONFIDENCE = 95.0
DEFAULT_MIN_SAMPLES = 5
# A success rate lives just under 100: 10 % less would be an outage, while 99.95 -> 99.4 (0.55 % less) is the
# regression to catch. A latency or a custom metric: 10 %, Kayenta's usual allowance.
BUILTIN_DEFAULTS = {
    REQUEST_SUCCESS_RATE: {"direction": DECREASE, "max_degradation": 0.25},
    REQUEST_DURATION: {"direction": INCREASE, "max_degradation": 10.0},
}
CUSTOM_DEFAULTS = {"direction": EITHER, "max_degradation": 10.0}
_WORKLOAD = re.compile(r"\{\{\s*workload\s*\}\}")


class ComparisonConfigError(ValueError):
    """The comparison's settings are invalid; nothing was queried."""


def is_comparison(check):
    return check.get(OPTION) is not None


# ---------------------------------------------------------------- configuration

def _seconds(value, field):
    try:
        return parse_duration(value, field), prometheus_duration(value, field)
    except DurationError as exc:
        raise ComparisonConfigError(str(exc))


def _settings(check, defaults):
    """The comparison's settings with every default filled in, checked."""
    given = check[OPTION] or {}
    direction = given.get("direction") or defaults["direction"]
    if direction not in DIRECTIONS:
        raise ComparisonConfigError("%s.direction must be one of %s, not %r" % (OPTION, ", ".join(DIRECTIONS), direction))
    settings = {
        "direction": direction,
        "confidence": float(DEFAULT_CONFIDENCE if given.get("confidence") is None else given["confidence"]),
        "max_degradation": float(defaults["max_degradation"] if given.get("max_degradation") is None else given["max_degradation"]),
        "min_samples": int(DEFAULT_MIN_SAMPLES if given.get("min_samples") is None else given["min_samples"]),
    }
    if not 50 <= settings["confidence"] < 100:
        raise ComparisonConfigError("%s.confidence is a percentage from 50 to below 100, not %s" % (OPTION, given.get("confidence")))
    if math.isnan(settings["max_degradation"]) or settings["max_degradation"] < 0:
        raise ComparisonConfigError("%s.max_degradation is a percentage, 0 or more, not %s" % (OPTION, given.get("max_degradation")))
    if settings["min_samples"] < 3:
        raise ComparisonConfigError("%s.min_samples must be at least 3 (fewer can never be significant at 95 %%), not %s"
                                    % (OPTION, settings["min_samples"]))
    return settings


def _template(check, context):
    """(template, defaults, side names) of the measured metric: the check's query, else its builtin."""
    if check.get("web"):
        raise ComparisonConfigError("a web check has no primary to compare with: %s needs a builtin or a query" % OPTION)
    if check.get("threshold_range"):
        raise ComparisonConfigError("%s and threshold_range are two kinds of check; give one (a fixed threshold on the same "
                                    "metric is another check, named otherwise, with %s.metric set)" % (OPTION, OPTION))
    if (check.get("on_no_data") or "fail") != "fail":
        raise ComparisonConfigError("on_no_data must be fail: a comparison without samples on either side never passes")
    metric = (check[OPTION] or {}).get("metric")
    if check.get("query"):
        if metric:
            raise ComparisonConfigError("give either query or %s.metric, not both" % OPTION)
        if not _WORKLOAD.search(check["query"]):
            raise ComparisonConfigError("the query must select one side with {{ workload }} (the canary's Deployment %r, then the "
                                        "primary's %r); without it both sides would measure the same thing"
                                        % (context["target"], context["target"] + "-primary"))
        return check["query"], CUSTOM_DEFAULTS, {"canary": context["target"], "primary": context["target"] + "-primary"}
    metric = metric or check.get("name")
    if metric not in BUILTIN_DEFAULTS:
        raise ComparisonConfigError("%s compares a builtin (%s: the check's name or %s.metric) or a query with {{ workload }}; "
                                    "%r is neither" % (OPTION, ", ".join(sorted(BUILTIN_DEFAULTS)), OPTION, metric))
    try:
        template = side_template(context.get("provider"), metric)
    except NoBuiltinMetrics as exc:
        raise ComparisonConfigError(str(exc))
    return template, BUILTIN_DEFAULTS[metric], side_names(context.get("provider"), context["target"])


def prepare_comparison(check, context, variables_for):
    """The plan of a comparison check. ``variables_for(interval)`` gives the check's template variables with
    ``{{ interval }}`` as given (gate.template_variables). Raises ComparisonConfigError."""
    template, defaults, sides = _template(check, context)
    settings = _settings(check, defaults)
    given = check[OPTION] or {}
    step_s, step = _seconds(given.get("step") or DEFAULT_STEP, "%s.step" % OPTION)
    window_s, window = _seconds(check.get("interval") or context.get("interval") or "1m", "interval")
    most = int(window_s // step_s)
    if most < settings["min_samples"]:
        raise ComparisonConfigError("a window (interval) of %s with a step of %s gives at most %d samples per side, fewer than "
                                    "min_samples %d: lengthen the interval or shorten the step"
                                    % (window, step, most, settings["min_samples"]))
    variables = variables_for(step)
    if "workload" in variables["variables"]:
        raise ComparisonConfigError("template_variables may not redefine workload (the side being measured)")
    queries = {}
    for side, workload in sides.items():
        try:
            queries[side] = render_query(template, dict(variables, workload=workload))
        except QueryTemplateError as exc:
            raise ComparisonConfigError(str(exc))
    settings.update(step=step, step_seconds=step_s, window=window, window_seconds=window_s, workloads=sides,
                    primary_query=queries["primary"])
    return {"name": check["name"], "type": COMPARISON, "threshold_range": None, "on_no_data": "fail",
            "query": queries["canary"], "interval": window, "compare": settings}


# ---------------------------------------------------------------- samples

def unix_seconds(at_time):
    """An evaluation time (Unix seconds, or RFC 3339 as Prometheus takes it) as Unix seconds; None is now."""
    if at_time is None:
        return time.time()
    try:
        return float(at_time)
    except (TypeError, ValueError):
        pass
    text = str(at_time).strip().replace("Z", "+00:00").replace("z", "+00:00")
    match = re.match(r"^(\d{4}-\d\d-\d\d)[Tt ](\d\d:\d\d:\d\d)(\.\d+)?([+-]\d\d:\d\d)$", text)
    if not match:
        raise ComparisonConfigError("evaluation time %r is neither Unix seconds nor RFC 3339" % (at_time,))
    moment = datetime.datetime.strptime(match.group(1) + "T" + match.group(2), "%Y-%m-%dT%H:%M:%S")
    sign = 1 if match.group(4)[0] == "+" else -1
    offset = sign * (int(match.group(4)[1:3]) * 3600 + int(match.group(4)[4:6]) * 60)
    return calendar.timegm(moment.timetuple()) + float(match.group(3) or 0) - offset


class SideProblem(Exception):
    """A side gave no usable samples; the message says why (the side is named by the caller)."""


def _samples(data):
    """(finite values, how many were NaN or infinite) of a range query's single series. Raises SideProblem."""
    series = data.get("result") or []
    if data.get("resultType") != "matrix":
        raise SideProblem("answered a %s, not a range of samples" % data.get("resultType"))
    if not series:
        raise SideProblem("returned no series (no requests in the window, or no metrics scraped)")
    if len(series) > 1:
        raise SideProblem("returned %d series; aggregate the query (e.g. sum(...)) to one value per step" % len(series))
    values = [float(point[1]) for point in series[0].get("values") or []]
    finite = [value for value in values if math.isfinite(value)]
    return finite, len(values) - len(finite)


def _side_samples(connection, plan, side, end):
    settings = plan["compare"]
    promql = plan["query"] if side == "canary" else settings["primary_query"]
    start = end - settings["window_seconds"] + settings["step_seconds"]
    data = query_range(connection, promql, start, end, settings["step_seconds"])
    return _samples(data)


def _too_few(side, settings, values, dropped):
    return "the %s (%s) has %d samples over the last %s (one per %s), fewer than min_samples %d%s" % (
        side, settings["workloads"][side], len(values), settings["window"], settings["step"], settings["min_samples"],
        "; %d were NaN (no requests in that step)" % dropped if dropped else "")


# ---------------------------------------------------------------- judging

def relative_effect(canary_median, primary_median):
    """The canary's median relative to the primary's, in percent (+ is higher); +/-inf when the primary's is 0."""
    if primary_median == 0:
        return 0.0 if canary_median == 0 else math.copysign(float("inf"), canary_median)
    return (canary_median - primary_median) / abs(primary_median) * 100.0


def _materially_worse(effect, settings):
    allowed = settings["max_degradation"]
    if settings["direction"] == DECREASE:
        return effect < -allowed
    if settings["direction"] == INCREASE:
        return effect > allowed
    return abs(effect) > allowed


def judge_samples(canary, primary, settings):
    """(verdict, why, stats) of two lists of samples (each at least min_samples long) under the settings."""
    test = mann_whitney_u(canary, primary, alternative=ALTERNATIVE[settings["direction"]])
    stats = {
        "canary_median": median(canary), "primary_median": median(primary),
        "p_value": test.pvalue, "u_statistic": test.statistic, "method": test.method,
        "canary_samples": len(canary), "primary_samples": len(primary),
    }
    effect = relative_effect(stats["canary_median"], stats["primary_median"])
    stats["effect"] = effect
    alpha = 1 - settings["confidence"] / 100.0
    significant = test.pvalue < alpha
    material = _materially_worse(effect, settings)
    worse = {DECREASE: "lower", INCREASE: "higher", EITHER: "different"}[settings["direction"]]
    tested = "%s at %g %% confidence (p %s %s)" % (worse, settings["confidence"], "<" if significant else ">=", p_value_text(alpha))
    allowed = "%s the allowed %g %%" % ("beyond" if material else "within", settings["max_degradation"])
    if significant and material:
        return FAIL, "the canary is significantly %s, %s" % (tested, allowed), stats
    if not significant:
        return PASS, "the canary is not significantly %s" % tested, stats
    return PASS, "the canary is significantly %s, but %s" % (tested, allowed), stats


def _finite_or_none(value):
    return value if value is not None and math.isfinite(value) else None


def _outcome(plan, verdict, reason, stats=None):
    """The check's result, with the keys every check of the gate has and ``comparison`` with both sides' numbers."""
    settings = plan["compare"]
    stats = stats or {}
    comparison = dict((key, stats.get(key)) for key in (
        "canary_median", "primary_median", "p_value", "u_statistic", "method", "canary_samples", "primary_samples"))
    comparison.update(effect=_finite_or_none(stats.get("effect")), direction=settings["direction"],
                      confidence=settings["confidence"], max_degradation=settings["max_degradation"],
                      step=settings["step"], primary_query=settings["primary_query"], workloads=settings["workloads"])
    comparison.update((key, stats[key]) for key in ("canary_dropped", "primary_dropped") if key in stats)
    line = comparison_text(plan["name"], dict(comparison, effect=stats.get("effect")), verdict)
    return {
        "name": plan["name"], "type": COMPARISON, "query": plan["query"], "interval": plan["interval"],
        "value": _finite_or_none(stats.get("canary_median")),
        "raw_value": None if stats.get("canary_median") is None else repr(stats["canary_median"]),
        "threshold_range": None, "verdict": verdict, "passed": verdict == PASS,
        "reason": "%s (%s)" % (line, reason) if stats.get("p_value") is not None
        else "%s: check %r vs primary: %s" % (verdict, plan["name"], reason),
        "comparison": comparison,
    }


def run_comparison(connection, plan, at_time=None):
    """Sample both sides over the window ending at ``at_time`` (default now) and judge them; never raises for query
    problems: an unreachable Prometheus is ``error``, a side without enough samples ``no data``."""
    settings = plan["compare"]
    try:
        end = unix_seconds(at_time)
    except ComparisonConfigError as exc:
        return _outcome(plan, ERROR, str(exc))
    samples, problems, stats = {}, [], {}
    for side in ("canary", "primary"):
        try:
            values, dropped = _side_samples(connection, plan, side, end)
        except PrometheusError as exc:
            return _outcome(plan, ERROR, "the %s's samples: %s" % (side, exc))
        except SideProblem as exc:
            problems.append("the %s (%s) %s" % (side, settings["workloads"][side], exc))
            continue
        stats[side + "_dropped"] = dropped
        if len(values) < settings["min_samples"]:
            problems.append(_too_few(side, settings, values, dropped))
        samples[side] = values
    if problems:
        return _outcome(plan, NO_DATA, "; ".join(problems) + "; a comparison needs samples on both sides, so this is no pass", stats)
    verdict, why, judged = judge_samples(samples["canary"], samples["primary"], settings)
    stats.update(judged)
    return _outcome(plan, verdict, why, stats)
