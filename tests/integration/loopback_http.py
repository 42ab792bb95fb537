"""A tiny HTTP server on 127.0.0.1 for tests: answers from a Python function and records every request.

Used for the web check's JSON endpoint, webhook receivers and gates, a slow "Prometheus", and an
authenticating proxy in front of the real Prometheus.
"""
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


class Reply:
    """What the server answers: a status, a body (dict/list → JSON, str → text) and an optional delay."""

    def __init__(self, status=200, body=None, delay_s=0.0, content_type=None, headers=None, drop=False):
        self.status = status
        self.body = body
        self.delay_s = delay_s
        self.content_type = content_type
        self.headers = headers or {}
        self.drop = drop    # close the connection without any answer


class RecordedRequest:
    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


class LoopbackServer:
    """``LoopbackServer(responder)`` where ``responder(RecordedRequest) -> Reply``; ``.url``, ``.requests``."""

    def __init__(self, responder):
        self.responder = responder
        self.requests = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                request = RecordedRequest(self.command, self.path, self.headers, body)  # case-insensitive get()
                with server._lock:
                    server.requests.append(request)
                reply = server.responder(request)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if isinstance(reply.body, (dict, list)):
                    payload, content_type = json.dumps(reply.body).encode(), "application/json"
                else:
                    payload, content_type = (reply.body or "").encode(), "text/plain"
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type or content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    for header, value in reply.headers.items():
                        self.send_header(header, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests): nothing to answer to

            do_GET = _serve
            do_POST = _serve

            def log_message(self, *args):  # keep test output quiet
                pass

        return Handler

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


def forwarding_responder(upstream_url, accept):
    """A responder that forwards to ``upstream_url`` when ``accept(request)`` is true, else answers 401."""
    def respond(request):
        if not accept(request):
            return Reply(401, "unauthorized\n")
        headers = {"Content-Type": request.headers.get("Content-Type", "application/x-www-form-urlencoded")}
        if request.method == "POST":
            upstream = requests.post(upstream_url + request.path, data=request.body, headers=headers, timeout=10)
        else:
            upstream = requests.get(upstream_url + request.path, timeout=10)
        return Reply(upstream.status_code, upstream.text, content_type=upstream.headers.get("Content-Type"))
    return respond
