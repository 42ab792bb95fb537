# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``web`` check's fetch: GET/POST a JSON endpoint and extract one number with JMESPath.

For teams whose health signal is not in Prometheus. The caller compares the value with the bounds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible_collections.progressive.canary.plugins.module_utils.analysis.http_client import (
    HttpAuth, HttpRequestError, http_request, http_url_problem,
)
from ansible_collections.progressive.canary.plugins.module_utils.redaction import redact_url

WEB_METHODS = ("GET", "POST")


class WebCheckError(Exception):
    """The endpoint could not give a value (no answer, error status, not JSON, not a number)."""


class WebNoData(Exception):
    """The endpoint answered, but the JMESPath expression found nothing (or null/NaN)."""


def _jmespath():
    """The jmespath library, imported by the web check alone (a step without one does not load it)."""
    try:
        import jmespath
    except ImportError:
        raise ValueError("the web check needs the Python library 'jmespath' on the host running the module")
    return jmespath


def validate_web_spec(spec):
    """Raise ValueError when a ``web`` check spec cannot work (missing url/value_path, bad method or expression)."""
    jmespath = _jmespath()
    if not spec.get("url"):
        raise ValueError("web.url is required")
    problem = http_url_problem(spec["url"])
    if problem:
        raise ValueError("web.url %s" % problem)
    timeout = spec.get("timeout")
    if timeout is not None and (math.isnan(timeout) or timeout <= 0):
        raise ValueError("web.timeout must be a positive number of seconds, got %r" % timeout)
    try:
        HttpAuth(bearer_token=spec.get("bearer_token"), username=spec.get("username"), password=spec.get("password"))
    except ValueError as exc:
        raise ValueError("web: %s" % exc)
    if not spec.get("value_path"):
        raise ValueError("web.value_path (a JMESPath expression) is required")
    if str(spec.get("method") or "GET").upper() not in WEB_METHODS:
        raise ValueError("web.method must be one of %s" % ", ".join(WEB_METHODS))
    try:
        jmespath.compile(spec["value_path"])
    except jmespath.exceptions.JMESPathError as exc:
        raise ValueError("web.value_path %r is not a valid JMESPath expression: %s" % (spec["value_path"], exc))


def _as_number(found, spec):
    shown = redact_url(spec["url"])
    if isinstance(found, bool) or not isinstance(found, (int, float, str)):
        raise WebCheckError("%s found %r at %r, which is not a number" % (shown, found, spec["value_path"]))
    try:
        value = float(found)
    except ValueError:
        raise WebCheckError("%s found %r at %r, which is not a number" % (shown, found, spec["value_path"]))
    if math.isnan(value):
        raise WebNoData("%s returned NaN at %r" % (shown, spec["value_path"]))
    return value


def fetch_web_value(spec):
    """Call the endpoint described by ``spec`` and return the number at ``spec['value_path']``.

    ``spec`` keys: url, value_path, method (GET/POST), body (JSON, POST only), headers, timeout,
    validate_certs, ca_path, bearer_token, username, password. Raises WebNoData when the path matches
    nothing, WebCheckError for any other failure, each with a message naming the URL and the cause.
    """
    method = str(spec.get("method") or "GET").upper()
    shown = redact_url(spec["url"])
    auth = HttpAuth(bearer_token=spec.get("bearer_token"), username=spec.get("username"), password=spec.get("password"))
    try:
        response = http_request(
            spec["url"], method=method, json_body=spec.get("body") if method == "POST" else None,
            headers=spec.get("headers"), auth=auth, timeout=spec.get("timeout") or 10,
            validate_certs=spec.get("validate_certs", True), ca_path=spec.get("ca_path"), retry_transient=True,
        )
    except HttpRequestError as exc:
        raise WebCheckError("web endpoint unreachable: %s" % exc)
    if response.status >= 300:
        raise WebCheckError("%s %s answered HTTP %s: %s" % (method, shown, response.status, response.quoted_body()))
    try:
        document = response.json()
    except ValueError:
        raise WebCheckError("%s %s answered a body that is not JSON: %s" % (method, shown, response.quoted_body()))
    found = _jmespath().search(spec["value_path"], document)
    if found is None:
        raise WebNoData("%s %s: JMESPath %r matched nothing in the response" % (method, shown, spec["value_path"]))
    return _as_number(found, spec)
