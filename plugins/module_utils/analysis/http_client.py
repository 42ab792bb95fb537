# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One HTTP call with Ansible's own client, turning every transport failure into a clear message.

Used by the Prometheus client, the web check and the webhooks. HTTP error statuses (4xx/5xx) are
returned as responses, not raised: each caller decides what a status means (a webhook gate answering
403 is "closed", Prometheus answering 400 carries its own error text). Only failures to get any
answer at all (refused, DNS, TLS, timeout) raise HttpRequestError.

With ``retry_transient=True`` (Prometheus queries and web checks: reads) the same request is sent again, as retry.py
says, on a 429/500/502/503/504 answer and on a refused, reset or dropped connection; timeouts are not retried (the
caller's timeout bounds one check). Webhooks are never retried: they are POSTs to user endpoints that may not be
idempotent (a second "rollout started" message, a second deployment trigger).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket
import ssl

from ansible.module_utils.six.moves.urllib.parse import urlsplit

from ansible_collections.progressive.canary.plugins.module_utils.redaction import redact_text, redact_url
from ansible_collections.progressive.canary.plugins.module_utils.kube.retry import (
    RETRIED_STATUSES, RetryLog, call_with_retries, parse_retry_after)

USER_AGENT = "progressive.canary"
# Bodies quoted in messages are cut so a large HTML error page does not flood the task output.
MAX_QUOTED_BODY = 500


class HttpRequestError(Exception):
    """No HTTP answer was obtained (connection refused, DNS, TLS, timeout); ``cause`` is the short reason."""

    def __init__(self, method, url, cause, transient=False):
        cause = redact_text(cause)
        url = redact_url(url)
        super(HttpRequestError, self).__init__("%s %s: %s" % (method, url, cause))
        self.method = method
        self.url = url
        self.cause = cause
        # A refused, reset or dropped connection: the same request may well get an answer in a moment.
        self.transient = transient


class HttpResponse:
    """Status, decoded body and headers of an HTTP answer."""

    def __init__(self, status, body, headers=None):
        self.status = status
        self.body = body
        self.headers = headers if headers is not None else {}   # an HTTPMessage: get() ignores case

    def json(self):
        """The body parsed as JSON; ValueError when it is not JSON."""
        return json.loads(self.body)

    def quoted_body(self):
        """The body trimmed for a human-readable message."""
        text = (self.body or "").strip()
        if len(text) > MAX_QUOTED_BODY:
            text = text[:MAX_QUOTED_BODY] + "..."
        return text


class HttpAuth:
    """Credentials for a request: a bearer token, or a username/password for basic auth."""

    def __init__(self, bearer_token=None, username=None, password=None):
        if bearer_token and (username or password):
            raise ValueError("use either a bearer token or basic auth (username/password), not both")
        self.bearer_token = bearer_token
        self.username = username
        self.password = password


def _decode(raw):
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    return raw


def _describe_transport_error(exc):
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, (socket.timeout, TimeoutError)) or "timed out" in str(reason):
        return "timed out"
    if isinstance(reason, ssl.SSLError) or "CERTIFICATE" in str(reason).upper():
        return "TLS error: %s (set validate_certs or ca_path)" % reason
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    return str(reason) or exc.__class__.__name__


def _is_dropped_connection(exc):
    reason = getattr(exc, "reason", exc)
    return isinstance(reason, (ConnectionRefusedError, ConnectionResetError, ConnectionAbortedError, BrokenPipeError))


class _TransientAnswer(Exception):
    """An answer whose status says "try again" (carried through the retry loop)."""

    def __init__(self, response):
        super(_TransientAnswer, self).__init__(response.status)
        self.response = response


def _transient(exc):
    if isinstance(exc, _TransientAnswer):
        return "HTTP %s" % exc.response.status, parse_retry_after(exc.response.headers.get("Retry-After"))
    if isinstance(exc, HttpRequestError) and exc.transient:
        return exc.cause, None
    return None


def http_url_problem(url):
    """Why ``url`` cannot be called (only http and https URLs with a host can: Ansible's client would also open
    ``file:``, ``data:`` and ``ftp:`` URLs, which have no HTTP status), or None."""
    try:
        parts = urlsplit(str(url or ""))
        host = parts.hostname
        parts.port  # pylint: disable=pointless-statement  # raises ValueError for a port that is not a number
    except ValueError as exc:
        return "%r is not a valid URL (%s)" % (redact_url(url), exc)
    if parts.scheme.lower() not in ("http", "https") or not host:
        return "%r is not an http:// or https:// URL with a host" % redact_url(url)
    return None


def http_request(url, method="GET", json_body=None, form_body=None, headers=None, auth=None,
                 timeout=10, validate_certs=True, ca_path=None, retry_transient=False):
    """Send the request and return an HttpResponse for any HTTP status.

    ``json_body`` is sent as application/json, ``form_body`` (already url-encoded str) as a form.
    Raises HttpRequestError with "<METHOD> <url>: <cause>" when no answer arrives within ``timeout``
    seconds per socket operation, or the connection/TLS handshake fails. With ``retry_transient`` (reads only),
    transient failures are retried as the same request (see the module docstring); the last answer or error is
    what the caller gets, an error saying how often it was tried.
    """
    problem = http_url_problem(url)
    if problem:
        raise HttpRequestError(method, url, problem)

    def send():
        return _send_once(url, method, json_body, form_body, headers, auth, timeout, validate_certs, ca_path)

    if not retry_transient:
        return send()

    def send_or_raise_transient():
        response = send()
        if response.status in RETRIED_STATUSES:
            raise _TransientAnswer(response)
        return response

    log = RetryLog()
    try:
        return call_with_retries(send_or_raise_transient, _transient, log=log)
    except _TransientAnswer as exc:
        return exc.response
    except HttpRequestError as exc:
        raise HttpRequestError(exc.method, exc.url, exc.cause + log.note(), exc.transient)


def _send_once(url, method, json_body, form_body, headers, auth, timeout, validate_certs, ca_path):
    """One request; see http_request."""
    # Imported here, when a request is really sent: ansible.module_utils.urls pulls in cryptography, email and
    # http.cookiejar (~0.1 CPU-s of compiling in a module process), which the many modules and plugins that import
    # this file without sending anything must not pay. AnsiballZ still packages it: its finder reads function bodies.
    from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
    from ansible.module_utils.urls import open_url

    request_headers = {"Accept": "application/json"}
    data = None
    if json_body is not None:
        data = json.dumps(json_body)
        request_headers["Content-Type"] = "application/json"
    elif form_body is not None:
        data = form_body
        request_headers["Content-Type"] = "application/x-www-form-urlencoded"
    request_headers.update(headers or {})
    auth = auth or HttpAuth()
    if auth.bearer_token:
        request_headers["Authorization"] = "Bearer %s" % auth.bearer_token
    try:
        response = open_url(
            url, data=data, headers=request_headers, method=method, timeout=timeout,
            validate_certs=validate_certs, ca_path=ca_path, http_agent=USER_AGENT,
            url_username=auth.username, url_password=auth.password,
            # Credentials in the URL (user:password@) are sent up front too, as curl does, not only after a challenge.
            force_basic_auth=bool(auth.username) or "@" in urlsplit(url).netloc,
            use_netrc=False,
        )
        return HttpResponse(response.getcode(), _decode(response.read()), getattr(response, "headers", None))
    except HTTPError as exc:
        try:
            body = _decode(exc.read())
        except (socket.timeout, TimeoutError, OSError):
            body = ""
        return HttpResponse(exc.code, body, getattr(exc, "headers", None))
    except (URLError, socket.timeout, TimeoutError, ssl.SSLError, OSError) as exc:
        raise HttpRequestError(method, url, _describe_transport_error(exc), _is_dropped_connection(exc))
    except Exception as exc:  # pylint: disable=broad-except
        # open_url raises its own types (e.g. ConnectionError for a missing ca_path); any of them is
        # still "no answer" and must become a message, never a traceback.
        raise HttpRequestError(method, url, str(exc) or exc.__class__.__name__)
