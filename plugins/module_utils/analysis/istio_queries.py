# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flagger's builtin Istio metric queries and the query template renderer.

The two builtin checks are Flagger's own Istio queries (fluxcd/flagger, pkg/metrics/observers/istio.go):
the same metrics, label matchers, aggregation and units, so that a threshold that works with Flagger
means the same thing here. Only the indentation differs (PromQL ignores whitespace).

- ``request-success-rate``: percentage (0-100) of requests to the canary workload not answered 5xx.
- ``request-duration``: p99 request duration of the canary workload in milliseconds.

Both are rendered with ``namespace`` (the canary's namespace), ``target`` (the canary workload, i.e. the
target Deployment's name) and ``interval`` (the check's range window, e.g. ``1m``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

REQUEST_SUCCESS_RATE = "request-success-rate"
REQUEST_DURATION = "request-duration"

ISTIO_QUERIES = {
    REQUEST_SUCCESS_RATE: """
    sum(
        rate(
            istio_requests_total{
                reporter="destination",
                destination_workload_namespace="{{ namespace }}",
                destination_workload=~"{{ target }}",
                response_code!~"5.*"
            }[{{ interval }}]
        )
    )
    /
    sum(
        rate(
            istio_requests_total{
                reporter="destination",
                destination_workload_namespace="{{ namespace }}",
                destination_workload=~"{{ target }}"
            }[{{ interval }}]
        )
    )
    * 100""",
    REQUEST_DURATION: """
    histogram_quantile(
        0.99,
        sum(
            rate(
                istio_request_duration_milliseconds_bucket{
                    reporter="destination",
                    destination_workload_namespace="{{ namespace }}",
                    destination_workload=~"{{ target }}"
                }[{{ interval }}]
            )
        ) by (le)
    )""",
}

# What each builtin measures, for messages and docs.
BUILTIN_UNITS = {
    REQUEST_SUCCESS_RATE: "percent of non-5xx requests",
    REQUEST_DURATION: "p99 latency in milliseconds",
}

# Variables every query may use (Flagger's MetricTemplateModel fields); user variables come on top.
STANDARD_VARIABLES = ("name", "namespace", "target", "service", "ingress", "interval")

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*\}\}")


class QueryTemplateError(ValueError):
    """A query template names a variable that was not given (rendering it would send a wrong query)."""


def _lookup(name, variables):
    if name in variables:
        return variables[name]
    # Flagger's spelling for user variables (templateVariables): {{ variables.my_var }}.
    if name.startswith("variables."):
        key = name[len("variables."):]
        user = variables.get("variables")
        if isinstance(user, dict) and key in user:
            return user[key]
        if key in variables:
            return variables[key]
    raise KeyError(name)


def render_query(template, variables):
    """Render ``{{ name }}`` placeholders in a PromQL template.

    ``variables`` maps names to values: the standard ones (``namespace``, ``target``, ``service``,
    ``interval``, ``name``, ``ingress``) and any user variable. A user variable can be written
    ``{{ my_var }}`` or, as in Flagger, ``{{ variables.my_var }}`` (looked up in ``variables['variables']``
    when that is a dict, else among the top-level names). A placeholder whose variable is missing or
    ``None`` raises QueryTemplateError naming it: a half-rendered query must never reach Prometheus.
    """
    missing = []

    def substitute(match):
        name = match.group(1)
        try:
            value = _lookup(name, variables)
        except KeyError:
            value = None
        if value is None:
            missing.append(name)
            return match.group(0)
        return str(value)

    rendered = _PLACEHOLDER.sub(substitute, template)
    if missing:
        raise QueryTemplateError(
            "query template uses undefined variable(s) %s; known: %s"
            % (", ".join(sorted(set(missing))), ", ".join(sorted(k for k in variables if variables[k] is not None)))
        )
    return rendered


def builtin_query(name, namespace, target, interval):
    """Return Flagger's Istio query ``name`` rendered for one canary workload."""
    if name not in ISTIO_QUERIES:
        raise QueryTemplateError("unknown builtin check %r; builtin checks are %s" % (name, ", ".join(sorted(ISTIO_QUERIES))))
    return render_query(ISTIO_QUERIES[name], {"namespace": namespace, "target": target, "interval": interval})
