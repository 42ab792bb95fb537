# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One HTTP call with Ansible's own client, turning every transport failure into a clear message.

Used by the Prometheus client, the web check and the webhooks. HTTP error statuses (4xx/5xx) are
returned as responses, not raised: each caller decides what a status means (a webhook gate answering
403 is "closed", Prometheus answering 400 carries its own error text). Only failures to get any
answer at all (refused, DNS, TLS, timeout) raise HttpRequestError.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket
import ssl

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlsplit
from ansible.module_utils.urls import open_url

from ansible_collections.progressive.canary.plugins.module_utils.redaction import redact_text, redact_url

USER_AGENT = "progressive.canary"
# Bodies quoted in messages are cut so a large HTML error page does not flood the task output.
MAX_QUOTED_BODY = 500


class HttpRequestError(Exception):
    """No HTTP answer was obtained (connection refused, DNS, TLS, timeout); ``cause`` is the short reason."""

    def __init__(self, method, url, cause):
        cause = redact_text(cause)
        super(HttpRequestError, self).__init__("%s %s: %s" % (method, redact_url(url), cause))
        self.cause = cause


class HttpResponse:
    """Status and decoded body of an HTTP answer."""

    def __init__(self, status, body):
        self.status = status
        self.body = body

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
                 timeout=10, validate_certs=True, ca_path=None):
    """Send one request and return an HttpResponse for any HTTP status.

    ``json_body`` is sent as application/json, ``form_body`` (already url-encoded str) as a form.
    Raises HttpRequestError with "<METHOD> <url>: <cause>" when no answer arrives within ``timeout``
    seconds per socket operation, or the connection/TLS handshake fails.
    """
    problem = http_url_problem(url)
    if problem:
        raise HttpRequestError(method, url, problem)
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
        return HttpResponse(response.getcode(), _decode(response.read()))
    except HTTPError as exc:
        try:
            body = _decode(exc.read())
        except (socket.timeout, TimeoutError, OSError):
            body = ""
        return HttpResponse(exc.code, body)
    except (URLError, socket.timeout, TimeoutError, ssl.SSLError, OSError) as exc:
        raise HttpRequestError(method, url, _describe_transport_error(exc))
    except Exception as exc:  # pylint: disable=broad-except
        # open_url raises its own types (e.g. ConnectionError for a missing ca_path); any of them is
        # still "no answer" and must become a message, never a traceback.
        raise HttpRequestError(method, url, str(exc) or exc.__class__.__name__)
