"""`/_sandbox/requests` and `/_sandbox/faults`: the request log and fault injection over HTTP."""
import json


class Controls:
    def __init__(self, request_log, faults):
        self.request_log = request_log
        self.faults = faults

    def handle(self, method, path, body):
        """(status, JSON payload) for a control request."""
        path = path.rstrip("/")
        if path == "/_sandbox/requests":
            if method == "GET":
                return 200, {"items": [r.as_dict() for r in self.request_log.records()],
                             "counts": self.request_log.counts(), "verbCounts": self.request_log.verb_counts()}
            if method == "DELETE":
                self.request_log.reset()
                return 200, {}
        elif path == "/_sandbox/faults":
            if method == "GET":
                return 200, {"items": self.faults.list()}
            if method == "POST":
                return self._add_fault(body)
            if method == "DELETE":
                self.faults.clear()
                return 200, {}
        else:
            return 404, {"error": f"no sandbox control at {path}"}
        return 405, {"error": f"{method} not allowed on {path}"}

    def _add_fault(self, body):
        try:
            spec = json.loads(body or b"{}")
            allowed = {"verb", "path_regex", "status", "latency", "drop", "drop_answer", "times", "dry_runs"}
            unknown = set(spec) - allowed
            if unknown:
                return 400, {"error": f"unknown fault fields: {sorted(unknown)}; allowed: {sorted(allowed)}"}
            return 201, self.faults.add(**spec).as_dict()
        except (ValueError, TypeError) as exc:
            return 400, {"error": str(exc)}
