"""The HTTP front of the emulator: routes requests to discovery, objects, watches and the sandbox controls."""
import json
import socket
import ssl
import time
import traceback
from http.server import BaseHTTPRequestHandler

from . import errors, routing, tls, watch
from .requestlog import RequestRecord
from .tables import table_transform, to_table, wants_table

try:  # the schema helper's OpenAPI v3 documents; absent while it is being written
    from . import openapi
except ImportError:  # pragma: no cover - only while openapi.py is missing
    openapi = None

VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.3", "gitCommit": "32cc146f75aad04beaaa245a7157eb35063a9f99",
           "gitTreeState": "clean", "buildDate": "2025-03-11T19:52:21Z", "goVersion": "go1.23.6", "compiler": "gc",
           "platform": "linux/amd64"}


def _is_true(value):
    """Boolean query parameters: Go clients send `true`, the Python client `True`."""
    return (value or "").lower() in ("true", "1")


class Handler(BaseHTTPRequestHandler):
    """One connection; `self.server.emulator` is the Emulator it serves."""
    protocol_version = "HTTP/1.1"
    server_version = "sandbox-apiserver"
    # Headers and body go out in separate writes: with Nagle on, a keep-alive client's delayed ACK stalls every
    # response ~40 ms (measured by bench/: 40 ms -> 0.8 ms per GET), which is emulator time, not the client's.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Silence the stdlib's per-request stderr line; the request log records requests."""

    def setup(self):
        """With TLS (tls.py), the handshake: a client that refuses our certificate or speaks no TLS ends here."""
        self.handshake_failed = False  # pylint: disable=attribute-defined-outside-init
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(30)
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError):
                self.handshake_failed = True  # pylint: disable=attribute-defined-outside-init
            self.request.settimeout(None)
        super().setup()

    def handle(self):
        if self.handshake_failed:
            self.close_connection = True
            return
        super().handle()

    # Every method goes through `_handle`.
    def do_GET(self):  # pylint: disable=invalid-name
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    @property
    def emulator(self):
        return self.server.emulator

    def _body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self):
        self._recorded = False  # pylint: disable=attribute-defined-outside-init  # one connection serves many requests
        self._lose_answer = False  # pylint: disable=attribute-defined-outside-init
        path, query_string, query = routing.split_url(self.path)
        body = self._body()
        if path.startswith("/_sandbox/"):
            self._recorded = True  # pylint: disable=attribute-defined-outside-init  # controls are not API requests
            self._send_json(*self.emulator.controls.handle(self.command, path, body))
            return
        status = 0
        try:
            if (self.emulator.require_auth and (path.rstrip("/") or "/") not in tls.PUBLIC_PATHS
                    and not tls.authenticated(self.headers, self.request)):
                status = 401
                self._send_json(401, tls.unauthorized_status())
                return
            fault = self.emulator.faults.take(self.command, path, query_string)
            if fault is not None and fault.latency:
                time.sleep(fault.latency)
            if fault is not None and fault.drop:
                self.record(0)
                self._drop()
                return
            if fault is not None and fault.status:
                raise errors.injected(fault.status)
            # The request is carried out and logged with its real status; only its answer never leaves.
            self._lose_answer = fault is not None and fault.drop_answer  # pylint: disable=attribute-defined-outside-init
            status = self._dispatch(path, query, body)
        except errors.ApiError as exc:
            status = exc.code
            self._send_json(exc.code, exc.status())
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # pylint: disable=broad-exception-caught  # an emulator bug answers 500 like an apiserver panic
            traceback.print_exc()
            status = 500
            self._send_json(500, errors.ApiError(500, "InternalError", f"Internal error occurred: {exc!r}").status())
        finally:
            self.record(status)

    def record(self, status):
        """Add this request to the request log once (a watch records itself when its stream starts)."""
        if self._recorded:
            return
        self._recorded = True
        path, query_string, _query = routing.split_url(self.path)
        self.emulator.request_log.add(RequestRecord(self.command, path, query_string, status,
                                                    self.headers.get("Content-Type") or "", self.headers.get("User-Agent") or ""))

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _dispatch(self, path, query, body):
        """Answer the request; returns the HTTP status sent."""
        static = self._static(path)
        if static is not None:
            if self.command != "GET":
                raise errors.method_not_allowed()
            return self._send_json(200, static)
        located = routing.group_version(path)
        if located is None:
            raise errors.path_not_found()
        group, version, rest = located
        if not rest:
            if self.command != "GET":
                raise errors.method_not_allowed()
            doc = self.emulator.registry.api_resource_list_doc(group, version)
            if doc is None:
                raise errors.path_not_found()
            return self._send_json(200, doc)
        target = routing.resolve(self.emulator.registry, group, version, rest)
        if self.command == "GET" and target.name is None and (target.watch_path or _is_true(query.get("watch"))):
            transform = table_transform(target.resource, query) if wants_table(self.headers.get("Accept")) else None
            return watch.serve(self, target, query, transform)
        result = self.emulator.operations.perform(self.command, target, query, body, self.headers.get("Content-Type"))
        payload = result.body
        if self.command == "GET" and target.subresource is None and wants_table(self.headers.get("Accept")):
            payload = to_table(target.resource, payload, query)
        return self._send_json(result.code, payload, result.warnings)

    def _static(self, path):
        """Discovery and OpenAPI documents; None for any other path."""
        registry = self.emulator.registry
        trimmed = path.rstrip("/") or "/"
        if trimmed == "/version":
            return VERSION
        if trimmed in ("/healthz", "/readyz", "/livez"):
            return "ok"
        if trimmed == "/api":
            return registry.api_versions_doc(f"127.0.0.1:{self.server.server_address[1]}")
        if trimmed == "/apis":
            return registry.api_group_list_doc()
        segments = trimmed.strip("/").split("/")
        if len(segments) == 2 and segments[0] == "apis":
            if segments[1] not in registry.groups():
                raise errors.path_not_found()
            return dict(registry.api_group(segments[1]), kind="APIGroup", apiVersion="v1")
        if trimmed.startswith("/openapi/"):
            return self._openapi(trimmed)
        return None

    def _openapi(self, path):
        if openapi is None or not path.startswith("/openapi/v3"):
            raise errors.path_not_found()
        if path == "/openapi/v3":
            return openapi.openapi_v3_index(self.emulator.url, self.emulator.registry)
        document = openapi.openapi_v3_document(path[len("/openapi/v3/"):], self.emulator.registry)
        if document is None:
            raise errors.path_not_found()
        return document

    def _send_json(self, code, payload, warnings=()):
        self.record(code)  # before answering, so a client that got its answer finds its request logged
        if self._lose_answer:
            self._drop()
            return code
        data = json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for warning in warnings:
            self.send_header("Warning", '299 - "' + warning.replace('\\', '\\\\').replace('"', '\\"') + '"')
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        return code
