"""The sandbox's service mesh: Istio-like routing of synthetic traffic, with Istio's request metrics.

The mesh reads Services, Deployments, DestinationRules and VirtualServices from the Kubernetes API
emulator over HTTP (list calls on every tick, never a write) and sends steady synthetic traffic to
hosts such as ``podinfo.test`` or ``app.example.com``. Each tick resolves a host as Istio's sidecar
would:

0. a host an OpenShift Route claims goes to the Route's backends by weight (mesh_openshift_route);
1. a VirtualService bound to the mesh (``gateways`` empty or containing ``mesh``) whose ``hosts`` contain the host
   (short names are relative to the VirtualService's namespace) routes each request by its first http route whose
   ``match`` holds for it (mesh_matching: headers, cookies, uri, method...): destinations by weight, a ``subset``
   narrowed by the DestinationRule of the destination host, mirrors, response header operations; no matching route
   answers 404;
2. otherwise an HTTPRoute attached to the host's Service (GAMMA) or, for a host that is no Service, to a
   Gateway with the host among its hostnames: mesh_gateway_api.py;
3. otherwise the host's Service (``name.namespace[.svc[.cluster.local]]``) routes to its selector.

What the mesh resolves is a route table per host (mesh_routes), request-independent, so a stale proxy applies old
routes to new requests. Requests come from simulated users (mesh_users: classes carrying headers or cookies, each
user with a cookie jar that keeps what ``Set-Cookie`` response headers say); a target without users is an anonymous
client sending ``GET /``. Mirrored copies (``mirror``, ``mirrors``, HTTPRoute ``RequestMirror``) reach the mirror's
workload and its destination reporter only, never a user.

A Service selects the Deployments whose pod-template labels match (requests split by ready replicas);
no Service, no selector or no ready replica answers 503. A workload answers 500 for the fraction given
by the pod-template annotation ``sandbox.progressive.canary/error-rate``, and takes
``sandbox.progressive.canary/latency-ms`` (observed into the histogram, never slept).

Splits are deterministic (smooth weighted round robin, error credit): 80/20 weights give exactly 80/20
over every 100 requests, an error rate of 0.1 exactly one 500 in ten. When the API cannot be read (fault
injection, emulator restarting), the last resolution of that host is reused, as Envoy keeps its last
configuration when istiod is unreachable.

Metrics (``/metrics``): ``istio_requests_total`` and ``istio_request_duration_milliseconds`` with
``reporter="destination"`` for requests that reached a workload and ``reporter="source"`` for every
request (503/404 included, with ``destination_workload="unknown"``), as Istio reports them. Requests through an
OpenShift Route also count in the router's HAProxy families (``haproxy_server_http_responses_total``,
``haproxy_server_http_average_response_latency_milliseconds``, ``haproxy_backend_http_responses_total``; see
mesh_haproxy_metrics), beside Istio's.
Per-host counts (``/counts``, ``Mesh.counts``) say how many requests failed, for "no request failed", per workload, per
user class, the mirror copies apart, and per user which versions served it (docs/sandbox.md, "Counts").

By default a change applies at once. ``Mesh.simulate_proxies(delay, jitter)`` makes the steady traffic go through
simulated proxies that each apply what the mesh read that many seconds late, with Ready pods as endpoints: a request
a stale proxy sends to a pod that is gone fails (503, counted in ``gone``); with ``write_status`` the mesh writes the
routing objects' status as istiod / a Gateway API controller / the OpenShift router do (mesh_propagation, mesh_status).
"""

import argparse
import json
import threading
import time
from collections import namedtuple
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import requests

from tests.sandbox import mesh_gateway_api
from tests.sandbox.mesh_propagation import Propagation, existing_pods, ready_pods
from tests.sandbox.mesh_status import StatusWriter
from tests.sandbox.mesh_haproxy_metrics import HAProxyRouterMetrics
from tests.sandbox.mesh_matching import istio_matches, plain_request
from tests.sandbox.mesh_routes import Mirror, Route, apply_response_ops, istio_response_ops, route_for, set_cookies
from tests.sandbox.mesh_users import PLAIN, Population, ReleaseWindow, validate_classes
from tests.sandbox.mesh_openshift_route import ROUTE_PATH, routed_backends
from tests.sandbox.prometheus import ISTIO_DURATION_BUCKETS_MS, Prometheus, bucket_bound_label, istio_labels

ANNOTATION_PREFIX = "sandbox.progressive.canary/"
ERROR_RATE_ANNOTATION = ANNOTATION_PREFIX + "error-rate"
LATENCY_ANNOTATION = ANNOTATION_PREFIX + "latency-ms"
VERSION_ANNOTATION = ANNOTATION_PREFIX + "version"
DEFAULT_LATENCY_MS = 5.0
CLUSTER_SUFFIX = ".svc.cluster.local"
ISTIO_GROUP = "networking.istio.io"
USER_AGENT = "sandbox-mesh/1"  # lets API request logs tell the mesh's reads from the code under test
DEFAULT_RPS = 50.0
DEFAULT_TICK_S = 0.2

# A workload behind a Service: its Deployment name, ready replicas, behaviour and version (what a user sees of it).
# ``pod_versions``: the version of each of ``pods`` (from the pod's own template: a rolling Deployment has both).
Workload = namedtuple("Workload", "name namespace ready error_rate latency_ms pods version pod_versions", defaults=((), "", ()))
# Where a share of a host's traffic goes: weight, the destination Service (None when unknown), its
# ready workloads, the status the mesh answers itself when there is nothing to send to (503, 404), and the
# OpenShift Route whose router sends there (None for mesh traffic), and the response header operations of this
# destination alone (Istio ``route[].headers``, a backendRef's filters; mesh_routes).
Destination = namedtuple("Destination", "weight service namespace workloads local_status route response_ops",
                         defaults=(None, ()))


class MeshApiError(RuntimeError):
    """The emulator could not be read; the mesh keeps its last resolution for the host."""


# -- reading the cluster -----------------------------------------------------------------------

class ClusterReader:
    """Lists objects from the emulator, each (kind, namespace) at most once per snapshot."""

    def __init__(self, api_url, session, discovery=None, with_pods=False):
        self.api_url = api_url.rstrip("/")
        self.session = session
        self.with_pods = with_pods     # endpoints are pods by name (a mesh simulating proxies, mesh_propagation)
        self._cache = {}
        # Shared between snapshots of one cluster: which Istio version the emulator prefers.
        self._discovery = {} if discovery is None else discovery

    def _get(self, path):
        try:
            response = self.session.get(self.api_url + path, timeout=5)
        except requests.RequestException as exc:
            raise MeshApiError("GET %s: %s" % (path, exc)) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise MeshApiError("GET %s: HTTP %d" % (path, response.status_code))
        return response.json()

    def _istio(self):
        if ISTIO_GROUP not in self._discovery:
            group = self._get("/apis/" + ISTIO_GROUP)
            preferred = (group or {}).get("preferredVersion", {}).get("groupVersion")
            if not preferred:
                return ""  # no Istio CRDs (yet): look again next time
            self._discovery[ISTIO_GROUP] = "/apis/" + preferred
        return self._discovery[ISTIO_GROUP]

    def _list(self, kind, namespace):
        key = (kind, namespace)
        if key not in self._cache:
            prefix = {"services": "/api/v1", "pods": "/api/v1", "deployments": "/apis/apps/v1",
                      "httproutes": mesh_gateway_api.GATEWAY_API_PREFIX}.get(kind) or self._istio()
            body = self._get("%s/namespaces/%s/%s" % (prefix, namespace, kind)) if prefix else None
            self._cache[key] = (body or {}).get("items") or []
        return self._cache[key]

    def services(self, namespace):
        return self._list("services", namespace)

    def deployments(self, namespace):
        return self._list("deployments", namespace)

    def virtual_services(self, namespace):
        return self._list("virtualservices", namespace)

    def pods(self, namespace):
        return self._list("pods", namespace)

    def listed(self):
        """{plural: [objects]} of every list this snapshot read (Routes of every namespace included)."""
        listed = {}
        for key, items in self._cache.items():
            plural = key if isinstance(key, str) else key[0]
            listed.setdefault(plural, []).extend(items)
        return listed

    def destination_rules(self, namespace):
        return self._list("destinationrules", namespace)

    def routes(self):
        """OpenShift Routes of every namespace (none when the API does not serve them)."""
        if "routes" not in self._cache:
            self._cache["routes"] = (self._get(ROUTE_PATH) or {}).get("items") or []
        return self._cache["routes"]

    def http_routes(self, namespace):
        return self._list("httproutes", namespace)


class StaticCluster:
    """The same interface as ClusterReader over a list of objects (for resolving without an emulator)."""

    _KINDS = {"services": "Service", "deployments": "Deployment", "virtual_services": "VirtualService",
              "destination_rules": "DestinationRule", "http_routes": "HTTPRoute"}

    def routes(self):
        return [o for o in self.objects if o.get("kind") == "Route"]

    def __init__(self, objects):
        self.objects = list(objects)

    def _of(self, kind, namespace):
        return [o for o in self.objects if o.get("kind") == kind and o["metadata"].get("namespace") == namespace]

    def __getattr__(self, name):
        if name not in self._KINDS:
            raise AttributeError(name)
        return lambda namespace: self._of(self._KINDS[name], namespace)


# -- host names --------------------------------------------------------------------------------

def qualify(host, namespace):
    """A host as written in an Istio object of ``namespace``: short names become cluster FQDNs."""
    if "." not in host:
        return "%s.%s%s" % (host, namespace, CLUSTER_SUFFIX)
    if host.endswith(".svc"):
        return host + ".cluster.local"
    return host


def request_candidates(host, namespace):
    """FQDNs a client in ``namespace`` may mean by ``host`` (Kubernetes DNS search path, then literal)."""
    if host.endswith(CLUSTER_SUFFIX):
        return [host]
    candidates = []
    if "." not in host:
        candidates.append("%s.%s%s" % (host, namespace, CLUSTER_SUFFIX))
    elif host.endswith(".svc"):
        candidates.append(host + ".cluster.local")
    elif host.count(".") == 1:
        candidates.append(host + CLUSTER_SUFFIX)
    candidates.append(host)
    return candidates


def split_service_fqdn(fqdn):
    """``(name, namespace)`` of a ``name.namespace.svc.cluster.local`` host, else None."""
    if not fqdn.endswith(CLUSTER_SUFFIX):
        return None
    parts = fqdn[: -len(CLUSTER_SUFFIX)].split(".")
    return (parts[0], parts[1]) if len(parts) == 2 else None


def host_matches(pattern, fqdn):
    """Istio host matching: exact, or a ``*.suffix`` wildcard, or ``*``."""
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return fqdn.endswith(pattern[1:])
    return pattern == fqdn


# -- resolution --------------------------------------------------------------------------------

def _annotation_float(annotations, key, default, low=None, high=None):
    try:
        value = float(annotations.get(key, default))
    except (TypeError, ValueError):
        return default
    if low is not None:
        value = max(low, value)
    if high is not None:
        value = min(high, value)
    return value


def workload_of(deployment, pods=None):
    """A Deployment as a mesh workload: ready replicas and the behaviour its pod template asks for. ``pods`` (the
    namespace's Pod objects) given: its endpoints are its Ready pods by name, and they count as its ready replicas."""
    template = deployment.get("spec", {}).get("template", {}).get("metadata", {})
    annotations = template.get("annotations") or {}
    endpoints = ready_pods(pods, deployment["metadata"]["name"]) if pods is not None else ()
    return Workload(
        name=deployment["metadata"]["name"],
        namespace=deployment["metadata"]["namespace"],
        ready=len(endpoints) if pods is not None else int((deployment.get("status") or {}).get("readyReplicas") or 0),
        error_rate=_annotation_float(annotations, ERROR_RATE_ANNOTATION, 0.0, 0.0, 1.0),
        latency_ms=_annotation_float(annotations, LATENCY_ANNOTATION, DEFAULT_LATENCY_MS, 0.0),
        pods=endpoints,
        version=workload_version(deployment),
        pod_versions=_pod_versions(pods, endpoints),
    )


def _pod_versions(pods, names):
    """The version of each pod named in ``names``, from its own template (labels, annotations, containers)."""
    by_name = dict((pod["metadata"]["name"], pod) for pod in pods or ())
    return tuple(workload_version({"spec": {"template": {"metadata": by_name[name].get("metadata") or {},
                                                         "spec": by_name[name].get("spec") or {}}}})
                 for name in names)


def workload_version(deployment):
    """What a user sees of a Deployment: the ``sandbox.progressive.canary/version`` annotation of its pod template, else
    its container images and sandbox behaviour annotations. Flagger's promotion copies the canary's template into the
    primary, so the promoted primary has the canary's version (labels and other annotations do not count)."""
    template = deployment.get("spec", {}).get("template") or {}
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    if annotations.get(VERSION_ANNOTATION):
        return str(annotations[VERSION_ANNOTATION])
    images = ",".join(sorted(str(c.get("image", "")) for c in (template.get("spec") or {}).get("containers") or []))
    behaviour = ["%s=%s" % (key[len(ANNOTATION_PREFIX):], annotations[key])
                 for key in (ERROR_RATE_ANNOTATION, LATENCY_ANNOTATION) if key in annotations]
    return " ".join([images] + behaviour)


def _find_service(cluster, name, namespace):
    for service in cluster.services(namespace):
        if service["metadata"]["name"] == name:
            return service
    return None


def _subset_labels(cluster, fqdn, subset, namespaces):
    """Labels of ``subset`` in the DestinationRule for ``fqdn``; None when no such subset exists."""
    for namespace in namespaces:
        for rule in sorted(cluster.destination_rules(namespace), key=_creation_order):
            if qualify(rule.get("spec", {}).get("host", ""), namespace) != fqdn:
                continue
            for entry in rule["spec"].get("subsets") or []:
                if entry.get("name") == subset:
                    return entry.get("labels") or {}
    return None


def service_destination(cluster, fqdn, weight, subset=None, rule_namespaces=()):
    """The Destination for a cluster host: its Service's ready workloads, or a 503 when there are none."""
    name_namespace = split_service_fqdn(fqdn)
    service = _find_service(cluster, *name_namespace) if name_namespace else None
    if service is None:
        return Destination(weight, None, None, [], 503)
    name, namespace = name_namespace
    selector = dict(service.get("spec", {}).get("selector") or {})
    if subset:
        labels = _subset_labels(cluster, fqdn, subset, [namespace] + [n for n in rule_namespaces if n != namespace])
        if labels is None:
            return Destination(weight, name, namespace, [], 503)
        selector.update(labels)
    workloads = []
    if selector:
        pods = cluster.pods(namespace) if getattr(cluster, "with_pods", False) else None
        for deployment in cluster.deployments(namespace):
            pod_labels = deployment.get("spec", {}).get("template", {}).get("metadata", {}).get("labels") or {}
            if all(pod_labels.get(k) == v for k, v in selector.items()):
                workloads.append(workload_of(deployment, pods))
    ready = [w for w in workloads if w.ready > 0]
    return Destination(weight, name, namespace, ready, None if ready else 503)


def _creation_order(obj):
    return (obj["metadata"].get("creationTimestamp") or "", obj["metadata"]["name"])


def find_virtual_service(cluster, host, namespace):
    """The mesh VirtualService (oldest first, client namespace first) whose hosts contain ``host``."""
    candidates = request_candidates(host, namespace)
    search = [namespace]
    for fqdn in candidates:
        parsed = split_service_fqdn(fqdn)
        if parsed and parsed[1] not in search:
            search.append(parsed[1])
    for vs_namespace in search:
        for service in sorted(cluster.virtual_services(vs_namespace), key=_creation_order):
            spec = service.get("spec") or {}
            gateways = spec.get("gateways") or ["mesh"]
            if "mesh" not in gateways:
                continue
            patterns = [qualify(h, vs_namespace) for h in spec.get("hosts") or []]
            if any(host_matches(p, c) for p in patterns for c in candidates):
                return service
    return None


def _istio_destinations(cluster, targets, vs_namespace):
    """The weighted destinations of ``route[]``: istiod drops those of weight 0 when there are others, and gives a
    lone destination all the traffic whatever its weight (Flagger's A/B default route is ``primary, weight: 0``)."""
    destinations = []
    for target in targets:
        dest = target.get("destination") or {}
        weight = 100 if len(targets) == 1 else target.get("weight", 0)
        if weight > 0:
            fqdn = qualify(dest.get("host", ""), vs_namespace)
            destination = service_destination(cluster, fqdn, weight, dest.get("subset"), [vs_namespace])
            destinations.append(destination._replace(response_ops=istio_response_ops(target.get("headers"))))
    return destinations or [Destination(100, None, None, [], 503)]


def _istio_mirrors(cluster, route, vs_namespace):
    """The mirrors of an http route: ``mirror`` with ``mirrorPercentage.value`` (or the legacy ``mirrorPercent`` /
    ``mirror_percent``; none: 100 %), and ``mirrors[]`` each with its ``percentage.value``."""
    entries = []
    if route.get("mirror"):
        percent = (route.get("mirrorPercentage") or {}).get("value")
        if percent is None:
            percent = route.get("mirrorPercent", route.get("mirror_percent"))
        entries.append((route["mirror"], 100.0 if percent is None else float(percent)))
    for item in route.get("mirrors") or []:
        percent = (item.get("percentage") or {}).get("value")
        entries.append((item.get("destination") or {}, 100.0 if percent is None else float(percent)))
    return tuple(Mirror(service_destination(cluster, qualify(dest.get("host", ""), vs_namespace), 100, dest.get("subset"),
                                            [vs_namespace]), percent)
                 for dest, percent in entries if percent > 0)


def virtual_service_table(cluster, virtual_service):
    """A VirtualService's http routes as a route table (mesh_routes), in order."""
    vs_namespace = virtual_service["metadata"]["namespace"]
    table = []
    for route in virtual_service.get("spec", {}).get("http") or []:
        table.append(Route(istio_matches(route), _istio_destinations(cluster, route.get("route") or [], vs_namespace),
                           _istio_mirrors(cluster, route, vs_namespace), istio_response_ops(route.get("headers")),
                           route.get("name")))
    return tuple(table)


def resolve_table(cluster, host, namespace):
    """How a proxy in ``namespace`` routes requests to ``host``: a route table (mesh_routes.Route, first match wins)."""
    routed = routed_backends(cluster, host)   # an OpenShift Route's host: its HAProxy backends (mesh_openshift_route)
    if routed is not None:
        route, backends = routed
        ready = [d._replace(route=route) for d in (service_destination(cluster, fqdn, weight) for fqdn, weight in backends)
                 if d.workloads]
        return (Route((), ready or [Destination(100, None, None, [], 503)]),)
    virtual_service = find_virtual_service(cluster, host, namespace)
    if virtual_service is not None:
        return virtual_service_table(cluster, virtual_service)
    routed = mesh_gateway_api.resolve_http_route(
        cluster, request_candidates(host, namespace), namespace, split_service_fqdn,
        lambda fqdn, weight: service_destination(cluster, fqdn, weight), lambda weight, status: Destination(weight, None, None, [], status))
    if routed is not None:
        return routed
    for fqdn in request_candidates(host, namespace):
        if split_service_fqdn(fqdn) and _find_service(cluster, *split_service_fqdn(fqdn)):
            return (Route((), [service_destination(cluster, fqdn, 100)]),)
    return (Route((), [Destination(100, None, None, [], 503)]),)


def table_destinations(table, request):
    """The weighted Destinations a route table gives ``request``; a 404 when no route matches."""
    _index, route = route_for(table, request)
    return route.destinations if route is not None else [Destination(100, None, None, [], 404)]


def resolve(cluster, host, namespace):
    """Where a plain ``GET /`` from ``namespace`` to ``host`` goes: a list of weighted Destinations."""
    return table_destinations(resolve_table(cluster, host, namespace), plain_request(host))


# -- deterministic splitting -------------------------------------------------------------------

def pick_weighted(current, weights):
    """Smooth weighted round robin: the key for the next request; ``current`` is the caller's state."""
    for key in list(current):
        if key not in weights:
            del current[key]
    total = sum(weights.values())
    for key, weight in weights.items():
        current[key] = current.get(key, 0.0) + weight
    chosen = max(weights, key=lambda k: (current[k], k))
    current[chosen] -= total
    return chosen


# -- metrics -----------------------------------------------------------------------------------

class IstioMetrics:
    """Istio's request counter and duration histogram, rendered in Prometheus' text format."""

    def __init__(self):
        self._requests = {}
        self._durations = {}

    def observe(self, labels, count, latency_ms):
        key = tuple(labels.items())
        self._requests[key] = self._requests.get(key, 0) + count
        buckets = self._durations.setdefault(key, [0] * (len(ISTIO_DURATION_BUCKETS_MS) + 1) + [0.0])
        index = next((i for i, bound in enumerate(ISTIO_DURATION_BUCKETS_MS) if latency_ms <= bound), len(ISTIO_DURATION_BUCKETS_MS))
        buckets[index] += count
        buckets[-1] += latency_ms * count

    def clear(self):
        self._requests.clear()
        self._durations.clear()

    @staticmethod
    def _labels(pairs, extra=()):
        return "{%s}" % ",".join('%s="%s"' % (k, str(v).replace("\\", "\\\\").replace('"', '\\"')) for k, v in list(pairs) + list(extra))

    def render(self):
        lines = ["# HELP istio_requests_total Total requests.", "# TYPE istio_requests_total counter"]
        lines.extend("istio_requests_total%s %d" % (self._labels(key), count) for key, count in self._requests.items())
        family = "istio_request_duration_milliseconds"
        lines.extend(["# HELP %s Request duration in milliseconds." % family, "# TYPE %s histogram" % family])
        bounds = list(ISTIO_DURATION_BUCKETS_MS) + [float("inf")]
        for key, buckets in self._durations.items():
            cumulative = 0
            for bound, count in zip(bounds, buckets):
                cumulative += count
                lines.append("%s_bucket%s %d" % (family, self._labels(key, [("le", bucket_bound_label(bound))]), cumulative))
            lines.append("%s_sum%s %r" % (family, self._labels(key), float(buckets[-1])))
            lines.append("%s_count%s %d" % (family, self._labels(key), cumulative))
        return "\n".join(lines) + "\n"


# -- the mesh ----------------------------------------------------------------------------------

Target = namedtuple("Target", "host namespace rps")


def default_namespace(host):
    """The namespace a bare ``name.namespace`` host names; None for other hosts."""
    parts = host.split(".")
    if len(parts) == 2 or host.endswith(".svc") or host.endswith(CLUSTER_SUFFIX):
        return parts[1]
    return None


def _new_served_counts():
    return {"total": 0, "failed": 0, "by_workload": {}, "failed_by_workload": {}}


def _new_host_counts():
    # gone: requests a proxy sent to a pod that no longer exists (its view of the endpoints was stale)
    # by_class: the same counts per user class (mesh_users); mirror: the copies mirrors sent (never a user's response)
    return {"total": 0, "failed": 0, "by_code": {}, "by_workload": {}, "failed_by_workload": {}, "gone": 0,
            "by_class": {}, "mirror": _new_served_counts()}


def _count_served(counts, workload_name, failed):
    counts["total"] += 1
    counts["failed"] += failed
    if workload_name is not None:
        counts["by_workload"][workload_name] = counts["by_workload"].get(workload_name, 0) + 1
        if failed:
            counts["failed_by_workload"][workload_name] = counts["failed_by_workload"].get(workload_name, 0) + 1


class Mesh:  # pylint: disable=too-many-instance-attributes
    """Synthetic traffic through an Istio-like mesh, with Istio's metrics and per-host counts.

    ``send(host, n)`` sends n requests now; ``add_target(host)`` + ``start()`` send ``rps`` requests a
    second from a background thread; ``serve()`` exposes ``/metrics`` and ``/counts`` over HTTP.
    """

    def __init__(self, api_url=None, rps=DEFAULT_RPS, tick_s=DEFAULT_TICK_S, source_workload="sandbox-traffic",
                 source_namespace="default"):
        self.rps = rps
        self.tick_s = tick_s
        self.source_workload = source_workload
        self.source_namespace = source_namespace
        self.api_errors = 0
        self._api_url = api_url
        self._session = requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT
        self._lock = threading.RLock()
        self._targets = {}
        self._counts = {}
        self._metrics = IstioMetrics()
        self._router_metrics = HAProxyRouterMetrics()
        self._round_robin = {}
        self._error_credit = {}
        self._mirror_credit = {}
        self._last_resolution = {}
        self._carry = {}
        self._populations = {}      # host -> mesh_users.Population (none: an anonymous client's plain GET /)
        self._windows = {}          # host -> mesh_users.ReleaseWindow since the last reset
        self._discovery = {}
        self.clock = time.monotonic     # cookie expiry (mesh_users); a test may set its own
        self._propagation = None    # mesh_propagation.Propagation when simulating proxies
        self._status_writer = None  # mesh_status.StatusWriter when the mesh's controllers write status
        self._stop = threading.Event()
        self._thread = None
        self._server = None
        self.url = None

    # -- configuration --

    def bind(self, api_url):
        """Read the cluster from ``api_url`` (or a StaticCluster) from now on; forgets targets, counts,
        metrics and routing state."""
        with self._lock:
            self._api_url = api_url
            self._targets.clear()
            self._counts.clear()
            self._metrics.clear()
            self._router_metrics.clear()
            self._round_robin.clear()
            self._error_credit.clear()
            self._mirror_credit.clear()
            self._last_resolution.clear()
            self._carry.clear()
            self._populations.clear()
            self._windows.clear()
            self._discovery = {}
            self.api_errors = 0
            self._propagation = None
            self._status_writer = None

    def simulate_proxies(self, delay_s, jitter_s=0.0, proxies=4, seed=13, write_status=False):
        """From now on, route the steady traffic through ``proxies`` simulated proxies, each applying what the mesh
        reads ``delay_s`` + up to ``jitter_s`` seconds late (mesh_propagation), with pods as endpoints: a request a
        stale proxy sends to a pod that is gone fails (503, counted in ``gone``). ``write_status``: write the routing
        objects' status as istiod, a Gateway API controller and the OpenShift router do, once every proxy has the
        object's generation (mesh_status); off, as istiod without status. ``bind()`` switches it off."""
        with self._lock:
            self._propagation = Propagation(delay_s, jitter_s, proxies, seed)
            self._status_writer = StatusWriter(self._session, self._api_url) if write_status else None

    def add_target(self, host, namespace=None, rps=None, users=None, path="/", method="GET"):
        """Send steady traffic to ``host`` (as a client in ``namespace``) while the mesh runs. ``users``, ``path`` and
        ``method``: the target's population, as ``populate`` gives it; none given, the users ``populate`` gave the host
        if any, else an anonymous client sending ``GET /``."""
        namespace = namespace or default_namespace(host)
        if not namespace:
            raise ValueError("host %r needs a namespace (the client's, where its VirtualService lives)" % host)
        population = Population(users, path, method) if (users is not None or path != "/" or method != "GET") else None
        with self._lock:
            self._targets[host] = Target(host, namespace, float(self.rps if rps is None else rps))
            if population is not None:
                self._populations[host] = population
        return self

    def populate(self, host, users=None, path="/", method="GET"):
        """The simulated users sending to ``host`` from now on, for steady traffic and ``send`` alike (mesh_users):
        ``users`` = ``{class: {"count": n, "headers": {...}, "cookies": {...}}}``; each user keeps a cookie jar. Raises
        ValueError on a bad spec. Their jars and turns start afresh."""
        population = Population(users, path, method)
        with self._lock:
            self._populations[host] = population
        return self

    def remove_target(self, host):
        with self._lock:
            self._targets.pop(host, None)
            self._carry.pop(host, None)
            self._populations.pop(host, None)

    def targets(self):
        with self._lock:
            return [dict(t._asdict(), **(self._populations[t.host].describe() if t.host in self._populations else {}))
                    for t in self._targets.values()]

    # -- traffic --

    def send(self, host, count, namespace=None, cluster=None):
        """Send ``count`` requests to ``host`` now (one resolution); return ``{response_code: n}``.

        The requests come from the host's users (``populate`` / ``add_target(users=...)``), else from an anonymous
        client (``GET /``, no headers). ``cluster`` is a ClusterReader to share between hosts resolved in the same tick.
        """
        namespace = namespace or default_namespace(host)
        if not namespace:
            raise ValueError("host %r needs a namespace" % host)
        if self._propagation is not None:
            cluster = cluster or self._reader()
        table = self._resolve_table(host, namespace, cluster)
        if table is None:
            return {}
        with self._lock:
            propagation = self._propagation
            now = time.monotonic()
            if propagation is not None:
                propagation.record((host, namespace), now, table)
            alive = _AlivePods(cluster) if propagation is not None else None
            population = self._populations.get(host) or Population()
            outcome = {}
            for _request in range(count):
                view = propagation.view((host, namespace), now) if propagation is not None else table
                code = self._one_request(host, view, population, alive)
                outcome[code] = outcome.get(code, 0) + 1
            return outcome

    def _reader(self):
        if not self._api_url:
            raise RuntimeError("the mesh is not bound to an API server (Mesh(api_url) or bind())")
        if not isinstance(self._api_url, str):
            return self._api_url  # a StaticCluster: resolution without an emulator
        return ClusterReader(self._api_url, self._session, self._discovery, with_pods=self._propagation is not None)

    def _resolve(self, host, namespace, cluster=None):
        """Where a plain ``GET /`` to ``host`` goes now (weighted Destinations); None when the API never answered."""
        table = self._resolve_table(host, namespace, cluster)
        return None if table is None else table_destinations(table, plain_request(host))

    def _resolve_table(self, host, namespace, cluster=None):
        try:
            table = resolve_table(cluster or self._reader(), host, namespace)
        except MeshApiError:
            with self._lock:
                self.api_errors += 1
                return self._last_resolution.get((host, namespace))
        with self._lock:
            self._last_resolution[(host, namespace)] = table
        return table

    def _one_request(self, host, table, population, alive=None):
        """One user's request through a proxy holding ``table``: route, answer, mirrors, response headers to the jar."""
        user = population.next_user(pick_weighted)
        now = self.clock()
        headers = population.request_headers(user, now)
        request = plain_request(host, population.path, population.method, headers, {"app": self.source_workload},
                                self.source_namespace)
        index, route = route_for(table, request)
        if route is None:
            destination = Destination(100, None, None, [], 404)
            self._record(host, destination, None, 404, 0.0, user)
            return 404
        destination = route.destinations[pick_weighted(self._round_robin.setdefault(("route", host, index), {}),
                                                       dict((i, d.weight) for i, d in enumerate(route.destinations)))]
        code, workload, version = self._answer(host, destination, alive, user)
        if workload is not None:
            for number, mirror in enumerate(route.mirrors):
                if self._mirror_due((host, index, number), mirror.percent):
                    self._mirror(host, mirror.destination, alive)
        if user.jar is not None:
            response = apply_response_ops(apply_response_ops([], destination.response_ops), route.response_ops)
            for value in set_cookies(response):
                user.jar.receive(value, now, population.path)
        if version is not None:
            self._windows.setdefault(host, ReleaseWindow()).served(user, workload.name, version, "cookie" in headers)
        return code

    def _pick_workload(self, destination, alive, balancer="endpoints"):
        """``(workload, pod answers, version served)`` for a request to ``destination`` (round robin over ready
        replicas, then pods)."""
        weights = {i: w.ready for i, w in enumerate(destination.workloads)}
        workload = destination.workloads[pick_weighted(self._round_robin.setdefault((balancer, destination.service, destination.namespace), {}), weights)]
        if alive is not None and workload.pods:
            index = pick_weighted(self._round_robin.setdefault((balancer + "-pods",) + workload[:2], {}),
                                  dict((i, 1) for i in range(len(workload.pods))))
            version = workload.pod_versions[index] if workload.pod_versions else workload.version
            return workload, alive.answers(workload.namespace, workload.pods[index]), version
        return workload, True, workload.version

    def _workload_code(self, workload):
        """The status ``workload`` answers (its error rate, as exact error credit)."""
        credit = self._error_credit.get(workload[:2], 0.0) + workload.error_rate
        code = 200
        if credit >= 1.0 - 1e-9:
            credit -= 1.0
            code = 500
        self._error_credit[workload[:2]] = credit
        return code

    def _answer(self, host, destination, alive, user):
        """``(status, workload chosen or None, version that answered or None)`` of a user's request to ``destination``."""
        if destination.local_status:
            self._record(host, destination, None, destination.local_status, 0.0, user)
            return destination.local_status, None, None
        workload, answers, version = self._pick_workload(destination, alive)
        if not answers:
            return self._gone(host, destination, workload, user), workload, None
        code = self._workload_code(workload)
        self._record(host, destination, workload, code, workload.latency_ms, user)
        return code, workload, version

    def _mirror_due(self, key, percent):
        """Whether this request is mirrored: ``percent`` of them, exactly (credit, as for error rates)."""
        credit = self._mirror_credit.get(key, 0.0) + min(max(percent, 0.0), 100.0) / 100.0
        due = credit >= 1.0 - 1e-9
        self._mirror_credit[key] = credit - 1.0 if due else credit
        return due

    def _mirror(self, host, destination, alive):
        """A shadow copy (Envoy: authority ``<host>-shadow``, fire and forget): seen by the mirror's workload and its
        destination reporter only (the source proxy reports no shadow request, istio/istio#23496); its response is
        dropped, counted under ``mirror``, never as the user's."""
        counts = self._counts.setdefault(host, _new_host_counts())["mirror"]
        if destination.local_status:
            _count_served(counts, None, True)
            return
        workload, answers, _version = self._pick_workload(destination, alive, "mirror-endpoints")
        if not answers:
            _count_served(counts, workload.name, True)
            return
        code = self._workload_code(workload)
        _count_served(counts, workload.name, not 200 <= code < 300)
        labels = istio_labels("destination", workload.namespace, workload.name, destination.service, destination.namespace,
                              code, self.source_workload, self.source_namespace)
        self._metrics.observe(labels, 1, workload.latency_ms)

    def _gone(self, host, destination, workload, user):
        """A request sent to a pod that no longer exists: the proxy answers 503 (Envoy's upstream connect error)."""
        self._record(host, destination, None, 503, 0.0, user)
        counts = self._counts[host]
        counts["gone"] += 1
        counts["by_workload"][workload.name] = counts["by_workload"].get(workload.name, 0) + 1
        counts["failed_by_workload"][workload.name] = counts["failed_by_workload"].get(workload.name, 0) + 1
        by_class = counts["by_class"][user.user_class]
        by_class["by_workload"][workload.name] = by_class["by_workload"].get(workload.name, 0) + 1
        by_class["failed_by_workload"][workload.name] = by_class["failed_by_workload"].get(workload.name, 0) + 1
        return 503

    def _record(self, host, destination, workload, code, latency_ms, user=None):
        counts = self._counts.setdefault(host, _new_host_counts())
        failed = not 200 <= code < 300
        counts["by_code"][str(code)] = counts["by_code"].get(str(code), 0) + 1
        workload_name = workload.name if workload else None
        _count_served(counts, workload_name, failed)
        _count_served(counts["by_class"].setdefault(user.user_class if user else PLAIN, _new_served_counts()), workload_name, failed)
        workload_namespace = workload.namespace if workload else None
        for reporter in ("source", "destination") if workload else ("source",):
            labels = istio_labels(reporter, workload_namespace, workload_name, destination.service, destination.namespace,
                                  code, self.source_workload, self.source_namespace)
            self._metrics.observe(labels, 1, latency_ms)
        if workload is not None and destination.route:
            self._router_metrics.observe(destination.namespace, destination.route, destination.service, workload.name, code, latency_ms)

    def tick(self, elapsed_s):
        """Send each target's share of ``elapsed_s`` seconds of traffic."""
        with self._lock:
            targets = list(self._targets.values())
        if not targets:
            return
        cluster = self._reader()
        for target in targets:
            due = self._carry.get(target.host, 0.0) + target.rps * elapsed_s
            count = int(due)
            self._carry[target.host] = due - count
            if count:
                self.send(target.host, count, target.namespace, cluster)
        writer = self._status_writer
        if writer is not None and isinstance(cluster, ClusterReader):
            writer.observe(cluster.listed(), lambda namespace: set(s["metadata"]["name"] for s in cluster.services(namespace)),
                           self._propagation, time.monotonic())

    def _run(self):
        last = time.monotonic()
        while not self._stop.wait(self.tick_s):
            now = time.monotonic()
            try:
                self.tick(now - last)
            except Exception:  # pylint: disable=broad-except  # the traffic thread must outlive one bad tick
                with self._lock:
                    self.api_errors += 1
            last = now

    def start(self):
        """Start the background traffic thread (idempotent)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="sandbox-mesh-traffic", daemon=True)
            self._thread.start()
        return self

    def stop_traffic(self):
        """Stop the background traffic thread; the HTTP server keeps serving."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=10)
            self._thread = None

    def stop(self):
        """Stop the traffic thread and the HTTP server."""
        self.stop_traffic()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    # -- observations --

    def counts(self, host):
        """``{total, failed, by_code, by_workload, failed_by_workload, gone, by_class, mirror, users}`` for ``host``
        since the last reset (docs/sandbox.md, "Counts")."""
        with self._lock:
            counts = dict(self._counts.get(host) or _new_host_counts())
            counts["users"] = (self._windows.get(host) or ReleaseWindow()).summary()
            counts["users"]["cookies"] = self._populations[host].cookie_holders(self.clock()) if host in self._populations else {}
            return json.loads(json.dumps(counts))

    def all_counts(self):
        with self._lock:
            return dict((host, self.counts(host)) for host in self._counts)

    def failed(self, host):
        """Requests to ``host`` not answered 2xx (500 from a workload, 503/404 from the mesh) since the last reset."""
        return self.counts(host)["failed"]

    def reset(self, host=None):
        """Forget the counts of ``host`` (or every host) and start a new release window (``users``: which versions
        served each user); users keep their cookie jars; metrics stay monotonic for Prometheus."""
        with self._lock:
            if host is None:
                self._counts.clear()
                self._windows.clear()
            else:
                self._counts.pop(host, None)
                self._windows.pop(host, None)

    def metrics_text(self):
        with self._lock:
            return self._metrics.render() + self._router_metrics.render()

    # -- HTTP --

    def serve(self, port=0, address="127.0.0.1"):
        """Serve ``/metrics``, ``/counts`` (GET; ``?host=``), ``/reset`` (POST; ``?host=``) and ``/targets``
        (GET; POST ``{"host", "namespace", "rps", "users", "path", "method"}``: ``add_target``; DELETE ``?host=``) on
        ``address:port``; returns self."""
        if self._server is None:
            self._server = ThreadingHTTPServer((address, port), _handler_for(self))
            self._server.daemon_threads = True
            self.url = "http://%s:%d" % (address, self._server.server_address[1])
            threading.Thread(target=self._server.serve_forever, name="sandbox-mesh-http", daemon=True).start()
        return self

    @property
    def scrape_target(self):
        """``host:port`` of /metrics for a Prometheus scrape config."""
        return self.url.split("://", 1)[1]


class _AlivePods:
    """Which pods answer now (read once per namespace per tick); an API error counts every pod as answering."""

    def __init__(self, cluster):
        self.cluster = cluster
        self._names = {}

    def answers(self, namespace, pod):
        if namespace not in self._names:
            try:
                self._names[namespace] = existing_pods(self.cluster.pods(namespace))
            except MeshApiError:
                self._names[namespace] = None
        names = self._names[namespace]
        return names is None or pod in names


def _handler_for(mesh):
    class MeshHandler(BaseHTTPRequestHandler):
        """HTTP access to one Mesh."""

        def log_message(self, format, *args):  # pylint: disable=redefined-builtin  # silence per-request logs
            return

        def _reply(self, status, body, content_type="application/json"):
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _host(self):
            return (parse_qs(urlparse(self.path).query).get("host") or [None])[0]

        def do_GET(self):  # pylint: disable=invalid-name  # http.server's naming
            path = urlparse(self.path).path
            if path == "/metrics":
                self._reply(200, mesh.metrics_text(), "text/plain; version=0.0.4; charset=utf-8")
            elif path == "/counts":
                host = self._host()
                self._reply(200, mesh.counts(host) if host else mesh.all_counts())
            elif path == "/targets":
                self._reply(200, mesh.targets())
            else:
                self._reply(404, {"error": "no such path"})

        def do_POST(self):  # pylint: disable=invalid-name
            path = urlparse(self.path).path
            if path == "/reset":
                mesh.reset(self._host())
                self._reply(200, {"reset": self._host() or "all"})
            elif path == "/targets":
                try:
                    body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                    mesh.add_target(body["host"], body.get("namespace"), body.get("rps"), body.get("users"),
                                    body.get("path") or "/", body.get("method") or "GET")
                except (ValueError, KeyError, TypeError) as exc:
                    self._reply(400, {"error": str(exc)})
                    return
                self._reply(200, mesh.targets())
            else:
                self._reply(404, {"error": "no such path"})

        def do_DELETE(self):  # pylint: disable=invalid-name
            if urlparse(self.path).path == "/targets" and self._host():
                mesh.remove_target(self._host())
                self._reply(200, mesh.targets())
            else:
                self._reply(404, {"error": "DELETE /targets?host=<host>"})

    return MeshHandler


# -- `python -m tests.sandbox up` ----------------------------------------------------------------

def _target_argument(text):
    host, _separator, namespace = text.partition("@")
    if not (namespace or default_namespace(host)):
        raise argparse.ArgumentTypeError("%r: give the namespace as HOST@NAMESPACE" % text)
    return host, namespace or None


def _users_argument(text):
    try:
        return validate_classes(json.loads(text))
    except ValueError as exc:   # json.JSONDecodeError is a ValueError
        raise argparse.ArgumentTypeError("--mesh-users: %s" % exc)


def add_arguments(parser):
    """Add the mesh and Prometheus options to the sandbox CLI's ``up`` parser."""
    group = parser.add_argument_group("mesh and Prometheus")
    group.add_argument("--mesh", action="store_true", help="start the mesh simulator (/metrics, /counts, /targets)")
    group.add_argument("--mesh-port", type=int, default=0, help="mesh HTTP port (default: a free one)")
    group.add_argument("--mesh-target", action="append", default=[], type=_target_argument, metavar="HOST[@NAMESPACE]",
                       help="send steady traffic to HOST (e.g. podinfo.test, app.example.com@test); repeatable")
    group.add_argument("--mesh-rps", type=float, default=DEFAULT_RPS, help="requests per second per target")
    group.add_argument("--mesh-users", type=_users_argument, default=None, metavar="JSON",
                       help='the simulated users of every target, e.g. \'{"insider": {"count": 10, "headers": {"x-canary": '
                            '"insider"}}, "tester": {"count": 10, "cookies": {"canary": "always"}}, "plain": 80}\' '
                            "(default: an anonymous client sending GET /)")
    group.add_argument("--mesh-delay", type=float, default=0.0,
                       help="seconds until a change reaches a simulated proxy (0: at once, pods not simulated)")
    group.add_argument("--mesh-jitter", type=float, default=0.0, help="up to this many more seconds, per proxy")
    group.add_argument("--mesh-status", action="store_true",
                       help="write routing objects' status (Istio Reconciled, Gateway API parents, Route Admitted) once in effect")
    group.add_argument("--prometheus", action="store_true", help="start a real Prometheus scraping the mesh (implies --mesh)")


def start_from_args(args, emulator):
    """Start what the options ask for against ``emulator``; return ``(services, lines)``: objects with
    ``stop()`` (stop them in reverse order) and human-readable lines saying where they listen."""
    services, lines = [], []
    if not (args.mesh or args.prometheus or args.mesh_target):
        return services, lines
    mesh = Mesh(emulator.url, rps=args.mesh_rps).serve(port=args.mesh_port)
    if getattr(args, "mesh_delay", 0.0) or getattr(args, "mesh_jitter", 0.0) or getattr(args, "mesh_status", False):
        mesh.simulate_proxies(args.mesh_delay, args.mesh_jitter, write_status=args.mesh_status)
    for host, namespace in args.mesh_target:
        mesh.add_target(host, namespace, users=getattr(args, "mesh_users", None))
    services.append(mesh.start())
    lines.append("mesh: %s/metrics  %s/counts  %s/targets" % (mesh.url, mesh.url, mesh.url))
    if args.prometheus:
        prometheus = Prometheus.live([mesh.scrape_target])
        services.append(prometheus)
        lines.append("prometheus: %s" % prometheus.url)
    return services, lines
