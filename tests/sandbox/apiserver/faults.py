"""Fault injection: answer matching requests with an error, a delay, or a dropped connection."""
import itertools
import re
import threading
from dataclasses import asdict, dataclass, field


@dataclass
class Fault:
    id: int
    verb: str = None           # HTTP method (GET, POST, PUT, PATCH, DELETE); None matches any
    path_regex: str = None     # re.search on the request path; None matches any
    status: int = None         # answer with this code (409, 500, 503, ...) instead of handling
    latency: float = 0.0       # seconds to wait before handling (or answering the fault)
    drop: bool = False         # close the connection without an answer (the request is not handled)
    drop_answer: bool = False  # handle the request, then close the connection instead of answering (a lost answer)
    times: int = None          # how many requests it applies to; None = until cleared
    dry_runs: bool = False     # also hit `dryRun=All` requests (a fault is meant for the real write by default)
    matched: int = field(default=0)

    def matches(self, method, path, query=""):
        if self.verb and self.verb.upper() != method.upper():
            return False
        if not self.dry_runs and "dryrun=all" in (query or "").lower():
            return False
        return not self.path_regex or re.search(self.path_regex, path) is not None

    def as_dict(self):
        return asdict(self)


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []
        self._ids = itertools.count(1)

    def add(self, verb=None, path_regex=None, status=None, latency=0.0, drop=False, times=None, drop_answer=False,
            dry_runs=False):
        """Register a fault; returns it (its `id` identifies it, `matched` counts the requests it hit)."""
        if status is None and not drop and not latency and not drop_answer:
            raise ValueError("a fault needs a status, a latency, drop=True or drop_answer=True")
        if path_regex:
            re.compile(path_regex)
        fault = Fault(id=next(self._ids), verb=verb, path_regex=path_regex, status=int(status) if status else None,
                      latency=float(latency or 0), drop=bool(drop), times=int(times) if times is not None else None,
                      drop_answer=bool(drop_answer), dry_runs=bool(dry_runs))
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method, path, query=""):
        """The first live fault matching this request, consuming one of its `times`; None if none applies."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, query) and (fault.times is None or fault.matched < fault.times):
                    fault.matched += 1
                    return fault
        return None

    def list(self):
        with self._lock:
            return [f.as_dict() for f in self._faults]

    def clear(self):
        with self._lock:
            self._faults.clear()
