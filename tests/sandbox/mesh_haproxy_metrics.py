"""The OpenShift router's HAProxy metrics for Route traffic, as its exporter names and labels them.

Source: github.com/openshift/router, pkg/router/metrics/haproxy/haproxy.go (the router's Prometheus exporter, fed by
HAProxy's ``show stat`` CSV). For each server (a pod behind one of the Route's Services), in the default selection:

- ``haproxy_server_http_responses_total`` with labels ``server``, ``namespace``, ``route``, ``pod``, ``service`` and
  ``code`` (``1xx`` ``2xx`` ``3xx`` ``4xx`` ``5xx`` ``other``: HAProxy counts responses by class, not by status);
- ``haproxy_server_http_average_response_latency_milliseconds`` (HAProxy's ``rtime``: the average response time of
  the server's last 1024 requests), same labels without ``code``;

and per backend (one per Route, ``be_http:<namespace>:<route>``) ``haproxy_backend_http_responses_total`` with
``backend`` (``http``), ``namespace``, ``route`` and ``code``. The exporter parses the labels out of HAProxy's names:
a server ``pod:<pod>:<service>:<port name>:<ip>:<port>`` gives ``pod``, ``service`` and ``server`` (``<ip>:<port>``).

The simulator has no pods: each ready workload (Deployment) is one server, its pod named ``<deployment>-sandbox`` and
its address a stable fake ``10.<n>.0.1:8080``. Requests the router answers itself (503, no endpoints) reach no server
and are not counted here. The exporter's families are gauges (it sets what HAProxy reports); ``rate()`` reads them as
counters, as on a real cluster.
"""
from collections import deque

CODE_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx", "other")
LATENCY_WINDOW = 1024  # HAProxy averages rtime over the last 1024 requests


def code_class(code):
    """HAProxy's response class of an HTTP status (``hrsp_1xx`` ... ``hrsp_other``)."""
    return "%dxx" % (code // 100) if 100 <= code < 600 else "other"


def _labels(pairs):
    return "{%s}" % ",".join('%s="%s"' % (key, str(value).replace("\\", "\\\\").replace('"', '\\"')) for key, value in pairs)


class HAProxyRouterMetrics:
    """Response counts by class and the average response time of each server of a Route, per OpenShift's exporter."""

    def __init__(self):
        self._servers = {}   # (namespace, route, service, workload) -> {"codes": {class: n}, "latencies": deque}
        self._addresses = {}

    def clear(self):
        self._servers.clear()
        self._addresses.clear()

    def observe(self, namespace, route, service, workload, code, latency_ms):
        key = (namespace, route, service, workload)
        server = self._servers.setdefault(key, {"codes": dict.fromkeys(CODE_CLASSES, 0), "latencies": deque(maxlen=LATENCY_WINDOW)})
        server["codes"][code_class(code)] += 1
        server["latencies"].append(latency_ms)
        self._addresses.setdefault(workload, "10.%d.0.1:8080" % (len(self._addresses) + 1))

    def _server_labels(self, key):
        namespace, route, service, workload = key
        return [("server", self._addresses[workload]), ("namespace", namespace), ("route", route),
                ("pod", "%s-sandbox" % workload), ("service", service)]

    def render(self):
        lines = []
        if not self._servers:
            return ""
        family = "haproxy_server_http_responses_total"
        lines.extend(["# HELP %s Total of HTTP responses." % family, "# TYPE %s gauge" % family])
        for key, server in sorted(self._servers.items()):
            for code in CODE_CLASSES:
                lines.append("%s%s %d" % (family, _labels(self._server_labels(key) + [("code", code)]), server["codes"][code]))
        family = "haproxy_server_http_average_response_latency_milliseconds"
        lines.extend(["# HELP %s Average response latency of the last 1024 requests in milliseconds." % family,
                      "# TYPE %s gauge" % family])
        for key, server in sorted(self._servers.items()):
            latencies = server["latencies"]
            lines.append("%s%s %d" % (family, _labels(self._server_labels(key)), int(sum(latencies) / len(latencies))))
        family = "haproxy_backend_http_responses_total"
        lines.extend(["# HELP %s Total of HTTP responses." % family, "# TYPE %s gauge" % family])
        backends = {}
        for (namespace, route, _service, _workload), server in self._servers.items():
            counts = backends.setdefault((namespace, route), dict.fromkeys(CODE_CLASSES, 0))
            for code in CODE_CLASSES:
                counts[code] += server["codes"][code]
        for (namespace, route), counts in sorted(backends.items()):
            for code in CODE_CLASSES:
                labels = [("backend", "http"), ("namespace", namespace), ("route", route), ("code", code)]
                lines.append("%s%s %d" % (family, _labels(labels), counts[code]))
        return "\n".join(lines) + "\n"
