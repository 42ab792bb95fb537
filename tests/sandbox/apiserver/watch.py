"""`?watch=true`: a chunked stream of JSON watch events (ADDED/MODIFIED/DELETED), as the apiserver sends them."""
import json
import time

from . import errors, selectors

DEFAULT_TIMEOUT = 1800.0
POLL = 0.25


def _chunk(handler, event):
    data = json.dumps(event, separators=(",", ":")).encode() + b"\n"
    handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
    handler.wfile.flush()


def _start_point(store, target, query, selection):
    """(initial ADDED events, rv to continue after); 410 Gone event list when the rv is too old."""
    rv_param = query.get("resourceVersion")
    if rv_param in (None, "", "0"):
        with store.lock:
            items = store.list(target.resource.store_key, selection.matches)
            current = store.resource_version
        return [{"type": "ADDED", "object": o} for o in items], current
    try:
        since = int(rv_param)
    except ValueError as exc:
        raise errors.bad_request(f"invalid resource version: {rv_param}") from exc
    return [], since


def serve(handler, target, query, transform=None):
    """Stream events until timeoutSeconds, the client leaving, or the emulator stopping; returns 200.

    `transform(obj)` turns each event's object into what the client asked for (a Table for `kubectl get -w`)."""
    transform = transform or (lambda obj: obj)
    emulator = handler.emulator
    store, api = emulator.store, emulator.api
    field_selector = query.get("fieldSelector")
    if target.name is not None:
        field_selector = ",".join(filter(None, [field_selector, f"metadata.name={target.name}"]))
    selection = selectors.Filter(target.namespace if target.resource.namespaced else None,
                                 query.get("labelSelector"), field_selector)
    initial, since = _start_point(store, target, query, selection)
    timeout = float(query.get("timeoutSeconds") or DEFAULT_TIMEOUT)
    deadline = time.monotonic() + timeout
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.send_header("Cache-Control", "no-cache, private")
    handler.record(200)
    handler.end_headers()
    try:
        for event in initial:
            _chunk(handler, {"type": event["type"], "object": transform(api.view(target.resource, event["object"]))})
        _follow(handler, target, selection, since, deadline, transform)
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True
    return 200


def _follow(handler, target, selection, since, deadline, transform):
    emulator = handler.emulator
    store, api = emulator.store, emulator.api
    key = target.resource.store_key
    while not emulator.stopping.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        with store.changed:
            events = store.events_since(key, since)
            if events == []:
                store.changed.wait(min(remaining, POLL))
                events = store.events_since(key, since)
        if events is None:
            _chunk(handler, {"type": "ERROR", "object": errors.gone(f"too old resource version: {since}").status()})
            return
        for rv, event_type, obj in events:
            since = rv
            if selection.matches(obj):
                _chunk(handler, {"type": event_type, "object": transform(api.view(target.resource, obj))})
