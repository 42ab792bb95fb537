# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small Kubernetes API wrapper: kubernetes.core authentication, a request timeout on every call, and
every API, HTTP or connection error turned into one exception naming the object and the cause, transient errors
retried as the same request (retry.py), and a retried write whose first try did happen accepted as done."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import json
import sys

from ansible_collections.progressive.canary.plugins.module_utils.kube import kube_core, light_plan, retried_writes
from ansible_collections.progressive.canary.plugins.module_utils.kube.light_client import (
    LightApiError, LightDynamicClient, LightResourceNotFound, LightTransportError, describe_cause)
from ansible_collections.progressive.canary.plugins.module_utils.kube.light_client import transient as light_transient
from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import OLDER_API_VERSIONS
from ansible_collections.progressive.canary.plugins.module_utils.kube.retry import (
    RETRIED_STATUSES, RetryLog, call_with_retries, parse_retry_after)

# The kubernetes client is imported where it is used, not here: importing it costs ~0.35 s and ~50 MiB,
# which canary_analysis (a task per rollout step, rarely talking to Kubernetes) should not pay.
HAS_KUBERNETES = importlib.util.find_spec("kubernetes") is not None
KUBERNETES_IMPORT_ERROR = None if HAS_KUBERNETES else ImportError("No module named 'kubernetes'")

DEFAULT_REQUEST_TIMEOUT = 30
PATCH_TYPES = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
}


class CanaryApiError(CanaryError):
    """Any failure talking to the API server; the message names the object and the cause."""

    def __init__(self, message, status=None, reason=None):
        super(CanaryApiError, self).__init__(message)
        self.status = status
        self.reason = reason


class ConflictError(CanaryApiError):
    """409: stale resourceVersion on update, or the name already exists on create."""


class KindNotInstalledError(CanaryApiError):
    """The API server does not serve this kind (for example the Istio CRDs are not installed)."""


def describe(api_version, kind, namespace, name):
    where = "%s/%s" % (namespace, name) if namespace and name else (namespace or name or "")
    return ("%s %s (%s)" % (kind, where, api_version)).replace("  ", " ")


def _status_message(exc):
    """The Status message the API server returned, else the HTTP reason."""
    body = getattr(exc, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        status = json.loads(body) if body else {}
        if isinstance(status, dict) and status.get("message"):
            return status["message"]
    except ValueError:
        pass
    return getattr(exc, "reason", None) or str(exc)


def _kubernetes_loaded():
    """True once the kubernetes client is imported: an exception can only be one of its classes then, and the light
    client's path must not import it just to find out."""
    return HAS_KUBERNETES and "kubernetes" in sys.modules


def _client_errors():
    """The exception classes of the light client and, when it is loaded, of the kubernetes client: (API answers,
    kind not served, no answer)."""
    api_errors, not_found, transport = (LightApiError,), (LightResourceNotFound,), (LightTransportError,)
    if _kubernetes_loaded():
        # pylint: disable=import-outside-toplevel
        from kubernetes.client.rest import ApiException
        from kubernetes.dynamic.exceptions import DynamicApiError, ResourceNotFoundError
        import urllib3
        api_errors += (ApiException, DynamicApiError)
        not_found += (ResourceNotFoundError,)
        transport += (urllib3.exceptions.HTTPError,)
    return api_errors, not_found, transport


def _transport_cause(exc):
    if isinstance(exc, LightTransportError):
        return describe_cause(exc.cause)
    return getattr(exc, "reason", None) or exc


def _translate(exc, action, what, retries=None, server=None):
    """Map any client exception to CanaryApiError (or a subclass) with a readable message; ``retries`` (a RetryLog)
    adds how often the request was tried, ``server`` (the API server's URL) is named when it cannot be reached or
    refuses the credentials."""
    api_errors, not_found_error, http_error = _client_errors()
    note = retries.note() if retries is not None else ""
    where = " at %s" % server if server else ""
    if isinstance(exc, api_errors) and not getattr(exc, "status", None):
        # The kubernetes client reports a TLS failure as an ApiException with status 0: no answer came.
        cause = str(getattr(exc, "reason", None) or exc).strip().replace("\n", ": ")
        return CanaryApiError("%s %s failed: cannot reach the API server%s: %s%s" % (action, what, where, cause, note))
    if isinstance(exc, api_errors):
        status = getattr(exc, "status", None)
        refused = " (the API server%s refused the credentials)" % where if status == 401 else ""
        message = "%s %s failed: HTTP %s: %s%s%s" % (action, what, status, _status_message(exc), refused, note)
        error_class = ConflictError if status == 409 else CanaryApiError
        return error_class(message, status=status, reason=getattr(exc, "reason", None))
    if isinstance(exc, not_found_error):
        return KindNotInstalledError("%s failed: the API server does not serve this kind (%s)" % (action + " " + what, exc))
    if isinstance(exc, http_error):
        return CanaryApiError("%s %s failed: cannot reach the API server%s: %s%s" % (action, what, where, _transport_cause(exc), note))
    if isinstance(exc, (OSError, ValueError)):
        return CanaryApiError("%s %s failed: %s: %s" % (action, what, type(exc).__name__, exc))
    return None


def transient_api_error(exc):
    """None for an error that is an answer; for a transient one (a RETRIED_STATUSES answer, a refused, reset or dropped
    connection, a timeout) ``(description, Retry-After seconds or None)``, as retry.call_with_retries expects."""
    if isinstance(exc, (LightApiError, LightTransportError)) or not _kubernetes_loaded():
        return light_transient(exc)
    # pylint: disable=import-outside-toplevel
    from kubernetes.client.rest import ApiException
    import urllib3
    if isinstance(exc, ApiException):
        if exc.status not in RETRIED_STATUSES:
            return None
        headers = getattr(exc, "headers", None) or {}
        return "HTTP %s" % exc.status, parse_retry_after(headers.get("Retry-After"))
    if isinstance(exc, urllib3.exceptions.NameResolutionError):
        return None     # a wrong host name does not heal in seconds
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and isinstance(exc.reason, Exception):
        return transient_api_error(exc.reason)
    if isinstance(exc, (urllib3.exceptions.ProtocolError, urllib3.exceptions.TimeoutError)):
        return "%s" % _transport_cause(exc), None
    return None


def client_timeout(seconds):
    """The ``_request_timeout`` the kubernetes client honours: it silently ignores a float (only an int or a
    (connect, read) tuple is applied), and module options are floats, so always a tuple."""
    seconds = float(seconds)
    return (seconds, seconds)


class KubeApi(object):
    """CRUD on plain dicts over a kubernetes DynamicClient; ``get`` answers None for a missing object.

    Every request is retried as the same request on a transient error (see retry.py and ``_api_client_class``).
    A kind named at a version the server does not serve is used at the newest older version it does serve
    (names.OLDER_API_VERSIONS: Istio before 1.22 serves networking.istio.io/v1beta1 only), and the bodies we write
    say that version."""

    def __init__(self, dynamic_client, request_timeout=DEFAULT_REQUEST_TIMEOUT, server=None, plan=None):
        self.client = dynamic_client
        self.request_timeout = client_timeout(request_timeout)
        self.server = server
        # light_plan's answer: LightPlan (the light client) or FullClient(reason) (kubernetes.core's client).
        self.plan = plan
        self._resources = {}

    def _new_retry_log(self):
        """A fresh log on the retrying ApiClient for the call about to start (None on a client without retries)."""
        api_client = getattr(self.client, "client", None)
        if not hasattr(api_client, "retry_log"):
            return None
        api_client.retry_log = RetryLog()
        return api_client.retry_log

    def _call(self, action, what, func, *args, **kwargs):
        retries = self._new_retry_log()
        try:
            return func(*args, **kwargs)
        except CanaryApiError:
            raise
        except Exception as exc:  # pylint: disable=broad-except  # translated below, re-raised otherwise
            translated = _translate(exc, action, what, retries, self.server)
            if translated is None:
                raise
            translated.retried = bool(retries is not None and retries.retried)
            raise translated

    def _lookup(self, api_version, kind):
        what = "%s (%s)" % (kind, api_version)
        try:
            return self._call("looking up", what, self.client.resources.get, api_version=api_version, kind=kind)
        except KindNotInstalledError:
            retries = getattr(getattr(self.client, "client", None), "retry_log", None)
            if retries is not None and retries.gave_up_after:
                # The discovery client takes a group it could not read (503) for an empty one: say why, not "not served".
                raise CanaryApiError("looking up %s failed: the API server's discovery did not answer%s"
                                     % (what, retries.note()), status=503)
            raise

    def resource(self, api_version, kind):
        """The client's resource for a kind, at ``api_version`` or else the newest older version served; a kind found
        missing is remembered too, because each miss makes the discovery client re-read /version and /apis."""
        key = (api_version, kind)
        if key not in self._resources:
            found = None
            for candidate in (api_version,) + tuple(OLDER_API_VERSIONS.get(api_version, ())):
                try:
                    found = self._lookup(candidate, kind)
                    break
                except KindNotInstalledError as exc:
                    found = found or exc
            self._resources[key] = found
        if isinstance(self._resources[key], KindNotInstalledError):
            raise self._resources[key]
        return self._resources[key]

    def served_api_version(self, api_version, kind):
        """The apiVersion this kind is used at on this server (``api_version`` or an older one it serves)."""
        return self.resource(api_version, kind).group_version

    def serves(self, api_version, kind):
        """True when the API server serves this kind (at ``api_version`` or an older version it stands for)."""
        try:
            self.resource(api_version, kind)
            return True
        except KindNotInstalledError:
            return False

    def _served_body(self, body):
        """``body`` at the version the server serves its kind at (the same object otherwise)."""
        served = self.served_api_version(body["apiVersion"], body["kind"])
        if served == body["apiVersion"]:
            return body
        return dict(body, apiVersion=served)

    def get(self, api_version, kind, namespace, name):
        what = describe(api_version, kind, namespace, name)
        resource = self.resource(api_version, kind)
        try:
            found = self._call("reading", what, resource.get, name=name, namespace=namespace, _request_timeout=self.request_timeout)
        except CanaryApiError as exc:
            if exc.status == 404:
                return None
            raise
        return found.to_dict()

    def get_kind(self, namespace, kind_pair, name):
        """get() for an (apiVersion, kind) pair as names.py defines them."""
        return self.get(kind_pair[0], kind_pair[1], namespace, name)

    def list(self, api_version, kind, namespace, label_selector=None):
        what = describe(api_version, kind, namespace, None)
        resource = self.resource(api_version, kind)
        found = self._call("listing", what, resource.get, namespace=namespace, label_selector=label_selector,
                           _request_timeout=self.request_timeout)
        return [item.to_dict() if hasattr(item, "to_dict") else item for item in found.to_dict().get("items", [])]

    def _already_written(self, exc, body, in_effect):
        """After a retried write failed with 409/422: the live object when it shows our write happened (the first try
        reached the server, its answer was lost), else None. ``in_effect(live)`` judges the live object."""
        if not getattr(exc, "retried", False) or exc.status not in (409, 422):
            return None
        api_version, kind, namespace, name = _identity(body)
        live = self.get(api_version, kind, namespace, name)
        return live if in_effect(live) else None

    def create(self, body):
        """POST ``body``. A create retried after a lost answer that finds the object already there accepts it when it
        is what we sent (its spec-hash, else every field we sent); ConflictError otherwise."""
        body = self._served_body(body)
        api_version, kind, namespace, name = _identity(body)
        resource = self.resource(api_version, kind)
        what = describe(api_version, kind, namespace, name)
        try:
            created = self._call("creating", what, resource.create, body=body, namespace=namespace,
                                 _request_timeout=self.request_timeout)
        except ConflictError as exc:
            live = self._already_written(exc, body, lambda live: retried_writes.holds(live, body))
            if live is not None:
                return live
            if getattr(exc, "retried", False):
                raise ConflictError("creating %s failed: it already exists and is not what we sent; our create was retried "
                                    "after a transient error, and another writer created it meanwhile (%s)" % (what, exc),
                                    status=409, reason="AlreadyExists")
            raise
        return created.to_dict()

    def replace(self, body):
        """PUT ``body``; with metadata.resourceVersion set, a concurrent change raises ConflictError (unless the change
        is our own PUT, retried after its answer was lost, and the object is what we sent)."""
        body = self._served_body(body)
        api_version, kind, namespace, name = _identity(body)
        resource = self.resource(api_version, kind)
        try:
            replaced = self._call("replacing", describe(api_version, kind, namespace, name), resource.replace, body=body,
                                  name=name, namespace=namespace, _request_timeout=self.request_timeout)
        except ConflictError as exc:
            live = self._already_written(exc, body, lambda live: retried_writes.holds(live, body))
            if live is None:
                raise
            return live
        return replaced.to_dict()

    def dry_run(self, body, replace=False):
        """Send ``body`` as a server-side dry run (``dryRun=All``) of a create, or of a replace: the API server and its
        validating webhooks judge it and nothing is stored. Raises CanaryApiError with their answer."""
        body = self._served_body(body)
        api_version, kind, namespace, name = _identity(body)
        resource = self.resource(api_version, kind)
        options = {"body": body, "namespace": namespace, "dry_run": "All", "_request_timeout": self.request_timeout}
        if replace:
            options["name"] = name
        self._call("checking (dry run)", describe(api_version, kind, namespace, name),
                   resource.replace if replace else resource.create, **options)

    def patch(self, api_version, kind, namespace, name, patch, patch_type="merge"):
        """PATCH. Merge and strategic patches mean the same on a retry; a JSON patch whose ``test`` fails on a retry
        (409/422) is accepted when its other operations are already in effect (our first try happened)."""
        resource = self.resource(api_version, kind)
        try:
            patched = self._call("patching", describe(api_version, kind, namespace, name), resource.patch, body=patch,
                                 name=name, namespace=namespace, content_type=PATCH_TYPES[patch_type],
                                 _request_timeout=self.request_timeout)
        except CanaryApiError as exc:
            identity = {"apiVersion": api_version, "kind": kind, "metadata": {"namespace": namespace, "name": name}}
            live = None
            if patch_type == "json":
                live = self._already_written(exc, identity, lambda live: retried_writes.patch_in_effect(live, patch))
            if live is None:
                raise
            return live
        return patched.to_dict()

    def delete(self, api_version, kind, namespace, name):
        """Delete (background propagation); returns False when the object was already gone."""
        resource = self.resource(api_version, kind)
        try:
            self._call("deleting", describe(api_version, kind, namespace, name), resource.delete, name=name, namespace=namespace,
                       body={"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"},
                       _request_timeout=self.request_timeout)
        except CanaryApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True


def _identity(body):
    metadata = body.get("metadata") or {}
    return body["apiVersion"], body["kind"], metadata.get("namespace"), metadata.get("name")


def _api_client_class():
    """kubernetes.client.ApiClient with a default timeout on every request, discovery included: the
    DynamicClient's discovery (run while the client is created and on a cache miss) sets none, so an API
    server that accepts the connection and never answers would hang the module forever."""
    import kubernetes.client  # pylint: disable=import-outside-toplevel

    class TimeoutApiClient(kubernetes.client.ApiClient):
        """Every request with a timeout, and retried as the very same request on a transient error (retry.py):
        this is the one place every request passes, discovery included. ``retry_log`` tells KubeApi what happened."""
        default_request_timeout = None
        retry_log = None

        def request(self, *args, **kwargs):  # pylint: disable=signature-differs
            if not kwargs.get("_request_timeout"):
                kwargs["_request_timeout"] = self.default_request_timeout
            if self.retry_log is None:
                self.retry_log = RetryLog()
            log = self.retry_log
            return call_with_retries(lambda: super(TimeoutApiClient, self).request(*args, **kwargs), transient_api_error,
                                     log=log)

    return TimeoutApiClient


def _dynamic_client(auth_params, request_timeout):
    """kubernetes.core's DynamicClient, configured exactly as its get_api_client does (same options, same
    K8S_AUTH_* environment, same discovery cache), but on an ApiClient whose every request times out and is retried.
    kube_core.py holds the kubernetes.core helpers this needs; without them the client is get_api_client's (no
    discovery timeout, no retries: see kube_core.py)."""
    built = []

    def make_api_client(configuration):
        # urllib3's own retries (3, for GET/PUT/DELETE only, on connection errors only) are off: TimeoutApiClient
        # retries every method on the documented errors, and the two would multiply.
        configuration.retries = False
        api_client = _api_client_class()(configuration)
        api_client.default_request_timeout = client_timeout(request_timeout)
        built.append(api_client)
        return api_client

    try:
        return kube_core.dynamic_client(auth_params, make_api_client)[0]
    except Exception as exc:  # pylint: disable=broad-except  # discovery failed: say how often it was tried
        if built:
            exc.retry_log = built[0].retry_log
            exc.server = built[0].configuration.host
        raise


def connect(auth_params, request_timeout=DEFAULT_REQUEST_TIMEOUT):
    """A KubeApi from kubernetes.core connection options (kubeconfig, context, host, api_key, K8S_AUTH_*...): on the
    light client when light_plan.plan_connection says the connection is one it reproduces exactly, else on
    kubernetes.core's client."""
    params = dict((key, value) for key, value in auth_params.items() if value is not None)
    try:
        plan = light_plan.plan_connection(params)
    except light_plan.ConfigError as exc:
        raise CanaryApiError("cannot configure the Kubernetes client: %s" % exc)
    except (OSError, ValueError) as exc:     # an unreadable kubeconfig or token file, YAML errors
        raise CanaryApiError("cannot configure the Kubernetes client: %s: %s" % (type(exc).__name__, exc))
    if plan.light:
        try:
            client = LightDynamicClient(plan, float(request_timeout))
        except (OSError, ValueError) as exc:  # ssl: an unreadable CA or client certificate
            raise CanaryApiError("cannot configure the Kubernetes client for %s: %s: %s" % (plan.server, type(exc).__name__, exc))
        return KubeApi(client, request_timeout=request_timeout, server=plan.server, plan=plan)
    return _connect_full(params, request_timeout, plan)


def _connect_full(params, request_timeout, plan):
    """connect() on kubernetes.core's client."""
    import kubernetes.config  # pylint: disable=import-outside-toplevel

    try:
        dynamic_client = _dynamic_client(params, request_timeout)
    except kubernetes.config.ConfigException as exc:
        raise CanaryApiError("cannot configure the Kubernetes client: %s" % exc)
    except Exception as exc:  # pylint: disable=broad-except  # the client runs discovery while it is created
        translated = _translate(exc, "connecting", "to the API server", getattr(exc, "retry_log", None),
                                getattr(exc, "server", None))
        if translated is not None and not isinstance(exc, ValueError):
            raise translated
        # kubeconfig parse errors come in many types
        raise CanaryApiError("cannot configure the Kubernetes client: %s: %s" % (type(exc).__name__, exc))
    configuration = getattr(getattr(dynamic_client, "client", None), "configuration", None)
    return KubeApi(dynamic_client, request_timeout=request_timeout, server=getattr(configuration, "host", None), plan=plan)
