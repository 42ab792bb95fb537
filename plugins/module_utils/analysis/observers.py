# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place mapping a traffic provider to the builtin checks' queries: the metrics that provider really exposes.

As Flagger's metric observers (fluxcd/flagger, pkg/metrics/observers: one observer per provider, chosen by the
canary's provider), the builtin names ``request-success-rate`` and ``request-duration`` mean the same thing for every
provider, measured on the metrics its data plane exports:

- ``istio``: Istio's ``istio_requests_total`` / ``istio_request_duration_milliseconds`` (istio_queries.py).
- ``gatewayapi``: the same Istio metrics. This collection's Gateway API provider runs on Istio's Gateway API
  implementation, whose sidecars report the destination workload's traffic exactly as with a VirtualService.
- ``openshift``: the OpenShift router's HAProxy metrics (github.com/openshift/router, pkg/router/metrics/haproxy):
  ``haproxy_server_http_responses_total`` (labels ``server``, ``namespace``, ``route``, ``pod``, ``service``, and
  ``code`` one of 1xx 2xx 3xx 4xx 5xx other) and ``haproxy_server_http_average_response_latency_milliseconds`` (the
  average of the server's last 1024 requests). The canary's pods are the servers of its ``<target>-canary`` Service.
  HAProxy keeps no latency histogram, so ``request-duration`` is the slowest canary pod's average response time over
  the interval, not a p99.

A provider without an entry has no standard metrics: its builtin checks are refused (use custom ``query`` checks).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.module_utils.analysis.istio_queries import (
    BUILTIN_UNITS, ISTIO_QUERIES, REQUEST_DURATION, REQUEST_SUCCESS_RATE,
)

DEFAULT_PROVIDER = "istio"

OPENSHIFT_ROUTER_QUERIES = {
    REQUEST_SUCCESS_RATE: """
    sum(
        rate(
            haproxy_server_http_responses_total{
                namespace="{{ namespace }}",
                service=~"{{ target }}-canary",
                code!="5xx"
            }[{{ interval }}]
        )
    )
    /
    sum(
        rate(
            haproxy_server_http_responses_total{
                namespace="{{ namespace }}",
                service=~"{{ target }}-canary"
            }[{{ interval }}]
        )
    )
    * 100""",
    REQUEST_DURATION: """
    max(
        avg_over_time(
            haproxy_server_http_average_response_latency_milliseconds{
                namespace="{{ namespace }}",
                service=~"{{ target }}-canary"
            }[{{ interval }}]
        )
    )""",
}

# What a builtin measures where it differs from Istio's (BUILTIN_UNITS), for messages.
OPENSHIFT_ROUTER_UNITS = {
    REQUEST_SUCCESS_RATE: "percent of non-5xx responses, HAProxy",
    REQUEST_DURATION: "slowest canary pod's average response time in milliseconds, HAProxy",
}
UNITS = {"openshift": OPENSHIFT_ROUTER_UNITS}

# provider -> {builtin check name: PromQL template}
BUILTIN_QUERIES = {
    "istio": ISTIO_QUERIES,
    "gatewayapi": ISTIO_QUERIES,
    "openshift": OPENSHIFT_ROUTER_QUERIES,
}

# Every name any provider gives a builtin check (a check with neither query nor web must be one of these).
BUILTIN_NAMES = sorted(set(name for queries in BUILTIN_QUERIES.values() for name in queries))


class NoBuiltinMetrics(ValueError):
    """The provider has no standard metrics the builtin check could be measured on."""


def builtin_template(provider, name):
    """The PromQL template of builtin check ``name`` for ``provider`` (None: the default, istio). Raises
    NoBuiltinMetrics naming the provider and the check when the provider has no standard metrics for it."""
    provider = provider or DEFAULT_PROVIDER
    queries = BUILTIN_QUERIES.get(provider)
    if queries is None or name not in queries:
        raise NoBuiltinMetrics(
            "builtin check %r cannot run with provider %s: it has no standard metrics the check is measured on "
            "(builtin checks exist for providers %s). Use a custom check instead: give %r a query (PromQL over the "
            "metrics your traffic exports) or a web spec" % (name, provider, ", ".join(sorted(BUILTIN_QUERIES)), name))
    return queries[name]


def builtin_unit(provider, name):
    """What builtin check ``name`` measures with ``provider``, for messages."""
    return UNITS.get(provider or DEFAULT_PROVIDER, BUILTIN_UNITS).get(name) or BUILTIN_UNITS[name]


# How each provider's builtin queries select the canary's traffic (a quoted label value), and what a comparison with
# the primary (comparison.py) puts there instead to select either side: ``{{ workload }}``, rendered as the side's
# name from side_names().
CANARY_SELECTORS = {"istio": '"{{ target }}"', "gatewayapi": '"{{ target }}"', "openshift": '"{{ target }}-canary"'}
WORKLOAD_PLACEHOLDER = '"{{ workload }}"'


def side_template(provider, name):
    """Builtin check ``name`` of ``provider`` as a template measuring one side, named by ``{{ workload }}``. Raises
    NoBuiltinMetrics as builtin_template() does."""
    template = builtin_template(provider, name)
    return template.replace(CANARY_SELECTORS[provider or DEFAULT_PROVIDER], WORKLOAD_PLACEHOLDER)


def side_names(provider, target):
    """What ``{{ workload }}`` is for the canary and for the primary in a builtin side_template(): the Deployments as
    Istio names them in ``destination_workload``, or for ``openshift`` the Services the router's metrics name."""
    canary = target + "-canary" if (provider or DEFAULT_PROVIDER) == "openshift" else target
    return {"canary": canary, "primary": target + "-primary"}
