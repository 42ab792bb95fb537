# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A client for the Prometheus HTTP API query endpoints (instant ``/api/v1/query``, range ``/api/v1/query_range``).

Speaks only the documented API, so it works with any compatible server (Prometheus, Thanos Query,
Mimir, VictoriaMetrics): GET for short queries, a POST form when the query is too long for a URL.
Every failure becomes PrometheusError with the URL, the HTTP status and Prometheus's own error text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible.module_utils.six.moves.urllib.parse import urlencode

from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError
from ansible_collections.progressive.canary.plugins.module_utils.analysis.http_client import (
    HttpAuth, HttpRequestError, http_request, http_url_problem,
)
from ansible_collections.progressive.canary.plugins.module_utils.redaction import redact_url

QUERY_PATH = "/api/v1/query"
QUERY_RANGE_PATH = "/api/v1/query_range"
# Above this many URL-encoded characters the query goes in a POST form: proxies and servers commonly
# reject URLs over 4-8 KiB, and Flagger-style multi-line templates grow quickly.
MAX_GET_QUERY_LENGTH = 2000


class PrometheusError(CanaryError):
    """The query could not be answered; the message says where and why."""

    def __init__(self, message, status=None):
        super(PrometheusError, self).__init__(message)
        self.status = status


class PrometheusConnectionError(CanaryError, ValueError):
    """The connection settings are invalid (URL, timeout, credentials); nothing was sent."""


class PrometheusConnection:
    """Where and how to reach Prometheus. Secrets (credentials in the URL too) are kept out of repr() and messages:
    ``shown_url`` is the URL to quote."""

    def __init__(self, url, bearer_token=None, username=None, password=None, headers=None,
                 validate_certs=True, ca_path=None, timeout=10):
        if not url:
            raise PrometheusConnectionError("no Prometheus URL given")
        problem = http_url_problem(url)
        if problem:
            raise PrometheusConnectionError("the Prometheus URL %s" % problem)
        if timeout is not None and (math.isnan(timeout) or timeout <= 0):
            raise PrometheusConnectionError("the Prometheus timeout must be a positive number of seconds, got %r" % timeout)
        self.url = url.rstrip("/")
        self.shown_url = redact_url(self.url)
        try:
            self.auth = HttpAuth(bearer_token=bearer_token, username=username, password=password)
        except ValueError as exc:
            raise PrometheusConnectionError("prometheus: %s" % exc)
        self.headers = dict(headers or {})
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout

    def __repr__(self):
        return "PrometheusConnection(%r)" % self.shown_url

    @classmethod
    def from_params(cls, params):
        """Build from the module's ``prometheus`` option dict (keys as in the argument spec)."""
        return cls(
            url=params.get("url"),
            bearer_token=params.get("bearer_token"),
            username=params.get("username"),
            password=params.get("password"),
            headers=params.get("headers"),
            validate_certs=params.get("validate_certs", True),
            ca_path=params.get("ca_path"),
            timeout=params.get("timeout", 10),
        )


def _error_text(response):
    """Prometheus's own error text from an API error body, else the raw body."""
    try:
        payload = response.json()
    except ValueError:
        return response.quoted_body() or "(empty body)"
    if isinstance(payload, dict) and payload.get("error"):
        error_type = payload.get("errorType")
        return "%s: %s" % (error_type, payload["error"]) if error_type else str(payload["error"])
    return response.quoted_body()


def query(connection, promql, at_time=None):
    """Run an instant query and return the API's ``data`` ({resultType, result}).

    ``at_time`` is an RFC 3339 or Unix timestamp string/number (default: the server's now).
    Raises PrometheusError naming the endpoint and cause for: no answer (refused, DNS, TLS, timeout),
    an HTTP error status (with Prometheus's ``errorType: error`` text), or a body that is not a
    successful Prometheus API response.
    """
    params = {"query": promql}
    if at_time is not None:
        params["time"] = str(at_time)
    return _api_call(connection, QUERY_PATH, params)


def query_range(connection, promql, start, end, step):
    """Run a range query (``/api/v1/query_range``) from ``start`` to ``end`` (Unix seconds) every ``step`` seconds and
    return the API's ``data`` (a matrix). Raises PrometheusError as query() does."""
    params = {"query": promql, "start": "%.3f" % start, "end": "%.3f" % end, "step": "%g" % step}
    return _api_call(connection, QUERY_RANGE_PATH, params)


def _api_call(connection, path, params):
    url = connection.url + path
    shown = connection.shown_url + path
    encoded = urlencode(params)
    common = dict(headers=connection.headers, auth=connection.auth, timeout=connection.timeout,
                  validate_certs=connection.validate_certs, ca_path=connection.ca_path, retry_transient=True)
    try:
        if len(encoded) <= MAX_GET_QUERY_LENGTH:
            response = http_request(url + "?" + encoded, method="GET", **common)
        else:
            response = http_request(url, method="POST", form_body=encoded, **common)
    except HttpRequestError as exc:
        # The cause only: the URL with its encoded query would bury it.
        raise PrometheusError("Prometheus at %s unreachable: %s" % (shown, exc.cause))
    if response.status >= 300:
        raise PrometheusError(
            "Prometheus at %s answered HTTP %s: %s" % (shown, response.status, _error_text(response)),
            status=response.status,
        )
    try:
        payload = response.json()
    except ValueError:
        raise PrometheusError("Prometheus at %s answered HTTP %s with a body that is not JSON: %s"
                              % (shown, response.status, response.quoted_body()), status=response.status)
    if not isinstance(payload, dict) or payload.get("status") != "success" or not isinstance(payload.get("data"), dict):
        raise PrometheusError("Prometheus at %s did not answer a successful API response: %s"
                              % (shown, _error_text(response)), status=response.status)
    return payload["data"]
