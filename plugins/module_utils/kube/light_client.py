# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small Kubernetes client over the standard library, for the connections light_plan.py accepts.

It offers exactly what KubeApi (connection.py) uses of kubernetes' DynamicClient: ``resources.get(api_version,
kind)`` (discovery) and, on the resource found, get / list (label selector) / create / replace / patch (merge, JSON,
strategic) / delete, with ``dry_run``. Every request, discovery included, has the module's timeout and is retried as
the same request on a transient error (retry.call_with_retries, ``transient``); errors are LightApiError (an HTTP
answer: status, Status body, headers), LightTransportError (no answer: refused, reset, timed out, TLS, name
resolution) and LightResourceNotFound (a kind the server does not serve), which connection._translate reads.

Discovery reads one group-version's resource list (``GET /api/v1``, ``GET /apis/<group>/<version>``) the first
time a kind of it is used, and keeps it in the process and in a file (discovery_cache.py), so later module
processes of a run send no discovery request, as kubernetes.core's file cache does. A kind missing from a cached list
re-reads that list once (a CRD installed since)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import select
import shutil
import socket
import ssl
import tempfile
import time

import http.client
from urllib.parse import quote, urlencode, urlsplit

from ansible_collections.progressive.canary.plugins.module_utils.kube import discovery_cache
from ansible_collections.progressive.canary.plugins.module_utils.kube.retry import (
    RETRIED_STATUSES, RetryLog, call_with_retries, parse_retry_after)

USER_AGENT = "progressive-canary/light-client"
TOKEN_REFRESH_SECONDS = 60.0     # the kubernetes client re-reads the in-cluster token every minute


class LightApiError(Exception):
    """The API server answered with an error status; ``body`` is the raw answer (a Status document)."""

    def __init__(self, status, reason, body, headers):
        super(LightApiError, self).__init__("HTTP %s %s" % (status, reason))
        self.status = status
        self.reason = reason
        self.body = body
        self.headers = headers


class LightTransportError(Exception):
    """No answer: the connection was refused, reset or dropped, timed out, failed TLS, or the name did not resolve.
    ``str()`` names the server and the cause."""

    def __init__(self, server, cause):
        super(LightTransportError, self).__init__("%s: %s" % (server, describe_cause(cause)))
        self.server = server
        self.cause = cause


class LightResourceNotFound(Exception):
    """The API server does not serve this kind at this apiVersion."""


def describe_cause(cause):
    if isinstance(cause, ssl.SSLCertVerificationError):
        return "TLS: certificate verify failed: %s" % (cause.verify_message or cause)
    if isinstance(cause, ssl.SSLError):
        return "TLS: %s" % (cause.reason or cause)
    if isinstance(cause, socket.gaierror):
        return "name resolution failed: %s" % cause
    if isinstance(cause, socket.timeout) or (isinstance(cause, OSError) and "timed out" in str(cause)):
        return "timed out"
    if isinstance(cause, http.client.RemoteDisconnected):
        return "the connection was closed without an answer"
    return "%s: %s" % (type(cause).__name__, cause) if str(cause) else type(cause).__name__


def transient(exc):
    """retry.call_with_retries' ``transient`` for the light client: a RETRIED_STATUSES answer (with its Retry-After),
    a refused, reset or dropped connection, a timeout; None for an answer, TLS failure or unresolvable name."""
    if isinstance(exc, LightApiError):
        if exc.status not in RETRIED_STATUSES:
            return None
        return "HTTP %s" % exc.status, parse_retry_after((exc.headers or {}).get("Retry-After"))
    if isinstance(exc, LightTransportError):
        cause = exc.cause
        if isinstance(cause, (ssl.SSLError, socket.gaierror)):
            return None
        if isinstance(cause, (ConnectionError, socket.timeout, http.client.HTTPException, OSError)):
            return describe_cause(cause), None
    return None


class Response(object):
    """A decoded answer; ``to_dict()`` as kubernetes' ResourceInstance offers it."""

    def __init__(self, document):
        # kubernetes' ResourceInstance: the items of a list answer say their apiVersion and kind (the server omits them).
        kind = document.get("kind") if isinstance(document, dict) else None
        if isinstance(kind, str) and kind.endswith("List") and "items" in document:
            document["items"] = document["items"] or []
            for item in document["items"]:
                item.setdefault("apiVersion", document.get("apiVersion"))
                item.setdefault("kind", kind[:-4])
        self.document = document

    def to_dict(self):
        return self.document


def _ssl_context(plan):
    """The TLS context urllib3 builds in the kubernetes client: verification with the CA given (else certifi's
    bundle) or none at all with insecure-skip-tls-verify, and the client certificate."""
    context = ssl.create_default_context()
    if plan.verify:
        if plan.ca_file:
            context.load_verify_locations(cafile=plan.ca_file)
        elif plan.ca_data:
            context.load_verify_locations(cadata=_pem_text(plan.ca_data))
        else:
            import certifi  # pylint: disable=import-outside-toplevel  # light_plan checked it is there
            context.load_verify_locations(cafile=certifi.where())
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if plan.cert is not None:
        _load_client_certificate(context, plan.cert, plan.key)
    return context


def _pem_text(data):
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        return data      # DER


def _load_client_certificate(context, cert, key):
    """ssl loads a certificate and key from files only: data goes into a private directory (0700, files 0600) that
    is removed as soon as they are loaded."""
    directory = None
    try:
        if isinstance(cert, bytes) or isinstance(key, bytes):
            directory = tempfile.mkdtemp(prefix="progressive-canary-tls-")
        cert_path = _as_file(directory, "client.crt", cert)
        key_path = _as_file(directory, "client.key", key) if key is not None else None
        context.load_cert_chain(cert_path, key_path)
    finally:
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)


def _as_file(directory, name, value):
    if not isinstance(value, bytes):
        return value
    path = os.path.join(directory, name)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(value)
    return path


class LightApiClient(object):
    """One keep-alive connection to the API server; ``request`` sends with retries and returns the decoded JSON.
    ``retry_log`` is what KubeApi reads after a call (the same contract as connection.TimeoutApiClient)."""

    def __init__(self, plan, timeout):
        self.plan = plan
        self.server = plan.server
        parts = urlsplit(plan.server)
        self.scheme = parts.scheme
        self.netloc = parts.netloc
        self.hostname = parts.hostname
        self.port = parts.port
        self.base_path = parts.path.rstrip("/")
        self.timeout = timeout
        self.retry_log = None
        self._context = _ssl_context(plan) if self.scheme == "https" else None
        self._connection = None
        self._token = None
        self._token_read_at = None

    # -- the connection -------------------------------------------------------------------------------------------

    def _new_connection(self):
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.hostname, self.port, timeout=self.timeout, context=self._context)
        return http.client.HTTPConnection(self.hostname, self.port, timeout=self.timeout)

    def _open_connection(self):
        """The kept-alive connection unless the server closed it meanwhile (readable while idle: EOF), else a new one."""
        connection = self._connection
        if connection is not None and connection.sock is not None:
            try:
                readable, _w, _x = select.select([connection.sock], [], [], 0)
            except (OSError, ValueError):
                readable = True
            if readable:
                self.close()
                connection = None
        if connection is None:
            connection = self._connection = self._new_connection()
        return connection

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _authorization(self):
        if self.plan.token_file is None:
            return self.plan.authorization
        now = time.monotonic()
        if self._token is None or now - self._token_read_at >= TOKEN_REFRESH_SECONDS:
            with open(self.plan.token_file) as handle:
                content = handle.read()
            if not content or "\r" in content or "\n" in content:
                raise LightTransportError(self.server, ValueError("the service account token file is empty or has a line break"))
            self._token, self._token_read_at = "bearer " + content, now
        return self._token

    # -- requests -------------------------------------------------------------------------------------------------

    def url_path(self, path, query=None):
        encoded = [(key, value) for key, value in (query or ()) if value is not None]
        return self.base_path + path + ("?" + urlencode(encoded) if encoded else "")

    def request(self, method, path, query=None, body=None, content_type="application/json", timeout=None):
        """The decoded JSON answer; LightApiError / LightTransportError after the retries (retry.py)."""
        if self.retry_log is None:
            self.retry_log = RetryLog()
        target = self.url_path(path, query)
        payload = json.dumps(body).encode("utf-8") if body is not None else None
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if payload is not None:
            headers["Content-Type"] = content_type
        authorization = self._authorization()
        if authorization:
            headers["Authorization"] = authorization
        seconds = timeout if timeout is not None else self.timeout
        return call_with_retries(lambda: self._send(method, target, payload, headers, seconds), transient, log=self.retry_log)

    def _send(self, method, target, payload, headers, seconds):
        connection = self._open_connection()
        try:
            connection.timeout = seconds
            if connection.sock is not None:
                connection.sock.settimeout(seconds)
            connection.request(method, target, body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise LightTransportError(self.server, exc)
        if response.will_close:
            self.close()
        if response.status >= 400:
            raise LightApiError(response.status, response.reason, data, dict(response.getheaders()))
        if not data:
            return {}
        return json.loads(data.decode("utf-8"))


def _timeout_seconds(request_timeout):
    """KubeApi passes the kubernetes client's (connect, read) tuple; one number for a socket."""
    if isinstance(request_timeout, (tuple, list)):
        return max(float(part) for part in request_timeout)
    return None if request_timeout is None else float(request_timeout)


class LightResource(object):
    """A kind at one apiVersion, as discovery found it; the CRUD methods of kubernetes' dynamic Resource that KubeApi
    calls, with the same arguments."""

    def __init__(self, client, group_version, kind, name, namespaced):
        self.client = client
        self.group_version = group_version
        self.kind = kind
        self.name = name
        self.namespaced = namespaced

    def path(self, name=None, namespace=None):
        prefix = "/api/" + self.group_version if "/" not in self.group_version else "/apis/" + self.group_version
        if self.namespaced and namespace:
            prefix += "/namespaces/" + quote(namespace, safe="")
        prefix += "/" + self.name
        return prefix + ("/" + quote(name, safe="") if name else "")

    def _namespace(self, namespace, body):
        if not self.namespaced:
            return None
        namespace = namespace or _metadata(body).get("namespace")
        if not namespace:
            raise ValueError("Namespace is required for %s.%s" % (self.group_version, self.kind))
        return namespace

    def _name(self, name, body):
        name = name or _metadata(body).get("name")
        if not name:
            raise ValueError("name is required for %s.%s" % (self.group_version, self.kind))
        return name

    def get(self, name=None, namespace=None, label_selector=None, _request_timeout=None):
        query = [("labelSelector", label_selector)] if label_selector is not None else None
        return Response(self.client.request("GET", self.path(name, namespace), query=query,
                                            timeout=_timeout_seconds(_request_timeout)))

    def create(self, body=None, namespace=None, dry_run=None, _request_timeout=None):
        namespace = self._namespace(namespace, body)
        return Response(self.client.request("POST", self.path(None, namespace), query=[("dryRun", dry_run)], body=body,
                                            timeout=_timeout_seconds(_request_timeout)))

    def replace(self, body=None, name=None, namespace=None, dry_run=None, _request_timeout=None):
        name = self._name(name, body)
        namespace = self._namespace(namespace, body)
        return Response(self.client.request("PUT", self.path(name, namespace), query=[("dryRun", dry_run)], body=body,
                                            timeout=_timeout_seconds(_request_timeout)))

    def patch(self, body=None, name=None, namespace=None, content_type="application/strategic-merge-patch+json",
              _request_timeout=None):
        name = self._name(name, body)
        namespace = self._namespace(namespace, body)
        return Response(self.client.request("PATCH", self.path(name, namespace), body=body, content_type=content_type,
                                            timeout=_timeout_seconds(_request_timeout)))

    def delete(self, name=None, namespace=None, body=None, _request_timeout=None):
        name = self._name(name, None)
        namespace = self._namespace(namespace, None)
        return Response(self.client.request("DELETE", self.path(name, namespace), body=body,
                                            timeout=_timeout_seconds(_request_timeout)))


def _metadata(body):
    """A body's metadata; {} for a JSON patch (a list) or no body."""
    return (body.get("metadata") or {}) if isinstance(body, dict) else {}


def _resource_from(client, group_version, kind, listing):
    """The resource of ``kind`` in a discovery list (subresources left out), or None."""
    matches = [entry for entry in listing if entry.get("kind") == kind and "/" not in entry.get("name", "")]
    if not matches:
        return None
    best = max(matches, key=lambda entry: len(entry.get("verbs") or ()))
    return LightResource(client, group_version, kind, best["name"], bool(best.get("namespaced")))


class LightDiscovery(object):
    """``get(api_version=, kind=)`` as kubernetes' discoverer: the resource, or LightResourceNotFound."""

    def __init__(self, client, cache=None):
        self.client = client
        self.cache = cache if cache is not None else discovery_cache.DiscoveryCache(client.server)
        self._read_now = set()      # group-versions read from the server by this process

    def _fetch(self, group_version):
        """The group-version's resource list from the server, or None when it is not served (404, or 503 after the
        retries: kubernetes.core reads an unavailable group as an empty one, and KubeApi says why)."""
        path = "/api/" + group_version if "/" not in group_version else "/apis/" + group_version
        self._read_now.add(group_version)
        try:
            document = self.client.request("GET", path)
        except LightApiError as exc:
            if exc.status in (404, 503):
                return None
            raise
        listing = [dict((key, entry.get(key)) for key in ("name", "kind", "namespaced", "verbs"))
                   for entry in document.get("resources") or [] if isinstance(entry, dict)]
        self.cache.store(group_version, listing)
        return listing

    def get(self, api_version=None, kind=None):
        listing = self.cache.lookup(api_version)
        if listing is None and api_version not in self._read_now:
            listing = self._fetch(api_version)
        found = _resource_from(self.client, api_version, kind, listing or [])
        if found is None and listing is not None and api_version not in self._read_now:
            found = _resource_from(self.client, api_version, kind, self._fetch(api_version) or [])
        if found is None:
            raise LightResourceNotFound("No matches found for {'api_version': %r, 'kind': %r}" % (api_version, kind))
        return found


class LightDynamicClient(object):
    """The two attributes of kubernetes' DynamicClient that KubeApi uses: ``resources`` and ``client``."""

    def __init__(self, plan, timeout):
        self.client = LightApiClient(plan, timeout)
        self.resources = LightDiscovery(self.client)
        self.plan = plan
