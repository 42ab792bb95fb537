"""The Kubernetes API emulator: an HTTP server on 127.0.0.1 plus its background controllers."""
import json
import threading
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path

import yaml

from . import crds as crd_source
from . import errors
from .api import Api
from .autoscaler import Autoscaler
from .controller import DeploymentController
from .controls import Controls
from .faults import Faults
from .garbage import GarbageCollector
from .handler import Handler
from .kubeconfig import TOKEN, write_kubeconfig
from .operations import Operations
from .requestlog import RequestLog
from .resources import Registry
from .store import Store

INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
TICK_SECONDS = 0.05


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    tls_context = None

    def get_request(self):
        """With TLS, each connection's handshake happens in its handler thread (Handler.setup), not in the accept loop:
        a client that connects and never speaks TLS must not stall the others."""
        connection, address = super().get_request()
        if self.tls_context is not None:
            connection = self.tls_context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
        return connection, address


class Emulator:
    """`Emulator(port=0, crds=None, ready_seconds=0.3, served_versions=None)`; `crds=None` serves every CRD in the
    shared directory, `crds=[]` none (a cluster without Istio / Gateway API); `served_versions` ({group: [versions]})
    serves only those versions of a group's CRDs (`{"networking.istio.io": ["v1beta1"]}`: Istio before 1.22);
    `pod_drain_seconds`: how long a deleted pod without a preStop sleep keeps answering (0: it exits at once).
    Opt-in, as a production API server (tls.py): `tls` (a tls.TlsMaterial) serves HTTPS with its certificates and
    accepts client certificates its CA signed; `require_auth` answers 401 to a request without the sandbox token or
    such a certificate. Off by default: plain HTTP, any request accepted."""

    def __init__(self, port=0, crds=None, ready_seconds=0.3, served_versions=None, pod_drain_seconds=0.0, tls=None,
                 require_auth=False):
        self.port = port
        self.tls = tls
        self.require_auth = require_auth
        self.crds = crd_source.with_served_versions(crd_source.load_crds() if crds is None else list(crds), served_versions)
        self.ready_seconds = ready_seconds
        self.registry = Registry(self.crds)
        self.store = Store()
        self.api = Api(self.registry, self.store)
        self.pods = self.api.pods       # graceful pod deletion (pod_termination.py), reaped with the controllers
        self.pods.default_seconds = pod_drain_seconds
        self.operations = Operations(self.api)
        self.request_log = RequestLog()
        self.faults = Faults()
        self.controls = Controls(self.request_log, self.faults)
        self.controller = DeploymentController(self.api, ready_seconds)
        self.garbage = GarbageCollector(self.api)
        self.autoscaler = Autoscaler(self.store)
        self.stopping = threading.Event()
        # Set: the controllers do nothing (a controller-manager that lags behind the API server, as under load):
        # a Deployment's status stays that of the spec it last observed.
        self.controllers_paused = threading.Event()
        self._server = None
        self._threads = []
        self._seed()

    def _seed(self):
        namespaces = self.registry.lookup("", "v1", "namespaces")
        for name in INITIAL_NAMESPACES:
            self.api.create(namespaces, "", {"metadata": {"name": name}})
        for crd in self.crds:
            self.api.seed_crd(crd)

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def start(self):
        self._server = _Server(("127.0.0.1", self.port), Handler)
        self._server.emulator = self
        if self.tls is not None:
            self._server.tls_context = self.tls.server_context()
        self.port = self._server.server_address[1]
        self._threads = [threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                          name=f"apiserver-{self.port}", daemon=True),
                         threading.Thread(target=self._run_controllers, name=f"controllers-{self.port}", daemon=True)]
        for thread in self._threads:
            thread.start()
        return self

    def _run_controllers(self):
        while not self.stopping.wait(TICK_SECONDS):
            if self.controllers_paused.is_set():
                continue
            self.autoscaler.tick()
            self.controller.tick()
            self.garbage.collect()
            self.pods.reap()

    def stop(self):
        self.stopping.set()
        with self.store.changed:
            self.store.changed.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def url(self):
        return f"{'https' if self.tls is not None else 'http'}://127.0.0.1:{self.port}"

    def write_kubeconfig(self, path, namespace=None):
        """Write a kubeconfig (server = this emulator, a token user, with TLS its CA); returns the path as a string."""
        return write_kubeconfig(path, self.url, namespace, ca_pem=self.tls.ca_pem if self.tls is not None else None)

    # -- test setup through the HTTP API ---------------------------------------------------------------------------

    def request(self, method, path, body=None, content_type="application/json"):
        """One HTTP request to this emulator; returns (status, decoded JSON body)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": content_type, "Accept": "application/json",
                                              "Authorization": "Bearer " + TOKEN})
        context = self.tls.client_context() if self.tls is not None else None
        try:
            with urllib.request.urlopen(req, timeout=30, context=context) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def collection_path(self, api_version, kind, namespace=None):
        resource = next((r for r in self.registry.resources if r.api_version == api_version and r.kind == kind), None)
        if resource is None:
            raise ValueError(f"the emulator serves no {kind} in {api_version}")
        prefix = f"/api/{api_version}" if not resource.group else f"/apis/{api_version}"
        if resource.namespaced:
            return f"{prefix}/namespaces/{namespace or 'default'}/{resource.plural}"
        return f"{prefix}/{resource.plural}"

    def load_manifests(self, path_or_yaml, namespace="default"):
        """Create (or replace) every object of a YAML file, directory or string over HTTP; returns the objects.

        Namespaces named by the objects are created when missing, for test setup convenience; HPAs among them
        have bounded their targets' replicas when it returns."""
        created = []
        for doc in _documents(path_or_yaml):
            ns = doc.get("metadata", {}).get("namespace") or namespace
            self.ensure_namespace(ns)
            collection = self.collection_path(doc["apiVersion"], doc["kind"], ns)
            status, body = self.request("POST", collection, doc)
            if status == 409 and body.get("reason") == "AlreadyExists":
                item = f"{collection}/{doc['metadata']['name']}"
                status, body = self.request("PUT", item, doc)
            if status >= 300:
                raise errors.ApiError(status, body.get("reason"), body.get("message"), body.get("details"))
            created.append(body)
        # The HPA controller would bound the replicas moments later; doing it now keeps test setup deterministic.
        self.autoscaler.tick()
        return created

    def ensure_namespace(self, name):
        status, body = self.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                                   "metadata": {"name": name}})
        if status >= 300 and body.get("reason") != "AlreadyExists":
            raise errors.ApiError(status, body.get("reason"), body.get("message"), body.get("details"))


def _documents(path_or_yaml):
    if isinstance(path_or_yaml, Path) or (isinstance(path_or_yaml, str) and "\n" not in path_or_yaml
                                          and Path(path_or_yaml).exists()):
        path = Path(path_or_yaml)
        files = sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
        texts = [f.read_text(encoding="utf-8") for f in files]
    else:
        texts = [path_or_yaml]
    return [d for text in texts for d in yaml.safe_load_all(text) if d]
