"""The sandbox's Prometheus: the real Debian server, started per session (live) or per test (backfilled).

Prometheus is never emulated. Two ways to start it:

- ``Prometheus.live(targets)`` scrapes ``host:port`` targets (the mesh simulator) every second. The
  first sample appears ~6 s after start, so tests share one instance per session and use short
  windows such as ``[10s]``.
- ``Prometheus.backfill(openmetrics_text)`` turns timestamped OpenMetrics into TSDB blocks with
  ``promtool tsdb create-blocks-from openmetrics`` and starts a server on them: deterministic values
  for gate tests. Instant queries default to the data's last timestamp, so a rate over the data's
  window is exactly what was built, whatever the wall clock says by the time the query runs.

``istio_series`` and ``render_openmetrics`` build the Istio series Flagger's builtin checks read, with
values consistent with a request rate, an error rate and a latency.
"""

import ctypes
import ctypes.util
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections import namedtuple

import requests

PROMETHEUS_ENV = "SANDBOX_PROMETHEUS"
PROMTOOL_ENV = "SANDBOX_PROMTOOL"
RESERVED_PORTS = (9090,)  # a developer's own Prometheus usually listens there
START_TIMEOUT_S = 30.0

# Istio's default buckets for istio_request_duration_milliseconds.
ISTIO_DURATION_BUCKETS_MS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
                             300000, 600000, 1800000, 3600000)


def bucket_bound_label(bound):
    """The ``le`` label value of a bucket bound as Istio exports it: ``"250"``, ``"+Inf"``."""
    if bound == float("inf"):
        return "+Inf"
    return str(int(bound)) if float(bound).is_integer() else repr(float(bound))


def istio_labels(reporter, namespace, workload, service_name, service_namespace, response_code,
                 source_workload, source_namespace="default"):
    """The labels Istio puts on its request metrics (the subset Flagger's checks and our tests read)."""
    if service_name:
        service = "%s.%s.svc.cluster.local" % (service_name, service_namespace)
    else:
        service = "unknown"
    return {
        "reporter": reporter,
        "source_workload": source_workload,
        "source_workload_namespace": source_namespace,
        "destination_workload": workload or "unknown",
        "destination_workload_namespace": namespace or "unknown",
        "destination_service": service,
        "destination_service_name": service_name or "unknown",
        "destination_service_namespace": service_namespace or "unknown",
        "response_code": str(response_code),
    }


class PrometheusUnavailable(RuntimeError):
    """The prometheus/promtool binaries are missing; the message is the reason a test skips with."""


class PrometheusError(RuntimeError):
    """Prometheus failed to start, or answered a query with an error."""


def find_prometheus():
    """Return ``(prometheus_path, promtool_path)`` or raise PrometheusUnavailable with the reason.

    ``SANDBOX_PROMETHEUS`` / ``SANDBOX_PROMTOOL`` override the binaries found on ``PATH``.
    """
    found = []
    for env, name in ((PROMETHEUS_ENV, "prometheus"), (PROMTOOL_ENV, "promtool")):
        path = os.environ.get(env) or shutil.which(name)
        if not path or not os.access(path, os.X_OK):
            raise PrometheusUnavailable(
                "%s not found (set %s or `apt-get install -y --no-install-recommends prometheus`)" % (name, env)
            )
        found.append(path)
    return tuple(found)


def _load_libc():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC = _load_libc()  # loaded here: the child between fork and exec must not dlopen
_PR_SET_PDEATHSIG = 1


def _terminate_with_parent():
    """In the child: get SIGTERM when the test process dies, so a killed pytest leaves no Prometheus behind."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port():
    """A TCP port free on 127.0.0.1 right now, never one of RESERVED_PORTS."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in RESERVED_PORTS:
            return port


def live_config(targets, scrape_interval="1s"):
    """Prometheus configuration (YAML is a superset of JSON) scraping ``targets`` at ``scrape_interval``."""
    config = {
        "global": {"scrape_interval": scrape_interval, "scrape_timeout": scrape_interval, "evaluation_interval": scrape_interval},
        "scrape_configs": [{"job_name": "sandbox-mesh", "static_configs": [{"targets": list(targets)}]}],
    }
    return json.dumps(config, indent=2)


class Prometheus:
    """A running Prometheus server with its own storage directory and port; stop() removes both."""

    def __init__(self, workdir, config_text, default_query_time=None):
        self.prometheus_path, self.promtool_path = find_prometheus()
        self.workdir = workdir
        self.storage_dir = os.path.join(workdir, "data")
        self.config_path = os.path.join(workdir, "prometheus.yml")
        self.log_path = os.path.join(workdir, "prometheus.log")
        # Backfilled data ends at a fixed time: instant queries are evaluated there unless told otherwise.
        self.default_query_time = default_query_time
        self.port = None
        self.url = None
        self._process = None
        self._log = None
        with open(self.config_path, "w", encoding="utf-8") as config_file:
            config_file.write(config_text)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def live(cls, targets, scrape_interval="1s"):
        """Start Prometheus scraping ``targets`` (``host:port`` strings, path ``/metrics``)."""
        find_prometheus()
        server = cls(tempfile.mkdtemp(prefix="sandbox-prometheus-"), live_config(targets, scrape_interval))
        return server.start()

    @classmethod
    def backfill(cls, openmetrics_text, query_time=None):
        """Start Prometheus on blocks made from ``openmetrics_text`` (timestamped, ending with ``# EOF``).

        Instant queries default to ``query_time``, else to the last timestamp in the text.
        """
        promtool = find_prometheus()[1]
        workdir = tempfile.mkdtemp(prefix="sandbox-prometheus-backfill-")
        if query_time is None:
            query_time = last_timestamp(openmetrics_text)
        server = cls(workdir, live_config([]), default_query_time=query_time)
        source = os.path.join(workdir, "backfill.om")
        with open(source, "w", encoding="utf-8") as source_file:
            source_file.write(openmetrics_text)
        created = subprocess.run(
            [promtool, "tsdb", "create-blocks-from", "openmetrics", source, server.storage_dir],
            capture_output=True, text=True, check=False, timeout=120,
        )
        if created.returncode != 0:
            shutil.rmtree(workdir, ignore_errors=True)
            raise PrometheusError("promtool create-blocks-from failed:\n%s%s" % (created.stdout, created.stderr))
        return server.start()

    # -- process ------------------------------------------------------------------------------

    def start(self):
        """Start the server on a free port and wait until it is ready; returns self."""
        for _attempt in range(3):
            self.port = free_port()
            self.url = "http://127.0.0.1:%d" % self.port
            self._spawn()
            if self._wait_ready():
                return self
            # Someone took the port between free_port() and the bind: try another one.
            if "address already in use" not in self.log_tail():
                break
        log = self.log_tail()
        self.stop()
        raise PrometheusError("Prometheus did not become ready; log tail:\n%s" % log)

    def _spawn(self):
        self._log = open(self.log_path, "ab")  # pylint: disable=consider-using-with  # closed in stop()
        self._process = subprocess.Popen(  # pylint: disable=consider-using-with  # lives until stop()
            [
                self.prometheus_path,
                "--config.file=%s" % self.config_path,
                "--storage.tsdb.path=%s" % self.storage_dir,
                "--storage.tsdb.retention.time=1d",
                "--web.listen-address=127.0.0.1:%d" % self.port,
            ],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=_terminate_with_parent,  # pylint: disable=subprocess-popen-preexec-fn  # only prctl, libc preloaded
        )

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._close_process()
                return False
            try:
                if requests.get(self.url + "/-/ready", timeout=1).status_code == 200:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self._close_process()
        return False

    def _close_process(self):
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self):
        """Stop the server and delete its storage, configuration and log."""
        self._close_process()
        if self.workdir and os.path.isdir(self.workdir):
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, size=4000):
        """The end of the server's log (stdout and stderr), for failure messages."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - size))
                return log.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    # -- queries ------------------------------------------------------------------------------

    def query(self, promql, time=None):  # pylint: disable=redefined-outer-name  # the API's parameter name
        """Run an instant query; return the API's ``data`` (``resultType`` and ``result``).

        ``time`` (Unix seconds) defaults to the backfilled data's end, or to now for a live server.
        """
        params = {"query": promql}
        at = time if time is not None else self.default_query_time
        if at is not None:
            params["time"] = "%.3f" % at
        response = requests.get(self.url + "/api/v1/query", params=params, timeout=10)
        try:
            body = response.json()
        except ValueError as exc:
            raise PrometheusError("query %r: HTTP %d, not JSON: %s" % (promql, response.status_code, response.text[:500])) from exc
        if body.get("status") != "success":
            raise PrometheusError("query %r failed: %s: %s" % (promql, body.get("errorType"), body.get("error")))
        return body["data"]

    def wait_for_value(self, promql, timeout, accept=None, interval=0.25):
        """Poll ``promql`` until it returns data (and ``accept(data)`` is true, when given); return that data.

        Raises TimeoutError naming the query and its last answer.
        """
        deadline = time.monotonic() + timeout
        while True:
            data = self.query(promql)
            if data["result"] and (accept is None or accept(data)):
                return data
            if time.monotonic() >= deadline:
                raise TimeoutError("no accepted value for %r within %ss; last answer: %s" % (promql, timeout, data))
            time.sleep(interval)


def sample_values(data):
    """The float values of an instant query's answer: one per series of a vector, one for a scalar.

    ``[]`` means no data; NaN stays NaN (Prometheus answers it as the string ``"NaN"``).
    """
    if data["resultType"] == "scalar":
        return [float(data["result"][1])]
    return [float(item["value"][1]) for item in data["result"]]


def last_timestamp(openmetrics_text):
    """The greatest sample timestamp (seconds) in timestamped OpenMetrics text."""
    latest = None
    for line in openmetrics_text.splitlines():
        if not line or line.startswith("#"):
            continue
        stamp = float(line.rsplit(" ", 1)[1])
        latest = stamp if latest is None else max(latest, stamp)
    if latest is None:
        raise ValueError("OpenMetrics text has no samples")
    return latest


# -- Istio series for backfill -----------------------------------------------------------------

# One series: its metric family (with its OpenMetrics type), the sample name, labels, [(t, value)].
Series = namedtuple("Series", "family family_type name labels points")


def _timestamps(end, duration_s, step_s):
    start = end - duration_s
    return [start + step * step_s for step in range(int(duration_s // step_s) + 1)]


def _counter_points(stamps, per_second):
    # Counters start at zero with the data; a rate over any window inside the data is exactly per_second.
    return [(stamp, per_second * (stamp - stamps[0])) for stamp in stamps]


def istio_series(namespace, workload, requests_per_s, error_rate, latency_ms, duration_s=300, step_s=5,
                 end=None, error_code="500", service=None, source_workload="sandbox-traffic"):
    """Series of Istio's destination-reported request metrics for one workload.

    ``requests_per_s`` requests per second reach ``workload`` in ``namespace``; the fraction ``error_rate``
    is answered ``error_code``, the rest 200; every request takes ``latency_ms``. Samples every ``step_s``
    seconds over ``duration_s`` seconds ending at ``end`` (Unix seconds, default now). ``service`` is the
    destination Service name (default the workload's name). Rates of the counters are exact, so Flagger's
    success-rate query returns ``100 * (1 - error_rate)`` (NaN when ``requests_per_s`` is 0) and its p99
    query Prometheus' interpolation inside the bucket holding ``latency_ms``.
    """
    end = int(time.time()) if end is None else end
    stamps = _timestamps(end, duration_s, step_s)
    per_code = {"200": requests_per_s * (1 - error_rate), error_code: requests_per_s * error_rate}
    series = []
    for code, per_second in per_code.items():
        labels = istio_labels("destination", namespace, workload, service or workload, namespace, code, source_workload)
        series.append(Series("istio_requests", "counter", "istio_requests_total", labels, _counter_points(stamps, per_second)))
        series.extend(_histogram_series(labels, stamps, per_second, latency_ms))
    return series


def noisy_istio_series(namespace, workload, requests_per_s, error_rate, latency_ms, seed, latency_spread=0.2,
                       duration_s=300, step_s=2, end=None, error_code="500"):
    """As istio_series, but with the noise of real traffic, reproducible from ``seed``: in each ``step_s`` the number of
    requests is Poisson with mean ``requests_per_s * step_s``, each fails with probability ``error_rate`` and takes
    ``latency_ms`` times a log-normal factor of spread ``latency_spread``. Two workloads built with the same behaviour
    and different seeds are what "identical behaviour" looks like to a statistical test."""
    rng = random.Random(seed)
    end = int(time.time()) if end is None else end
    stamps = _timestamps(end, duration_s, step_s)
    bounds = list(ISTIO_DURATION_BUCKETS_MS) + [float("inf")]
    totals = {code: {"count": 0, "sum": 0.0, "buckets": [0] * len(bounds)} for code in ("200", error_code)}
    points = {code: {"count": [], "sum": [], "buckets": [[] for _bound in bounds]} for code in totals}
    for index, stamp in enumerate(stamps):
        for _request in range(_poisson(rng, requests_per_s * step_s) if index else 0):
            code = error_code if rng.random() < error_rate else "200"
            latency = latency_ms * rng.lognormvariate(0.0, latency_spread)
            totals[code]["count"] += 1
            totals[code]["sum"] += latency
            for position, bound in enumerate(bounds):
                if latency <= bound:
                    totals[code]["buckets"][position] += 1
        for code, total in totals.items():
            points[code]["count"].append((stamp, total["count"]))
            points[code]["sum"].append((stamp, total["sum"]))
            for position, in_bucket in enumerate(total["buckets"]):
                points[code]["buckets"][position].append((stamp, in_bucket))
    family = "istio_request_duration_milliseconds"
    series = []
    for code, code_points in points.items():
        labels = istio_labels("destination", namespace, workload, workload, namespace, code, "sandbox-traffic")
        series.append(Series("istio_requests", "counter", "istio_requests_total", labels, code_points["count"]))
        for bound, bucket_points in zip(bounds, code_points["buckets"]):
            series.append(Series(family, "histogram", family + "_bucket", dict(labels, le=bucket_bound_label(bound)), bucket_points))
        series.append(Series(family, "histogram", family + "_sum", labels, code_points["sum"]))
        series.append(Series(family, "histogram", family + "_count", labels, code_points["count"]))
    return series


def _poisson(rng, mean):
    """A Poisson variate (Knuth's product of uniforms; means here are at most a few hundred, split to stay in range)."""
    count = 0
    while mean > 0:
        part = min(mean, 30.0)
        mean -= part
        limit, product = math.exp(-part), rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
    return count


def _histogram_series(labels, stamps, per_second, latency_ms):
    family = "istio_request_duration_milliseconds"
    series = []
    for bound in list(ISTIO_DURATION_BUCKETS_MS) + [float("inf")]:
        in_bucket = per_second if latency_ms <= bound else 0.0
        bucket_labels = dict(labels, le=bucket_bound_label(bound))
        series.append(Series(family, "histogram", family + "_bucket", bucket_labels, _counter_points(stamps, in_bucket)))
    series.append(Series(family, "histogram", family + "_sum", labels, _counter_points(stamps, per_second * latency_ms)))
    series.append(Series(family, "histogram", family + "_count", labels, _counter_points(stamps, per_second)))
    return series


def _format_labels(labels):
    escaped = ('%s="%s"' % (k, str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")) for k, v in labels.items())
    return "{%s}" % ",".join(escaped)


def render_openmetrics(*series_lists):
    """Timestamped OpenMetrics text for any number of ``istio_series`` results, families grouped, ``# EOF`` last."""
    families = {}
    for series_list in series_lists:
        for series in series_list:
            families.setdefault((series.family, series.family_type), []).append(series)
    lines = []
    for (family, family_type), members in families.items():
        lines.append("# TYPE %s %s" % (family, family_type))
        for series in members:
            label_text = _format_labels(series.labels)
            lines.extend("%s%s %r %d" % (series.name, label_text, float(value), stamp) for stamp, value in series.points)
    lines.append("# EOF")
    return "\n".join(lines) + "\n"
