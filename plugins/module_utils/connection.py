# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small Kubernetes API wrapper: kubernetes.core authentication, a request timeout on every call, and
every API, HTTP or connection error turned into one exception naming the object and the cause."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import json

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


class CanaryApiError(Exception):
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


def _client_errors():
    """The kubernetes client's exception classes (the client is loaded by then: a call went through it)."""
    # pylint: disable=import-outside-toplevel
    from kubernetes.client.rest import ApiException
    from kubernetes.dynamic.exceptions import DynamicApiError, ResourceNotFoundError
    import urllib3
    return (ApiException, DynamicApiError), ResourceNotFoundError, urllib3.exceptions.HTTPError


def _translate(exc, action, what):
    """Map any client exception to CanaryApiError (or a subclass) with a readable message."""
    api_errors, not_found_error, http_error = _client_errors() if HAS_KUBERNETES else ((), (), ())
    if isinstance(exc, api_errors):
        status = getattr(exc, "status", None)
        message = "%s %s failed: HTTP %s: %s" % (action, what, status, _status_message(exc))
        error_class = ConflictError if status == 409 else CanaryApiError
        return error_class(message, status=status, reason=getattr(exc, "reason", None))
    if isinstance(exc, not_found_error):
        return KindNotInstalledError("%s failed: the API server does not serve this kind (%s)" % (action + " " + what, exc))
    if isinstance(exc, http_error):
        cause = getattr(exc, "reason", None) or exc
        return CanaryApiError("%s %s failed: cannot reach the API server: %s" % (action, what, cause))
    if isinstance(exc, (OSError, ValueError)):
        return CanaryApiError("%s %s failed: %s: %s" % (action, what, type(exc).__name__, exc))
    return None


def client_timeout(seconds):
    """The ``_request_timeout`` the kubernetes client honours: it silently ignores a float (only an int or a
    (connect, read) tuple is applied), and module options are floats, so always a tuple."""
    seconds = float(seconds)
    return (seconds, seconds)


class KubeApi(object):
    """CRUD on plain dicts over a kubernetes DynamicClient; ``get`` answers None for a missing object."""

    def __init__(self, dynamic_client, request_timeout=DEFAULT_REQUEST_TIMEOUT):
        self.client = dynamic_client
        self.request_timeout = client_timeout(request_timeout)
        self._resources = {}

    def _call(self, action, what, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CanaryApiError:
            raise
        except Exception as exc:  # pylint: disable=broad-except  # translated below, re-raised otherwise
            translated = _translate(exc, action, what)
            if translated is None:
                raise
            raise translated

    def resource(self, api_version, kind):
        """The client's resource for a kind; a kind found missing is remembered too, because each miss
        makes the discovery client re-read /version and /apis."""
        key = (api_version, kind)
        if key not in self._resources:
            try:
                self._resources[key] = self._call(
                    "looking up", "%s (%s)" % (kind, api_version), self.client.resources.get, api_version=api_version, kind=kind)
            except KindNotInstalledError as exc:
                self._resources[key] = exc
        if isinstance(self._resources[key], KindNotInstalledError):
            raise self._resources[key]
        return self._resources[key]

    def serves(self, api_version, kind):
        """True when the API server serves this kind."""
        try:
            self.resource(api_version, kind)
            return True
        except KindNotInstalledError:
            return False

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

    def create(self, body):
        api_version, kind, namespace, name = _identity(body)
        resource = self.resource(api_version, kind)
        created = self._call("creating", describe(api_version, kind, namespace, name), resource.create, body=body,
                             namespace=namespace, _request_timeout=self.request_timeout)
        return created.to_dict()

    def replace(self, body):
        """PUT ``body``; with metadata.resourceVersion set, a concurrent change raises ConflictError."""
        api_version, kind, namespace, name = _identity(body)
        resource = self.resource(api_version, kind)
        replaced = self._call("replacing", describe(api_version, kind, namespace, name), resource.replace, body=body,
                              name=name, namespace=namespace, _request_timeout=self.request_timeout)
        return replaced.to_dict()

    def patch(self, api_version, kind, namespace, name, patch, patch_type="merge"):
        resource = self.resource(api_version, kind)
        patched = self._call("patching", describe(api_version, kind, namespace, name), resource.patch, body=patch,
                             name=name, namespace=namespace, content_type=PATCH_TYPES[patch_type],
                             _request_timeout=self.request_timeout)
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
        default_request_timeout = None

        def request(self, *args, **kwargs):  # pylint: disable=signature-differs
            if not kwargs.get("_request_timeout"):
                kwargs["_request_timeout"] = self.default_request_timeout
            return super(TimeoutApiClient, self).request(*args, **kwargs)

    return TimeoutApiClient


def _dynamic_client(auth_params, request_timeout):
    """kubernetes.core's DynamicClient, configured exactly as its get_api_client does (same options, same
    K8S_AUTH_* environment, same discovery cache), but on an ApiClient whose every request times out."""
    # Imported here so that unit tests of the other module_utils need no kubernetes.core on the path.
    # pylint: disable=import-outside-toplevel
    from ansible_collections.kubernetes.core.plugins.module_utils import k8sdynamicclient
    from ansible_collections.kubernetes.core.plugins.module_utils.client.discovery import LazyDiscoverer
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s import client as core_client

    auth = core_client._create_auth_spec(None, **auth_params)  # pylint: disable=protected-access
    configuration = core_client._create_configuration(auth)  # pylint: disable=protected-access
    api_client = _api_client_class()(configuration)
    api_client.default_request_timeout = client_timeout(request_timeout)
    for header, value in core_client._create_headers(None, **auth_params).items():  # pylint: disable=protected-access
        core_client._set_header(api_client, header, value)  # pylint: disable=protected-access
    return k8sdynamicclient.K8SDynamicClient(api_client, discoverer=LazyDiscoverer)


def connect(auth_params, request_timeout=DEFAULT_REQUEST_TIMEOUT):
    """A KubeApi from kubernetes.core connection options (kubeconfig, context, host, api_key, K8S_AUTH_*...)."""
    import kubernetes.config  # pylint: disable=import-outside-toplevel

    params = dict((key, value) for key, value in auth_params.items() if value is not None)
    try:
        dynamic_client = _dynamic_client(params, request_timeout)
    except kubernetes.config.ConfigException as exc:
        raise CanaryApiError("cannot configure the Kubernetes client: %s" % exc)
    except Exception as exc:  # pylint: disable=broad-except  # the client runs discovery while it is created
        translated = _translate(exc, "connecting", "to the API server")
        if translated is not None and not isinstance(exc, ValueError):
            raise translated
        # kubeconfig parse errors come in many types
        raise CanaryApiError("cannot configure the Kubernetes client: %s: %s" % (type(exc).__name__, exc))
    return KubeApi(dynamic_client, request_timeout=request_timeout)
